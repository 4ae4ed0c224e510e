/**
 * The one place that knows which BullMQ backend runs the queues: Redis, or BullMQ's PostgreSQL
 * backend in the service's own database. Everything else sees `BackendQueue` / `BackendWorker`.
 */
import { Queue, Worker, createPostgresBackend, withBackend, type BackoffStrategy, type Job, type JobsOptions, type JobType } from "bullmq";
import { Redis } from "ioredis";
import type { Log } from "../log.js";

export type QueueBackendConfig = { kind: "redis"; url: string } | { kind: "postgres"; url: string };

/** What the service uses of a BullMQ Queue, whichever backend carries it. */
export interface BackendQueue {
  add(name: string, data: unknown, opts?: JobsOptions): Promise<unknown>;
  addBulk(jobs: { name: string; data: unknown; opts?: JobsOptions }[]): Promise<unknown>;
  /** Creates or updates a repeating job (BullMQ's job scheduler): idempotent per id, one job per period. */
  upsertJobScheduler(id: string, repeat: { every: number }, template: JobSchedulerTemplate): Promise<unknown>;
  getJob(id: string): Promise<{ isFailed(): Promise<boolean>; retry(state?: "failed"): Promise<void> } | undefined>;
  /** False while the connection is down: adding would only wait. */
  isReady(): boolean;
  ping(): Promise<unknown>;
  close(): Promise<void>;
  /** Jobs per state (for metrics). */
  getJobCounts(...states: JobType[]): Promise<Record<string, number>>;
  /**
   * The BullMQ Queue itself (a Redis or a Postgres-backed one, whose generic types differ), for the
   * queue dashboard (src/http/routes/queues.ts).
   */
  bullQueue: unknown;
}

export type JobSchedulerTemplate = NonNullable<Parameters<Queue["upsertJobScheduler"]>[2]>;

export interface BackendWorker {
  close(): Promise<void>;
}

export interface WorkerSettings {
  concurrency: number;
  /** How long a job's lock lasts and how often stalled jobs are looked for (see score-job.ts). */
  lockDuration: number;
  stalledInterval: number;
  onFailed: (job: Job | undefined, err: Error) => void;
  /** For jobs whose backoff type is not BullMQ's own: the wait before the next attempt, in ms. */
  backoffStrategy?: BackoffStrategy;
}

/**
 * BullMQ keeps its Postgres tables in schema `bullmq` and creates them on first connect when asked
 * (under its own advisory lock, so several processes may start at once).
 */
const pgConnection = (url: string) => ({ connectionString: url, migrate: true, max: 5 });

/** The queue name carries the prefix on the Postgres backend, which ignores BullMQ's `prefix`. */
const pgQueueName = (prefix: string, name: string) => `${prefix}-${name}`;

/**
 * Producer side. On Redis the connection fails fast (`enableOfflineQueue: false`, as BullMQ's
 * production guide advises): intake must answer even when Redis is down, the sweep catches up.
 */
export function openQueue(backend: QueueBackendConfig, name: string, opts: { prefix: string; log: Log }): BackendQueue {
  if (backend.kind === "redis") {
    const redis = new Redis(backend.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    redis.on("error", (err) => opts.log.debug("redis producer connection error", { error: err }));
    const queue = new Queue(name, { connection: redis, prefix: opts.prefix });
    queue.on("error", (err) => opts.log.warn("queue error", { queue: name, error: err }));
    return {
      add: (n, data, o) => queue.add(n, data, o),
      addBulk: (jobs) => queue.addBulk(jobs),
      upsertJobScheduler: (id, repeat, template) => queue.upsertJobScheduler(id, repeat, template),
      getJob: (id) => queue.getJob(id),
      // A Queue built on a client that is not ready waits for it; callers fail fast instead.
      isReady: () => redis.status === "ready",
      ping: () => redis.ping(),
      async close() {
        await queue.close().catch(() => {});
        redis.disconnect();
      },
      getJobCounts: (...states) => queue.getJobCounts(...states),
      bullQueue: queue,
    };
  }
  const { Queue: PgQueue } = withBackend(createPostgresBackend);
  const queue = new PgQueue(pgQueueName(opts.prefix, name), { connection: pgConnection(backend.url) });
  queue.on("error", (err) => opts.log.warn("queue error", { queue: name, error: err }));
  return {
    add: (n, data, o) => queue.add(n, data, o),
    addBulk: (jobs) => queue.addBulk(jobs),
    upsertJobScheduler: (id, repeat, template) => queue.upsertJobScheduler(id, repeat, template),
    getJob: (id) => queue.getJob(id),
    isReady: () => true,
    ping: () => queue.getJobCounts("wait"),
    close: () => queue.close().catch(() => {}),
    getJobCounts: (...states) => queue.getJobCounts(...states),
    bullQueue: queue,
  };
}

const workerOptions = (s: WorkerSettings) => ({
  concurrency: s.concurrency,
  lockDuration: s.lockDuration,
  stalledInterval: s.stalledInterval,
  ...(s.backoffStrategy ? { settings: { backoffStrategy: s.backoffStrategy } } : {}),
});

/**
 * Consumer side. The worker's Redis connection waits through outages (`maxRetriesPerRequest: null`,
 * which BullMQ requires for blocking connections).
 */
export function openWorker(
  backend: QueueBackendConfig,
  name: string,
  processor: (job: Job) => Promise<unknown>,
  opts: { prefix: string; log: Log } & WorkerSettings,
): BackendWorker {
  if (backend.kind === "redis") {
    const redis = new Redis(backend.url, { maxRetriesPerRequest: null });
    redis.on("error", (err) => opts.log.debug("redis worker connection error", { error: err }));
    const worker = new Worker(name, processor, { connection: redis, prefix: opts.prefix, ...workerOptions(opts) });
    worker.on("error", (err) => opts.log.warn("worker error", { queue: name, error: err }));
    worker.on("failed", opts.onFailed);
    return {
      async close() {
        // close() waits for the jobs in flight to finish.
        await worker.close();
        redis.disconnect();
      },
    };
  }
  const { Worker: PgWorker } = withBackend(createPostgresBackend);
  const worker = new PgWorker(pgQueueName(opts.prefix, name), processor, { connection: pgConnection(backend.url), ...workerOptions(opts) });
  worker.on("error", (err) => opts.log.warn("worker error", { queue: name, error: err }));
  worker.on("failed", opts.onFailed);
  return { close: () => worker.close() };
}
