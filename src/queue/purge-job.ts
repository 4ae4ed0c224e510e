/** The retention purge: a repeating job (BullMQ job scheduler), its name, id and options. */
import type { JobsOptions } from "bullmq";

export const PURGE_QUEUE = "retention-purge";

/** One scheduler for the installation: every worker upserts the same id, so there is one job per period. */
export const PURGE_SCHEDULER_ID = "retention-purge";

export const purgeJobOptions: JobsOptions = {
  // A failed purge is simply the next period's work: the rows are still there.
  attempts: 1,
  // The last few runs stay visible (what they purged is the job's return value).
  removeOnComplete: { count: 20 },
  removeOnFail: { count: 100, age: 7 * 24 * 3600 },
};

/**
 * A purge may run for minutes on a backlog; BullMQ renews the lock every half lockDuration while
 * the event loop is free (the purge awaits Postgres between batches). Should it run twice all the
 * same, the batches lock with SKIP LOCKED and the two share the work.
 */
export const purgeWorkerOptions = { concurrency: 1, lockDuration: 60_000, stalledInterval: 30_000 } as const;
