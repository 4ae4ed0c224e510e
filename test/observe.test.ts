import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDeps, type Deps } from "../src/deps.js";
import { createApp, type App } from "../src/http/app.js";
import { createLog, REDACTED } from "../src/log.js";
import { startWorker } from "../src/worker/index.js";
import { sweepPending } from "../src/worker/sweep.js";
import { sql } from "drizzle-orm";
import { TEST_DATABASE_URL, TEST_REDIS_URL, testQueueBackend } from "./env.js";
import { ADMIN_TOKEN, call, createSite, eventually, freshDatabase, harness, testConfig, uniqueName, type TestSite } from "./helpers.js";
import type { QueueBackendConfig } from "../src/queue/score-queue.js";

/** One sample's value from Prometheus text, or 0 when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const want = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (want) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return 0;
}

async function scrape(app: App): Promise<string> {
  const res = await app.request("/metrics", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.status).toBe(200);
  return res.text();
}

/** The deps' state metrics alone (no HTTP request, which would itself use the pool). */
async function renderState(deps: Deps): Promise<string> {
  return deps.metrics.metrics();
}

/** Deps whose log lines (at debug) are kept in `lines`, with a worker, on a fresh database. */
async function capturedSuite(queueBackend?: QueueBackendConfig) {
  const db = await freshDatabase();
  const lines: string[] = [];
  const config = testConfig({ LOG_LEVEL: "debug" });
  const deps: Deps = createDeps(config, createLog("debug", {}, (line) => void lines.push(line)), {
    databaseUrl: db.url,
    queueBackend: queueBackend ?? testQueueBackend(db.url),
  });
  const app = createApp(deps);
  const worker = startWorker(deps);
  const site = await createSite(app);
  return {
    deps,
    app,
    site,
    lines,
    async close() {
      await worker.close();
      await deps.close();
      await db.drop();
    },
  };
}

