/** The score-comment job: its name, payload, id and options. No connection code here (see backend.ts). */
import type { JobsOptions } from "bullmq";
import { z } from "zod";

export const SCORE_QUEUE = "score-comment";

/** Payload of a score-comment job: only the id; the row in Postgres is the source of truth. */
export const scoreJobSchema = z.object({ commentId: z.uuid() });
export type ScoreJob = z.infer<typeof scoreJobSchema>;

/** BullMQ job ids must not be all digits nor contain `:`; one id per comment stops double work. */
export const scoreJobId = (commentId: string) => `comment-${commentId}`;

export const scoreJobOptions: JobsOptions = {
  // Scoring fails only when Postgres is unreachable; 5 tries with backoff 1 s, 2 s, 4 s, 8 s ride
  // out a ~15 s outage, and the sweep re-enqueues anything still pending after that.
  attempts: 5,
  backoff: { type: "exponential", delay: 1000 },
  // Finished jobs carry no information the comments table lacks; removing them also lets the sweep
  // re-add a comment whose job failed for good.
  removeOnComplete: true,
  removeOnFail: true,
};

/** The jobs that score `commentIds`, one per comment. */
export function scoreJobs(commentIds: readonly string[]): { name: string; data: ScoreJob; opts: JobsOptions }[] {
  return commentIds.map((commentId) => ({ name: SCORE_QUEUE, data: { commentId }, opts: { ...scoreJobOptions, jobId: scoreJobId(commentId) } }));
}
