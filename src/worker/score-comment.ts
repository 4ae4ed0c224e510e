import { UnrecoverableError, type Job } from "bullmq";
import type { Scorer } from "../comments/scorer.js";
import { withLogContext, type Log } from "../log.js";
import { countVerdict, timeScoring } from "../observe/metrics.js";
import { openWorker, type BackendWorker, type QueueBackendConfig } from "../queue/backend.js";
import { SCORE_QUEUE, scoreJobSchema, workerLockOptions, type ScoreJob } from "../queue/score-job.js";

/** Processor for `score-comment` jobs. Idempotent: the verdict write is guarded on `pending`. */
export async function processScoreComment(deps: { scorer: Scorer; log: Log }, job: ScoreJob) {
  const timed = timeScoring("worker");
  const out = await deps.scorer.scoreStored(job.commentId);
  if (out.outcome === "scored") {
    timed();
    countVerdict(out.scored.result.verdict, "worker", out.comment.siteId);
    deps.log.debug("comment scored", {
      commentId: job.commentId,
      status: out.comment.status,
      probability: out.scored.result.probability,
    });
    return { outcome: out.outcome, status: out.comment.status };
  }
  if (out.outcome === "missing") deps.log.warn("score job for a missing comment", { commentId: job.commentId });
  return { outcome: out.outcome };
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
    return withLogContext({ requestId: parsed.data.requestId, jobId: job.id }, () => processScoreComment(deps, parsed.data));
  };
  return openWorker(backend, SCORE_QUEUE, handler, {
    prefix: opts.prefix,
    log: deps.log,
    concurrency: opts.concurrency,
    ...workerLockOptions,
    onFailed: (job, err) =>
      deps.log.warn("score job failed", { jobId: job?.id, attempt: job?.attemptsMade, requestId: (job?.data as Partial<ScoreJob> | undefined)?.requestId, error: err }),
  });
}