describe("metrics", () => {
  let s: Awaited<ReturnType<typeof capturedSuite>>;
  beforeAll(async () => {
    s = await capturedSuite();
  });
  afterAll(async () => {
    await s.close();
  });

  it("GET /metrics needs the admin token: 401 without it or with a site key, 200 text with it", async () => {
    const none = await call(s.app, "GET", "/metrics");
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ error: { code: "UNAUTHORIZED", message: expect.any(String) as string, requestId: none.headers.get("x-request-id") } });
    expect((await call(s.app, "GET", "/metrics", { key: s.site.apiKey })).status).toBe(401);
    const ok = await s.app.request("/metrics", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await ok.text();
    expect(text).toContain("# TYPE commentinel_http_request_duration_seconds histogram");
    expect(text).toContain("# TYPE process_cpu_seconds_total counter");
  });

  it("labels request durations with the route template and status, never the raw URL", async () => {
    // ?wait: its verdict lands now, not during the next test's counting.
    const posted = await call(s.app, "POST", "/v1/comments?wait=2000", { key: s.site.apiKey, body: { thread: "t", content: "route template check" } });
    const id = posted.body.id as string;
    expect((await call(s.app, "GET", `/v1/comments/${id}`, { key: s.site.apiKey })).status).toBe(200);
    expect((await call(s.app, "GET", `/v1/comments/${id}`)).status).toBe(401);
    expect((await call(s.app, "GET", `/no/such/${id}`)).status).toBe(404);
    const text = await scrape(s.app);
    const count = "commentinel_http_request_duration_seconds_count";
    expect(sample(text, count, { route: "/v1/comments/:id", status: "200", method: "GET" })).toBeGreaterThanOrEqual(1);
    expect(sample(text, count, { route: "/v1/comments/:id", status: "401" })).toBeGreaterThanOrEqual(1);
    expect(sample(text, count, { route: "/v1/comments", status: "200", method: "POST" })).toBeGreaterThanOrEqual(1);
    expect(sample(text, count, { route: "(unmatched)", status: "404" })).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain(id);
  });

  it("counts the verdict, its scoring time and the decision of a real comment, and the model catching up", async () => {
    const before = await scrape(s.app);
    const posted = await call(s.app, "POST", "/v1/comments?wait=2000", { key: s.site.apiKey, body: { thread: "t", content: "cheap pills casino bonus now" } });
    expect(posted.status).toBe(200);
    const decided = await call(s.app, "POST", `/v1/comments/${posted.body.id as string}/decision`, { key: s.site.moderatorKey, body: { label: "spam" } });
    expect(decided.status).toBe(200);
    const after = await scrape(s.app);
    const verdicts = (t: string) => ["ham", "unsure", "spam"].reduce((n, v) => n + sample(t, "commentinel_verdicts_total", { verdict: v, source: "worker" }), 0);
    expect(verdicts(after) - verdicts(before)).toBe(1);
    const scored = (t: string) => sample(t, "commentinel_scoring_duration_seconds_count", { source: "worker" });
    expect(scored(after) - scored(before)).toBe(1);
    const spamDecisions = (t: string) => sample(t, "commentinel_decisions_total", { label: "spam", actor: "moderator" });
    expect(spamDecisions(after) - spamDecisions(before)).toBe(1);
    // The model follows the change log: the decision is applied here, so nothing lags.
    await s.deps.model.sync();
    await eventually(async () => {
      const t = await scrape(s.app);
      return sample(t, "commentinel_model_applied_change_id") >= 1 && sample(t, "commentinel_model_change_lag") === 0 ? true : undefined;
    }, 5000);
  });

  it("reports the model's size: learned per label and tokens, read from Postgres", async () => {
    const fresh = await capturedSuite();
    try {
      const posted = await call(fresh.app, "POST", "/v1/comments?wait=2000", { key: fresh.site.apiKey, body: { thread: "t", content: "a friendly helpful comment" } });
      await call(fresh.app, "POST", `/v1/comments/${posted.body.id as string}/decision`, { key: fresh.site.moderatorKey, body: { label: "ham" } });
      const text = await scrape(fresh.app);
      expect(sample(text, "commentinel_model_learned", { label: "ham" })).toBe(1);
      expect(sample(text, "commentinel_model_learned", { label: "spam" })).toBe(0);
      expect(sample(text, "commentinel_model_tokens")).toBeGreaterThan(3);
      expect(sample(text, "commentinel_db_pool_max")).toBe(10);
      expect(text).toMatch(/^commentinel_db_pool_in_use \d+$/m);
      expect(text).toMatch(/^commentinel_db_pool_waiting \d+$/m);
    } finally {
      await fresh.close();
    }
  });

  it("puts the request's X-Request-Id into the scoring job and its log line", async () => {
    const requestId = uniqueName("req");
    const posted = await call(s.app, "POST", "/v1/comments?wait=2000", {
      key: s.site.apiKey,
      headers: { "x-request-id": requestId },
      body: { thread: "t", content: "request id carried to the worker" },
    });
    expect(posted.headers.get("x-request-id")).toBe(requestId);
    const id = posted.body.id as string;
    const scoredLine = await eventually(async () => {
      const line = s.lines.find((l) => l.includes('"comment scored"') && l.includes(id));
      return Promise.resolve(line);
    }, 5000);
    expect(JSON.parse(scoredLine)).toMatchObject({ msg: "comment scored", requestId, jobId: `comment-${id}`, commentId: id });
    const access = s.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === "request" && l.requestId === requestId);
    expect(access).toMatchObject({ level: "info", method: "POST", route: "/v1/comments", status: 200, siteId: s.site.id });
    expect(typeof access?.ms).toBe("number");
  });

  it("never writes an e-mail address, a key or a comment body to the log", async () => {
    const email = "reader.secret@mail.example";
    const content = "a body that must not reach the log 7f3a";
    const posted = await call(s.app, "POST", "/v1/comments?wait=2000", {
      key: s.site.apiKey,
      body: { thread: "t", content, author: { name: "Reader", email } },
    });
    expect(posted.status).toBe(200);
    // What a careless caller might log: the comment, the key, an error that quotes them.
    const log = createLog("debug", {}, (line) => void s.lines.push(line));
    log.info("careless", { comment: { authorEmail: email, content }, apiKey: s.site.apiKey, headers: { Authorization: `Bearer ${s.site.apiKey}`, cookie: "commentinel_console=abc" } });
    log.error("failed", { error: new Error(`duplicate key (author_email)=(${email})`, { cause: new Error(`sent Bearer ${s.site.moderatorKey}`) }) });
    const all = s.lines.join("\n");
    expect(all).toContain(REDACTED);
    for (const secret of [email, content, s.site.apiKey, s.site.moderatorKey, "commentinel_console=abc"]) expect(all).not.toContain(secret);
  });
});

