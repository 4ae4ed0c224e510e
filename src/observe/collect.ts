/**
 * State metrics of one `Deps`, read when Prometheus scrapes (never on a timer): queue depth, the
 * Postgres pool, the model's size and how far its change-feed follower is behind. Each source that
 * costs a round trip is cached briefly, so several scrapers (or a scrape retried) cost one read.
 */
import type { JobType } from "bullmq";
import { Gauge, Registry } from "prom-client";
import type { Db, PoolUse } from "../db/client.js";
import { changeFeedPosition, modelSize } from "../db/queries/observe.js";
import type { LiveModel } from "../comments/live-model.js";
import type { ScoreQueue } from "../queue/score-queue.js";
import { SCORE_QUEUE } from "../queue/score-job.js";

/** Queue counts: one round trip per scrape interval at most (Prometheus scrapes every 15–60 s). */
const QUEUE_CACHE_MS = 2_000;
/** Lag is read with one index probe; fresh enough to see a follower stuck for a few seconds. */
const LAG_CACHE_MS = 2_000;
/** The token count walks the global scope's index range (a million rows on a big model): rarely. */
const SIZE_CACHE_MS = 30_000;

const QUEUE_STATES = ["waiting", "active", "delayed", "prioritized", "failed", "waiting-children"] as const satisfies readonly JobType[];

/**
 * A scrape never waits on a dependency that is down: past this, a source counts as unreachable.
 * Prometheus's own scrape timeout defaults to 10 s.
 */
const SOURCE_TIMEOUT_MS = 1_000;

function bounded<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${SOURCE_TIMEOUT_MS} ms`)), SOURCE_TIMEOUT_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** `fn`'s result, reused for `ms` (a failure is not cached: the next scrape tries again). */
function cached<T>(fn: () => Promise<T>, ms: number): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    if (last && performance.now() - last.at < ms) return last.value;
    const value = fn();
    const entry = { at: performance.now(), value };
    last = entry;
    value.catch(() => {
      if (last === entry) last = undefined;
    });
    return value;
  };
}

export interface StateSources {
  db: Db;
  pool: PoolUse;
  scoreQueue: ScoreQueue;
  model: LiveModel;
}

export function createStateMetrics(src: StateSources): Registry {
  const registry = new Registry();

  // A Redis Queue whose connection is not ready waits for it: ask only a ready one.
  const queueCounts = cached(
    () =>
      src.scoreQueue.queue.isReady()
        ? bounded(src.scoreQueue.queue.getJobCounts(...QUEUE_STATES), "queue counts")
        : Promise.reject(new Error("queue connection is not ready")),
    QUEUE_CACHE_MS,
  );
  new Gauge({
    name: "commentinel_queue_up",
    help: "1 when the queue backend answered the job counts, else 0.",
    labelNames: ["backend"] as const,
    registers: [registry],
    async collect() {
      const ok = await queueCounts().then(() => 1, () => 0);
      this.set({ backend: src.scoreQueue.kind }, ok);
    },
  });
  new Gauge({
    name: "commentinel_queue_jobs",
    help: "Jobs in the queue by state (BullMQ getJobCounts, cached 2 s).",
    labelNames: ["queue", "state"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      try {
        const counts = await queueCounts();
        for (const state of QUEUE_STATES) this.set({ queue: SCORE_QUEUE, state }, counts[state] ?? 0);
      } catch {
        // Reported by commentinel_queue_up; no depth is better than a stale one.
      }
    },
  });

  new Gauge({ name: "commentinel_db_pool_max", help: "Postgres connections this process may open (DATABASE_POOL_MAX).", registers: [registry] }).set(src.pool.max);
  new Gauge({
    name: "commentinel_db_pool_in_use",
    help: "Postgres connections busy with a query or a transaction (queries in flight, at most the pool size).",
    registers: [registry],
    collect() {
      this.set(Math.min(src.pool.inFlight(), src.pool.max));
    },
  });
  new Gauge({
    name: "commentinel_db_pool_waiting",
    help: "Queries in flight beyond the pool size: queued in postgres.js or pipelined behind another query.",
    registers: [registry],
    collect() {
      this.set(Math.max(0, src.pool.inFlight() - src.pool.max));
    },
  });

  const size = cached(() => bounded(modelSize(src.db), "model size"), SIZE_CACHE_MS);
  new Gauge({
    name: "commentinel_model_learned",
    help: "Comments the model has learned, by label (the global scope's totals).",
    labelNames: ["label"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const s = await size().catch(() => undefined);
      if (!s) return;
      this.set({ label: "spam" }, s.spam);
      this.set({ label: "ham" }, s.ham);
    },
  });
  new Gauge({
    name: "commentinel_model_tokens",
    help: "Distinct tokens the model holds counts for (global scope rows, cached 30 s).",
    registers: [registry],
    async collect() {
      this.reset();
      const s = await size().catch(() => undefined);
      if (s) this.set(s.tokens);
    },
  });

  const position = cached(() => {
    const applied = src.model.appliedId;
    return bounded(changeFeedPosition(src.db, applied), "change feed position").then((p) => ({ ...p, applied }));
  }, LAG_CACHE_MS);
  new Gauge({
    name: "commentinel_model_change_lag",
    help: "Model changes (decisions learned) committed but not yet applied by this process's model.",
    registers: [registry],
    async collect() {
      this.reset();
      const p = await position().catch(() => undefined);
      if (p) this.set(Math.max(0, p.newest - p.applied));
    },
  });
  new Gauge({
    name: "commentinel_model_change_lag_seconds",
    help: "Age of the oldest model change this process has not applied yet (0 when caught up).",
    registers: [registry],
    async collect() {
      this.reset();
      const p = await position().catch(() => undefined);
      if (p) this.set(p.oldestUnappliedAgeS ?? 0);
    },
  });
  new Gauge({
    name: "commentinel_model_applied_change_id",
    help: "The newest model change this process has applied.",
    registers: [registry],
    collect() {
      this.set(src.model.appliedId);
    },
  });

  return registry;
}
