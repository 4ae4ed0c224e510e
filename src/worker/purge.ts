import type { Job } from "bullmq";
import { purgeAll } from "../comments/retention.js";
import type { Db } from "../db/client.js";
import type { Log } from "../log.js";
import { openQueue, openWorker, type QueueBackendConfig } from "../queue/backend.js";
import { PURGE_QUEUE, PURGE_SCHEDULER_ID, purgeJobOptions, purgeWorkerOptions } from "../queue/purge-job.js";

/** Registering the scheduler is retried this often while the queue backend is unreachable. */
const REGISTER_RETRY_MS = 5_000;

/** Processor for retention-purge jobs: every site with a retention period, in small batches. */
export async function processPurge(deps: { db: Db; log: Log }) {
  const out = await purgeAll(deps.db);
  if (out.purged > 0) deps.log.info("retention purge", out);
  return out;
}

/**
 * The retention purge on the worker role: upserts the installation's one job scheduler (every
 * `intervalMs`) and consumes its jobs. Every worker process does both; BullMQ hands each period's
 * job to one of them.
 */
export function startPurgeWorker(backend: QueueBackendConfig, deps: { db: Db; log: Log }, opts: { prefix: string; intervalMs: number }) {
  const queue = openQueue(backend, PURGE_QUEUE, { prefix: opts.prefix, log: deps.log });
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const register = async () => {
    if (closed) return;
    try {
      await queue.upsertJobScheduler(PURGE_SCHEDULER_ID, { every: opts.intervalMs }, { name: PURGE_QUEUE, data: {}, opts: purgeJobOptions });
    } catch (err) {
      deps.log.warn("retention purge scheduler not registered yet; retrying", { error: err });
      timer = setTimeout(() => void register(), REGISTER_RETRY_MS);
      timer.unref();
    }
  };
  // On Redis the producer fails fast until its connection is ready: the first try may be early.
  const registered = register();
  const worker = openWorker(backend, PURGE_QUEUE, (_job: Job) => processPurge(deps), {
    prefix: opts.prefix,
    log: deps.log,
    ...purgeWorkerOptions,
    onFailed: (job, err) => deps.log.warn("retention purge failed", { jobId: job?.id, error: err }),
  });
  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      await registered;
      await worker.close();
      await queue.close();
    },
  };
}
