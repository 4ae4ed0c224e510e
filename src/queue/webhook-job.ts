/** The deliver-webhook job: its name, payload, id and options. No connection code here (see backend.ts). */
import type { JobsOptions } from "bullmq";
import { z } from "zod";

export const WEBHOOK_QUEUE = "deliver-webhook";

/**
 * Payload of a deliver-webhook job: the delivery row (the outbox, source of truth) and its
 * generation; a re-send by hand bumps the generation, and a job of an older one does nothing.
 */
export const webhookJobSchema = z.object({ deliveryId: z.uuid(), generation: z.int().min(0) });
export type WebhookJob = z.infer<typeof webhookJobSchema>;

/** One job per delivery and generation: a re-add by the sweep while it waits or retries is a no-op. */
export const webhookJobId = (job: WebhookJob) => `webhook-${job.deliveryId}-${job.generation}`;

export interface RetrySchedule {
  /** The first retry's delay, in ms; each later one doubles. */
  delayMs: number;
  attempts: number;
}

/**
 * BullMQ's jitter draws each delay from [(1 − jitter) × d, d]: 20 % spreads receivers' retry storms
 * (many deliveries failing at once retry at once otherwise) while keeping the schedule near a day.
 */
export const RETRY_JITTER = 0.2;

/**
 * The job's backoff type. Not BullMQ's `exponential`: a custom type makes BullMQ ask the worker's
 * `backoffStrategy` (deliver-webhook.ts), which can lengthen a wait to a receiver's Retry-After and
 * still count the attempt (a `DelayedError` would not count it, and the attempts would not run out).
 */
export const WEBHOOK_BACKOFF = "webhook";

export function webhookJobOptions(retry: RetrySchedule): JobsOptions {
  return {
    attempts: retry.attempts,
    backoff: { type: WEBHOOK_BACKOFF, delay: retry.delayMs, jitter: RETRY_JITTER },
    // The delivery and attempt rows hold everything worth keeping.
    removeOnComplete: true,
    // Receivers' failures complete the job (recorded on the row). Only an invalid payload or a
    // database outage outlasting every retry fails one for good, and a kept failed job would block
    // the sweep's re-add of its id while its row is still pending: removed too.
    removeOnFail: true,
  };
}

/**
 * The wait before attempt `attempt + 1` by the schedule alone: BullMQ's own exponential formula,
 * `delayMs × 2^(attempt − 1)` drawn from [(1 − jitter) × d, d].
 */
export function backoffDelay(attempt: number, retry: RetrySchedule, random: () => number = Math.random): number {
  const max = Math.round(retry.delayMs * 2 ** (attempt - 1));
  return Math.floor(random() * max * RETRY_JITTER + max * (1 - RETRY_JITTER));
}

/**
 * The longest a receiver's Retry-After may make one wait: an hour, long enough for a deploy or a
 * maintenance window. Not the schedule's longest wait (~11 h by default): a receiver answering
 * "a day" to every attempt would then stretch a delivery over a week. Capped at an hour, every
 * retry until the schedule's own waits pass an hour waits an hour, and the 14 attempts end within
 * ~30 h instead of ~23 h.
 */
export const RETRY_AFTER_MAX_MS = 3_600_000;

/**
 * Retry-After (RFC 9110 §10.2.3) as milliseconds from `now`: delay-seconds, or an HTTP-date in any
 * of its three forms (a date past is 0). Undefined when absent or malformed: then only the schedule
 * counts.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const imf = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(v);
  const rfc850 = /^[A-Z][a-z]+, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT$/.test(v);
  const asctime = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/.test(v);
  // Date.parse alone takes almost anything ("1" is the year 2001); asctime has no zone and is GMT.
  if (!imf && !rfc850 && !asctime) return undefined;
  const at = Date.parse(asctime ? `${v} GMT` : v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The wait before attempt `attempt + 1`: the schedule's, or the receiver's Retry-After when that is
 * longer (up to RETRY_AFTER_MAX_MS). Retry-After only ever lengthens a wait.
 */
export function retryDelay(attempt: number, retry: RetrySchedule, retryAfterMs?: number, random?: () => number): number {
  return Math.max(backoffDelay(attempt, retry, random), Math.min(retryAfterMs ?? 0, RETRY_AFTER_MAX_MS));
}

export function webhookJobs(jobs: readonly WebhookJob[], retry: RetrySchedule): { name: string; data: WebhookJob; opts: JobsOptions }[] {
  const opts = webhookJobOptions(retry);
  return jobs.map((data) => ({ name: WEBHOOK_QUEUE, data, opts: { ...opts, jobId: webhookJobId(data) } }));
}
