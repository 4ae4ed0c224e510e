import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, eventually, isolatedSuite, type IsolatedSuite } from "./helpers.js";
import { responseValidator, type OpenApiDocument } from "./helpers/openapi.js";

/**
 * The API document at /openapi.json against the app itself: every /v1 route the app registers is
 * in it, and real answers (real Postgres, Redis and worker) match its response schemas.
 */
describe("GET /openapi.json", () => {
  let s: IsolatedSuite;
  let doc: OpenApiDocument;
  let problems: ReturnType<typeof responseValidator>;

  beforeAll(async () => {
    s = await isolatedSuite();
    const res = await s.h.app.request("/openapi.json");
    expect(res.status).toBe(200);
    doc = (await res.json()) as OpenApiDocument;
    problems = responseValidator(doc);
  });
  afterAll(async () => {
    await s.close();
  });

  /** A request through the app, its answer checked against the document before it is returned. */
  async function checked(method: string, path: string, opts: Parameters<typeof call>[3] = {}) {
    const res = await call(s.h.app, method, path, opts);
    expect(problems(method, path, res.status, res.status === 304 || res.status === 204 ? undefined : res.body), `${method} ${path} → ${res.status}`).toEqual([]);
    return res;
  }

  it("is OpenAPI 3.1 with the error envelope and the four security schemes", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.components.schemas.Error).toMatchObject({ type: "object", required: ["error"] });
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(["adminToken", "moderatorKey", "publishableKey", "siteKey"]);
    expect(doc.paths["/v1/comments"]?.post?.security).toEqual([{ siteKey: [] }, { publishableKey: [] }]);
    expect(doc.paths["/v1/sites"]?.get?.security).toEqual([{ adminToken: [] }]);
  });

  it("documents every /v1 route the app registers, and no route it does not have", () => {
    const registered = new Set(
      s.h.app.routes
        .filter((r) => r.path.startsWith("/v1/") && r.method !== "ALL")
        .map((r) => `${r.method} ${r.path.replace(/:([^/]+)/g, "{$1}")}`),
    );
    const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
    expect([...registered].filter((r) => !documented.has(r)), "registered but not documented").toEqual([]);
    expect([...documented].filter((d) => !registered.has(d)), "documented but not registered").toEqual([]);
    expect(registered.size).toBeGreaterThanOrEqual(17);
  });

  it("describes real answers: site admin, intake with a verdict, reading, deciding, listing", async () => {
    const { site } = s;
    s.h.startWorker();
    await checked("GET", "/v1/sites", { key: ADMIN_TOKEN });
    await checked("GET", `/v1/sites/${site.id}`, { key: ADMIN_TOKEN });
    await checked("PATCH", `/v1/sites/${site.id}`, { key: ADMIN_TOKEN, body: { settings: { minPerLabel: 1 } } });
    await checked("GET", `/v1/sites/${site.id}/akismet`, { key: ADMIN_TOKEN });
    await checked("PATCH", `/v1/sites/${site.id}/akismet`, { key: ADMIN_TOKEN, body: { discardCutoff: null } });
    await checked("GET", `/v1/sites/${site.id}/signals`, { key: ADMIN_TOKEN });
    await checked("PATCH", `/v1/sites/${site.id}/signals`, { key: ADMIN_TOKEN, body: { minSubmitMs: 1500 } });
    await checked("GET", `/v1/sites/${site.id}/cutoffs`, { key: ADMIN_TOKEN });
    await checked("PATCH", `/v1/sites/${site.id}/cutoffs`, { key: ADMIN_TOKEN, body: { window: 100 } });
    await checked("GET", `/v1/sites/${site.id}/campaigns`, { key: ADMIN_TOKEN });
    await checked("PATCH", `/v1/sites/${site.id}/campaigns`, { key: ADMIN_TOKEN, body: { crossSite: false } });
    await checked("GET", `/v1/sites/${site.id}/publishing`, { key: ADMIN_TOKEN });
    await checked("PATCH", `/v1/sites/${site.id}/publishing`, { key: ADMIN_TOKEN, body: { trustAfterPublished: 5 } });
    await checked("GET", `/v1/sites/${site.id}/cors`, { key: ADMIN_TOKEN });
    await checked("PATCH", `/v1/sites/${site.id}/cors`, { key: ADMIN_TOKEN, body: { origins: ["https://blog.example"] } });
    await checked("GET", `/v1/sites/${site.id}/rate-limit`, { key: ADMIN_TOKEN });
    await checked("PATCH", `/v1/sites/${site.id}/rate-limit`, { key: ADMIN_TOKEN, body: { perMinute: null } });

    // Webhook endpoints, from the admin and from the site's own key (the .test name never resolves:
    // the save-time check lets it through and deliveries keep retrying).
    const hooks = `/v1/sites/${site.id}/webhooks`;
    const created = await checked("POST", hooks, { key: ADMIN_TOKEN, body: { url: "https://hooks.example.test/a", events: ["comment.decided"] } });
    expect(created.status).toBe(201);
    const wid = (created.body.endpoint as { id: string }).id;
    await checked("POST", "/v1/webhooks", { key: site.apiKey, body: { url: "https://hooks.example.test/b", events: ["comment.scored"], enabled: false } });
    await checked("GET", hooks, { key: ADMIN_TOKEN });
    expect((await checked("GET", "/v1/webhooks", { key: site.apiKey })).body.endpoints).toHaveLength(2);
    await checked("GET", `/v1/webhooks/${wid}`, { key: site.apiKey });
    await checked("PATCH", `${hooks}/${wid}`, { key: ADMIN_TOKEN, body: { description: "CRM sync" } });
    const rotatedHook = await checked("POST", `${hooks}/${wid}/rotate`, { key: ADMIN_TOKEN });
    expect(rotatedHook.body.endpoint).toMatchObject({ previousSecretExpiresAt: expect.any(String) as unknown });
    await checked("POST", `/v1/webhooks/${wid}/rotate`, { key: site.apiKey, body: { overlapSeconds: 0 } });
    expect((await checked("GET", "/v1/webhooks", { key: site.moderatorKey })).status).toBe(403);

    const body = { thread: "t-openapi", content: "Cheap pills at http://pills.example", author: { name: "A", email: "a@example.test" }, ip: "203.0.113.9" };
    const accepted = await checked("POST", "/v1/comments", { key: site.apiKey, body });
    expect(accepted.status).toBe(202);
    const id = accepted.body.id as string;
    const scored = await eventually(async () => {
      const r = await checked("GET", `/v1/comments/${id}`, { key: site.moderatorKey });
      return r.body.status === "pending" ? undefined : r;
    });
    expect(scored.body.score).toEqual(expect.any(Number));
    await checked("POST", `/v1/comments/${id}/decision`, { key: site.moderatorKey, body: { label: "ham", note: "fine" } });
    const waited = await checked("POST", "/v1/comments?wait=2000", { key: site.apiKey, body: { thread: "t-openapi", content: "A friendly reply", timeToSubmitMs: 9000 } });
    expect([200, 202]).toContain(waited.status);
    await checked("POST", `/v1/comments/${String(waited.body.id)}/decision`, { key: site.moderatorKey, body: { label: "ham" } });

    // Each decision wrote a comment.decided delivery for the endpoint (in the decision's transaction).
    const sent = await checked("GET", `${hooks}/${wid}/deliveries?limit=1`, { key: ADMIN_TOKEN });
    expect(sent.body.nextCursor).toEqual(expect.any(String));
    const [delivery] = sent.body.deliveries as { id: string }[];
    await checked("GET", `${hooks}/${wid}/deliveries?cursor=${String(sent.body.nextCursor)}`, { key: ADMIN_TOKEN });
    await checked("GET", `/v1/webhooks/${wid}/deliveries/${delivery!.id}`, { key: site.apiKey });
    await checked("GET", `/v1/webhooks/${wid}/attempts`, { key: site.apiKey });

    const listed = await checked("GET", "/v1/threads/t-openapi/comments?limit=1", { key: site.apiKey });
    expect(listed.body.nextCursor).toEqual(expect.any(String));
    await checked("GET", `/v1/threads/t-openapi/comments?cursor=${String(listed.body.nextCursor)}`, { key: site.apiKey });
    await checked("GET", "/v1/moderation/queue?status=published", { key: site.moderatorKey });
    await checked("GET", "/v1/campaigns", { key: site.moderatorKey });

    // Retention and privacy: settings, a person's export and erasure, the erasure log.
    await checked("GET", `/v1/sites/${site.id}/privacy`, { key: ADMIN_TOKEN });
    await checked("PATCH", `/v1/sites/${site.id}/privacy`, { key: ADMIN_TOKEN, body: { retention: { spamDays: 30 } } });
    const exported = await checked("POST", `/v1/sites/${site.id}/people/export`, { key: ADMIN_TOKEN, body: { email: "a@example.test" } });
    expect((exported.body.export as { comments: unknown[] }).comments).toHaveLength(1);
    const erased = await checked("POST", `/v1/sites/${site.id}/people/erase`, { key: ADMIN_TOKEN, body: { ip: "203.0.113.9" } });
    expect((erased.body.erasure as { comments: number }).comments).toBe(1);
    const erasures = await checked("GET", `/v1/sites/${site.id}/erasures`, { key: ADMIN_TOKEN });
    expect(erasures.body.erasures).toEqual([expect.objectContaining({ kind: "person", matchedOn: ["ip"], comments: 1 })]);

    const rotated = await checked("POST", `/v1/sites/${site.id}/keys/moderator/rotate`, { key: ADMIN_TOKEN });
    expect(rotated.body.moderatorKey).toEqual(expect.any(String));
    await checked("POST", `/v1/sites/${site.id}/keys/moderator/revoke`, { key: ADMIN_TOKEN });
    s.site.moderatorKey = "revoked";

    // Browser posts: the publishable key, its preflight, and the answer without scores.
    const publishable = await checked("POST", `/v1/sites/${site.id}/keys/publishable/rotate`, { key: ADMIN_TOKEN });
    const pk = publishable.body.publishableKey as string;
    const origin = { origin: "https://blog.example" };
    const preflight = await checked("OPTIONS", "/v1/comments", { headers: { ...origin, "access-control-request-method": "POST" } });
    expect(preflight.status).toBe(204);
    await checked("OPTIONS", "/v1/comments", { headers: { origin: "https://elsewhere.example" } });
    const browser = await checked("POST", "/v1/comments", { key: pk, headers: origin, body: { thread: "t-openapi", content: "From the page" } });
    expect(browser.status).toBe(202);
    expect(browser.body.score).toBeUndefined();
    await checked("POST", "/v1/comments", { key: pk, headers: origin, body: { thread: "t-openapi", content: "Vouched", author: { trusted: true } } });
    await checked("POST", `/v1/sites/${site.id}/keys/publishable/revoke`, { key: ADMIN_TOKEN });
  });

  it("describes real error answers in the envelope: 400, 401, 403, 404, 413, 415, 429", async () => {
    const { site } = s;
    await checked("POST", "/v1/comments", { key: site.apiKey, body: { content: "no thread" } });
    await checked("POST", "/v1/comments", { key: "nope" });
    await checked("GET", "/v1/moderation/queue", { key: site.apiKey });
    await checked("GET", "/v1/comments/00000000-0000-4000-8000-000000000000", { key: site.apiKey });
    await checked("GET", "/v1/sites/not-a-uuid", { key: ADMIN_TOKEN });
    await checked("POST", "/v1/comments", { key: site.apiKey, body: "thread=t", headers: { "content-type": "text/plain" } });
    await checked("POST", "/v1/comments", { key: site.apiKey, body: { thread: "t", content: "x".repeat(70_000) } });
    await checked("GET", "/v1/threads/t/comments?limit=0", { key: site.apiKey });
    await checked("DELETE", `/v1/sites/${site.id}`, { key: ADMIN_TOKEN });
    await checked("DELETE", `/v1/sites/${site.id}?confirm=not-its-name`, { key: ADMIN_TOKEN });
    await checked("POST", `/v1/sites/${site.id}/webhooks`, { key: ADMIN_TOKEN, body: { url: "ftp://hooks.example.test/", events: [] } });
    await checked("GET", "/v1/webhooks/00000000-0000-4000-8000-000000000000/deliveries", { key: site.apiKey });
    await checked("POST", "/v1/webhooks/not-a-uuid/rotate", { key: site.apiKey, body: "x", headers: { "content-type": "text/plain" } });
    await checked("GET", "/v1/webhooks", { key: "nope" });
    // 429: the site's own limit of one comment a minute.
    await checked("PATCH", `/v1/sites/${site.id}/rate-limit`, { key: ADMIN_TOKEN, body: { perMinute: 1 } });
    await checked("POST", "/v1/comments", { key: site.apiKey, body: { thread: "t-limit", content: "first" } });
    const limited = await checked("POST", "/v1/comments", { key: site.apiKey, body: { thread: "t-limit", content: "second" } });
    expect(limited.status).toBe(429);
    await checked("PATCH", `/v1/sites/${site.id}/rate-limit`, { key: ADMIN_TOKEN, body: { perMinute: null } });
  });

  it("reports an answer the document does not describe (the check can fail)", async () => {
    const res = await call(s.h.app, "GET", `/v1/sites/${s.site.id}`, { key: ADMIN_TOKEN });
    const site = res.body.site as Record<string, unknown>;
    expect(problems("GET", `/v1/sites/${s.site.id}`, 200, { site: { ...site, keys: { api: "lost", moderator: "active" } } })).not.toEqual([]);
    expect(problems("GET", `/v1/sites/${s.site.id}`, 418, {})).toEqual([`GET /v1/sites/{id} does not document status 418`]);
  });

  it("says validation errors in words through the validator hook", async () => {
    const bad = await call(s.h.app, "POST", "/v1/sites", { key: ADMIN_TOKEN, body: { name: 5, url: "https://x.example", colour: "red" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({
      code: "BAD_REQUEST",
      message: "Invalid request body",
      details: expect.arrayContaining([
        { path: "name", message: "name must be a string" },
        { path: "", message: 'unknown field "colour"' },
      ]) as unknown,
    });
    const missing = await call(s.h.app, "POST", "/v1/sites", { key: ADMIN_TOKEN, body: {} });
    expect(missing.body.error).toMatchObject({ details: [{ path: "name", message: "name is required" }, { path: "url", message: "url is required" }] });
    // A message the schema sets itself is kept.
    const limit = await call(s.h.app, "GET", "/v1/threads/t/comments?limit=0", { key: s.site.apiKey });
    expect(limit.body.error).toMatchObject({ message: "Invalid query parameters", details: [{ path: "limit", message: "an integer from 1 to 200" }] });
  });
});

describe("GET /docs", () => {
  let s: IsolatedSuite;
  beforeAll(async () => {
    s = await isolatedSuite();
  });
  afterAll(async () => {
    await s.close();
  });

  it("serves Swagger UI from the package's own files, referring to nothing off our origin", async () => {
    const res = await s.h.app.request("/docs");
    expect(res.status).toBe(200);
    const html = await res.text();
    const refs = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? "");
    expect(refs.sort()).toEqual(["docs/favicon-32x32.png", "docs/init.js", "docs/swagger-ui-bundle.js", "docs/swagger-ui.css"]);
    expect(refs.every((r) => !/^(https?:)?\/\//.test(r))).toBe(true);
    for (const ref of refs) {
      const asset = await s.h.app.request(`/${ref}`);
      expect(asset.status, ref).toBe(200);
      expect((await asset.arrayBuffer()).byteLength, ref).toBeGreaterThan(100);
    }
    const init = await (await s.h.app.request("/docs/init.js")).text();
    expect(init).toContain('url: "openapi.json"');
    expect(init).toContain("validatorUrl: null");
    expect((await s.h.app.request("/docs/package.json")).status).toBe(404);
  });
});
