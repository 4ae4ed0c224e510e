import type postgres from "postgres";
import { createIntakeBatches, type IntakeBatches } from "./comments/intake.js";
import { createLiveModel, type LiveModel } from "./comments/live-model.js";
import type { Config } from "./config.js";
import { createDb, type Db, type PoolUse } from "./db/client.js";
import { createListener, createStatusListener, type Listener, type StatusListener } from "./db/notify.js";
import { createKeyCache, type KeyCache } from "./http/key-cache.js";
import type { Log } from "./log.js";
import { createRateLimiter, type RateLimiter, type RateLimitStore } from "./rate-limit/limiter.js";
import { createStateMetrics } from "./observe/collect.js";
import { setPerSiteMetrics } from "./observe/metrics.js";
import type { Registry } from "prom-client";
import { createScoreQueue, type QueueBackendConfig, type ScoreQueue } from "./queue/score-queue.js";

export interface Deps {
  config: Config;
  log: Log;
  sql: postgres.Sql;
  db: Db;
  queueBackend: QueueBackendConfig;
  scoreQueue: ScoreQueue;
  /** Intake's group commit (INSERTs and queue adds of the requests of the same few milliseconds). */
  intake: IntakeBatches;
  /** The process's one LISTEN connection (postgres.js shares it between channels). */
  listener: Listener;
  statusListener: StatusListener;
  /** The model's counts in memory, following the change log (loaded at start). */
  model: LiveModel;
  /** API and moderator keys → site, cached for KEY_CACHE_TTL_MS. */
  keys: KeyCache;
  /** Request counts per client IP and per site (Redis, else Postgres); fails open. */
  rateLimiter: RateLimiter;
  /** How busy the Postgres pool is (counted in db/client.ts). */
  pool: PoolUse;
  /** This deps' state metrics (queue depth, pool, model), read at scrape; events are in observe/metrics.ts. */
  metrics: Registry;
  /** Flipped at the start of shutdown: /readyz then answers 503 so load balancers stop routing. */
  state: { shuttingDown: boolean };
  /** Closes what createDeps opened: queue producer, LISTEN, the model's follower, the limiter, then the Postgres pool. */
  close(): Promise<void>;
}

export interface DepsOptions {
  /** The Postgres to use (config's DATABASE_URL, or the embedded one's). */
  databaseUrl: string;
  /** Defaults to Redis when REDIS_URL is set, else BullMQ's Postgres backend on `databaseUrl`. */
  queueBackend?: QueueBackendConfig;
  /** Defaults to Redis when REDIS_URL is set, else the `rate_limits` table on `databaseUrl`. */
  rateLimitStore?: RateLimitStore;
}

export function queueBackendFor(config: Config, databaseUrl: string): QueueBackendConfig {
  return config.REDIS_URL ? { kind: "redis", url: config.REDIS_URL } : { kind: "postgres", url: databaseUrl };
}

/** The only place clients are built. Tests call it with their own config (queue prefix, URLs). */
export function createDeps(config: Config, log: Log, opts: DepsOptions): Deps {
  const { sql, db, pool } = createDb(opts.databaseUrl, {
    max: config.DATABASE_POOL_MAX,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
  });
  const queueBackend = opts.queueBackend ?? queueBackendFor(config, opts.databaseUrl);
  const scoreQueue = createScoreQueue(queueBackend, { prefix: config.QUEUE_PREFIX, enqueueTimeoutMs: config.ENQUEUE_TIMEOUT_MS, log });
  const intake = createIntakeBatches({ db, scoreQueue, log });
  const listener = createListener(sql);
  const statusListener = createStatusListener(listener, log);
  const model = createLiveModel({ db, listener, log }, {
    pollMs: config.MODEL_POLL_MS,
    reloadBehind: config.MODEL_RELOAD_BEHIND,
    cacheRows: config.MODEL_CACHE_ROWS,
  });
  const rateLimiter = createRateLimiter({
    store: opts.rateLimitStore ?? (config.REDIS_URL ? { kind: "redis", url: config.REDIS_URL } : { kind: "postgres", url: opts.databaseUrl }),
    prefix: config.QUEUE_PREFIX,
    timeoutMs: config.RATE_LIMIT_TIMEOUT_MS,
    log,
  });
  setPerSiteMetrics(config.METRICS_PER_SITE);
  return {
    config,
    log,
    rateLimiter,
    sql,
    db,
    queueBackend,
    scoreQueue,
    intake,
    listener,
    statusListener,
    model,
    keys: createKeyCache(db, config.KEY_CACHE_TTL_MS),
    pool,
    metrics: createStateMetrics({ db, pool, scoreQueue, model }),
    state: { shuttingDown: false },
    async close() {
      await intake.close();
      await scoreQueue.close();
      await statusListener.close();
      await model.close();
      await rateLimiter.close();
      await sql.end({ timeout: 5 });
    },
  };
}
