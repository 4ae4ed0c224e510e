import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordDecision } from "../src/comments/decisions.js";
import { scoreFeatures } from "../src/comments/scoring.js";
import { findSiteById } from "../src/db/queries/sites.js";
import { call, createSite, freshDatabase, harness, type Harness, type TestSite } from "./helpers.js";

/**
 * The worker's scoring undoes digit swaps and spaced letters into words the stored model knows
 * (issue 5). On its own database so that the global counts are exactly what this file teaches.
 */
describe("scoring against the stored vocabulary", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let h: Harness;
  let site: TestSite;

  beforeAll(async () => {
    db = await freshDatabase();
    h = harness({ databaseUrl: db.url });
    site = await createSite(h.app);
    const teach = async (content: string, label: "spam" | "ham") => {
      const res = await call(h.app, "POST", "/v1/comments", { key: site.apiKey, body: { thread: "t", content } });
      expect(res.status).toBe(202);
      await recordDecision(h.deps.db, { siteId: site.id, commentId: res.body.id as string, label, actor: "moderator" });
    };
    await teach("Best online casino bonus, win money tonight", "spam");
    await teach("Casino jackpot and free money for new players", "spam");
    await teach("The casino bonus doubles your money, join now", "spam");
    await teach("Lovely photos of the harbour, thanks for sharing them", "ham");
    await teach("I cooked this for my parents and they asked for seconds", "ham");
    await teach("Interesting point about the harbour history, I had no idea", "ham");
  });
  afterAll(async () => {
    await h?.close();
    await db?.drop();
  });

  const scoreText = async (content: string) => {
    const row = await findSiteById(h.deps.db, site.id);
    await h.deps.model.sync();
    return scoreFeatures(h.deps.model, row!, { content });
  };

  it("reads spaced-out letters and digit swaps as the words the model learned", async () => {
    const spaced = await scoreText("c a s i n o b o n u s, win m0ney tonight");
    expect(spaced.tokens).toEqual(expect.arrayContaining(["casino", "bonus", "money"]));
    const clean = await scoreText("casino bonus, win money tonight");
    expect(spaced.result.probability).toBeGreaterThan(0.9);
    expect(Math.abs(spaced.result.probability - clean.result.probability)).toBeLessThan(0.1);
  });

  it("leaves words the model does not know as they were", async () => {
    const unknown = await scoreText("the z3bra crossed at 10:30 for 25 dollars");
    expect(unknown.tokens).not.toContain("zebra");
    expect(unknown.tokens).toEqual(expect.arrayContaining(["z3bra"]));
  });
});
