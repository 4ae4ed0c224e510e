import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findComment } from "../src/db/queries/comments.js";
import { dumpCounts } from "../src/db/queries/model.js";
import { call, createSite, isolatedSuite, type Harness, type IsolatedSuite, type TestSite } from "./helpers.js";
import { postComment, signIn } from "./helpers/console.js";

/**
 * The console's campaign page (issue 12) over HTTP, on a database of its own: clustering is
 * installation-wide, so other test files' comments must not join these campaigns.
 */
describe("console: a comment's campaign", () => {
  let suite: IsolatedSuite;
  let h: Harness;
  let a: TestSite;
  let b: TestSite;
  let c: TestSite;

  beforeAll(async () => {
    suite = await isolatedSuite();
    ({ h, site: a } = suite);
    [b, c] = [await createSite(h.app), await createSite(h.app)];
  });
  afterAll(async () => {
    await suite?.close();
  });

  const text = (w: string) => `Genuine designer watches at ninety percent off for ${w}, free shipping worldwide, order from watch-outlet.example now`;
  const other = (w: string) => `Lose twenty pounds in one week with ${w} miracle drops, doctors hate this trick, read more at slim-fast-drops.example`;
  const third = (w: string) => `Your parcel is waiting at the depot for ${w}, confirm the delivery fee within two days at parcel-depot.example/track`;

  it("links a member to its campaign page: this site's members, only counts of other sites, decided as one undoable action", async () => {
    const mine1 = await postComment(h.app, a, { thread: "w1", content: text("you") });
    const mine2 = await postComment(h.app, a, { thread: "w2", content: text("you") });
    const theirs = await postComment(h.app, b, { thread: "their-thread", content: `${text("everyone")} secret-b-words` });
    const campaignId = (await findComment(h.deps.db, mine2))!.signals!.campaign!.id;
    const mod = await signIn(h.app, a.moderatorKey);

    const card = await mod.get(`/moderate/comments/${mine2}`);
    expect(card.text).toContain(`href="/moderate/campaigns/${campaignId}"`);
    expect(card.text).toMatch(/seen 2 times on 1 site in 1 h/);

    const page = await mod.get(`/moderate/campaigns/${campaignId}`);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/data-testid="campaign-here">2</);
    expect(page.text).toMatch(/data-testid="campaign-other-sites">1</);
    expect(page.text).toMatch(/data-testid="campaign-other-copies">1</);
    expect(page.text).toContain(`data-id="${mine1}"`);
    expect(page.text).toContain(`data-id="${mine2}"`);
    expect(page.text).not.toContain(theirs);
    expect(page.text).not.toContain("secret-b-words");
    expect(page.text).not.toContain("their-thread");

    const countsBefore = await dumpCounts(h.deps.db);
    const decided = await mod.post(`/moderate/campaigns/${campaignId}/decide`, { label: "spam" }, { json: true });
    expect(decided.status).toBe(200);
    const body = JSON.parse(decided.text) as { actionId: string; comments: { id: string; status: string }[] };
    expect(body.comments.map((x) => x.id).sort()).toEqual([mine1, mine2].sort());
    for (const id of [mine1, mine2]) expect(await findComment(h.deps.db, id)).toMatchObject({ status: "spam", learnedLabel: "spam" });
    // The other site's member is untouched.
    expect(await findComment(h.deps.db, theirs)).toMatchObject({ learnedLabel: null });
    expect((await mod.get(`/moderate/campaigns/${campaignId}`)).text).toMatch(/data-testid="campaign-here-spam">2</);

    // The console's one Undo (the latest action) takes it back exactly.
    const undone = await mod.post("/moderate/undo", {}, { json: true });
    expect(undone.status).toBe(200);
    expect((JSON.parse(undone.text) as { restored: string[] }).restored.sort()).toEqual([mine1, mine2].sort());
    expect(await dumpCounts(h.deps.db)).toEqual(countsBefore);
    for (const id of [mine1, mine2]) expect(await findComment(h.deps.db, id)).toMatchObject({ learnedLabel: null });
  });

  it("the API's campaign decision is the same action: the console undoes it, and the API undoes the console's", async () => {
    const one = await postComment(h.app, a, { thread: "x1", content: other("all") });
    await postComment(h.app, a, { thread: "x2", content: other("all") });
    const campaignId = (await findComment(h.deps.db, one))!.signals?.campaign?.id ?? (await findComment(h.deps.db, (await postComment(h.app, a, { thread: "x3", content: other("all") }))))!.signals!.campaign!.id;
    const countsBefore = await dumpCounts(h.deps.db);
    const api = await call(h.app, "POST", `/v1/campaigns/${campaignId}/decision`, { key: a.moderatorKey, body: { label: "spam" } });
    expect(api.status).toBe(200);
    const mod = await signIn(h.app, a.moderatorKey);
    expect((await mod.post("/moderate/undo", {}, { json: true })).status).toBe(200);
    expect(await dumpCounts(h.deps.db)).toEqual(countsBefore);

    const fromConsole = JSON.parse((await mod.post(`/moderate/campaigns/${campaignId}/decide`, { label: "ham" }, { json: true })).text) as { actionId: string };
    const viaApi = await call(h.app, "POST", `/v1/campaigns/${campaignId}/decision/undo`, { key: a.moderatorKey, body: { actionId: fromConsole.actionId } });
    expect(viaApi.status).toBe(200);
    expect(await dumpCounts(h.deps.db)).toEqual(countsBefore);
    // An action that decided something else is not this campaign's to undo.
    const plain = JSON.parse((await mod.post("/moderate/decide", { ids: one, label: "spam" }, { json: true })).text) as { actionId: string };
    const wrong = await call(h.app, "POST", `/v1/campaigns/${campaignId}/decision/undo`, { key: a.moderatorKey, body: { actionId: plain.actionId } });
    expect(wrong.body).toMatchObject({ error: { code: "NOT_FOUND" } });
  });

  it("site isolation: a site with no member gets 404 for the page and the decision, and decides nothing", async () => {
    const member = await postComment(h.app, a, { thread: "iso", content: third("them") });
    await postComment(h.app, b, { thread: "iso", content: third("them") });
    const campaignId = (await findComment(h.deps.db, (await postComment(h.app, a, { thread: "iso2", content: third("them") }))))!.signals!.campaign!.id;
    const outsider = await signIn(h.app, c.moderatorKey);
    expect((await outsider.get(`/moderate/campaigns/${campaignId}`)).status).toBe(404);
    expect((await outsider.post(`/moderate/campaigns/${campaignId}/decide`, { label: "spam" })).status).toBe(404);
    expect(await findComment(h.deps.db, member)).toMatchObject({ learnedLabel: null });
    // Site b sees its own member and counts of a, never a's comments.
    const bMod = await signIn(h.app, b.moderatorKey);
    const bPage = await bMod.get(`/moderate/campaigns/${campaignId}`);
    expect(bPage.status).toBe(200);
    expect(bPage.text).not.toContain(`data-id="${member}"`);
    expect(bPage.text).toMatch(/data-testid="campaign-here">1</);
    // Bad input, no CSRF token, no session.
    expect((await outsider.get("/moderate/campaigns/not-a-uuid")).status).toBe(404);
    const mod = await signIn(h.app, a.moderatorKey);
    expect((await mod.post(`/moderate/campaigns/${campaignId}/decide`, { label: "maybe" })).status).toBe(400);
    expect((await mod.post(`/moderate/campaigns/${campaignId}/decide`, { label: "spam" }, { csrf: null })).status).toBe(403);
    expect(await findComment(h.deps.db, member)).toMatchObject({ learnedLabel: null });
    const anonymous = await h.app.request(`/moderate/campaigns/${campaignId}`);
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toBe("/moderate/login");
  });
});
