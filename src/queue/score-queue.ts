/** The producer of score-comment jobs, on whichever backend the deps chose. */
import type { Log } from "../log.js";
import { openQueue, type BackendQueue, type QueueBackendConfig } from "./backend.js";
import { SCORE_QUEUE, scoreBatchJobs, scoreJobId, scoreJobs } from "./score-job.js";

export { SCORE_QUEUE, commentsOf, scoreJobId, scoreJobSchema, workerLockOptions, type ScoreJob } from "./score-job.js";
export type { QueueBackendConfig } from "./backend.js";

/** The enqueue did not happen (backend down or slow); the comment stays `pending` for the sweep. */
export class QueueUnavailableError extends Error {}

export interface ScoreQueue {
  kind: QueueBackendConfig["kind"];
  /**
   * Adds one job per comment, or with `together` one job per MAX_JOB_COMMENTS of them (comments
   * stored in one intake batch); throws QueueUnavailableError instead of waiting on a dead backend.
   */
  enqueue(commentIds: string[], requestIds?: ReadonlyMap<string, string>, opts?: { together?: boolean }): Promise<void>;
  /** Moves the kept failed jobs of these comments back to waiting; resolves to how many. */
  retryFailed(commentIds: string[]): Promise<number>;
  /** Resolves when the backend answers (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** The backend queue (metrics read its job counts; the dashboard its Redis Queue). */
  queue: BackendQueue;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new QueueUnavailableError(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export function createScoreQueue(backend: QueueBackendConfig, opts: { prefix: string; enqueueTimeoutMs: number; log: Log }): ScoreQueue {
  const queue = openQueue(backend, SCORE_QUEUE, opts);
  return {
    kind: backend.kind,
    async enqueue(ids, requestIds, enqueueOpts) {
      if (!queue.isReady()) throw new QueueUnavailableError("queue connection is not ready");
      const jobs = enqueueOpts?.together ? scoreBatchJobs(ids, requestIds) : scoreJobs(ids, requestIds);
      const [only] = jobs;
      try {
        // One job is one script call; addBulk wraps even a single job in MULTI/EXEC.
        const adding = jobs.length === 1 && only ? queue.add(only.name, only.data, only.opts) : queue.addBulk(jobs);
        await withTimeout(adding, opts.enqueueTimeoutMs, "enqueue");
      } catch (err) {
        if (err instanceof QueueUnavailableError) throw err;
        throw new QueueUnavailableError((err as Error).message, { cause: err });
      }
    },
    async retryFailed(ids) {
      let retried = 0;
      for (const id of ids) {
        const job = await queue.getJob(scoreJobId(id));
        if (job && (await job.isFailed())) {
          await job.retry("failed");
          retried++;
        }
      }
      return retried;
    },
    async ping() {
      await withTimeout(queue.ping(), 1000, "queue ping");
    },
    close: () => queue.close(),
    queue,
  };
}
