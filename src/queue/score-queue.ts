import { Queue, UnrecoverableError, Worker, createPostgresBackend, withBackend, type Job, type JobsOptions } from "bullmq";
import { Redis } from "ioredis";
import { z } from "zod";
import type { Log } from "../log.js";

export const SCORE_QUEUE = "score-comment";

/** Payload of a score-comment job: only the id; the row in Postgres is the source of truth. */
export const scoreJobSchema = z.object({ commentId: z.uuid() });
export type ScoreJob = z.infer<typeof scoreJobSchema>;

/** BullMQ job ids must not be all digits nor contain `:`; one id per comment stops double work. */
export const scoreJobId = (commentId: string) => `comment-${commentId}`;

export type QueueBackendConfig = { kind: "redis"; url: string } | { kind: "postgres"; url: string };

/** The enqueue did not happen (backend down or slow); the comment stays `pending` for the sweep. */
export class QueueUnavailableError extends Error {}

const jobOptions: JobsOptions = {
  // Scoring fails only when Postgres is unreachable; 5 tries with backoff 1 s, 2 s, 4 s, 8 s ride
  // out a ~15 s outage, and the sweep re-enqueues anything still pending after that.
  attempts: 5,
  backoff: { type: "exponential", delay: 1000 },
  // Finished jobs carry no information the comments table lacks.
  removeOnComplete: true,
  // A job that failed for good is kept, so an operator can see that and why (BullMQ's failed list),
  // bounded in count and age (seconds) so a long outage cannot fill Redis. The sweep retries a
  // kept failed job of a comment still pending (retryFailed), since re-adding its id is a no-op.
  removeOnFail: { count: 1000, age: 7 * 24 * 3600 },
};

/**
 * A SIGKILLed worker's active jobs come back only through BullMQ's stalled check, once their lock
 * has expired: with the defaults (30 s lock, 30 s check) that took ~64 s. A 5 s lock, renewed every
 * 2.5 s, and a check every 4 s bring them back within lock + 2 checks = 13 s. Scoring takes
 * milliseconds, so only an event loop blocked past 5 s would make a live job look stalled; it
 * would then run twice, which the guarded verdict write already tolerates (at-least-once).
 */
export const workerLockOptions = { lockDuration: 5_000, stalledInterval: 4_000 } as const;

interface MinimalQueue {
  add(name: string, data: ScoreJob, opts?: JobsOptions): Promise<unknown>;
  addBulk(jobs: { name: string; data: ScoreJob; opts?: JobsOptions }[]): Promise<unknown>;
  getJob(id: string): Promise<{ isFailed(): Promise<boolean>; retry(state?: "failed"): Promise<void> } | undefined>;
  close(): Promise<void>;
}

async function retryFailedJobs(queue: MinimalQueue, ids: string[]): Promise<number> {
  let retried = 0;
  for (const id of ids) {
    const job = await queue.getJob(scoreJobId(id));
    if (job && (await job.isFailed())) {
      await job.retry("failed");
      retried++;
    }
  }
  return retried;
}

