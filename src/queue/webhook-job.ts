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

export function webhookJobOptions(retry: RetrySchedule): JobsOptions {
  return {
    attempts: retry.attempts,
    backoff: { type: "exponential", delay: retry.delayMs, jitter: RETRY_JITTER },
    // The delivery and attempt rows hold everything worth keeping.
    removeOnComplete: true,
    // Receivers' failures complete the job (recorded on the row). Only an invalid payload or a
    // database outage outlasting every retry fails one for good, and a kept failed job would block
    // the sweep's re-add of its id while its row is still pending: removed too.
    removeOnFail: true,
  };
}

/** The longest BullMQ may wait before attempt `attempt + 1` (the jitter only shortens it). */
export function maxDelayAfter(attempt: number, retry: RetrySchedule): number {
  return retry.delayMs * 2 ** (attempt - 1);
}

export function webhookJobs(jobs: readonly WebhookJob[], retry: RetrySchedule): { name: string; data: WebhookJob; opts: JobsOptions }[] {
  const opts = webhookJobOptions(retry);
  return jobs.map((data) => ({ name: WEBHOOK_QUEUE, data, opts: { ...opts, jobId: webhookJobId(data) } }));
}
