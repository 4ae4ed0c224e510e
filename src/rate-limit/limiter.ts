/**
 * Rate limits (issue 11) on rate-limiter-flexible: fixed one-minute windows counted in Redis when
 * the service has one, else in Postgres (the `rate_limits` table, UNLOGGED; see schema.ts), so
 * every API process of an install shares the same counts. When the store fails or is slow the
 * limiter lets the request through (fail open): a spam filter that refuses comments because its
 * counter is down would do more harm than the flood it guards against.
 */
import { Redis } from "ioredis";
import pg from "pg";
import { RateLimiterPostgres, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Log } from "../log.js";

export type RateLimitStore = { kind: "redis"; url: string } | { kind: "postgres"; url: string };

/** One window: the limits are "per minute" everywhere (config, site settings, headers). */
export const WINDOW_S = 60;

/** At most one "store down" line per this long, however many requests pass unchecked meanwhile. */
const FAIL_OPEN_LOG_EVERY_MS = 60_000;

export interface RateLimitDecision {
  allowed: boolean;
  /** The bucket's limit per window. */
  limit: number;
  remaining: number;
  /** Seconds until the window resets (at least 1 when limited). */
  resetS: number;
  /** The store did not answer: allowed without counting. */
  failedOpen: boolean;
}

export interface RateLimiter {
  /** Takes one request from `key`'s bucket, which allows `limit` per minute. */
  consume(bucket: string, key: string, limit: number): Promise<RateLimitDecision>;
  /** Requests let through unchecked since start because the store failed. */
  failOpenCount(): number;
  close(): Promise<void>;
}

export interface RateLimiterOptions {
  store: RateLimitStore;
  /** Keeps installs (and test runs) that share one Redis apart: QUEUE_PREFIX. */
  prefix: string;
  /** A store slower than this counts as down for that request. */
  timeoutMs: number;
  log: Log;
  now?: () => number;
}

type Backend = {
  make(points: number): RateLimiterAbstract;
  /** Resolves when the store can take its first command (the connection a new process opens). */
  firstReady: Promise<void>;
  close(): Promise<void>;
};

function redisBackend(url: string, prefix: string, log: Log): Backend {
  // Fail fast when Redis is away (no offline queue, one try) instead of holding the request.
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
  redis.on("error", (err: Error) => log.debug("rate-limit redis error", { error: err.message }));
  const firstReady = new Promise<void>((resolve) => redis.once("ready", () => resolve()));
  return {
    firstReady,
    make: (points) =>
      new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:rl`, points, duration: WINDOW_S, rejectIfRedisNotReady: true, inMemoryBlockOnConsumed: points }),
    async close() {
      redis.disconnect();
      await Promise.resolve();
    },
  };
}

function postgresBackend(url: string, prefix: string, timeoutMs: number, log: Log): Backend {
  const pool = new pg.Pool({
    connectionString: url,
    // Two statements per request at most, each a sub-millisecond upsert.
    max: 4,
    connectionTimeoutMillis: Math.max(timeoutMs, 100),
    idleTimeoutMillis: 30_000,
    // Counters of the last minute need no durable commit (the table is UNLOGGED too).
    options: `-c synchronous_commit=off -c statement_timeout=${Math.max(timeoutMs, 100)}`,
  });
  pool.on("error", (err: Error) => log.debug("rate-limit postgres error", { error: err.message }));
  return {
    // A pool connects per query, within connectionTimeoutMillis.
    firstReady: Promise.resolve(),
    make: (points) =>
      new RateLimiterPostgres({
        storeClient: pool,
        storeType: "pool",
        tableName: "rate_limits",
        // The migration made it (0007_guard.sql); the API never runs DDL.
        tableCreated: true,
        keyPrefix: `${prefix}:rl`,
        points,
        duration: WINDOW_S,
        inMemoryBlockOnConsumed: points,
      }),
    close: () => pool.end(),
  };
}

export function createRateLimiter(opts: RateLimiterOptions): RateLimiter {
  const now = opts.now ?? Date.now;
  // Built on first use: an install (or a test) whose limits are all off never opens a connection.
  let backend: Backend | undefined;
  const limiters = new Map<number, RateLimiterAbstract>();
  let failOpen = 0;
  let unloggedFailOpen = 0;
  let lastLog = -Infinity;

  const limiterFor = async (points: number): Promise<RateLimiterAbstract> => {
    backend ??= opts.store.kind === "redis" ? redisBackend(opts.store.url, opts.prefix, opts.log) : postgresBackend(opts.store.url, opts.prefix, opts.timeoutMs, opts.log);
    // The first requests of a process wait (within the timeout) for the store's first connection,
    // instead of passing unchecked; later, a store that went away fails fast.
    await backend.firstReady;
    let limiter = limiters.get(points);
    if (!limiter) {
      limiter = backend.make(points);
      limiters.set(points, limiter);
    }
    return limiter;
  };

  const passUnchecked = (limit: number, cause: unknown): RateLimitDecision => {
    failOpen++;
    unloggedFailOpen++;
    const t = now();
    if (t - lastLog >= FAIL_OPEN_LOG_EVERY_MS) {
      opts.log.warn("rate-limit store unavailable; requests pass unchecked", {
        store: opts.store.kind,
        passedSinceLastLog: unloggedFailOpen,
        passedTotal: failOpen,
        error: cause instanceof Error ? cause.message : String(cause),
      });
      lastLog = t;
      unloggedFailOpen = 0;
    }
    return { allowed: true, limit, remaining: limit, resetS: WINDOW_S, failedOpen: true };
  };

  return {
    async consume(bucket, key, limit) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`rate-limit store answered nothing within ${opts.timeoutMs} ms`)), opts.timeoutMs);
      });
      try {
        const res = await Promise.race([limiterFor(limit).then((l) => l.consume(`${bucket}:${key}`)), timeout]);
        return { allowed: true, limit, remaining: res.remainingPoints, resetS: Math.max(1, Math.ceil(res.msBeforeNext / 1000)), failedOpen: false };
      } catch (err) {
        // rate-limiter-flexible rejects with a RateLimiterRes when the bucket is empty, with an
        // Error when the store failed.
        if (err instanceof RateLimiterRes) return { allowed: false, limit, remaining: 0, resetS: Math.max(1, Math.ceil(err.msBeforeNext / 1000)), failedOpen: false };
        return passUnchecked(limit, err);
      } finally {
        clearTimeout(timer);
      }
    },
    failOpenCount: () => failOpen,
    async close() {
      await backend?.close();
    },
  };
}
