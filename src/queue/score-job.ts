/** The score-comment job: its name, payload, id and options. No connection code here (see backend.ts). */
import type { JobsOptions } from "bullmq";
import { z } from "zod";

export const SCORE_QUEUE = "score-comment";

/**
 * Payload of a score-comment job: the comment's id (the row in Postgres is the source of truth) and
 * the id of the request that queued it, so the job's log lines can be joined to that request's.
 */
export const scoreJobSchema = z.object({ commentId: z.uuid(), requestId: z.string().max(128).optional() });
export type ScoreJob = z.infer<typeof scoreJobSchema>;

/** BullMQ job ids must not be all digits nor contain `:`; one id per comment stops double work. */
export const scoreJobId = (commentId: string) => `comment-${commentId}`;

export const scoreJobOptions: JobsOptions = {
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

/** The jobs that score `commentIds`, one per comment, each with the request id that queued it, if any. */
export function scoreJobs(commentIds: readonly string[], requestIds?: ReadonlyMap<string, string>): { name: string; data: ScoreJob; opts: JobsOptions }[] {
  return commentIds.map((commentId) => {
    const requestId = requestIds?.get(commentId);
    return { name: SCORE_QUEUE, data: requestId ? { commentId, requestId } : { commentId }, opts: { ...scoreJobOptions, jobId: scoreJobId(commentId) } };
  });
}