describe("queue and pool counters", () => {
  it("counts an enqueue that failed (queue down) and the sweep's re-enqueue of that comment", async () => {
    const down = harness({ queueBackend: { kind: "redis", url: "redis://127.0.0.1:1" } });
    const up = harness({ queueBackend: { kind: "postgres", url: TEST_DATABASE_URL } });
    try {
      const site = await createSite(down.app);
      const before = await scrape(up.app);
      const res = await call(down.app, "POST", "/v1/comments", { key: site.apiKey, body: { thread: "t", content: "queued while the queue is down" } });
      expect(res.status).toBe(202);
      const down1 = await scrape(down.app);
      expect(sample(down1, "commentinel_enqueue_failures_total") - sample(before, "commentinel_enqueue_failures_total")).toBe(1);
      expect(sample(down1, "commentinel_queue_up", { backend: "redis" })).toBe(0);
      expect(await sweepPending(up.deps, { olderThanMs: 0, siteId: site.id })).toBe(1);
      const after = await scrape(up.app);
      expect(sample(after, "commentinel_sweep_reenqueued_total") - sample(before, "commentinel_sweep_reenqueued_total")).toBe(1);
    } finally {
      await down.close();
      await up.close();
    }
  });

  it("shows queries holding the pool as in use, and those beyond its size as waiting", async () => {
    const h = harness({ config: { DATABASE_POOL_MAX: "2" } });
    try {
      // drizzle's queries are lazy: `then` sends them.
      const slow = [0, 1, 2, 3].map(() => h.deps.db.execute(sql`SELECT pg_sleep(0.5)`).then(() => undefined));
      // A transaction counts once while it holds its connection.
      const tx = h.deps.db.transaction(async (t) => {
        await t.execute(sql`SELECT pg_sleep(0.5)`);
        await t.execute(sql`SELECT 1`);
      });
      await new Promise((r) => setTimeout(r, 100));
      const busy = await renderState(h.deps);
      expect(sample(busy, "commentinel_db_pool_max")).toBe(2);
      expect(sample(busy, "commentinel_db_pool_in_use")).toBe(2);
      // Five of ours in flight (the model's own follower may add one of its polls).
      expect(sample(busy, "commentinel_db_pool_waiting")).toBeGreaterThanOrEqual(3);
      expect(sample(busy, "commentinel_db_pool_waiting")).toBeLessThanOrEqual(4);
      await Promise.all([...slow, tx]);
      await eventually(async () => {
        const idle = await renderState(h.deps);
        return sample(idle, "commentinel_db_pool_in_use") === 0 && sample(idle, "commentinel_db_pool_waiting") === 0 ? true : undefined;
      }, 3000);
    } finally {
      await h.close();
    }
  });
});

