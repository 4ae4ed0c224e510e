import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorTrusted } from "../src/comments/publishing.js";
import { findSiteComment } from "../src/db/queries/comments.js";
import { findSiteById } from "../src/db/queries/sites.js";
import { signIn } from "./helpers/console.js";
import { ADMIN_TOKEN, call, createSite, eventually, harness, removeSite, uniqueName, type Harness, type TestSite } from "./helpers.js";

type Json = Record<string, unknown>;

async function akismet(h: Harness, fields: Record<string, string>) {
  const res = await h.app.request("http://localhost/1.1/comment-check", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, text: await res.text(), guid: res.headers.get("x-akismet-guid") ?? "" };
}

const base = (site: TestSite) => ({ api_key: site.apiKey, blog: "https://blog.example", user_ip: "192.0.2.10", comment_content: `a comment ${uniqueName("c")}` });

describe("shadow mode and trusted authors", () => {
  let h: Harness;
  let site: TestSite;
  beforeAll(async () => {
    h = harness();
    h.startWorker();
    site = await createSite(h.app);
  });
  afterAll(async () => {
    await removeSite(h.deps, site.id);
    await h.close();
  });

  const setPublishing = async (s: TestSite, body: Json) => {
    const res = await call(h.app, "PATCH", `/v1/sites/${s.id}/publishing`, { key: ADMIN_TOKEN, body });
    expect(res.status).toBe(200);
    return res.body;
  };

  it("GET and PATCH /v1/sites/:id/publishing validate and return the settings (admin only)", async () => {
    const s = await createSite(h.app);
    try {
      expect(await call(h.app, "GET", `/v1/sites/${s.id}/publishing`, { key: ADMIN_TOKEN })).toMatchObject({ status: 200, body: { publishing: { shadow: false, trustAfterPublished: null } } });
      expect(await setPublishing(s, { shadow: true, trustAfterPublished: 3 })).toEqual({ publishing: { shadow: true, trustAfterPublished: 3 } });
      const bad = await call(h.app, "PATCH", `/v1/sites/${s.id}/publishing`, { key: ADMIN_TOKEN, body: { trustAfterPublished: 0 } });
      expect(bad.status).toBe(400);
      expect((bad.body.error as Json).code).toBe("BAD_REQUEST");
      expect((await call(h.app, "PATCH", `/v1/sites/${s.id}/publishing`, { key: s.apiKey, body: { shadow: false } })).status).toBe(401);
      const shown = await call(h.app, "GET", `/v1/sites/${s.id}`, { key: ADMIN_TOKEN });
      expect((shown.body.site as { settings: Json }).settings.publishing).toEqual({ shadow: true, trustAfterPublished: 3 });
    } finally {
      await removeSite(h.deps, s.id);
    }
  });

  it("shadow mode publishes a spam verdict, stores it, and shows what it would have done", async () => {
    const s = await createSite(h.app);
    try {
      await setPublishing(s, { shadow: true });
      const res = await call(h.app, "POST", "/v1/comments?wait=2000", { key: s.apiKey, body: { thread: "shadow", content: "A filled honeypot", honeypot: "bot" } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: "published", verdict: "spam", verdictStatus: "spam", shadow: true, trusted: false });
      // The console says what it would have done.
      const mod = await signIn(h.app, s.moderatorKey);
      const page = await mod.get(`/moderate/comments/${res.body.id as string}`);
      expect(page.text).toContain("the model called it spam (published by shadow mode; without it: spam)");
      // The site's feed shows it...
      const feed = await call(h.app, "GET", "/v1/threads/shadow/comments", { key: s.apiKey });
      expect((feed.body.comments as Json[]).map((c) => c.id)).toEqual([res.body.id]);
      // ...and a moderator's decision still teaches the model and sets the status.
      const decided = await call(h.app, "POST", `/v1/comments/${res.body.id as string}/decision`, { key: s.moderatorKey, body: { label: "spam" } });
      expect(decided.body).toMatchObject({ status: "spam", verdict: "spam", shadow: true });
      expect(await findSiteComment(h.deps.db, s.id, res.body.id as string)).toMatchObject({ learnedLabel: "spam" });
      // Off again: the verdict decides.
      await setPublishing(s, { shadow: false });
      const after = await call(h.app, "POST", "/v1/comments?wait=2000", { key: s.apiKey, body: { thread: "shadow", content: "Another honeypot", honeypot: "bot" } });
      expect(after.body).toMatchObject({ status: "spam", verdict: "spam", shadow: false });
    } finally {
      await removeSite(h.deps, s.id);
    }
  });

  it("shadow mode answers Akismet `false` for spam, and stores the verdict", async () => {
    const s = await createSite(h.app);
    try {
      await setPublishing(s, { shadow: true });
      const res = await akismet(h, { ...base(s), comment_author: "viagra-test-123" });
      expect({ status: res.status, text: res.text }).toEqual({ status: 200, text: "false" });
      expect(await findSiteComment(h.deps.db, s.id, res.guid)).toMatchObject({ status: "published", verdict: "spam", statusOverride: "shadow" });
      const honeypot = await akismet(h, { ...base(s), honeypot_field_name: "hp", hp: "filled" });
      expect(honeypot.text).toBe("false");
      expect(await findSiteComment(h.deps.db, s.id, honeypot.guid)).toMatchObject({ status: "published", verdict: "spam" });
      await setPublishing(s, { shadow: false });
      expect((await akismet(h, { ...base(s), comment_author: "viagra-test-123" })).text).toBe("true");
    } finally {
      await removeSite(h.deps, s.id);
    }
  });

  it("publishes author.trusted at once, then scores it without moving it", async () => {
    const res = await call(h.app, "POST", "/v1/comments", {
      key: site.apiKey,
      body: { thread: "trusted", content: "Editor's note with a honeypot", honeypot: "x", author: { name: "Ed", trusted: true } },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "published", verdict: null, trusted: true, shadow: false, author: { name: "Ed" } });
    const id = res.body.id as string;
    const scored = await eventually(async () => {
      const row = await findSiteComment(h.deps.db, site.id, id);
      return row?.verdict ? row : undefined;
    });
    expect(scored).toMatchObject({ status: "published", verdict: "spam", statusOverride: "trusted" });
    const view = await call(h.app, "GET", `/v1/comments/${id}`, { key: site.apiKey });
    expect(view.body).toMatchObject({ status: "published", verdict: "spam", verdictStatus: "spam", trusted: true });
    // Still learnable.
    const decided = await call(h.app, "POST", `/v1/comments/${id}/decision`, { key: site.moderatorKey, body: { label: "spam" } });
    expect(decided.body).toMatchObject({ status: "spam" });
    expect(await findSiteComment(h.deps.db, site.id, id)).toMatchObject({ learnedLabel: "spam" });
  });

  it("trusts an e-mail with N comments published on their merits (trustAfterPublished)", async () => {
    const s = await createSite(h.app);
    try {
      await setPublishing(s, { trustAfterPublished: 2 });
      const email = `${uniqueName("reader")}@example.org`;
      const first: string[] = [];
      for (let i = 0; i < 2; i++) {
        const r = await call(h.app, "POST", "/v1/comments", { key: s.apiKey, body: { thread: "t", content: `reader comment ${i}`, author: { email } } });
        expect(r.body).toMatchObject({ trusted: false });
        first.push(r.body.id as string);
      }
      const siteRow = await findSiteById(h.deps.db, s.id);
      if (!siteRow) throw new Error("site vanished");
      expect(await authorTrusted(h.deps.db, siteRow, { email })).toBe(false);
      await call(h.app, "POST", `/v1/comments/${first[0] ?? ""}/decision`, { key: s.moderatorKey, body: { label: "ham" } });
      expect(await authorTrusted(h.deps.db, siteRow, { email })).toBe(false);
      await call(h.app, "POST", `/v1/comments/${first[1] ?? ""}/decision`, { key: s.moderatorKey, body: { label: "ham" } });
      expect(await authorTrusted(h.deps.db, siteRow, { email })).toBe(true);
      const third = await call(h.app, "POST", "/v1/comments", { key: s.apiKey, body: { thread: "t", content: "third comment, honeypot", honeypot: "x", author: { email } } });
      expect(third).toMatchObject({ status: 200, body: { status: "published", trusted: true } });
      // Another address, or the same one on the Akismet side of another site, is not trusted.
      const stranger = await call(h.app, "POST", "/v1/comments", { key: s.apiKey, body: { thread: "t", content: "stranger", author: { email: `x${email}` } } });
      expect(stranger).toMatchObject({ status: 202, body: { status: "pending", trusted: false } });
      // The rule works through Akismet too.
      const viaAkismet = await akismet(h, { ...base(s), comment_author: "viagra-test-123", comment_author_email: email });
      expect(viaAkismet.text).toBe("false");
      expect(await findSiteComment(h.deps.db, s.id, viaAkismet.guid)).toMatchObject({ status: "published", verdict: "spam", statusOverride: "trusted" });
    } finally {
      await removeSite(h.deps, s.id);
    }
  });

  it("trusts Akismet's editor and administrator roles: answered false, still scored", async () => {
    const editor = await akismet(h, { ...base(site), comment_author: "viagra-test-123", user_role: "editor" });
    expect(editor.text).toBe("false");
    expect(await findSiteComment(h.deps.db, site.id, editor.guid)).toMatchObject({ status: "published", verdict: "spam", statusOverride: "trusted" });
    const admin = await akismet(h, { ...base(site), user_role: "administrator", honeypot_field_name: "hp", hp: "bot" });
    expect(admin.text).toBe("false");
    // Scored by the model and the site's rules, not answered from a fixed test value.
    const row = await findSiteComment(h.deps.db, site.id, admin.guid);
    expect(row).toMatchObject({ status: "published", verdict: "spam", statusOverride: "trusted" });
    expect(row?.modelVersion).not.toBe("akismet-test-value");
    const subscriber = await akismet(h, { ...base(site), comment_author: "viagra-test-123", user_role: "subscriber" });
    expect(subscriber.text).toBe("true");
  });
});

