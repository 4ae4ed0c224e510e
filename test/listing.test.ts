import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordDecision } from "../src/comments/decisions.js";
import { call, createSite, harness, removeSite, type Harness, type TestSite } from "./helpers.js";

const THREAD = "news/2026/a post";
const threadPath = `/v1/threads/${encodeURIComponent(THREAD)}/comments`;

let h: Harness;
const sites: string[] = [];
beforeAll(() => {
  h = harness();
});
afterAll(async () => {
  for (const id of sites) await removeSite(h.deps, id);
  await h.close();
});

/**
 * Each test gets its own site with five comments on one thread: 0, 2, 4 published by a moderator,
 * 1 spam, 3 left pending. No test depends on what another left behind.
 */
async function fiveComments(): Promise<{ site: TestSite; ids: string[] }> {
  const site = await createSite(h.app);
  sites.push(site.id);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const res = await call(h.app, "POST", "/v1/comments", { key: site.apiKey, body: { thread: THREAD, content: `comment number ${i}` } });
    expect(res.status).toBe(202);
    ids.push(res.body.id as string);
  }
  for (const i of [0, 2, 4]) await recordDecision(h.deps.db, { siteId: site.id, commentId: ids[i]!, label: "ham", actor: "moderator" });
  await recordDecision(h.deps.db, { siteId: site.id, commentId: ids[1]!, label: "spam", actor: "moderator" });
  return { site, ids };
}

/** A site with nothing in it, for tests about the request rather than the data. */
async function emptySite(): Promise<TestSite> {
  const site = await createSite(h.app);
  sites.push(site.id);
  return site;
}

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** Cursors a client may forge; Postgres cannot store some of their dates, so none may reach it. */
const forgedCursors = {
  "year 0000": cursorOf(["0000-01-01T00:00:00Z", "00000000-0000-0000-0000-000000000000"]),
  "year 0000 as toISOString writes it": cursorOf(["0000-01-01T00:00:00.000Z", "00000000-0000-0000-0000-000000000000"]),
  "February 30": cursorOf(["2026-02-30T00:00:00.000Z", "00000000-0000-0000-0000-000000000000"]),
  "a six-digit year": cursorOf(["+275760-09-13T00:00:00.000Z", "00000000-0000-0000-0000-000000000000"]),
  "not a date": cursorOf(["yesterday", "00000000-0000-0000-0000-000000000000"]),
  "not base64 JSON": "%%%",
};

function expectBadCursor(res: { status: number; body: Record<string, unknown> }) {
  expect(res.status).toBe(400);
  expect(res.body.error).toMatchObject({ code: "BAD_REQUEST", message: "Invalid cursor", details: [{ path: "cursor" }] });
}

describe("GET /v1/threads/:thread/comments", () => {
  it("lists only published comments, oldest first, with a cursor", async () => {
    const { site, ids } = await fiveComments();
    const first = await call(h.app, "GET", `${threadPath}?limit=2`, { key: site.apiKey });
    expect(first.status).toBe(200);
    expect((first.body.comments as { id: string }[]).map((c) => c.id)).toEqual([ids[0], ids[2]]);
    for (const c of first.body.comments as Record<string, unknown>[]) expect(Object.keys(c)).not.toContain("ip");
    const next = await call(h.app, "GET", `${threadPath}?limit=2&cursor=${first.body.nextCursor as string}`, { key: site.apiKey });
    expect((next.body.comments as { id: string }[]).map((c) => c.id)).toEqual([ids[4]]);
    expect(next.body.nextCursor).toBeNull();
  });

  it("answers 304 to If-None-Match with the current ETag, 200 after a change", async () => {
    const { site, ids } = await fiveComments();
    const res = await call(h.app, "GET", threadPath, { key: site.apiKey });
    const etag = res.headers.get("etag")!;
    expect(etag).toMatch(/^W\/".+"$/);
    const again = await h.app.request(threadPath, { headers: { authorization: `Bearer ${site.apiKey}`, "if-none-match": etag } });
    expect(again.status).toBe(304);
    await recordDecision(h.deps.db, { siteId: site.id, commentId: ids[3]!, label: "ham", actor: "moderator" });
    const changed = await h.app.request(threadPath, { headers: { authorization: `Bearer ${site.apiKey}`, "if-none-match": etag } });
    expect(changed.status).toBe(200);
  });

  it("shows an empty list for a thread with nothing published", async () => {
    const site = await emptySite();
    const res = await call(h.app, "GET", "/v1/threads/empty/comments", { key: site.apiKey });
    expect(res.body).toEqual({ thread: "empty", comments: [], nextCursor: null });
  });

  for (const [name, cursor] of Object.entries(forgedCursors)) {
    it(`rejects a forged cursor (${name}) with 400`, async () => {
      const site = await emptySite();
      expectBadCursor(await call(h.app, "GET", `${threadPath}?cursor=${cursor}`, { key: site.apiKey }));
    });
  }

  it("accepts the earliest date Postgres stores in a cursor (year 0001)", async () => {
    const { site, ids } = await fiveComments();
    const res = await call(h.app, "GET", `${threadPath}?cursor=${cursorOf(["0001-01-01T00:00:00.000Z", "00000000-0000-0000-0000-000000000000"])}`, { key: site.apiKey });
    expect(res.status).toBe(200);
    expect((res.body.comments as { id: string }[]).map((c) => c.id)).toEqual([ids[0], ids[2], ids[4]]);
  });
});

describe("GET /v1/moderation/queue", () => {
  it("lists one status newest first, filtered by thread", async () => {
    const { site, ids } = await fiveComments();
    // Comment 3 becomes spam here, so the spam queue holds two.
    await recordDecision(h.deps.db, { siteId: site.id, commentId: ids[3]!, label: "spam", actor: "moderator" });
    const res = await call(h.app, "GET", "/v1/moderation/queue?status=published", { key: site.moderatorKey });
    expect(res.status).toBe(200);
    expect((res.body.comments as { id: string }[]).map((c) => c.id)).toEqual([ids[4], ids[2], ids[0]]);
    const spam = await call(h.app, "GET", `/v1/moderation/queue?status=spam&thread=${encodeURIComponent(THREAD)}`, { key: site.moderatorKey });
    expect((spam.body.comments as { id: string }[]).map((c) => c.id)).toEqual([ids[3], ids[1]]);
    const other = await call(h.app, "GET", "/v1/moderation/queue?status=spam&thread=other", { key: site.moderatorKey });
    expect(other.body.comments).toEqual([]);
  });

  it("pages with a cursor", async () => {
    const { site, ids } = await fiveComments();
    const paged = await call(h.app, "GET", "/v1/moderation/queue?status=published&limit=2", { key: site.moderatorKey });
    expect((paged.body.comments as { id: string }[]).map((c) => c.id)).toEqual([ids[4], ids[2]]);
    const rest = await call(h.app, "GET", `/v1/moderation/queue?status=published&limit=2&cursor=${paged.body.nextCursor as string}`, { key: site.moderatorKey });
    expect((rest.body.comments as { id: string }[]).map((c) => c.id)).toEqual([ids[0]]);
  });

  for (const [name, cursor] of Object.entries(forgedCursors)) {
    it(`rejects a forged cursor (${name}) with 400`, async () => {
      const site = await emptySite();
      expectBadCursor(await call(h.app, "GET", `/v1/moderation/queue?status=held&cursor=${cursor}`, { key: site.moderatorKey }));
    });
  }
});
