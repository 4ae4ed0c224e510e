import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../src/http/app.js";
import { createLog } from "../src/log.js";
import { rateLimitKeyOf } from "../src/rate-limit/client-key.js";
import { createRateLimiter } from "../src/rate-limit/limiter.js";
import { TEST_DATABASE_URL, TEST_REDIS_URL } from "./env.js";
import { ADMIN_TOKEN, call, createSite, harness, removeSite, uniqueName, type Harness } from "./helpers.js";

/** A request as the Node server hands it over: with a socket address (app.request has none). */
async function post(app: App, path: string, opts: { key?: string; ip?: string; body?: unknown; headers?: Record<string, string>; form?: string }) {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let body: string | undefined;
  if (opts.form !== undefined) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = opts.form;
  } else if (opts.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(opts.body);
  }
  const env = opts.ip === undefined ? undefined : { incoming: { socket: { remoteAddress: opts.ip } } };
  const res = await app.request(path, { method: "POST", headers, body }, env);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const comment = (n: number) => ({ thread: "limits", content: `comment number ${n} about the weather` });

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

/** Our own redis-server, so that killing it touches nobody else's. */
async function startRedis(): Promise<{ url: string; kill(): Promise<void> }> {
  const port = await freePort();
  const proc: ChildProcess = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once("error", () => resolve(true));
      probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(false)));
    });
    if (up) break;
    if (Date.now() > deadline) throw new Error("redis-server did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    kill: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once("exit", () => resolve());
        proc.kill("SIGKILL");
      }),
  };
}

const STORES: { store: string; config: Record<string, string> }[] = [
  ...(TEST_REDIS_URL ? [{ store: "redis", config: {} }] : []),
  // No REDIS_URL: the limiter counts in Postgres (the rate_limits table); the queue stays the test's.
  { store: "postgres", config: { REDIS_URL: "" } },
];

