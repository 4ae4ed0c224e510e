/**
 * comment.scored: the worker's verdict batches, once committed, become outbox rows and jobs. Off the
 * scoring path: `onVerdicts` returns at once, and a batch of a process where no site subscribes
 * costs nothing but a look at a cached set.
 */
import type { Db } from "../db/client.js";
import { insertScoredDeliveries, sitesSubscribedTo, type QueuedDelivery } from "../db/queries/webhooks.js";
import type { Log } from "../log.js";

export interface ScoredEmitter {
  /** Called with the comments of a verdict batch after its commit; never throws, never waits. */
  onVerdicts(commentIds: readonly string[]): void;
  /** Waits for the batches in flight (their rows written, their jobs added). */
  close(): Promise<void>;
}

/** Comments per outbox statement (a few of the scorer's 256-row batches). */
const MAX_IDS_PER_WRITE = 1024;

/** A failed outbox write is tried again this many times, 1 s apart: it is a ms-long single statement. */
const WRITE_TRIES = 3;

export function createScoredEmitter(
  deps: { db: Db; log: Log; enqueue: (jobs: QueuedDelivery[]) => Promise<void> },
  opts: { cacheMs: number },
): ScoredEmitter {
  let subscribed: { sites: Set<string>; at: number } | undefined;
  let loading: Promise<Set<string>> | undefined;

  /** Whether any site has an enabled comment.scored endpoint, as of at most `cacheMs` ago. */
  const anySubscribed = async () => {
    if (subscribed && Date.now() - subscribed.at < opts.cacheMs) return subscribed.sites.size > 0;
    loading ??= sitesSubscribedTo(deps.db, "comment.scored").finally(() => (loading = undefined));
    const sites = await loading;
    subscribed = { sites, at: Date.now() };
    return sites.size > 0;
  };

  const emit = async (ids: readonly string[]) => {
    if (!(await anySubscribed())) return;
    let rows: QueuedDelivery[] | undefined;
    for (let tryNo = 1; rows === undefined; tryNo++) {
      try {
        rows = await insertScoredDeliveries(deps.db, ids);
      } catch (err) {
        if (tryNo >= WRITE_TRIES) throw err;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    // Queued now; if this fails the rows are pending and the sweep queues them.
    await deps.enqueue(rows).catch((err: unknown) => deps.log.warn("webhook enqueue failed; the sweep will queue the deliveries", { count: rows.length, error: err }));
  };

  // One write at a time per process: batches that commit while it runs wait and go together in the
  // next statement, so a burst of verdicts holds one pool connection, not one per batch.
  let waiting: string[] = [];
  let running: Promise<void> | undefined;
  const pump = async () => {
    while (waiting.length > 0) {
      const ids = waiting.slice(0, MAX_IDS_PER_WRITE);
      waiting = waiting.slice(MAX_IDS_PER_WRITE);
      await emit(ids).catch((err: unknown) =>
        // The verdicts stand; only their comment.scored events are lost (see README "Webhooks").
        deps.log.error("comment.scored webhooks not written", { count: ids.length, error: err }),
      );
    }
    running = undefined;
  };

  return {
    onVerdicts(ids) {
      if (ids.length === 0) return;
      waiting.push(...ids);
      running ??= pump();
    },
    async close() {
      await running;
    },
  };
}
