import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, createSite, harness, removeSite, type Harness, type TestSite } from "./helpers.js";

let h: Harness;
let a: TestSite;
let b: TestSite;
let commentOfA: string;
beforeAll(async () => {
  h = harness();
  a = await createSite(h.app);
  b = await createSite(h.app);
  const res = await call(h.app, "POST", "/v1/comments", { key: a.apiKey, body: { thread: "t", content: "site A's comment" } });
  commentOfA = res.body.id as string;
});
afterAll(async () => {
  await removeSite(h.deps, a.id);
  await removeSite(h.deps, b.id);
  await h.close();
});

const codeOf = (res: { body: Record<string, unknown> }) => (res.body.error as { code: string } | undefined)?.code;

describe("auth matrix", () => {
  it("needs a key on every /v1 route", async () => {
    for (const [method, path] of [
      ["POST", "/v1/comments"],
      ["GET", `/v1/comments/${commentOfA}`],
      ["POST", `/v1/comments/${commentOfA}/decision`],
      ["GET", "/v1/threads/t/comments"],
      ["GET", "/v1/moderation/queue"],
      ["GET", "/v1/sites"],
      ["POST", "/v1/sites"],
    ] as const) {
      const res = await call(h.app, method, path, { body: method === "POST" ? {} : undefined });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(codeOf(res)).toBe("UNAUTHORIZED");
    }
    expect((await call(h.app, "GET", "/v1/moderation/queue", { key: "wrongkey1234" })).status).toBe(401);
    expect((await call(h.app, "GET", "/v1/moderation/queue", { headers: { authorization: `Basic ${a.moderatorKey}` } })).status).toBe(401);
  });

  it("keeps health public", async () => {
    expect((await call(h.app, "GET", "/healthz")).status).toBe(200);
    const ready = await call(h.app, "GET", "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: "ready", checks: { postgres: "ok", queue: { backend: h.deps.queueBackend.kind, status: "ok" } } });
  });

  it("lets the site key read its comment and the moderator key too", async () => {
    expect((await call(h.app, "GET", `/v1/comments/${commentOfA}`, { key: a.apiKey })).status).toBe(200);
    expect((await call(h.app, "GET", `/v1/comments/${commentOfA}`, { key: a.moderatorKey })).status).toBe(200);
  });

  it("answers 404 for another site's comment, exactly as for a missing one", async () => {
    const other = await call(h.app, "GET", `/v1/comments/${commentOfA}`, { key: b.apiKey });
    const missing = await call(h.app, "GET", "/v1/comments/00000000-0000-4000-8000-000000000000", { key: b.apiKey });
    expect(other.status).toBe(404);
    expect(missing.status).toBe(404);
    expect((other.body.error as { message: string }).message).toBe((missing.body.error as { message: string }).message);
    const decide = await call(h.app, "POST", `/v1/comments/${commentOfA}/decision`, { key: b.moderatorKey, body: { label: "spam" } });
    expect(decide.status).toBe(404);
    const after = await call(h.app, "GET", `/v1/comments/${commentOfA}`, { key: a.apiKey });
    expect(after.body).toMatchObject({ decisions: [] });
  });

  it("keeps site keys off moderation and moderator keys off intake (403)", async () => {
    const decide = await call(h.app, "POST", `/v1/comments/${commentOfA}/decision`, { key: a.apiKey, body: { label: "spam" } });
    expect(decide.status).toBe(403);
    expect(codeOf(decide)).toBe("FORBIDDEN");
    expect((await call(h.app, "GET", "/v1/moderation/queue", { key: a.apiKey })).status).toBe(403);
    expect((await call(h.app, "POST", "/v1/comments", { key: a.moderatorKey, body: { thread: "t", content: "x" } })).status).toBe(403);
    expect((await call(h.app, "GET", "/v1/threads/t/comments", { key: a.moderatorKey })).status).toBe(403);
  });

  it("keeps site and moderator keys off the admin routes", async () => {
    expect((await call(h.app, "GET", "/v1/sites", { key: a.apiKey })).status).toBe(401);
    expect((await call(h.app, "GET", "/v1/sites", { key: a.moderatorKey })).status).toBe(401);
    expect((await call(h.app, "GET", "/v1/sites", { key: ADMIN_TOKEN })).status).toBe(200);
  });

  it("rotates and revokes keys", async () => {
    const site = await createSite(h.app);
    try {
      const rotated = await call(h.app, "POST", `/v1/sites/${site.id}/keys/api/rotate`, { key: ADMIN_TOKEN });
      expect(rotated.status).toBe(200);
      const newKey = rotated.body.apiKey as string;
      expect(newKey).toMatch(/^[a-z0-9]{12}$/);
      expect((await call(h.app, "GET", "/v1/threads/t/comments", { key: site.apiKey })).status).toBe(401);
      expect((await call(h.app, "GET", "/v1/threads/t/comments", { key: newKey })).status).toBe(200);
      const revoked = await call(h.app, "POST", `/v1/sites/${site.id}/keys/moderator/revoke`, { key: ADMIN_TOKEN });
      expect(revoked.body).toMatchObject({ site: { keys: { api: "active", moderator: "revoked" } } });
      expect((await call(h.app, "GET", "/v1/moderation/queue", { key: site.moderatorKey })).status).toBe(401);
      expect((await call(h.app, "POST", `/v1/sites/${site.id}/keys/other/rotate`, { key: ADMIN_TOKEN })).status).toBe(400);
      expect((await call(h.app, "POST", `/v1/sites/nope/keys/api/rotate`, { key: ADMIN_TOKEN })).status).toBe(404);
    } finally {
      await removeSite(h.deps, site.id);
    }
  });
});
