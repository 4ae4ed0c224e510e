/**
 * What a rate-limit check costs (issue 11): `consume()` calls per second on each store, in this
 * process, with CONCURRENCY calls in flight, against a raw round trip to the same store measured
 * in the same run (Redis PING, Postgres `SELECT 1` on a pool of the limiter's size). Keys are spread
 * over many buckets (as many clients would be), with a limit no bucket reaches.
 *
 * Environment: BENCH_DATABASE_URL, BENCH_REDIS_URL, BENCH_PREFIX, BENCH_SECONDS (3), BENCH_CONCURRENCY (32).
 */
import os from "node:os";
import { Redis } from "ioredis";
import pg from "pg";
import { runMigrations, ensureDatabase } from "../src/db/migrate.js";
import { createLog } from "../src/log.js";
import { createRateLimiter } from "../src/rate-limit/limiter.js";

const DB = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/commentinel_bench";
const REDIS = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const PREFIX = process.env.BENCH_PREFIX ?? "bench";
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

/** Calls per second of `op` with CONCURRENCY in flight for SECONDS. */
async function rate(op: (i: number) => Promise<unknown>): Promise<number> {
  const end = Date.now() + SECONDS * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      for (let i = w; Date.now() < end; i += CONCURRENCY) {
        await op(i);
        done++;
      }
    }),
  );
  return done / SECONDS;
}

export async function run(): Promise<void> {
  await ensureDatabase(DB);
  await runMigrations(DB);
  process.stdout.write(`load average at start ${os.loadavg().map((l) => l.toFixed(2)).join(", ")}; ${SECONDS} s each, ${CONCURRENCY} in flight\n\n`);
  process.stdout.write("| store | raw round trip /s | consume() /s | ratio |\n|---|---|---|---|\n");

  const redis = new Redis(REDIS);
  const redisRaw = await rate(() => redis.ping());
  redis.disconnect();
  const onRedis = createRateLimiter({ store: { kind: "redis", url: REDIS }, prefix: `${PREFIX}-rl`, timeoutMs: 1000, log: createLog("warn") });
  const redisRl = await rate((i) => onRedis.consume("ip", `10.0.${(i >> 8) & 255}.${i & 255}`, 1_000_000));
  const redisOpen = onRedis.failOpenCount();
  await onRedis.close();
  process.stdout.write(`| Redis | ${Math.round(redisRaw)} | ${Math.round(redisRl)} | ${(redisRl / redisRaw).toFixed(2)} |\n`);

  const pool = new pg.Pool({ connectionString: DB, max: 4 });
  const pgRaw = await rate(() => pool.query("SELECT 1"));
  await pool.end();
  const onPg = createRateLimiter({ store: { kind: "postgres", url: DB }, prefix: `${PREFIX}-rl`, timeoutMs: 1000, log: createLog("warn") });
  const pgRl = await rate((i) => onPg.consume("ip", `10.0.${(i >> 8) & 255}.${i & 255}`, 1_000_000));
  const pgOpen = onPg.failOpenCount();
  await onPg.close();
  process.stdout.write(`| Postgres (UNLOGGED, 4 connections) | ${Math.round(pgRaw)} | ${Math.round(pgRl)} | ${(pgRl / pgRaw).toFixed(2)} |\n`);
  process.stdout.write(`\nfailed open: Redis ${redisOpen}, Postgres ${pgOpen}\n`);

  // Leave no counters behind in the bench database or the shared Redis.
  const clean = new pg.Pool({ connectionString: DB, max: 1 });
  await clean.query("DELETE FROM rate_limits WHERE key LIKE $1", [`${PREFIX}-rl:%`]);
  await clean.end();
  const r = new Redis(REDIS);
  let cursor = "0";
  do {
    const [next, keys] = await r.scan(cursor, "MATCH", `${PREFIX}-rl:*`, "COUNT", 1000);
    if (keys.length > 0) await r.del(...keys);
    cursor = next;
  } while (cursor !== "0");
  r.disconnect();
}
