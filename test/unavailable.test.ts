import { DrizzleQueryError } from "drizzle-orm/errors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isUnavailable } from "../src/http/errors.js";
import { ADMIN_TOKEN, call, createSite, harness, removeSite, uniqueName, type Harness, type TestSite } from "./helpers.js";
import { startPgProxy, type PgProxy } from "./helpers/pg-proxy.js";

/**
 * Postgres goes away under a running API: every route kind must answer 503 with Retry-After (a
 * client retries), never 500 (a client gives up, an operator is paged for a bug).
 */
let proxy: PgProxy;
let setup: Harness;
let site: TestSite;
let commentId: string;
/** Keys cached for the whole test: the route's own queries are what fails. */
let warm: Harness;
/** No key cache: the key lookup itself is what fails. */
let cold: Harness;

beforeAll(async () => {
  proxy = await startPgProxy();
  setup = harness();
  site = await createSite(setup.app);
  const res = await call(setup.app, "POST", "/v1/comments", { key: site.apiKey, body: { thread: "t1", content: "stored before the outage" } });
  expect(res.status).toBe(202);
  commentId = res.body.id as string;
  warm = harness({ databaseUrl: proxy.url, config: { KEY_CACHE_TTL_MS: "600000", DATABASE_CONNECT_TIMEOUT_MS: "1000" } });
  cold = harness({ databaseUrl: proxy.url, config: { KEY_CACHE_TTL_MS: "0", DATABASE_CONNECT_TIMEOUT_MS: "1000" } });
  // Fill the warm key cache while Postgres is reachable.
  for (const key of [site.apiKey, site.moderatorKey]) {
    expect((await call(warm.app, "GET", `/v1/comments/${commentId}`, { key })).status).toBe(200);
  }
});
afterAll(async () => {
  await warm.close();
  await cold.close();
  await proxy.close();
  await removeSite(setup.deps, site.id);
  await setup.close();
});

type Route = { name: string; method: string; path: () => string; key: () => string; body?: unknown };

const v1Routes: Route[] = [
  { name: "admin create", method: "POST", path: () => "/v1/sites", key: () => ADMIN_TOKEN, body: { name: uniqueName("down"), url: "https://down.test" } },
  { name: "admin list", method: "GET", path: () => "/v1/sites", key: () => ADMIN_TOKEN },
  { name: "admin get", method: "GET", path: () => `/v1/sites/${site.id}`, key: () => ADMIN_TOKEN },
  { name: "admin patch", method: "PATCH", path: () => `/v1/sites/${site.id}`, key: () => ADMIN_TOKEN, body: { name: "renamed" } },
  { name: "admin rotate", method: "POST", path: () => `/v1/sites/${site.id}/keys/api/rotate`, key: () => ADMIN_TOKEN },
  { name: "akismet settings", method: "GET", path: () => `/v1/sites/${site.id}/akismet`, key: () => ADMIN_TOKEN },
  { name: "intake", method: "POST", path: () => "/v1/comments", key: () => site.apiKey, body: { thread: "t1", content: "sent while down" } },
  { name: "comment read", method: "GET", path: () => `/v1/comments/${commentId}`, key: () => site.apiKey },
  { name: "decision", method: "POST", path: () => `/v1/comments/${commentId}/decision`, key: () => site.moderatorKey, body: { label: "ham" } },
  { name: "thread listing", method: "GET", path: () => "/v1/threads/t1/comments", key: () => site.apiKey },
  { name: "moderation queue", method: "GET", path: () => "/v1/moderation/queue?status=pending", key: () => site.moderatorKey },
];

async function expect503(h: Harness, route: Route) {
  const res = await call(h.app, route.method, route.path(), { key: route.key(), body: route.body });
  expect({ route: route.name, status: res.status, code: (res.body.error as { code?: string } | undefined)?.code }).toEqual({
    route: route.name,
    status: 503,
    code: "SERVICE_UNAVAILABLE",
  });
  expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
}

const form = (fields: Record<string, string>) => ({
  body: new URLSearchParams(fields).toString(),
  headers: { "content-type": "application/x-www-form-urlencoded" },
});

async function expectAkismet503(h: Harness, path: string, fields: Record<string, string>) {
  const res = await h.app.request(path, { method: "POST", ...form(fields) });
  expect({ path, status: res.status }).toEqual({ path, status: 503 });
  expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
  // Not `invalid`: an Akismet client would read that as a broken key.
  expect(await res.text()).not.toBe("invalid");
}

describe("with Postgres down (the port refuses connections)", () => {
  beforeAll(() => proxy.setMode("refuse"));
  afterAll(() => proxy.setMode("forward"));

  for (const route of v1Routes) {
    it(`${route.method} ${route.name} answers 503 with Retry-After (keys cached)`, () => expect503(warm, route));
    it(`${route.method} ${route.name} answers 503 with Retry-After (key lookup fails)`, () => expect503(cold, route));
  }

  it("the Akismet routes answer HTTP 503 with Retry-After, not `invalid`", async () => {
    const comment = { blog: "https://example.test", user_ip: "203.0.113.9", comment_content: "hello" };
    // verify-key needs only the key: with the key cached it rightly still answers `valid`.
    await expectAkismet503(cold, "/1.1/verify-key", { key: site.apiKey, blog: "https://example.test" });
    for (const h of [warm, cold]) {
      await expectAkismet503(h, "/1.1/comment-check", { api_key: site.apiKey, ...comment });
      await expectAkismet503(h, "/1.1/submit-spam", { api_key: site.apiKey, ...comment });
      await expectAkismet503(h, "/1.1/submit-ham", { api_key: site.apiKey, ...comment });
      await expectAkismet503(h, "/1.2/usage-limit", { api_key: site.apiKey });
      await expectAkismet503(h, "/1.2/key-sites", { api_key: site.apiKey });
    }
  });

  it("/readyz says 503 too", async () => {
    expect((await warm.app.request("/readyz")).status).toBe(503);
  });
});

describe("after Postgres comes back", () => {
  it("the same API answers again without a restart", async () => {
    await proxy.setMode("forward");
    const res = await call(warm.app, "GET", `/v1/comments/${commentId}`, { key: site.apiKey });
    expect(res.status).toBe(200);
  });
});

describe("isUnavailable", () => {
  const driverError = (code: string) => Object.assign(new Error(`driver says ${code}`), { code });

  it("finds the driver's code on the cause of drizzle's DrizzleQueryError", () => {
    for (const code of ["ECONNREFUSED", "57P01", "57P03", "08006", "53300", "CONNECT_TIMEOUT", "57014"]) {
      expect({ code, unavailable: isUnavailable(new DrizzleQueryError("select 1", [], driverError(code))) }).toEqual({ code, unavailable: true });
    }
  });

  it("says no for a bug, a constraint violation, or a cause chain that loops", () => {
    expect(isUnavailable(new DrizzleQueryError("insert", [], driverError("23505")))).toBe(false);
    expect(isUnavailable(new TypeError("x is undefined"))).toBe(false);
    const loop: Error & { cause?: unknown } = new Error("loop");
    loop.cause = loop;
    expect(isUnavailable(loop)).toBe(false);
  });
});
