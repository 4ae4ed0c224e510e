import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenize } from "../src/classifier/index.js";
import { checkComment } from "../src/akismet/calls.js";
import { randomUUID } from "node:crypto";
import { assignCampaigns, purgeOldFingerprints } from "../src/comments/campaigns.js";
import { findSiteById, updateSite } from "../src/db/queries/sites.js";
import { featuresOf } from "../src/comments/scoring.js";
import { findComment, insertComments } from "../src/db/queries/comments.js";
import { dumpCounts } from "../src/db/queries/model.js";
import { ADMIN_TOKEN, call, createSite, harness, isolatedSuite, type Harness, type IsolatedSuite, type TestSite } from "./helpers.js";

/**
 * Campaigns end to end (issue 12) on their own database: clustering is installation-wide, so other
 * test files' comments must not join these campaigns.
 */
describe("campaigns", () => {
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

  const post = async (site: TestSite, content: string, thread = "t1") => {
    const res = await call(h.app, "POST", "/v1/comments?wait=2000", { key: site.apiKey, body: { thread, content } });
    expect(res.status).toBe(200);
    return res.body as { id: string; status: string; seenBefore: boolean; campaign: { id: string; size: number; sites: number; otherSites: number; explanation: string } | null };
  };

  const SPAM = (variant: string) =>
    `Hey guys check out my new ${variant} channel at https://crypto-gains.example I post trading tips every day, please subscribe and share!`;

  it("clusters near-duplicates across sites and threads, and the scorer hears it as tokens", async () => {
    const first = await post(a, SPAM("awesome"), "t1");
    expect(first.campaign).toBeNull();
    await post(a, SPAM("awesome"), "t2");
    await post(b, SPAM("great"), "t9");
    const fourth = await post(c, `${SPAM("cool")} Thanks`, "t3");
    expect(fourth.campaign).toMatchObject({ size: 4, sites: 3, otherSites: 2 });
    expect(fourth.campaign?.explanation).toMatch(/^seen 4 times on 3 sites \(2 other sites\) in 1 h$/);

    const row = await findComment(h.deps.db, fourth.id);
    expect(tokenize(featuresOf(row!))).toEqual(expect.arrayContaining(["campaign:size=2+", "campaign:sites=3+"]));
    // The first copy joined the campaign when the second arrived.
    const list = await call(h.app, "GET", "/v1/campaigns", { key: a.moderatorKey });
    expect(list.status).toBe(200);
    const campaigns = list.body.campaigns as { id: string; size: number; sites: number; threads: number; otherSites: number }[];
    expect(campaigns).toHaveLength(1);
    expect(campaigns[0]).toMatchObject({ id: fourth.campaign?.id, size: 4, sites: 3, otherSites: 2, threads: 4 });
  });

  it("finds copies that arrive in one batch without stored fingerprints (intake's batches), and keeps a closed site apart", async () => {
    const closed = await createSite(h.app);
    await updateSite(h.deps.db, closed.id, { settings: { campaigns: { crossSite: false } } });
    // Sites b and c post a light rewording; a posts the same text twice.
    const text = (n: number) => `Limited offer ${n === 1 || n === 2 ? "now " : ""}claim your free phone at https://free-phones.example before midnight tonight, only a few left`;
    const sources = [a, b, c, a, closed];
    const ids = sources.map(() => randomUUID());
    const inserted = await insertComments(h.deps.db, sources.map((site, i) => ({ id: ids[i]!, siteId: site.id, thread: "batch", content: text(i) })));
    const rows = ids.map((id, i) => ({ ...inserted.get(id)!, crossSite: sources[i] !== closed }));
    const found = await assignCampaigns(h.deps.db, rows);
    const campaignIds = ids.map((id) => found.get(id)?.campaign?.id);
    expect(new Set(campaignIds.slice(0, 4)).size).toBe(1);
    expect(campaignIds[0]).toBeDefined();
    expect(found.get(ids[3]!)?.campaign).toMatchObject({ size: 4, sites: 3 });
    // The site's own earlier copy in the batch is a repeat there; the closed site's copy is alone.
    expect(found.get(ids[3]!)?.seenBefore).toBe(true);
    expect(campaignIds[4]).toBeUndefined();
  });

  it("does not cluster common short ham posted on every site, and marks a site's own repeat seen-before", async () => {
    const seen: boolean[] = [];
    for (const site of [a, b, c, a, b]) {
      const r = await post(site, "Nice video!", "short");
      expect(r.campaign).toBeNull();
      seen.push(r.seenBefore);
    }
    expect(seen).toEqual([false, false, false, true, true]);
    const row = await findComment(h.deps.db, (await post(c, "nice   video", "short")).id);
    expect(tokenize(featuresOf(row!))).toContain("meta:seen-before");
  });

  it("shows a site only its own members and counts of the others, and 404s a campaign it has no part in", async () => {
    const text = (secret: string) => `Earn ${secret} dollars weekly from home with our proven mobile system, no experience needed, visit easy-cash.example today`;
    const mine = await post(a, text("secret-a-words"), "iso");
    const theirs = await post(b, text("secret-b-words"), "iso");
    expect(theirs.campaign).not.toBeNull();
    const id = theirs.campaign!.id;
    const seen = await call(h.app, "GET", `/v1/campaigns/${id}`, { key: a.moderatorKey });
    expect(seen.status).toBe(200);
    const members = seen.body.members as { id: string; content: string }[];
    expect(members.map((m) => m.id)).toContain(mine.id);
    expect(members.map((m) => m.id)).not.toContain(theirs.id);
    expect(JSON.stringify(seen.body)).not.toContain("secret-b-words");
    expect(seen.body.campaign).toMatchObject({ id, sites: 2, otherSites: 1 });

    // A fourth site with no member: no such campaign, no listing.
    const d = await createSite(h.app);
    expect((await call(h.app, "GET", `/v1/campaigns/${id}`, { key: d.moderatorKey })).body).toMatchObject({ error: { code: "NOT_FOUND" } });
    expect((await call(h.app, "POST", `/v1/campaigns/${id}/decision`, { key: d.moderatorKey, body: { label: "spam" } })).status).toBe(404);
    expect((await call(h.app, "GET", "/v1/campaigns", { key: d.moderatorKey })).body).toMatchObject({ campaigns: [] });
    // The API key is not a moderator key; no key at all is 401; a malformed id is a 404.
    expect((await call(h.app, "GET", `/v1/campaigns/${id}`, { key: a.apiKey })).status).toBe(403);
    expect((await call(h.app, "GET", `/v1/campaigns/${id}`)).status).toBe(401);
    expect((await call(h.app, "GET", "/v1/campaigns/not-a-uuid", { key: a.moderatorKey })).status).toBe(404);
    expect((await call(h.app, "GET", "/v1/campaigns?limit=0", { key: a.moderatorKey })).body).toMatchObject({ error: { code: "BAD_REQUEST" } });
  });

  it("decides a campaign's members on this site in one action, learned one by one, and undoes it", async () => {
    const before = await dumpCounts(h.deps.db);
    const text = "Limited offer: genuine designer watches at ninety percent off, free shipping worldwide, order from watches-outlet.example now";
    const first = await post(a, text, "d1");
    const second = await post(a, text, "d2");
    const other = await post(b, text, "d3");
    const id = second.campaign!.id;
    const countsBefore = await dumpCounts(h.deps.db);

    const decided = await call(h.app, "POST", `/v1/campaigns/${id}/decision`, { key: a.moderatorKey, body: { label: "spam" } });
    expect(decided.status).toBe(200);
    expect(decided.body).toMatchObject({ action: { label: "spam", decided: 2 }, campaign: { decided: { spam: 2, ham: 0 } } });
    for (const cid of [first.id, second.id]) expect(await findComment(h.deps.db, cid)).toMatchObject({ status: "spam", learnedLabel: "spam" });
    // Each is learned as what the scorer saw: the second copy was scored as a campaign member.
    expect((await findComment(h.deps.db, second.id))!.learnedTokens).toEqual(expect.arrayContaining(["campaign:size=2+"]));
    expect((await findComment(h.deps.db, first.id))!.learnedTokens).not.toEqual(expect.arrayContaining(["campaign:size=2+"]));
    // Another site's member is not touched, but its next copy hears the decision.
    expect(await findComment(h.deps.db, other.id)).toMatchObject({ learnedLabel: null });
    const next = await findComment(h.deps.db, (await post(c, text, "d4")).id);
    expect(tokenize(featuresOf(next!))).toContain("campaign:decided-spam");

    const actionId = (decided.body.action as { id: string }).id;
    const undone = await call(h.app, "POST", `/v1/campaigns/${id}/decision/undo`, { key: a.moderatorKey, body: { actionId } });
    expect(undone.status).toBe(200);
    expect(undone.body).toMatchObject({ undo: { reverted: 2, skipped: 0 }, campaign: { decided: { spam: 0 } } });
    expect(await findComment(h.deps.db, first.id)).toMatchObject({ learnedLabel: null, status: first.status });
    expect(await dumpCounts(h.deps.db)).toEqual(countsBefore);
    expect(before.totals).toEqual(countsBefore.totals);
    const again = await call(h.app, "POST", `/v1/campaigns/${id}/decision/undo`, { key: a.moderatorKey, body: { actionId } });
    expect(again.body).toMatchObject({ error: { code: "CONFLICT" } });
    // Another site cannot undo this site's action.
    const foreign = await call(h.app, "POST", `/v1/campaigns/${id}/decision/undo`, { key: b.moderatorKey, body: { actionId } });
    expect(foreign.body).toMatchObject({ error: { code: "NOT_FOUND" } });
    const bad = await call(h.app, "POST", `/v1/campaigns/${id}/decision`, { key: a.moderatorKey, body: { label: "maybe" } });
    expect(bad.body).toMatchObject({ error: { code: "BAD_REQUEST" } });
  });

  it("clusters a short text only once its site decided a copy spam, and a new text by a decided-spam campaign's rare domain", async () => {
    const short = "Ur1 g0ld c0ins cheap";
    const s1 = await post(a, short, "short-spam");
    expect((await post(a, short, "short-spam")).campaign).toBeNull();
    const decided = await call(h.app, "POST", `/v1/comments/${s1.id}/decision`, { key: a.moderatorKey, body: { label: "spam" } });
    expect(decided.status).toBe(200);
    expect((await post(a, short, "short-spam")).campaign).toMatchObject({ size: 2 });
    // On another site the same short text is still nobody's campaign.
    expect((await post(b, short, "short-spam")).campaign).toBeNull();

    const spam = "Visit our pharmacy for discount pills shipped overnight without prescription, best prices at https://rx-deals.example";
    const c1 = await post(a, spam, "rx");
    const c2 = await post(b, spam, "rx");
    expect(c2.campaign).toMatchObject({ size: 2 });
    // Not decided yet: a different text linking the same domain is on its own.
    const unrelated = "Totally different words about gardening tomatoes and summer weather, more at https://rx-deals.example/blog";
    expect((await post(c, unrelated, "rx")).campaign).toBeNull();
    await call(h.app, "POST", `/v1/comments/${c1.id}/decision`, { key: a.moderatorKey, body: { label: "spam" } });
    const joined = await post(c, "A note on last night's football scores and the league table, see https://www.rx-deals.example/scores", "rx2");
    expect(joined.campaign).toMatchObject({ id: c2.campaign!.id, size: 3 });
  });

  it("does not pull a comment into a decided-spam campaign by a domain that many other comments link", async () => {
    const words = ["apple", "river", "cloud", "piano", "tiger", "maple", "orbit", "lemon", "candle", "harbor", "meadow", "falcon", "copper", "velvet", "summit", "garden", "thunder", "marble", "willow", "ember", "glacier", "saffron"];
    // 22 unrelated comments (no two alike) link the same popular host.
    for (let i = 0; i < 22; i++) {
      const own = Array.from({ length: 8 }, (_, k) => `${words[(i + k * 3) % 22]}${i}${k}`).join(" ");
      const text = `${own}, photos at https://popular-photos.example/u/${i}`;
      expect((await post(a, text, "pop")).campaign).toBeNull();
    }
    const spam = "Cheap followers and likes for your channel, instant delivery guaranteed, buy packages at https://popular-photos.example/buy";
    const s1 = await post(b, spam, "pop");
    expect((await post(c, spam, "pop")).campaign).toMatchObject({ size: 2 });
    await call(h.app, "POST", `/v1/comments/${s1.id}/decision`, { key: b.moderatorKey, body: { label: "spam" } });
    const other = await post(c, "My grandmother's soup recipe with leeks and barley, full post at https://popular-photos.example/soup", "pop");
    expect(other.campaign).toBeNull();
  });

  it("lets a site turn cross-site signals off: it neither sees other sites' copies nor is seen", async () => {
    const off = await createSite(h.app);
    const patched = await call(h.app, "PATCH", `/v1/sites/${off.id}/campaigns`, { key: ADMIN_TOKEN, body: { crossSite: false } });
    expect(patched.body).toEqual({ campaigns: { crossSite: false } });
    expect((await call(h.app, "PATCH", `/v1/sites/${off.id}/campaigns`, { key: ADMIN_TOKEN, body: { crossSite: "no" } })).status).toBe(400);
    expect((await call(h.app, "PATCH", `/v1/sites/${off.id}/campaigns`, { key: a.moderatorKey, body: { crossSite: true } })).status).toBe(401);
    const text = "Our clinic sells miracle weight loss drops that melt twenty pounds in a week, read the reviews at slim-drops.example";
    await post(a, text, "x");
    expect((await post(off, text, "x")).campaign).toBeNull();
    expect((await post(b, text, "x")).campaign).toMatchObject({ size: 2, sites: 2 });
    expect((await post(off, text, "y")).campaign).toMatchObject({ size: 2, sites: 1, otherSites: 0 });
  });

  it("purges fingerprints older than the window, except members of a campaign still active, and the campaigns it empties", async () => {
    const oldText = "Cheap replica handbags and sunglasses shipped overnight from our warehouse, see bags-cheap.example for the catalogue";
    const freshText = "Win a free cruise for two to the islands this summer, just answer three questions at cruise-winner.example before Friday";
    const old1 = await post(a, oldText, "p1");
    const old2 = await post(b, oldText, "p2");
    const lone = await post(a, "A long and thoughtful comment about the history of this bridge and the people who built it over the years", "p3");
    const active1 = await post(a, freshText, "p4");
    const active2 = await post(c, freshText, "p5");
    const oldCampaign = old2.campaign!.id;
    expect(active2.campaign?.id).not.toBe(oldCampaign);
    // Ten days ago, past the 7-day window: the old campaign entirely, the lone comment, and one
    // member of the active campaign.
    const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000);
    // Both tables carry the comment's time (campaign_members copies it for the counts).
    const age = async (ids: string[]) => {
      for (const table of ["comment_fingerprints", "campaign_members"]) {
        await h.deps.db.$client`UPDATE ${h.deps.db.$client(table)} SET created_at = ${tenDaysAgo.toISOString()} WHERE comment_id IN ${h.deps.db.$client(ids)}`;
      }
    };
    await age([old1.id, old2.id, lone.id, active1.id]);
    const fingerprinted = async () =>
      new Set((await h.deps.db.$client<{ id: string }[]>`SELECT comment_id::text AS id FROM comment_fingerprints WHERE comment_id IN ${h.deps.db.$client([old1.id, old2.id, lone.id, active1.id, active2.id])}`).map((r) => r.id));
    // A batch at a time: a limit of 1 deletes one row per call.
    expect(await purgeOldFingerprints(h.deps.db, 7, new Date(), 1)).toBe(1);
    while ((await purgeOldFingerprints(h.deps.db, 7)) > 0);
    expect(await fingerprinted()).toEqual(new Set([active1.id, active2.id]));
    const [gone] = await h.deps.db.$client<{ n: number }[]>`SELECT count(*)::int AS n FROM campaigns WHERE id = ${oldCampaign}`;
    expect(gone?.n).toBe(0);
    // The comments themselves stay; the purged campaign is simply no longer listed.
    expect(await findComment(h.deps.db, old1.id)).toMatchObject({ id: old1.id });
    expect((await call(h.app, "GET", `/v1/campaigns/${oldCampaign}`, { key: a.moderatorKey })).status).toBe(404);
    expect((await call(h.app, "GET", `/v1/campaigns/${active2.campaign!.id}`, { key: a.moderatorKey })).body).toMatchObject({ campaign: { size: 2 } });
    // Once the active campaign's last member is past the window too, it goes.
    await age([active2.id]);
    expect(await purgeOldFingerprints(h.deps.db, 7)).toBe(2);
    expect(await fingerprinted()).toEqual(new Set());
  });

  it("the worker's sweep purges old fingerprints by itself", async () => {
    const swept = harness({ databaseUrl: suite.databaseUrl, config: { SWEEP_INTERVAL_MS: "100" } });
    try {
      const old = await post(a, "An old remark about the weather that nobody will ever repeat in quite the same words again, surely", "sw");
      const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000).toISOString();
      await h.deps.db.$client`UPDATE comment_fingerprints SET created_at = ${tenDaysAgo} WHERE comment_id = ${old.id}`;
      swept.startWorker();
      const deadline = Date.now() + 5000;
      let left = 1;
      while (left > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        const [row] = await h.deps.db.$client<{ n: number }[]>`SELECT count(*)::int AS n FROM comment_fingerprints WHERE comment_id = ${old.id}`;
        left = row?.n ?? 0;
      }
      expect(left).toBe(0);
    } finally {
      await swept.close();
    }
  });

  it("an Akismet comment-check stores the comment's fingerprint: a later copy through the API clusters with it", async () => {
    const site = await findSiteById(h.deps.db, a.id);
    const content = "Download the leaked album for free before it is taken down, fast mirror links at album-leaks.example/get";
    const checked = await checkComment(h.deps, site!, { blog: "https://blog.example", ip: "192.0.2.7", author: {}, content, honeypotFilled: false, context: [], isTest: false });
    const [row] = await h.deps.db.$client<{ n: number }[]>`SELECT count(*)::int AS n FROM comment_fingerprints WHERE comment_id = ${checked.guid}`;
    expect(row?.n).toBe(1);
    const copy = await post(b, content, "leaks");
    expect(copy.campaign).toMatchObject({ size: 2, sites: 2, otherSites: 1 });
  });

  it("an Akismet comment-check joins its campaign before it is scored: a copy of a campaign decided spam is answered spam with the campaign clue", async () => {
    // Few examples in this suite's model: a new site that scores with what there is (set before
    // its key is first used, so no cached copy of the site predates it).
    const d = await createSite(h.app);
    await updateSite(h.deps.db, d.id, { minPerLabel: 0 });
    for (const [i, text] of ["The new bridge lights look lovely at night from the river path", "Our library opened a reading corner for children this spring", "The bakery on the corner now sells rye bread on Saturdays"].entries()) {
      const ham = await post(a, text, `h${i}`);
      expect((await call(h.app, "POST", `/v1/comments/${ham.id}/decision`, { key: a.moderatorKey, body: { label: "ham" } })).status).toBe(200);
    }
    const text = "Unlock premium streaming accounts for one dollar, lifetime access, every channel included, order at stream-keys.example today";
    await post(a, text, "s1");
    const member = await post(b, text, "s2");
    // Both sites decide it: b's member was scored as a campaign member, so the model learns what
    // the campaign tokens mean from it.
    for (const site of [a, b]) {
      expect((await call(h.app, "POST", `/v1/campaigns/${member.campaign!.id}/decision`, { key: site.moderatorKey, body: { label: "spam" } })).status).toBe(200);
    }
    // The API's model follows decisions within its poll; the check must score with this one.
    await h.deps.model.sync();

    const form = new URLSearchParams({ api_key: d.apiKey, blog: "https://c.example", user_ip: "192.0.2.9", permalink: "https://c.example/p/1", comment_content: text });
    const res = await h.app.request("http://localhost/1.1/comment-check", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form.toString() });
    expect(await res.text()).toBe("true");
    const row = await findComment(h.deps.db, res.headers.get("x-akismet-guid")!);
    expect(row).toMatchObject({ status: "spam", verdict: "spam", signals: { campaign: { id: member.campaign!.id, size: 3, sites: 3, otherSites: 2, decidedSpam: 2 } } });
    expect(tokenize(featuresOf(row!))).toEqual(expect.arrayContaining(["campaign:size=2+", "campaign:sites=3+", "campaign:decided-spam"]));
    // It is a member like any other: the campaign counts it, and the check row and usage say spam.
    expect((await call(h.app, "GET", `/v1/campaigns/${member.campaign!.id}`, { key: d.moderatorKey })).body).toMatchObject({ campaign: { size: 3 } });
    const [check] = await h.deps.db.$client<{ answered_spam: boolean }[]>`SELECT answered_spam FROM akismet_checks WHERE comment_id = ${row!.id}`;
    expect(check?.answered_spam).toBe(true);

    // The same check with campaigns off scores the words alone: no campaign, a lower score.
    const site = await findSiteById(h.deps.db, d.id);
    const plain = await checkComment(h.deps, site!, { blog: "https://c.example", ip: "192.0.2.10", author: {}, content: text, honeypotFilled: false, context: [], isTest: false }, { campaigns: false });
    const plainRow = await findComment(h.deps.db, plain.guid);
    expect(plainRow?.signals ?? null).toBeNull();
    expect(plainRow!.score!).toBeLessThan(row!.score!);
  });
});
