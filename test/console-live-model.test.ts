import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dumpCounts } from "../src/db/queries/model.js";
import { isolatedSuite, type Harness, type IsolatedSuite, type TestSite } from "./helpers.js";
import { postComment, signIn } from "./helpers/console.js";

/**
 * The console's undo goes through the decision path's learner and its change log, so a scoring
 * process's counts in memory follow an undo exactly as they followed the action.
 */
describe("console undo and the model in memory", () => {
  let suite: IsolatedSuite | undefined;
  let h: Harness;
  let site: TestSite;

  beforeAll(async () => {
    suite = await isolatedSuite();
    ({ h, site } = suite);
  });
  afterAll(async () => {
    await suite?.close();
  });

  const inMemoryMatchesPostgres = async () => {
    await h.deps.model.sync();
    const { tokens, totals } = await dumpCounts(h.deps.db);
    const dump = h.deps.model.dump();
    expect(Object.fromEntries([...dump.totals].filter(([, t]) => t.spam !== 0 || t.ham !== 0))).toEqual(
      Object.fromEntries(totals.map((t) => [t.scope, { spam: t.spam, ham: t.ham }])),
    );
    const inDb = new Map(tokens.map((t) => [`${t.scope}\u0000${t.token}`, { spam: t.spam, ham: t.ham }]));
    for (const [k, v] of dump.cached) expect(v, k).toEqual(inDb.get(k) ?? { spam: 0, ham: 0 });
    return dump;
  };

  it("after a bulk decision and its undo, the follower's totals and cached counts equal Postgres's", async () => {
    const ids = [
      await postComment(h.app, site, { content: "cheap pills casino bonus click now" }),
      await postComment(h.app, site, { content: "lovely harbour photos thanks for sharing" }),
    ];
    const mod = await signIn(h.app, site.moderatorKey);
    const before = await inMemoryMatchesPostgres();
    const res = JSON.parse((await mod.post("/moderate/decide", { ids, label: "spam" }, { json: true })).text) as { actionId: string };
    const during = await inMemoryMatchesPostgres();
    expect(during.totals.get(site.id)).toEqual({ spam: 2, ham: 0 });
    expect((await mod.post("/moderate/undo", { actionId: res.actionId }, { json: true })).status).toBe(200);
    const after = await inMemoryMatchesPostgres();
    expect(after.totals.get(site.id) ?? { spam: 0, ham: 0 }).toEqual(before.totals.get(site.id) ?? { spam: 0, ham: 0 });
  });
});
