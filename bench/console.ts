/**
 * Console benchmark (`npm run bench -- console`): server-side time to render a queue page of 50
 * comments on a site holding 100,000 (issue 9's goal: ≤ 100 ms), for the default view, the priority
 * order, the biggest tab and each kind of filter. Measured in-process with `app.request` (routing,
 * session lookup, queries, JSX rendering; no socket), against a raw baseline run alongside: the bare
 * SELECT of the same 50 rows through postgres.js.
 *
 * Bounded: one scratch database created on BENCH_DATABASE_URL's server and dropped after,
 * BENCH_CONSOLE_COMMENTS rows (100,000), BENCH_CONSOLE_RUNS timed renders per case (30).
 */
import { randomBytes } from "node:crypto";
import os from "node:os";
import { Redis } from "ioredis";
import postgres from "postgres";
import { ensureDatabase, runMigrations } from "../src/db/migrate.js";
import { loadConfig } from "../src/config.js";
import { createDeps } from "../src/deps.js";
import { createApp } from "../src/http/app.js";
import { generateApiKey, generateModeratorKey, hashKey } from "../src/http/auth.js";
import { insertSite } from "../src/db/queries/sites.js";
import { createLog } from "../src/log.js";

const SERVER = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const REDIS = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const COMMENTS = Number(process.env.BENCH_CONSOLE_COMMENTS ?? 100_000);
const RUNS = Number(process.env.BENCH_CONSOLE_RUNS ?? 30);
// BENCH_CONSOLE_KEEP=1: keep the scratch database (drop it by hand afterwards).
const WARMUP = 5;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

async function time(fn: () => Promise<void>): Promise<{ p50: number; p95: number; max: number }> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p95: percentile(ms, 95), max: ms[ms.length - 1] ?? NaN };
}

/** 100,000 comments in one site: 3 % held, 80 % published, 15 % spam, 2 % pending, over 2,000 threads and 90 days. */
async function seed(sql: postgres.Sql, siteId: string, n: number): Promise<void> {
  const words = ["recipe", "great", "thanks", "casino", "bonus", "pills", "travel", "explanation", "example", "family", "ブログ", "記事", "спасибо", "ejemplo"];
  const reasons = JSON.stringify(
    ["casino", "bonus", "great", "thanks", "url:domain:pills.example", "meta:links=1", "family loved", "gram:recip"].map((token, i) => ({
      token,
      probability: i % 2 ? 0.2 : 0.8,
      direction: i % 2 ? "ham" : "spam",
      weight: 0.6,
    })),
  );
  await sql`
    INSERT INTO comments (site_id, thread, content, author_name, author_email, author_url, ip, source, status, verdict, score, reasons, created_at, scored_at)
    SELECT ${siteId}::uuid,
           'thread-' || (g % 2000),
           'Comment ' || g || ': ' || (${words}::text[])[1 + g % 14] || ' ' || (${words}::text[])[1 + (g / 14) % 14] || ' ' ||
             repeat('lorem ipsum dolor sit amet ', 3 + g % 20) || ' http://site' || (g % 500) || '.example/page',
           'Author ' || (g % 5000),
           'author' || (g % 5000) || '@mail.example',
           CASE WHEN g % 3 = 0 THEN 'https://author' || (g % 5000) || '.example' END,
           '198.51.' || (g % 250) || '.' || (g % 199),
           CASE WHEN g % 50 = 0 THEN 'akismet' ELSE 'api' END,
           s.status,
           CASE s.status WHEN 'held' THEN 'unsure' WHEN 'published' THEN 'ham' WHEN 'spam' THEN 'spam' END,
           CASE s.status WHEN 'pending' THEN NULL ELSE ((g * 7919) % 1000) / 1000.0 END,
           CASE s.status WHEN 'pending' THEN NULL ELSE ${reasons}::jsonb END,
           now() - make_interval(secs => (g % 7776000)),
           CASE s.status WHEN 'pending' THEN NULL ELSE now() - make_interval(secs => (g % 7776000)) END
    FROM generate_series(1, ${n}) AS g,
         LATERAL (SELECT CASE WHEN g % 100 < 3 THEN 'held' WHEN g % 100 < 83 THEN 'published' WHEN g % 100 < 98 THEN 'spam' ELSE 'pending' END AS status) AS s`;
  // What autovacuum does to a table this size soon after a bulk load (visibility map, statistics).
  await sql`VACUUM ANALYZE comments`;
}

