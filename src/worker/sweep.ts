import { purgeOldFingerprints } from "../comments/campaigns.js";
import { enqueueScoring } from "../comments/intake.js";
import { findStalePending } from "../db/queries/comments.js";
import { pruneModelChanges } from "../db/queries/model-changes.js";
import type { Deps } from "../deps.js";
import { countSweepReenqueued } from "../observe/metrics.js";

/**
 * Model changes older than this are pruned. A follower further behind reloads (it notices the gap),
 * so this only bounds the table: an hour is thousands of times the 0.5 s poll.
 */
const MODEL_CHANGES_RETENTION_MS = 3_600_000;

/** Comments re-enqueued per sweep round; a backlog drains over several rounds. */
const SWEEP_BATCH = 500;

/**
 * Re-enqueues comments still `pending` after `olderThanMs`: their job was lost (Redis restarted
 * without AOF) or never added (Redis was down at intake). The job id makes a re-add of a job that
 * still exists a no-op. Returns how many were re-enqueued (0 when the queue is still down).
 */
export async function sweepPending(
  deps: Pick<Deps, "db" | "scoreQueue" | "log">,
  opts: { olderThanMs: number; siteId?: string },
): Promise<number> {
  const ids = await findStalePending(deps.db, { olderThanMs: opts.olderThanMs, limit: SWEEP_BATCH, siteId: opts.siteId });
  if (ids.length === 0) return 0;
  const ok = await enqueueScoring(deps, ids);
  // A job that failed for good is kept (removeOnFail) and blocks a re-add of its id: retry it.
  if (ok) await deps.scoreQueue.retryFailed(ids);
  if (ok) deps.log.info("sweep re-enqueued pending comments", { count: ids.length });
  if (ok) countSweepReenqueued(ids.length);
  return ok ? ids.length : 0;
}

/**
 * Runs the sweep every `intervalMs`, never two rounds at once. With `campaignWindowDays`, each
 * round also purges a batch of fingerprints older than the campaign window (issue 12).
 */
export function startSweep(deps: Pick<Deps, "db" | "scoreQueue" | "log">, opts: { intervalMs: number; olderThanMs: number; campaignWindowDays?: number }) {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    const windowDays = opts.campaignWindowDays;
    running = Promise.all([
      sweepPending(deps, opts),
      pruneModelChanges(deps.db, MODEL_CHANGES_RETENTION_MS),
      windowDays === undefined ? 0 : purgeOldFingerprints(deps.db, windowDays),
    ])
      .catch((err: unknown) => deps.log.warn("sweep failed", { error: err }))
      .finally(() => (running = undefined));
  }, opts.intervalMs);
  timer.unref();
  return {
    async close() {
      clearInterval(timer);
      await running;
    },
  };
}
