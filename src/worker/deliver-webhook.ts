import { UnrecoverableError, type Job } from "bullmq";
import type { Db } from "../db/client.js";
import { findDeliveryWithEndpoint, recordAttempt, skipDelivery } from "../db/queries/webhooks.js";
import type { WebhookAttemptOutcome } from "../db/schema.js";
import type { Log } from "../log.js";
import { openWorker, type BackendWorker, type QueueBackendConfig } from "../queue/backend.js";
import { WEBHOOK_QUEUE, backoffDelay, parseRetryAfter, retryDelay, webhookJobSchema, type RetrySchedule } from "../queue/webhook-job.js";
import { sendWebhook, type SendResult } from "../webhooks/send.js";
import { activeSecrets, signatureHeaders } from "../webhooks/sign.js";

/**
 * Called once per recorded attempt with its outcome (a bounded set): the hook for the
 * `webhook deliveries by outcome` metric.
 */
export type DeliveryOutcomeHook = (outcome: WebhookAttemptOutcome) => void;

export interface DeliverDeps {
  db: Db;
  log: Log;
  timeoutMs: number;
  allowPrivate: boolean;
  retry: RetrySchedule;
  onDeliveryOutcome?: DeliveryOutcomeHook;
}

/** A failed attempt BullMQ should try again, after `delayMs` (the worker's backoff strategy reads it). */
export class RetryableDeliveryError extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

/**
 * How long the receiver asked us to wait, in ms: Retry-After on a 429 (RFC 6585) or a 503
 * (RFC 9110 §15.6.4), the two answers that mean "later". Undefined otherwise or when malformed.
 */
export function retryAfterOf(result: SendResult, now: number): number | undefined {
  if (result.kind !== "response" || (result.statusCode !== 429 && result.statusCode !== 503)) return undefined;
  return parseRetryAfter(result.retryAfter, now);
}

/**
 * What an answer means for the delivery. 2xx delivered. 410 Gone: the receiver asks us to stop, so
 * the endpoint is switched off. Any other 4xx but 408 (timeout) and 429 (slow down) will not change
 * on a retry (bad URL, auth, a payload it refuses): give up. A refused address gives up too. All
 * else (3xx, since redirects are not followed; 408, 429, 5xx, no answer) retries while attempts last.
 */
export function outcomeOf(result: SendResult, lastAttempt: boolean): WebhookAttemptOutcome {
  if (result.kind === "refused") return "refused";
  if (result.kind === "response") {
    const s = result.statusCode;
    if (s >= 200 && s < 300) return "delivered";
    if (s === 410) return "endpoint_disabled";
    if (s >= 400 && s < 500 && s !== 408 && s !== 429) return "gave_up";
  }
  return lastAttempt ? "gave_up" : "retrying";
}

function describe(result: SendResult, retryAfterMs?: number): string {
  if (result.kind !== "response") return result.error;
  return retryAfterMs === undefined ? `HTTP ${result.statusCode}` : `HTTP ${result.statusCode}, Retry-After ${Math.ceil(retryAfterMs / 1000)} s`;
}

/**
 * Processor for `deliver-webhook` jobs: one signed POST, recorded as an attempt. Idempotent on the
 * row: a job of a delivery already finished, or of an older generation, does nothing. A worker
 * killed between the POST and the record sends it again (at-least-once; receivers dedupe on
 * `webhook-id`).
 */
export async function processDeliverWebhook(deps: DeliverDeps, job: Job): Promise<{ outcome: WebhookAttemptOutcome | "stale" | "skipped" }> {
  const parsed = webhookJobSchema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`invalid deliver-webhook payload: ${parsed.error.message}`);
  const { deliveryId, generation } = parsed.data;
  const found = await findDeliveryWithEndpoint(deps.db, deliveryId);
  if (!found || found.delivery.status !== "pending" || found.delivery.generation !== generation) return { outcome: "stale" };
  const { delivery, endpoint } = found;
  if (!endpoint.enabled) {
    await skipDelivery(deps.db, deliveryId, generation, `endpoint disabled: ${endpoint.disabledReason ?? "by an admin"}`);
    return { outcome: "skipped" };
  }

  const startedAt = new Date();
  const body = JSON.stringify(delivery.payload);
  const headers = signatureHeaders(delivery.messageId, body, activeSecrets(endpoint, startedAt), startedAt);
  const result = await sendWebhook({ url: endpoint.url, body, headers, timeoutMs: deps.timeoutMs, allowPrivate: deps.allowPrivate });

  const attemptNo = job.attemptsMade + 1;
  const outcome = outcomeOf(result, attemptNo >= (job.opts.attempts ?? 1));
  const answeredAt = Date.now();
  const retryAfterMs = retryAfterOf(result, answeredAt);
  // Drawn here, not in BullMQ, so that the row shows when the next attempt runs: BullMQ counts
  // the same delay from a moment later (after the record), so it never runs before nextAttemptAt.
  const delayMs = outcome === "retrying" ? retryDelay(attemptNo, deps.retry, retryAfterMs) : undefined;
  const recorded = await recordAttempt(deps.db, {
    deliveryId,
    endpointId: endpoint.id,
    generation,
    trigger: generation > 0 && job.attemptsMade === 0 ? "manual" : "queue",
    outcome,
    statusCode: result.kind === "response" ? result.statusCode : null,
    durationMs: result.durationMs,
    error: result.kind === "response" ? null : result.error,
    responseExcerpt: result.kind === "response" ? result.excerpt : null,
    startedAt,
    nextAttemptAt: delayMs === undefined ? null : new Date(answeredAt + delayMs),
    disableEndpoint: outcome === "endpoint_disabled" ? `410 Gone from the receiver at ${startedAt.toISOString()}` : null,
  });
  if (!recorded) return { outcome: "stale" };
  deps.onDeliveryOutcome?.(outcome);
  if (delayMs !== undefined) throw new RetryableDeliveryError(`attempt ${attemptNo}: ${describe(result, retryAfterMs)}`, delayMs);
  if (outcome !== "delivered") deps.log.info("webhook delivery ended unsuccessfully", { deliveryId, endpointId: endpoint.id, outcome, detail: describe(result) });
  return { outcome };
}

/**
 * The deliver-webhook Worker. A delivery mostly waits on a receiver (up to WEBHOOK_TIMEOUT_MS), so
 * BullMQ's default 30 s lock and stalled check fit: a killed worker's delivery comes back within a
 * minute, which is nothing next to a retry schedule of a day.
 */
export function startDeliverWebhookWorker(backend: QueueBackendConfig, deps: DeliverDeps, opts: { prefix: string; concurrency: number }): BackendWorker {
  return openWorker(backend, WEBHOOK_QUEUE, (job) => processDeliverWebhook(deps, job), {
    prefix: opts.prefix,
    log: deps.log,
    concurrency: opts.concurrency,
    lockDuration: 30_000,
    stalledInterval: 30_000,
    // A receiver's failure: the delay the processor chose and recorded. Anything else thrown (the
    // database away while recording): the schedule alone. BullMQ passes the attempt just made.
    backoffStrategy: (attemptsMade, _type, err) => (err instanceof RetryableDeliveryError ? err.delayMs : backoffDelay(attemptsMade, deps.retry)),
    onFailed: (job, err) =>
      err instanceof RetryableDeliveryError
        ? deps.log.debug("webhook attempt failed; retrying", { jobId: job?.id, error: err.message })
        : deps.log.warn("webhook job failed", { jobId: job?.id, attempt: job?.attemptsMade, error: err }),
  });
}