export async function run(): Promise<void> {
  const name = `commentinel_console_bench_${randomBytes(4).toString("hex")}`;
  const url = new URL(SERVER);
  url.pathname = `/${name}`;
  await ensureDatabase(url.toString());
  const admin = postgres(SERVER, { max: 1, onnotice: () => {} });
  const sql = postgres(url.toString(), { max: 4, onnotice: () => {} });
  const config = loadConfig({ ADMIN_TOKEN: "bench-admin-token-0123456789", REDIS_URL: REDIS, QUEUE_PREFIX: `console-bench-${randomBytes(3).toString("hex")}`, LOG_LEVEL: "silent" });
  const deps = createDeps(config, createLog("silent"), { databaseUrl: url.toString(), queueBackend: { kind: "redis", url: REDIS } });
  try {
    await runMigrations(url.toString());
    const moderatorKey = generateModeratorKey();
    const site = await insertSite(deps.db, { name: "bench", url: "https://bench.example", apiKeyHash: hashKey(generateApiKey()), moderatorKeyHash: hashKey(moderatorKey) });
    const t0 = performance.now();
    await seed(sql, site.id, COMMENTS);
    const seeded = performance.now() - t0;
    const app = createApp(deps);

    const login = await app.request("/moderate/login");
    const loginCookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const csrf = /name="csrf" value="([^"]+)"/.exec(await login.text())?.[1] ?? "";
    const signedIn = await app.request("/moderate/login", {
      method: "POST",
      headers: { cookie: loginCookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf, key: moderatorKey }).toString(),
    });
    const cookie = (signedIn.headers.get("set-cookie") ?? "").split(";")[0] ?? "";

    const cases: [string, string][] = [
      ["held, newest first (default)", "/moderate"],
      ["held, priority order", "/moderate?tab=held&order=priority"],
      ["published (80,000), newest first", "/moderate?tab=published"],
      ["published, page 20", "/moderate?tab=published&page=20"],
      ["text search (pg_trgm), published", `/moderate?tab=published&q=${encodeURIComponent("casino bonus")}`],
      ["text search, Japanese", `/moderate?tab=published&q=${encodeURIComponent("ブログ 記事")}`],
      ["IP /24 filter, published", `/moderate?tab=published&ip=${encodeURIComponent("198.51.7.0/24")}`],
      ["author e-mail filter, published", "/moderate?tab=published&email=author7%40mail.example"],
      ["author name contains, spam", "/moderate?tab=spam&author=Author%2012"],
      ["date range, published", "/moderate?tab=published&from=2026-01-01&to=2030-01-01"],
    ];
    const raw = await time(async () => {
      await sql`SELECT * FROM comments WHERE site_id = ${site.id} AND status = 'held' ORDER BY created_at DESC, id DESC LIMIT 51`;
    });
    // One untimed pass over every case first, so the first case does not pay for a cold cache.
    for (const [, path] of cases) await (await app.request(path, { headers: { cookie } })).text();
    const rows: string[] = [];
    for (const [label, path] of cases) {
      let articles = 0;
      const t = await time(async () => {
        const res = await app.request(path, { headers: { cookie } });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
        articles = text.split("<article ").length - 1;
      });
      rows.push(`| ${label} | ${articles} | ${t.p50.toFixed(1)} | ${t.p95.toFixed(1)} | ${t.max.toFixed(1)} | ${(t.p50 / raw.p50).toFixed(1)}× |`);
    }
    process.stdout.write(
      [
        `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`,
        `${COMMENTS} comments seeded in ${(seeded / 1000).toFixed(1)} s; ${RUNS} timed renders per case after ${WARMUP} warm-up`,
        `raw baseline (bare SELECT of 51 held rows, postgres.js): p50 ${raw.p50.toFixed(2)} ms, p95 ${raw.p95.toFixed(2)} ms`,
        "",
        "| page | comments shown | p50 ms | p95 ms | max ms | p50 / raw |",
        "|---|---|---|---|---|---|",
        ...rows,
        "",
      ].join("\n"),
    );
  } finally {
    await deps.close();
    // The queue producer leaves its meta key under the bench's own prefix.
    const redis = new Redis(REDIS);
    const keys = await redis.keys(`${config.QUEUE_PREFIX}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await sql.end();
    // BENCH_CONSOLE_KEEP=1 keeps the seeded database for profiling (its name is printed).
    if (process.env.BENCH_CONSOLE_KEEP === "1") process.stdout.write(`kept database ${name}\n`);
    else await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

if (process.argv[1]?.endsWith("console.ts")) {
  run().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