describe("CORS and publishable keys", () => {
  let h: Harness;
  let site: TestSite;
  let pk: string;
  const ORIGIN = "https://blog.example";
  beforeAll(async () => {
    h = harness();
    site = await createSite(h.app);
    const rotated = await call(h.app, "POST", `/v1/sites/${site.id}/keys/publishable/rotate`, { key: ADMIN_TOKEN });
    expect(rotated.status).toBe(200);
    pk = rotated.body.publishableKey as string;
    expect(pk).toMatch(/^pk_[\w-]{32}$/);
    expect((rotated.body.site as { keys: Json }).keys).toEqual({ api: "active", moderator: "active", publishable: "active" });
    const cors = await call(h.app, "PATCH", `/v1/sites/${site.id}/cors`, { key: ADMIN_TOKEN, body: { origins: ["https://Blog.example/"] } });
    expect(cors.body).toEqual({ cors: { origins: [ORIGIN] } });
  });
  afterAll(async () => {
    await removeSite(h.deps, site.id);
    await h.close();
  });

  const browserPost = (key: string, origin: string | undefined, body: unknown = { thread: "t", content: "Nice post from a browser" }) =>
    call(h.app, "POST", "/v1/comments", { key, body, headers: origin ? { origin, "user-agent": "Mozilla/5.0 test", referer: `${ORIGIN}/post` } : {} });

  it("answers the preflight for an allowed origin only", async () => {
    const ask = (origin: string) =>
      h.app.request("/v1/comments", { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" } });
    const ok = await ask(ORIGIN);
    expect(ok.status).toBe(204);
    const cors: Record<string, string> = {};
    ok.headers.forEach((v, k) => {
      if (k.startsWith("access-control-")) cors[k] = v;
    });
    expect(cors).toEqual({
      "access-control-allow-origin": ORIGIN,
      "access-control-allow-methods": "POST",
      "access-control-allow-headers": "Authorization, Content-Type, X-Request-Id",
      "access-control-max-age": "600",
    });
    const other = await ask("https://evil.example");
    expect(other.status).toBe(403);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    expect(((await other.json()) as { error: Json }).error.code).toBe("FORBIDDEN");
  });

  it("lets the publishable key create a comment from an allowed origin, with the CORS headers", async () => {
    const res = await browserPost(pk, ORIGIN);
    expect(res.status).toBe(202);
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(res.headers.get("access-control-expose-headers")).toContain("Location");
    // No scores, e-mail or address for the page.
    expect(Object.keys(res.body).sort()).toEqual(["createdAt", "id", "status", "thread"]);
    // The stored address and agent are the request's, not the page's say-so.
    const row = await findSiteComment(h.deps.db, site.id, res.body.id as string);
    expect(row).toMatchObject({ userAgent: "Mozilla/5.0 test", referrer: `${ORIGIN}/post` });
  });

  it("lets the page read an error too (CORS headers on a 400 from an allowed origin)", async () => {
    const res = await browserPost(pk, ORIGIN, { thread: "t" });
    expect(res.status).toBe(400);
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
  });

  it("refuses another origin, without CORS headers", async () => {
    const res = await browserPost(pk, "https://evil.example");
    expect(res.status).toBe(403);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect((res.body.error as Json).code).toBe("FORBIDDEN");
  });

  it("gives the publishable key 401 or 403 on every other route", async () => {
    const made = await call(h.app, "POST", "/v1/comments", { key: site.apiKey, body: { thread: "t", content: "server-side comment" } });
    const id = made.body.id as string;
    const denied = await Promise.all([
      call(h.app, "GET", `/v1/comments/${id}`, { key: pk }),
      call(h.app, "POST", `/v1/comments/${id}/decision`, { key: pk, body: { label: "ham" } }),
      call(h.app, "GET", "/v1/threads/t/comments", { key: pk }),
      call(h.app, "GET", "/v1/moderation/queue", { key: pk }),
      call(h.app, "GET", "/v1/campaigns", { key: pk }),
      call(h.app, "GET", `/v1/sites/${site.id}`, { key: pk }),
      call(h.app, "PATCH", `/v1/sites/${site.id}/cors`, { key: pk, body: { origins: [] } }),
    ]);
    expect(denied.map((r) => r.status)).toEqual([403, 403, 403, 403, 403, 401, 401]);
    expect((denied[0]?.body.error as Json).message).toBe("A publishable key can only create comments (POST /v1/comments)");
    // Nor can it vouch for an author.
    const vouch = await browserPost(pk, ORIGIN, { thread: "t", content: "trust me", author: { trusted: true } });
    expect(vouch.status).toBe(403);
    // Akismet takes only the secret key.
    const check = await h.app.request("/1.1/verify-key", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `key=${pk}&blog=x` });
    expect(await check.text()).toBe("invalid");
  });

  it("leaves the secret key as it was: it works, and never gets CORS headers", async () => {
    const res = await browserPost(site.apiKey, ORIGIN);
    expect(res.status).toBe(202);
    expect(res.body).toHaveProperty("score");
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("stops the key once revoked, and answers no preflight once no site allows the origin", async () => {
    const other = await createSite(h.app);
    try {
      const rotated = await call(h.app, "POST", `/v1/sites/${other.id}/keys/publishable/rotate`, { key: ADMIN_TOKEN });
      const otherPk = rotated.body.publishableKey as string;
      await call(h.app, "PATCH", `/v1/sites/${other.id}/cors`, { key: ADMIN_TOKEN, body: { origins: ["http://localhost:8080"] } });
      expect((await browserPost(otherPk, "http://localhost:8080")).status).toBe(202);
      const revoked = await call(h.app, "POST", `/v1/sites/${other.id}/keys/publishable/revoke`, { key: ADMIN_TOKEN });
      expect((revoked.body.site as { keys: Json }).keys).toMatchObject({ publishable: "none" });
      expect((await browserPost(otherPk, "http://localhost:8080")).status).toBe(401);
      const pre = await h.app.request("/v1/comments", { method: "OPTIONS", headers: { origin: "http://localhost:8080" } });
      expect(pre.status).toBe(403);
      const bad = await call(h.app, "PATCH", `/v1/sites/${other.id}/cors`, { key: ADMIN_TOKEN, body: { origins: ["https://x.example/path"] } });
      expect(bad.status).toBe(400);
    } finally {
      await removeSite(h.deps, other.id);
    }
  });

  it("sets the secure headers on API answers, and keeps the console's own", async () => {
    const res = await h.app.request("/healthz");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(res.headers.get("strict-transport-security")).toMatch(/^max-age=\d+/);
    expect(res.headers.get("cross-origin-resource-policy")).toBe("same-origin");
    const page = await h.app.request("/moderate/login");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(page.headers.get("content-security-policy")).toContain("default-src");
  });
});
