import { campaignOptionsOf } from "../comments/campaign-settings.js";
import { createScorer } from "../comments/scorer.js";
import type { Deps } from "../deps.js";
import { startPurgeWorker } from "./purge.js";
import { createWebhookQueue } from "../queue/webhook-queue.js";
import { createScoredEmitter } from "../webhooks/emit.js";
import { startDeliverWebhookWorker, type DeliveryOutcomeHook } from "./deliver-webhook.js";
import { startScoreCommentWorker } from "./score-comment.js";
import { startSweep } from "./sweep.js";
import { startWebhookDispatch } from "./webhook-dispatch.js";
import { countWebhookDelivery } from "../observe/metrics.js";
import type { WebhookAttemptOutcome } from "../db/schema.js";

/** The attempts table's outcome names, as the deliveries metric (and deploy/'s alerts) name them. */
const METRIC_OUTCOME = {
  delivered: "delivered",
  retrying: "retrying",
  gave_up: "failed",
  endpoint_disabled: "disabled",
  refused: "blocked",
} as const satisfies Record<WebhookAttemptOutcome, Parameters<typeof countWebhookDelivery>[0]>;

const countDelivery: DeliveryOutcomeHook = (outcome) => countWebhookDelivery(METRIC_OUTCOME[outcome]);

export interface WorkerHooks {
  /** Each recorded webhook attempt's outcome (for the deliveries-by-outcome metric). */
  onDeliveryOutcome?: DeliveryOutcomeHook;
}

/**
 * The worker role: consume score-comment jobs and sweep up comments whose job went missing; deliver
 * webhooks (queued by the verdicts here, by decisions anywhere, and by the webhook sweep); purge by
 * retention.
 */
export function startWorker(deps: Deps, hooks: WorkerHooks = { onDeliveryOutcome: countDelivery }) {
  const log = deps.log.child({ role: "worker" });
  const retry = { delayMs: deps.config.WEBHOOK_RETRY_DELAY_MS, attempts: deps.config.WEBHOOK_MAX_ATTEMPTS };
  const webhookQueue = createWebhookQueue(deps.queueBackend, { prefix: deps.config.QUEUE_PREFIX, log, retry });
  const scoredWebhooks = createScoredEmitter({ db: deps.db, log, enqueue: (jobs) => webhookQueue.enqueue(jobs) }, { cacheMs: deps.config.KEY_CACHE_TTL_MS });
  const scorer = createScorer({ db: deps.db, model: deps.model, log, campaigns: campaignOptionsOf(deps.config), onVerdicts: (ids) => scoredWebhooks.onVerdicts(ids) });
  const worker = startScoreCommentWorker(deps.queueBackend, { scorer, log }, {
    prefix: deps.config.QUEUE_PREFIX,
    concurrency: deps.config.WORKER_CONCURRENCY,
  });
  const sweep = startSweep({ db: deps.db, scoreQueue: deps.scoreQueue, log }, {
    intervalMs: deps.config.SWEEP_INTERVAL_MS,
    olderThanMs: deps.config.SWEEP_MIN_AGE_MS,
    campaignWindowDays: deps.config.CAMPAIGN_WINDOW_DAYS,
  });
  const deliveries = startDeliverWebhookWorker(
    deps.queueBackend,
    {
      db: deps.db,
      log,
      timeoutMs: deps.config.WEBHOOK_TIMEOUT_MS,
      allowPrivate: deps.config.WEBHOOKS_ALLOW_PRIVATE,
      retry,
      ...(hooks.onDeliveryOutcome ? { onDeliveryOutcome: hooks.onDeliveryOutcome } : {}),
    },
    { prefix: deps.config.QUEUE_PREFIX, concurrency: deps.config.WEBHOOK_CONCURRENCY },
  );
  const dispatch = startWebhookDispatch({ db: deps.db, log, listener: deps.listener, queue: webhookQueue }, {
    intervalMs: deps.config.SWEEP_INTERVAL_MS,
    olderThanMs: deps.config.SWEEP_MIN_AGE_MS,
  });
  const purge = startPurgeWorker(deps.queueBackend, { db: deps.db, log }, {
    prefix: deps.config.QUEUE_PREFIX,
    intervalMs: deps.config.RETENTION_PURGE_INTERVAL_MS,
  });
  return {
    /**
     * Stops the sweeps, lets the scoring jobs in flight finish and their verdicts land (and their
     * comment.scored rows be written and queued), then lets the deliveries in flight finish.
     */
    async close() {
      await sweep.close();
      await purge.close();
      await worker.close();
      await scorer.close();
      await scoredWebhooks.close();
      await dispatch.close();
      await deliveries.close();
      await webhookQueue.close();
    },
  };
}