describe.each(STORES)("rate limits on $store", ({ config }) => {
  let h: Harness;
  beforeAll(() => {
    h = harness({ config: { ...config, RATE_LIMIT_SITE_PER_MINUTE: "3", RATE_LIMIT_IP_PER_MINUTE: "5", TRUST_PROXY_HOPS: "1" } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("POST /v1/comments answers 429 with Retry-After and the RateLimit headers past the site's limit", async () => {
    const site = await createSite(h.app);
    try {
      const ok = [];
      for (let i = 0; i < 3; i++) ok.push(await post(h.app, "/v1/comments", { key: site.apiKey, body: comment(i) }));
      expect(ok.map((r) => r.status)).toEqual([202, 202, 202]);
      expect(ok[2]?.headers.get("ratelimit-policy")).toBe('"site";q=3;w=60');
      expect(ok[0]?.headers.get("ratelimit") ?? "").toMatch(/^"site";r=2;t=\d+$/);
      const limited = await post(h.app, "/v1/comments", { key: site.apiKey, body: comment(4) });
      expect(limited.status).toBe(429);
      const retryAfter = Number(limited.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(limited.headers.get("ratelimit")).toBe(`"site";r=0;t=${retryAfter}`);
      const body = JSON.parse(limited.text) as { error: { code: string; message: string; requestId: string } };
      expect(body).toEqual({ error: { code: "RATE_LIMITED", message: `Rate limit exceeded (site: 3 per minute); retry in ${retryAfter} s`, requestId: limited.headers.get("x-request-id") } });
      // The limited comment was not stored.
      const rows = await h.deps.sql`SELECT count(*)::int AS n FROM comments WHERE site_id = ${site.id}`;
      expect(rows[0]?.n).toBe(3);
    } finally {
      await removeSite(h.deps, site.id);
    }
  });

  it("counts each client IP apart, from X-Forwarded-For behind the one trusted proxy", async () => {
    const [a, b] = [await createSite(h.app), await createSite(h.app)];
    try {
      const ip = `198.51.100.${Math.floor(Math.random() * 200) + 1}`;
      const spoofed = (n: number) => ({ "x-forwarded-for": `10.0.0.${n}, ${ip}` });
      const statuses = [];
      // Two sites, so the per-site limit (3) does not bind first; the client forges the left entry.
      for (let i = 0; i < 6; i++) {
        const site = i % 2 === 0 ? a : b;
        statuses.push((await post(h.app, "/v1/comments", { key: site.apiKey, ip: "127.0.0.1", headers: spoofed(i), body: comment(i) })).status);
      }
      expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
      // Another client behind the same proxy is not limited.
      const other = await post(h.app, "/v1/comments", { key: b.apiKey, ip: "127.0.0.1", headers: { "x-forwarded-for": "192.0.2.77" }, body: comment(9) });
      expect(other.status).toBe(202);
      expect(other.headers.get("ratelimit-policy")).toBe('"ip";q=5;w=60, "site";q=3;w=60');
    } finally {
      await removeSite(h.deps, a.id);
      await removeSite(h.deps, b.id);
    }
  });

  it("counts bad keys against the IP before looking them up", async () => {
    const ip = `203.0.113.${Math.floor(Math.random() * 200) + 1}`;
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await post(h.app, "/v1/comments", { key: `guess${i}guess00`, ip: "127.0.0.1", headers: { "x-forwarded-for": ip }, body: comment(i) })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it("answers the Akismet routes 429 in plain text past the site's limit", async () => {
    const site = await createSite(h.app);
    try {
      const form = (n: number) => `api_key=${site.apiKey}&blog=https%3A%2F%2Fexample.test&user_ip=192.0.2.${n}&comment_content=hello+there+${n}`;
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await post(h.app, "/1.1/comment-check", { form: form(i) }));
      for (const a of answers.slice(0, 3)) expect({ status: a.status, text: a.text }).toEqual({ status: 200, text: expect.stringMatching(/^(true|false)$/) as unknown });
      const limited = answers[3];
      expect(limited?.status).toBe(429);
      expect(limited?.headers.get("content-type")).toBe("text/plain; charset=UTF-8");
      expect(Number(limited?.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(limited?.text).toMatch(/^Rate limit exceeded; retry in \d+ s \(request [\w-]+\)\.$/);
    } finally {
      await removeSite(h.deps, site.id);
    }
  });

  it("PATCH /v1/sites/:id/rate-limit gives one site its own limit, and 0 lifts it", async () => {
    const site = await createSite(h.app);
    try {
      const patched = await call(h.app, "PATCH", `/v1/sites/${site.id}/rate-limit`, { key: ADMIN_TOKEN, body: { perMinute: 1 } });
      expect(patched).toMatchObject({ status: 200, body: { rateLimit: { perMinute: 1, effectivePerMinute: 1 } } });
      expect((await post(h.app, "/v1/comments", { key: site.apiKey, body: comment(1) })).status).toBe(202);
      expect((await post(h.app, "/v1/comments", { key: site.apiKey, body: comment(2) })).status).toBe(429);
      await call(h.app, "PATCH", `/v1/sites/${site.id}/rate-limit`, { key: ADMIN_TOKEN, body: { perMinute: 0 } });
      const free = await post(h.app, "/v1/comments", { key: site.apiKey, body: comment(3) });
      expect(free.status).toBe(202);
      expect(free.headers.get("ratelimit")).toBeNull();
      const bad = await call(h.app, "PATCH", `/v1/sites/${site.id}/rate-limit`, { key: ADMIN_TOKEN, body: { perMinute: -1 } });
      expect(bad.status).toBe(400);
      expect((await call(h.app, "GET", `/v1/sites/${site.id}/rate-limit`)).status).toBe(401);
    } finally {
      await removeSite(h.deps, site.id);
    }
  });
});

describe("rate limits with the store down", () => {
  it("let requests through when Redis dies, and count them", async () => {
    const redis = await startRedis();
    const h = harness({ config: { REDIS_URL: redis.url, RATE_LIMIT_SITE_PER_MINUTE: "2", RATE_LIMIT_TIMEOUT_MS: "200" } });
    try {
      const site = await createSite(h.app);
      try {
        // Counted while Redis is up (one of two left)...
        const before = await post(h.app, "/v1/comments", { key: site.apiKey, body: comment(0) });
        expect(before.status).toBe(202);
        expect(before.headers.get("ratelimit") ?? "").toMatch(/^"site";r=1;t=\d+$/);
        await redis.kill();
        // ...then, with the store gone, five more than the limit would allow all pass.
        const after = [];
        for (let i = 0; i < 5; i++) after.push(await post(h.app, "/v1/comments", { key: site.apiKey, body: comment(10 + i) }));
        expect(after.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
        // No counts to show: no RateLimit headers, rather than made-up ones.
        expect(after[0]?.headers.get("ratelimit")).toBeNull();
        expect(h.deps.rateLimiter.failOpenCount()).toBe(5);
      } finally {
        await removeSite(h.deps, site.id);
      }
    } finally {
      await h.close();
      await redis.kill();
    }
  });

  it("log a dead store once a minute, not once per request", async () => {
    const lines: string[] = [];
    let t = 1_000_000;
    const limiter = createRateLimiter({
      // A port nobody listens on: every call fails, as with Postgres down.
      store: { kind: "postgres", url: `postgres://postgres@127.0.0.1:${await freePort()}/nothing` },
      prefix: uniqueName("rl"),
      timeoutMs: 300,
      log: createLog("warn", {}, (line) => lines.push(line) > 0),
      now: () => t,
    });
    try {
      for (let i = 0; i < 5; i++) expect((await limiter.consume("site", "x", 1)).allowed).toBe(true);
      expect(lines).toHaveLength(1);
      t += 59_000;
      await limiter.consume("site", "x", 1);
      expect(lines).toHaveLength(1);
      t += 1_000;
      await limiter.consume("site", "x", 1);
      expect(lines).toHaveLength(2);
      expect(JSON.parse(lines[1] ?? "{}")).toMatchObject({ level: "warn", msg: "rate-limit store unavailable; requests pass unchecked", store: "postgres", passedSinceLastLog: 6, passedTotal: 7 });
      expect(limiter.failOpenCount()).toBe(7);
    } finally {
      await limiter.close();
    }
  });

  it("count in the Postgres table the migration made", async () => {
    const prefix = uniqueName("rl");
    const limiter = createRateLimiter({ store: { kind: "postgres", url: TEST_DATABASE_URL }, prefix, timeoutMs: 2000, log: createLog("silent") });
    const h = harness();
    try {
      const d = [];
      for (let i = 0; i < 3; i++) d.push(await limiter.consume("ip", "192.0.2.1", 2));
      expect(d.map((x) => [x.allowed, x.remaining, x.failedOpen])).toEqual([[true, 1, false], [true, 0, false], [false, 0, false]]);
      const rows = await h.deps.sql`SELECT key, points FROM rate_limits WHERE key = ${`${prefix}:rl:ip:192.0.2.1`}`;
      expect(rows).toEqual([{ key: `${prefix}:rl:ip:192.0.2.1`, points: 2 }]);
      const kind = await h.deps.sql`SELECT relpersistence FROM pg_class WHERE relname = 'rate_limits'`;
      expect(kind[0]?.relpersistence).toBe("u");
      await h.deps.sql`DELETE FROM rate_limits WHERE key LIKE ${`${prefix}:%`}`;
    } finally {
      await limiter.close();
      await h.close();
    }
  });
});

describe("the client IP", () => {
  it("is the socket's address without trusted proxies: X-Forwarded-For is ignored", async () => {
    const h = harness({ config: { RATE_LIMIT_IP_PER_MINUTE: "2" } });
    try {
      const socket = `192.0.2.${Math.floor(Math.random() * 200) + 1}`;
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await post(h.app, "/v1/comments", { key: "nokey0000000", ip: `::ffff:${socket}`, headers: { "x-forwarded-for": `198.51.100.${i}` }, body: comment(i) })).status);
      expect(statuses).toEqual([401, 401, 429]);
      // The same address written as IPv4 shares the IPv4-mapped one's bucket.
      expect((await post(h.app, "/v1/comments", { key: "nokey0000000", ip: socket, body: comment(9) })).status).toBe(429);
    } finally {
      await h.close();
    }
  });

  it("limits browser posts (publishable key) per client IP and site", async () => {
    const h = harness({ config: { RATE_LIMIT_BROWSER_PER_MINUTE: "2" } });
    const site = await createSite(h.app);
    try {
      const pk = (await call(h.app, "POST", `/v1/sites/${site.id}/keys/publishable/rotate`, { key: ADMIN_TOKEN })).body.publishableKey as string;
      const person = `203.0.113.${Math.floor(Math.random() * 200) + 1}`;
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await post(h.app, "/v1/comments", { key: pk, ip: person, body: comment(i) })).status);
      expect(statuses).toEqual([202, 202, 429]);
      const other = await post(h.app, "/v1/comments", { key: pk, ip: "192.0.2.200", body: comment(5) });
      expect(other.status).toBe(202);
      expect(other.headers.get("ratelimit-policy")).toBe('"browser";q=2;w=60');
      // The stored address is the socket's, whatever the body said.
      const row = await h.deps.sql`SELECT ip FROM comments WHERE id = ${(JSON.parse(other.text) as { id: string }).id}`;
      expect(row[0]?.ip).toBe("192.0.2.200");
      // The secret key is not counted per person.
      for (let i = 0; i < 3; i++) expect((await post(h.app, "/v1/comments", { key: site.apiKey, ip: person, body: comment(10 + i) })).status).toBe(202);
    } finally {
      await removeSite(h.deps, site.id);
      await h.close();
    }
  });
});

describe("IPv6 clients", () => {
  it("count by their /64 however the address is written; IPv4, mapped or not, by the address", () => {
    const cases: [string | undefined, string | undefined][] = [
      ["2001:db8:1:2::1", "2001:db8:1:2::/64"],
      ["2001:0DB8:0001:0002:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"],
      ["fe80::1%eth0", "fe80::/64"],
      ["2001:db8::1", "2001:db8::/64"],
      ["2001:0:0:1::5", "2001:0:0:1::/64"],
      ["::1", "::/64"],
      ["64:ff9b::192.0.2.1", "64:ff9b::/64"],
      ["1:2:3:4:5:6:192.0.2.1", "1:2:3:4::/64"],
      ["192.0.2.1", "192.0.2.1"],
      ["::ffff:192.0.2.1", "192.0.2.1"],
      ["::FFFF:c000:0201", "192.0.2.1"],
      [" ::ffff:192.0.2.1%3 ", "192.0.2.1"],
      ["2001:db8::1::2", undefined],
      ["1.2.3.04", undefined],
      ["[2001:db8::1]", undefined],
      ["2001:db8::1%", "2001:db8::/64"],
      ["unknown", undefined],
      ["", undefined],
      [undefined, undefined],
    ];
    expect(cases.map(([ip]) => [ip, rateLimitKeyOf(ip)])).toEqual(cases);
  });

  it("share one bucket inside a /64 and not across two, from the socket", async () => {
    const h = harness({ config: { RATE_LIMIT_IP_PER_MINUTE: "2" } });
    try {
      const net = `2001:db8:${(Math.floor(Math.random() * 0xfff0) + 1).toString(16)}`;
      const send = (ip: string, n: number) => post(h.app, "/v1/comments", { key: "nokey0000000", ip, body: comment(n) });
      // Three addresses of one /64, written three ways: the third request is over the limit.
      const statuses = [];
      for (const [i, ip] of [`${net}:7::1`, `${net.toUpperCase()}:0007:0:0:0:2`, `${net}:7:abcd:ef01:2345:6789%eth0`].entries()) statuses.push((await send(ip, i)).status);
      expect(statuses).toEqual([401, 401, 429]);
      // The Akismet routes count against the same bucket.
      const akismet = await post(h.app, "/1.1/comment-check", { ip: `${net}:7::beef`, form: "api_key=nokey0000000&blog=https%3A%2F%2Fexample.test&comment_content=hi" });
      expect(akismet.status).toBe(429);
      // The neighbouring /64 is another client.
      const next = await send(`${net}:8::1`, 9);
      expect(next.status).toBe(401);
      expect(next.headers.get("ratelimit") ?? "").toMatch(/^"ip";r=1;t=\d+$/);
    } finally {
      await h.close();
    }
  });

  it("count behind a trusted proxy by the /64 from X-Forwarded-For, and a malformed entry falls back to the socket", async () => {
    const h = harness({ config: { RATE_LIMIT_IP_PER_MINUTE: "2", TRUST_PROXY_HOPS: "1" } });
    try {
      const send = (xff: string, n: number, ip = "127.0.0.1") => post(h.app, "/v1/comments", { key: "nokey0000000", ip, headers: { "x-forwarded-for": xff }, body: comment(n) });
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await send(`2001:db8:aa:bb::${i + 1}`, i)).status);
      expect(statuses).toEqual([401, 401, 429]);
      // Garbage where the proxy's entry should be: counted as the proxy (the socket), not dropped.
      const proxy = `192.0.2.${Math.floor(Math.random() * 200) + 1}`;
      const bad = [];
      for (const [i, xff] of ["not-an-ip", "2001:db8::1::2", "proxy.example:443"].entries()) bad.push(await send(xff, 10 + i, proxy));
      expect(bad.map((r) => r.status)).toEqual([401, 401, 429]);
      expect(bad[0]?.headers.get("ratelimit-policy")).toBe('"ip";q=2;w=60');
    } finally {
      await h.close();
    }
  });

  it("read a proxy's entry with a port as its address: clients behind it keep their own buckets", async () => {
    const h = harness({ config: { RATE_LIMIT_IP_PER_MINUTE: "1", TRUST_PROXY_HOPS: "1" } });
    try {
      const send = (xff: string, n: number) => post(h.app, "/v1/comments", { key: "nokey0000000", ip: "127.0.0.1", headers: { "x-forwarded-for": xff }, body: comment(n) });
      const n = Math.floor(Math.random() * 200) + 1;
      // One client through two source ports, then another: one bucket each, not the proxy's.
      expect((await send(`198.51.100.${n}:51234`, 1)).status).toBe(401);
      expect((await send(`198.51.100.${n}:40000`, 2)).status).toBe(429);
      expect((await send(`198.51.100.${n + 1}:51234`, 3)).status).toBe(401);
      const v6 = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:7`;
      expect((await send(`[${v6}::1]:443`, 4)).status).toBe(401);
      expect((await send(`[${v6}::2]`, 5)).status).toBe(429);
    } finally {
      await h.close();
    }
  });

  it("a socket address that is no address is not counted, and the request is answered", async () => {
    const h = harness({ config: { RATE_LIMIT_IP_PER_MINUTE: "1" } });
    try {
      for (let i = 0; i < 2; i++) {
        const res = await post(h.app, "/v1/comments", { key: "nokey0000000", ip: "garbage", body: comment(i) });
        expect(res.status).toBe(401);
        expect(res.headers.get("ratelimit-policy")).toBeNull();
      }
    } finally {
      await h.close();
    }
  });

  it("limit browser posts per /64 and site", async () => {
    const h = harness({ config: { RATE_LIMIT_BROWSER_PER_MINUTE: "2" } });
    const site = await createSite(h.app);
    try {
      const pk = (await call(h.app, "POST", `/v1/sites/${site.id}/keys/publishable/rotate`, { key: ADMIN_TOKEN })).body.publishableKey as string;
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await post(h.app, "/v1/comments", { key: pk, ip: `2001:db8:cc:dd:${i + 1}::9`, body: comment(i) })).status);
      expect(statuses).toEqual([202, 202, 429]);
      const other = await post(h.app, "/v1/comments", { key: pk, ip: "2001:db8:cc:de::9", body: comment(5) });
      expect(other.status).toBe(202);
      // The stored address is the client's own, not its /64.
      const row = await h.deps.sql`SELECT ip FROM comments WHERE id = ${(JSON.parse(other.text) as { id: string }).id}`;
      expect(row[0]?.ip).toBe("2001:db8:cc:de::9");
    } finally {
      await removeSite(h.deps, site.id);
      await h.close();
    }
  });
});
