/** The score-comment job: its name, payload, id and options. No connection code here (see backend.ts). */
import type { JobsOptions } from "bullmq";
import { z } from "zod";

export const SCORE_QUEUE = "score-comment";

/** A comment to score, with the id of the request that stored it (its log lines join that request's). */
const commentRefSchema = z.object({ id: z.uuid(), requestId: z.string().max(128).optional() });
export type CommentRef = z.infer<typeof commentRefSchema>;

/**
 * Most comments one job carries. BullMQ's own work per job (two Lua scripts, the lock, the job
 * object: ~0.2 ms of CPU) was most of a job's cost when every comment had its own (BENCHMARKS.md);
 * at 50 a comment pays ~1/50 of it, and 50 comments score in milliseconds, far inside the lock.
 */
export const MAX_JOB_COMMENTS = 50;

/**
 * Payload of a score-comment job: one comment (`commentId`, the shape the sweep, a replay and
 * every earlier version add), or the comments intake stored together in one batch (`comments`).
 * Either way only ids travel: the row in Postgres is the source of truth.
 */
export const scoreJobSchema = z.union([
  z.object({ commentId: z.uuid(), requestId: z.string().max(128).optional() }),
  z.object({ comments: z.array(commentRefSchema).min(1).max(MAX_JOB_COMMENTS) }),
]);
export type ScoreJob = z.infer<typeof scoreJobSchema>;

/** The comments a job scores, whichever shape it has. */
export function commentsOf(job: ScoreJob): CommentRef[] {
  return "commentId" in job ? [job.requestId ? { id: job.commentId, requestId: job.requestId } : { id: job.commentId }] : job.comments;
}

/**
 * BullMQ job ids must not be all digits nor contain `:`. One id per comment makes a re-add of a
 * comment whose job still exists a no-op (the sweep, a replayed externalId).
 */
export const scoreJobId = (commentId: string) => `comment-${commentId}`;

/**
 * A batch's job is named after its first comment and its size: a batch is formed once, by the
 * intake call that stored it, so the id only has to be unique, and it says what it holds.
 */
export const scoreBatchJobId = (commentIds: readonly string[]) => `comments-${commentIds[0] ?? "none"}-${commentIds.length}`;

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

type ScoreJobSpec = { name: string; data: ScoreJob; opts: JobsOptions };

/** The jobs that score `commentIds`, one per comment, each with the request id that queued it, if any. */
export function scoreJobs(commentIds: readonly string[], requestIds?: ReadonlyMap<string, string>): ScoreJobSpec[] {
  return commentIds.map((commentId) => {
    const requestId = requestIds?.get(commentId);
    return { name: SCORE_QUEUE, data: requestId ? { commentId, requestId } : { commentId }, opts: { ...scoreJobOptions, jobId: scoreJobId(commentId) } };
  });
}

/**
 * The jobs that score a batch intake stored together: one per MAX_JOB_COMMENTS comments. A lone
 * comment gets its per-comment job, so at low rates nothing changes. Grouped comments lose the
 * per-comment dedup of their job id; a second job for one of them (the sweep's, or a replay's)
 * only costs a read, since the verdict write is guarded on `pending`.
 */
export function scoreBatchJobs(commentIds: readonly string[], requestIds?: ReadonlyMap<string, string>): ScoreJobSpec[] {
  const unique = [...new Set(commentIds)];
  const jobs: ScoreJobSpec[] = [];
  for (let i = 0; i < unique.length; i += MAX_JOB_COMMENTS) {
    const ids = unique.slice(i, i + MAX_JOB_COMMENTS);
    if (ids.length === 1) {
      jobs.push(...scoreJobs(ids, requestIds));
      continue;
    }
    const comments = ids.map((id) => {
      const requestId = requestIds?.get(id);
      return requestId ? { id, requestId } : { id };
    });
    jobs.push({ name: SCORE_QUEUE, data: { comments }, opts: { ...scoreJobOptions, jobId: scoreBatchJobId(ids) } });
  }
  return jobs;
}
