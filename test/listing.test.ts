import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordDecision } from "../src/comments/decisions.js";
import { call, createSite, harness, removeSite, type Harness, type TestSite } from "./helpers.js";

let h: Harness;
let site: TestSite;
const ids: string[] = [];
beforeAll(async () => {
  h = harness();
  site = await createSite(h.app);
  // Five comments on one thread: 0, 2, 4 published by a moderator, 1 spam, 3 left pending.
  for (let i = 0; i < 5; i++) {
    const res = await call(h.app, "POST", "/v1/comments", { key: site.apiKey, body: { thread: "news/2026/a post", content: `comment number ${i}` } });
    ids.push(res.body.id as string);
  }
  for (const i of [0, 2, 4]) await recordDecision(h.deps.db, { siteId: site.id, commentId: ids[i]!, label: "ham", actor: "moderator" });
  await recordDecision(h.deps.db, { siteId: site.id, commentId: ids[1]!, label: "spam", actor: "moderator" });
});
afterAll(async () => {
  await removeSite(h.deps, site.id);
  await h.close();
});

describe("GET /v1/threads/:thread/comments", () => {
  const path = `/v1/threads/${encodeURIComponent("news/2026/a post")}/comments`;

  it("lists only published comments, oldest first, with a cursor", async () => {
    const first = await call(h.app, "GET", `${path}?limit=2`, { key: site.apiKey });
    expect(first.status).toBe(200);
    expect((first.body.comments as { id: string }[]).map((c) => c.id)).toEqual([ids[0], ids[2]]);
    for (const c of first.body.comments as Record<string, unknown>[]) expect(Object.keys(c)).not.toContain("ip");
    const next = await call(h.app, "GET", `${path}?limit=2&cursor=${first.body.nextCursor as string}`, { key: site.apiKey });
    expect((next.body.comments as { id: string }[]).map((c) => c.id)).toEqual([ids[4]]);
    expect(next.body.nextCursor).toBeNull();
  });

  it("answers 304 to If-None-Match with the current ETag, 200 after a change", async () => {
    const res = await call(h.app, "GET", path, { key: site.apiKey });
    const etag = res.headers.get("etag")!;
    expect(etag).toMatch(/^W\/".+"$/);
    const again = await h.app.request(path, { headers: { authorization: `Bearer ${site.apiKey}`, "if-none-match": etag } });
    expect(again.status).toBe(304);
    await recordDecision(h.deps.db, { siteId: site.id, commentId: ids[3]!, label: "ham", actor: "moderator" });
    const changed = await h.app.request(path, { headers: { authorization: `Bearer ${site.apiKey}`, "if-none-match": etag } });
    expect(changed.status).toBe(200);
    await recordDecision(h.deps.db, { siteId: site.id, commentId: ids[3]!, label: "spam", actor: "moderator" });
  });

  it("shows an empty list for a thread with nothing published", async () => {
    const res = await call(h.app, "GET", "/v1/threads/empty/comments", { key: site.apiKey });
    expect(res.body).toEqual({ thread: "empty", comments: [], nextCursor: null });
  });
});

describe("GET /v1/moderation/queue", () => {
  it("lists one status newest first, filtered by thread", async () => {
    const res = await call(h.app, "GET", "/v1/moderation/queue?status=published", { key: site.moderatorKey });
    expect(res.status).toBe(200);
    expect((res.body.comments as { id: string }[]).map((c) => c.id)).toEqual([ids[4], ids[2], ids[0]]);
    const spam = await call(h.app, "GET", `/v1/moderation/queue?status=spam&thread=${encodeURIComponent("news/2026/a post")}`, { key: site.moderatorKey });
    expect((spam.body.comments as { id: string }[]).map((c) => c.id)).toEqual([ids[3], ids[1]]);
    const other = await call(h.app, "GET", "/v1/moderation/queue?status=spam&thread=other", { key: site.moderatorKey });
    expect(other.body.comments).toEqual([]);
    const paged = await call(h.app, "GET", "/v1/moderation/queue?status=published&limit=2", { key: site.moderatorKey });
    const rest = await call(h.app, "GET", `/v1/moderation/queue?status=published&limit=2&cursor=${paged.body.nextCursor as string}`, { key: site.moderatorKey });
    expect((rest.body.comments as { id: string }[]).map((c) => c.id)).toEqual([ids[0]]);
  });
});
