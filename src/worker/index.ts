import type { Deps } from "../deps.js";
import { startScoreWorker } from "../queue/score-queue.js";
import { processScoreComment } from "./score-comment.js";
import { startSweep } from "./sweep.js";

/** The worker role: consume score-comment jobs and sweep up comments whose job went missing. */
export function startWorker(deps: Deps) {
  const log = deps.log.child({ role: "worker" });
  const worker = startScoreWorker(deps.queueBackend, (job) => processScoreComment({ db: deps.db, log, config: deps.config }, job), {
    prefix: deps.config.QUEUE_PREFIX,
    concurrency: deps.config.WORKER_CONCURRENCY,
    log,
  });
  const sweep = startSweep({ db: deps.db, scoreQueue: deps.scoreQueue, log }, {
    intervalMs: deps.config.SWEEP_INTERVAL_MS,
    olderThanMs: deps.config.SWEEP_MIN_AGE_MS,
  });
  return {
    /** Stops the sweep, then lets the jobs in flight finish. */
    async close() {
      await sweep.close();
      await worker.close();
    },
  };
}
