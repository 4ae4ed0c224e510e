import type postgres from "postgres";
import { createStatusListener, type StatusListener } from "./comments/status-listener.js";
import type { Config } from "./config.js";
import { createDb, type Db } from "./db/client.js";
import { createKeyCache, type KeyCache } from "./http/key-cache.js";
import type { Log } from "./log.js";
import { createScoreQueue, type QueueBackendConfig, type ScoreQueue } from "./queue/score-queue.js";

export interface Deps {
  config: Config;
  log: Log;
  sql: postgres.Sql;
  db: Db;
  queueBackend: QueueBackendConfig;
  scoreQueue: ScoreQueue;
  statusListener: StatusListener;
  /** API and moderator keys → site, cached for KEY_CACHE_TTL_MS. */
  keys: KeyCache;
  /** Flipped at the start of shutdown: /readyz then answers 503 so load balancers stop routing. */
  state: { shuttingDown: boolean };
  /** Closes what createDeps opened: queue producer, LISTEN, then the Postgres pool. */
  close(): Promise<void>;
}

export interface DepsOptions {
  /** The Postgres to use (config's DATABASE_URL, or the embedded one's). */
  databaseUrl: string;
  /** Defaults to Redis when REDIS_URL is set, else BullMQ's Postgres backend on `databaseUrl`. */
  queueBackend?: QueueBackendConfig;
}

export function queueBackendFor(config: Config, databaseUrl: string): QueueBackendConfig {
  return config.REDIS_URL ? { kind: "redis", url: config.REDIS_URL } : { kind: "postgres", url: databaseUrl };
}

/** The only place clients are built. Tests call it with their own config (queue prefix, URLs). */
export function createDeps(config: Config, log: Log, opts: DepsOptions): Deps {
  const { sql, db } = createDb(opts.databaseUrl, {
    max: config.DATABASE_POOL_MAX,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
  });
  const queueBackend = opts.queueBackend ?? queueBackendFor(config, opts.databaseUrl);
  const scoreQueue = createScoreQueue(queueBackend, { prefix: config.QUEUE_PREFIX, enqueueTimeoutMs: config.ENQUEUE_TIMEOUT_MS, log });
  const statusListener = createStatusListener(sql, log);
  return {
    config,
    log,
    sql,
    db,
    queueBackend,
    scoreQueue,
    statusListener,
    keys: createKeyCache(db, config.KEY_CACHE_TTL_MS),
    state: { shuttingDown: false },
    async close() {
      await scoreQueue.close();
      await statusListener.close();
      await sql.end({ timeout: 5 });
    },
  };
}
