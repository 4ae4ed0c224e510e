import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../src/db/client.js";
import { isUnavailable } from "../src/http/errors.js";
import { ADMIN_TOKEN, call, harness, type Harness } from "./helpers.js";
import { TEST_DATABASE_URL } from "./env.js";
import { startPgProxy, type PgProxy } from "./helpers/pg-proxy.js";

/** Every request has a deadline: a Postgres that hangs or restarts is a quick 503, never a hang. */
let proxy: PgProxy;
beforeAll(async () => {
  proxy = await startPgProxy();
});
afterAll(() => proxy.close());

async function timed<T>(p: Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await p;
  return { value, ms: performance.now() - start };
}

describe("a Postgres that accepts connections and never answers", () => {
  let h: Harness;
  beforeAll(async () => {
    await proxy.setMode("blackhole");
  });
  afterAll(async () => {
    await h.deps.sql.end({ timeout: 0 });
    await h.close();
    await proxy.setMode("forward");
  });

  it("answers 503 with Retry-After within the connect timeout", async () => {
    h = harness({ databaseUrl: proxy.url, config: { DATABASE_CONNECT_TIMEOUT_MS: "500", KEY_CACHE_TTL_MS: "0" } });
    const { value: res, ms } = await timed(call(h.app, "GET", "/v1/sites", { key: ADMIN_TOKEN }));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(ms).toBeLessThan(2000);
  });

  it("answers 503 at the request deadline even when the connect timeout is longer", async () => {
    const slow = harness({ databaseUrl: proxy.url, config: { DATABASE_CONNECT_TIMEOUT_MS: "30000", REQUEST_DEADLINE_MS: "700" } });
    try {
      const { value: res, ms } = await timed(call(slow.app, "GET", "/v1/sites", { key: ADMIN_TOKEN }));
      expect(res.status).toBe(503);
      expect((res.body.error as { code: string }).code).toBe("SERVICE_UNAVAILABLE");
      expect(res.headers.get("retry-after")).toBe("5");
      expect(ms).toBeGreaterThanOrEqual(650);
      expect(ms).toBeLessThan(2000);
    } finally {
      // The pool is still trying to connect: do not wait for it.
      await slow.deps.sql.end({ timeout: 0 });
      await slow.close();
    }
  });
});

describe("a Postgres that comes back after an outage", () => {
  it("serves the next request at once, not after a reconnect backoff that grew during the outage", async () => {
    const h = harness({ databaseUrl: proxy.url, config: { KEY_CACHE_TTL_MS: "0" } });
    try {
      expect((await call(h.app, "GET", "/v1/sites", { key: ADMIN_TOKEN })).status).toBe(200);
      await proxy.setMode("refuse");
      // A few seconds of failed requests, as during a Postgres restart.
      const outageEnds = Date.now() + 2500;
      while (Date.now() < outageEnds) {
        expect((await call(h.app, "GET", "/v1/sites", { key: ADMIN_TOKEN })).status).toBe(503);
        await new Promise((r) => setTimeout(r, 20));
      }
      await proxy.setMode("forward");
      const { value: res, ms } = await timed(call(h.app, "GET", "/v1/sites", { key: ADMIN_TOKEN }));
      expect(res.status).toBe(200);
      expect(ms).toBeLessThan(1500);
    } finally {
      await h.close();
    }
  });
});

describe("statement_timeout", () => {
  it("cancels a statement past DATABASE_STATEMENT_TIMEOUT_MS, and that counts as unavailable (503)", async () => {
    const { sql } = createDb(TEST_DATABASE_URL, { max: 1, statementTimeoutMs: 200 });
    try {
      const { value: err, ms } = await timed(sql`SELECT pg_sleep(3)`.then(() => undefined, (e: unknown) => e));
      expect((err as { code?: string }).code).toBe("57014");
      expect(isUnavailable(err)).toBe(true);
      expect(ms).toBeLessThan(1500);
    } finally {
      await sql.end();
    }
  });
});
