import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COUNT_SCALE, createMemoryModel, learnSite, scopeSlice, tokenize, unlearnSite } from "../src/classifier/index.js";
import { MIGRATIONS_FOLDER } from "../src/db/migrate.js";
import { recordDecision } from "../src/comments/decisions.js";
import { retrain } from "../src/comments/retrain.js";
import { featuresOf } from "../src/comments/scoring.js";
import { findComment } from "../src/db/queries/comments.js";
import { dumpCounts } from "../src/db/queries/model.js";
import { call, createSite, freshDatabase, harness, type Harness } from "./helpers.js";

/** On its own database: retrain rebuilds every scope, which must not disturb other test files. */
describe("retrain", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let h: Harness;
  beforeAll(async () => {
    db = await freshDatabase();
    h = harness({ databaseUrl: db.url });
  });
  afterAll(async () => {
    await h?.close();
    await db?.drop();
  });

  it("rebuilds exactly the counts that incremental learning produced", async () => {
    const sites = [await createSite(h.app), await createSite(h.app)];
    const texts = [
      "Cheap pills, casino bonus, click http://spam.example now",
      "Thanks for writing this, it helped me fix my bicycle brakes.",
      "Buy followers and likes, best SEO backlinks www.seo.example",
      "I disagree with the second point, but the data is interesting.",
      "Great recipe, I added more garlic and it was perfect!",
      "FREE iPhone winner!!! claim at http://prize.example",
    ];
    const memory = createMemoryModel();
    const ids: { site: string; id: string }[] = [];
    for (const [i, text] of texts.entries()) {
      const site = sites[i % 2]!;
      const res = await call(h.app, "POST", "/v1/comments", {
        key: site.apiKey,
        body: { thread: "t", content: text, author: { name: `user${i}`, url: i % 3 === 0 ? "http://spam.example" : undefined } },
      });
      expect(res.status).toBe(202);
      ids.push({ site: site.id, id: res.body.id as string });
    }
    const decide = async (n: number, label: "spam" | "ham") => {
      const { site, id } = ids[n]!;
      const row = await findComment(h.deps.db, id);
      const tokens = tokenize(featuresOf(row!));
      if (row?.learnedLabel && row.learnedLabel !== label) unlearnSite(memory, site, tokens, row.learnedLabel);
      if (row?.learnedLabel !== label) learnSite(memory, site, tokens, label);
      await recordDecision(h.deps.db, { siteId: site, commentId: id, label, actor: "moderator" });
    };
    // Labels, a flip (spam → ham → spam), and a repeated label that must not count twice.
    await decide(0, "spam");
    await decide(1, "ham");
    await decide(2, "ham");
    await decide(2, "spam");
    await decide(3, "ham");
    await decide(3, "ham");
    await decide(4, "spam");
    await decide(4, "ham");
    await decide(5, "spam");

    const incremental = await dumpCounts(h.deps.db);
    expect(incremental.totals).toEqual(
      expect.arrayContaining([{ scope: "global", spam: 3, ham: 3 }]),
    );
    // Postgres holds what the classifier's in-memory model holds for the same decisions.
    for (const scope of ["global", sites[0]!.id, sites[1]!.id]) {
      const slice = scopeSlice(memory, scope, incremental.tokens.filter((t) => t.scope === scope).map((t) => t.token));
      const rows = incremental.tokens.filter((t) => t.scope === scope);
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) expect(slice.tokens.get(r.token), `${scope} ${r.token}`).toEqual({ spam: r.spam, ham: r.ham });
      expect(incremental.totals.find((t) => t.scope === scope)).toEqual({ scope, ...slice.totals });
    }

    const result = await retrain(h.deps.db);
    expect(result.comments).toBe(6);
    expect(await dumpCounts(h.deps.db)).toEqual(incremental);
    // The comments now record the tokens they contribute, so a later flip unlearns exactly those.
    const row = await findComment(h.deps.db, ids[0]!.id);
    expect(row?.learnedTokens).toEqual(tokenize(featuresOf(row!)));
    // Running it again changes nothing either.
    await retrain(h.deps.db);
    expect(await dumpCounts(h.deps.db)).toEqual(incremental);

    // Counts are in COUNT_SCALE units, undamped by default: every row is a whole number of documents.
    expect(incremental.tokens.every((t) => t.spam % COUNT_SCALE === 0 && t.ham % COUNT_SCALE === 0)).toBe(true);

    // Migration 0008 scales the counts an older install holds (one per document) to COUNT_SCALE
    // units: from those older counts it must give the rows the incremental path gives now.
    await h.deps.db.execute(sql`UPDATE token_counts SET spam = spam / ${COUNT_SCALE}, ham = ham / ${COUNT_SCALE}`);
    const file = readFileSync(path.join(MIGRATIONS_FOLDER, "0008_damped_counts.sql"), "utf8");
    const statements = file
      .split("--> statement-breakpoint")
      .map((s) => s.replace(/^--.*$/gm, "").trim())
      .filter((s) => s.startsWith("UPDATE"));
    expect(statements.length).toBe(1);
    for (const statement of statements) await h.deps.db.execute(sql.raw(statement));
    expect(await dumpCounts(h.deps.db)).toEqual(incremental);
  });
});