describe("X-Request-Id", () => {
  let h: ReturnType<typeof harness>;
  let site: TestSite;
  beforeAll(async () => {
    h = harness();
    site = await createSite(h.app);
  });
  afterAll(async () => {
    await h.close();
  });

  it("is on /v1 answers, errors included, and keeps a sane incoming id", async () => {
    const ok = await call(h.app, "GET", "/v1/moderation/queue", { key: site.moderatorKey, headers: { "x-request-id": "edge-1234.abc" } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-request-id")).toBe("edge-1234.abc");
    const bad = await call(h.app, "GET", "/v1/moderation/queue", { headers: { "x-request-id": "no spaces or <html> please" } });
    expect(bad.status).toBe(401);
    const generated = bad.headers.get("x-request-id") ?? "";
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    expect((bad.body.error as { requestId: string }).requestId).toBe(generated);
  });

  it("is on Akismet's plain-text answers", async () => {
    const res = await h.app.request("/1.1/verify-key", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-request-id": "akismet-req-1" },
      body: new URLSearchParams({ key: site.apiKey, blog: "https://example.test" }).toString(),
    });
    expect(await res.text()).toBe("valid");
    expect(res.headers.get("x-request-id")).toBe("akismet-req-1");
    const check = await h.app.request("/1.1/comment-check", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ api_key: site.apiKey, blog: "https://example.test", user_ip: "203.0.113.7", comment_content: "hello", is_test: "1" }).toString(),
    });
    expect(["true", "false"]).toContain(await check.text());
    expect(check.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("is on the console's pages and the home page", async () => {
    for (const path of ["/moderate/login", "/"]) {
      const res = await h.app.request(path, { headers: { "x-request-id": `page-${path.length}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/text\/html/);
      expect(res.headers.get("x-request-id")).toBe(`page-${path.length}`);
    }
  });
});

describe("queue depth", () => {
  const backends: [string, (url: string) => QueueBackendConfig | undefined][] = [
    ["Redis", () => (TEST_REDIS_URL ? { kind: "redis", url: TEST_REDIS_URL } : undefined)],
    ["Postgres", (url) => ({ kind: "postgres", url })],
  ];
  for (const [name, backendOf] of backends) {
    it(`counts the jobs waiting on the ${name} backend (no worker running)`, async (ctx) => {
      const backend = backendOf(TEST_DATABASE_URL);
      if (!backend) return ctx.skip(`no Redis at TEST_REDIS_URL`);
      const h = harness({ queueBackend: backend });
      try {
        const site = await createSite(h.app);
        for (let i = 0; i < 3; i++) {
          const r = await call(h.app, "POST", "/v1/comments", { key: site.apiKey, body: { thread: "depth", content: `waiting ${i}` } });
          expect(r.status).toBe(202);
        }
        const text = await scrape(h.app);
        expect(sample(text, "commentinel_queue_jobs", { queue: "score-comment", state: "waiting" })).toBe(3);
        expect(sample(text, "commentinel_queue_jobs", { state: "active" })).toBe(0);
        expect(sample(text, "commentinel_queue_up", { backend: backend.kind })).toBe(1);
        const counts = await call(h.app, "GET", "/admin/queues/counts", { key: ADMIN_TOKEN });
        expect(counts.body).toMatchObject({ backend: backend.kind, queues: [{ name: "score-comment", counts: { waiting: 3, failed: 0 } }] });
      } finally {
        await h.close();
      }
    });
  }
});

describe("the queue dashboard", () => {
  let h: ReturnType<typeof harness>;
  beforeAll(() => {
    h = harness();
  });
  afterAll(async () => {
    await h.close();
  });

  it("answers 401 with a Basic challenge without the admin token, and a site key is not enough", async () => {
    const site = await createSite(h.app);
    for (const key of [undefined, site.apiKey, site.moderatorKey]) {
      const res = await call(h.app, "GET", "/admin/queues", key ? { key } : {});
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
      expect((res.body.error as { code: string }).code).toBe("UNAUTHORIZED");
    }
    const basicWrong = await h.app.request("/admin/queues/api/queues", { headers: { authorization: `Basic ${Buffer.from("admin:wrong").toString("base64")}` } });
    expect(basicWrong.status).toBe(401);
  });

  it("serves bull-board's page and its assets from the package, with the Bearer or the Basic password", async () => {
    const page = await h.app.request("/admin/queues", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<base href="/admin/queues/"');
    // Nothing from another host: no fonts CDN, no absolute URLs at all.
    expect(html).not.toMatch(/https?:\/\//);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    const css = /href="(static\/css\/[^"]+)"/.exec(html)?.[1];
    const js = /src="(static\/js\/main[^"]+)"/.exec(html)?.[1];
    expect(css && js).toBeTruthy();
    const basic = `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString("base64")}`;
    for (const asset of [css, js]) {
      const res = await h.app.request(`/admin/queues/${asset}`, { headers: { authorization: basic } });
      expect(res.status).toBe(200);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    }
    const api = await h.app.request("/admin/queues/api/queues", { headers: { authorization: basic } });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: { name: string }[] };
    expect(body.queues.map((q) => q.name)).toContain("score-comment");
  });

  it("refuses a dashboard action sent from another site's page", async () => {
    const res = await h.app.request("/admin/queues/api/queues/score-comment/retry/failed", {
      method: "PUT",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, origin: "https://evil.example", host: "localhost" },
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN");
  });
});

describe("the queue dashboard on BullMQ's Postgres backend", () => {
  it("lists the queue with its waiting jobs and the database's stats", async () => {
    const h = harness({ queueBackend: { kind: "postgres", url: TEST_DATABASE_URL } });
    try {
      const site = await createSite(h.app);
      for (let i = 0; i < 2; i++) await call(h.app, "POST", "/v1/comments", { key: site.apiKey, body: { thread: "board", content: `on postgres ${i}` } });
      const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
      const res = await h.app.request("/admin/queues/api/queues?activeQueue=x&status=waiting", { headers: auth });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { queues: { name: string; counts: Record<string, number> }[] };
      const queue = body.queues.find((q) => q.name.endsWith("score-comment"));
      expect(queue?.counts.waiting).toBe(2);
      const stats = await h.app.request("/admin/queues/api/redis/stats", { headers: auth });
      expect(stats.status).toBe(200);
      expect(await stats.json()).toMatchObject({ backend: "postgres" });
      expect((await h.app.request("/admin/queues", { headers: auth })).status).toBe(200);
    } finally {
      await h.close();
    }
  });
});

describe("the worker's metrics listener", () => {
  it("answers GET /metrics on METRICS_PORT with the worker's metrics, and nothing else", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "worker"], {
      env: {
        ...process.env,
        DATABASE_URL: TEST_DATABASE_URL,
        REDIS_URL: TEST_REDIS_URL ?? "",
        QUEUE_PREFIX: uniqueName("metrics"),
        METRICS_PORT: "0",
        LOG_LEVEL: "info",
      },
    });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (out += b.toString()));
    try {
      const port = await eventually(async () => Promise.resolve(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(out)?.[1]), 20_000);
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain("# TYPE commentinel_queue_jobs gauge");
      expect(text).toContain("# TYPE commentinel_scoring_duration_seconds histogram");
      expect(text).toMatch(/^commentinel_queue_up\{backend="(redis|postgres)"\} 1$/m);
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
  }, 40_000);
});
