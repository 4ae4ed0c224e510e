import { campaignOptionsOf } from "../comments/campaign-settings.js";
import { createScorer } from "../comments/scorer.js";
import type { Deps } from "../deps.js";
import { startScoreCommentWorker } from "./score-comment.js";
import { startSweep } from "./sweep.js";

/** The worker role: consume score-comment jobs and sweep up comments whose job went missing. */
export function startWorker(deps: Deps) {
  const log = deps.log.child({ role: "worker" });
  const scorer = createScorer({ db: deps.db, model: deps.model, log, campaigns: campaignOptionsOf(deps.config) });
  const worker = startScoreCommentWorker(deps.queueBackend, { scorer, log }, {
    prefix: deps.config.QUEUE_PREFIX,
    concurrency: deps.config.WORKER_CONCURRENCY,
  });
  const sweep = startSweep({ db: deps.db, scoreQueue: deps.scoreQueue, log }, {
    intervalMs: deps.config.SWEEP_INTERVAL_MS,
    olderThanMs: deps.config.SWEEP_MIN_AGE_MS,
    campaignWindowDays: deps.config.CAMPAIGN_WINDOW_DAYS,
  });
  return {
    /** Stops the sweep, then lets the jobs in flight finish and their verdicts land. */
    async close() {
      await sweep.close();
      await worker.close();
      await scorer.close();
    },
  };
}
