import { UnrecoverableError, type Job } from "bullmq";
import type { Scorer } from "../comments/scorer.js";
import { withLogContext, type Log } from "../log.js";
import { countVerdict, timeScoring } from "../observe/metrics.js";
import { openWorker, type BackendWorker, type QueueBackendConfig } from "../queue/backend.js";
import { SCORE_QUEUE, commentsOf, scoreJobSchema, workerLockOptions, type CommentRef, type ScoreJob } from "../queue/score-job.js";

type CommentOutcome = { outcome: "scored"; status: string } | { outcome: "settled" | "missing" };

/** Scores one comment of a job and counts and logs what came of it. */
async function scoreOne(deps: { scorer: Scorer; log: Log }, commentId: string): Promise<CommentOutcome> {
  const timed = timeScoring("worker");
  const out = await deps.scorer.scoreStored(commentId);
  if (out.outcome === "scored") {
    timed();
    countVerdict(out.scored.result.verdict, "worker", out.comment.siteId);
    deps.log.debug("comment scored", { commentId, status: out.comment.status, probability: out.scored.result.probability });
    return { outcome: out.outcome, status: out.comment.status };
  }
  if (out.outcome === "missing") deps.log.warn("score job for a missing comment", { commentId });
  return { outcome: out.outcome };
}

/**
 * Processor for `score-comment` jobs. Idempotent: the verdict write is guarded on `pending`. A
 * job's comments are scored at once, so they share the scorer's batched reads and writes. Every
 * comment runs to its end before the job fails with the first error: the retry then finds the
 * scored ones settled and redoes only the rest.
 */
export async function processScoreComment(deps: { scorer: Scorer; log: Log }, job: ScoreJob, jobId?: string): Promise<CommentOutcome[]> {
  const refs = commentsOf(job);
  const results = await Promise.allSettled(
    refs.map((ref: CommentRef) => withLogContext({ requestId: ref.requestId, jobId }, () => scoreOne(deps, ref.id))),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<CommentOutcome>).value);
}

/** The job's return value (kept by BullMQ while the job is): a lone comment's outcome, or a batch's tally. */
function jobResult(outcomes: CommentOutcome[]): CommentOutcome | Record<string, number> {
  const [only] = outcomes;
  if (only && outcomes.length === 1) return only;
  const tally: Record<string, number> = {};
  for (const o of outcomes) tally[o.outcome] = (tally[o.outcome] ?? 0) + 1;
  return tally;
}

/**
 * The score-comment Worker. A payload that fails validation can never succeed, so it is failed
 * at once with UnrecoverableError.
 */
export function startScoreCommentWorker(
  backend: QueueBackendConfig,
  deps: { scorer: Scorer; log: Log },
  opts: { prefix: string; concurrency: number },
): BackendWorker {
  const handler = async (job: Job) => {
    const parsed = scoreJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid score-comment payload: ${parsed.error.message}`);
    return jobResult(await processScoreComment(deps, parsed.data, job.id));
  };
  return openWorker(backend, SCORE_QUEUE, handler, {
    prefix: opts.prefix,
    log: deps.log,
    concurrency: opts.concurrency,
    ...workerLockOptions,
    onFailed: (job, err) => {
      const data = job?.data as Partial<{ requestId: string; comments: unknown[] }> | undefined;
      deps.log.warn("score job failed", { jobId: job?.id, attempt: job?.attemptsMade, requestId: data?.requestId, comments: data?.comments?.length ?? 1, error: err });
    },
  });
}