export interface ScoreQueue {
  kind: QueueBackendConfig["kind"];
  /** Adds one job per comment; throws QueueUnavailableError instead of waiting on a dead backend. */
  enqueue(commentIds: string[]): Promise<void>;
  /** Moves the kept failed jobs of these comments back to waiting; resolves to how many. */
  retryFailed(commentIds: string[]): Promise<number>;
  /** Resolves when the backend answers (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** One job is one script call; addBulk wraps even a single job in MULTI/EXEC. */
function addJobs(queue: MinimalQueue, ids: string[]): Promise<unknown> {
  const jobs = ids.map((commentId) => ({ name: SCORE_QUEUE, data: { commentId }, opts: { ...jobOptions, jobId: scoreJobId(commentId) } }));
  const [only] = jobs;
  return jobs.length === 1 && only ? queue.add(only.name, only.data, only.opts) : queue.addBulk(jobs);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new QueueUnavailableError(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** The queue name carries the prefix on the Postgres backend, which ignores BullMQ's `prefix`. */
const pgQueueName = (prefix: string) => `${prefix}-${SCORE_QUEUE}`;

/**
 * BullMQ keeps its Postgres tables in schema `bullmq` and creates them on first connect when asked
 * (under its own advisory lock, so several processes may start at once).
 */
const pgConnection = (url: string) => ({ connectionString: url, migrate: true, max: 5 });

/**
 * Producer side. On Redis the connection fails fast (`enableOfflineQueue: false`, as BullMQ's
 * production guide advises): intake must answer even when Redis is down, the sweep catches up.
 */
export function createScoreQueue(
  backend: QueueBackendConfig,
  opts: { prefix: string; enqueueTimeoutMs: number; log: Log },
): ScoreQueue {
  if (backend.kind === "redis") {
    const redis = new Redis(backend.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    redis.on("error", (err) => opts.log.debug("redis producer connection error", { error: err }));
    const queue = new Queue<ScoreJob>(SCORE_QUEUE, { connection: redis, prefix: opts.prefix });
    queue.on("error", (err) => opts.log.warn("score queue error", { error: err }));
    return {
      kind: "redis",
      async enqueue(ids) {
        // A Queue built on a client that is not ready waits for it; fail now instead.
        if (redis.status !== "ready") throw new QueueUnavailableError(`redis is ${redis.status}`);
        try {
          await withTimeout(addJobs(queue as MinimalQueue, ids), opts.enqueueTimeoutMs, "enqueue");
        } catch (err) {
          if (err instanceof QueueUnavailableError) throw err;
          throw new QueueUnavailableError((err as Error).message, { cause: err });
        }
      },
      retryFailed: (ids) => retryFailedJobs(queue, ids),
      async ping() {
        await withTimeout(redis.ping(), 1000, "redis ping");
      },
      async close() {
        await queue.close().catch(() => {});
        redis.disconnect();
      },
    };
  }
  const { Queue: PgQueue } = withBackend(createPostgresBackend);
  const queue = new PgQueue<ScoreJob>(pgQueueName(opts.prefix), { connection: pgConnection(backend.url) });
  queue.on("error", (err) => opts.log.warn("score queue error", { error: err }));
  return {
    kind: "postgres",
    async enqueue(ids) {
      try {
        await withTimeout(addJobs(queue as unknown as MinimalQueue, ids), opts.enqueueTimeoutMs, "enqueue");
      } catch (err) {
        if (err instanceof QueueUnavailableError) throw err;
        throw new QueueUnavailableError((err as Error).message, { cause: err });
      }
    },
    retryFailed: (ids) => retryFailedJobs(queue, ids),
    async ping() {
      await withTimeout(queue.getJobCounts("wait"), 1000, "queue ping");
    },
    async close() {
      await queue.close().catch(() => {});
    },
  };
}

export interface ScoreWorker {
  close(): Promise<void>;
}

/**
 * Consumer side. The worker's Redis connection waits through outages (`maxRetriesPerRequest: null`,
 * which BullMQ requires for blocking connections). A payload that fails validation can never
 * succeed, so it is failed at once with UnrecoverableError.
 */
export function startScoreWorker(
  backend: QueueBackendConfig,
  processJob: (job: ScoreJob) => Promise<unknown>,
  opts: { prefix: string; concurrency: number; log: Log },
): ScoreWorker {
  const handler = async (job: Job) => {
    const parsed = scoreJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid score-comment payload: ${parsed.error.message}`);
    return processJob(parsed.data);
  };
  const onFailed = (job: Job | undefined, err: Error) =>
    opts.log.warn("score job failed", { jobId: job?.id, attempt: job?.attemptsMade, error: err });
  if (backend.kind === "redis") {
    const redis = new Redis(backend.url, { maxRetriesPerRequest: null });
    redis.on("error", (err) => opts.log.debug("redis worker connection error", { error: err }));
    const worker = new Worker(SCORE_QUEUE, handler, { connection: redis, prefix: opts.prefix, concurrency: opts.concurrency, ...workerLockOptions });
    worker.on("error", (err) => opts.log.warn("score worker error", { error: err }));
    worker.on("failed", onFailed);
    return {
      async close() {
        // close() waits for the jobs in flight to finish.
        await worker.close();
        redis.disconnect();
      },
    };
  }
  const { Worker: PgWorker } = withBackend(createPostgresBackend);
  const worker = new PgWorker(pgQueueName(opts.prefix), handler, { connection: pgConnection(backend.url), concurrency: opts.concurrency, ...workerLockOptions });
  worker.on("error", (err) => opts.log.warn("score worker error", { error: err }));
  worker.on("failed", onFailed);
  return { close: () => worker.close() };
}
