import { campaignOptionsOf } from "../comments/campaign-settings.js";
import { scoreStoredComment } from "../comments/scoring.js";
import type { Deps } from "../deps.js";
import type { ScoreJob } from "../queue/score-queue.js";

/** Processor for `score-comment` jobs. Idempotent: the verdict write is guarded on `pending`. */
export async function processScoreComment(deps: Pick<Deps, "db" | "log" | "config">, job: ScoreJob) {
  const out = await scoreStoredComment(deps.db, job.commentId, { campaigns: campaignOptionsOf(deps.config) });
  if (out.outcome === "scored") {
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
