/** The producer of deliver-webhook jobs, on whichever backend the deps chose. */
import type { Log } from "../log.js";
import { openQueue, type QueueBackendConfig } from "./backend.js";
import { WEBHOOK_QUEUE, webhookJobs, type RetrySchedule, type WebhookJob } from "./webhook-job.js";

export interface WebhookQueue {
  /** Adds one job per delivery; a job id already queued is a no-op. Throws when the backend is down. */
  enqueue(jobs: readonly WebhookJob[]): Promise<void>;
  close(): Promise<void>;
}

/** An enqueue slower than this is abandoned: the rows stay pending and the sweep adds them later. */
const ENQUEUE_TIMEOUT_MS = 5_000;

export function createWebhookQueue(backend: QueueBackendConfig, opts: { prefix: string; log: Log; retry: RetrySchedule }): WebhookQueue {
  const queue = openQueue(backend, WEBHOOK_QUEUE, opts);
  return {
    async enqueue(jobs) {
      if (jobs.length === 0) return;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`webhook enqueue timed out after ${ENQUEUE_TIMEOUT_MS} ms`)), ENQUEUE_TIMEOUT_MS);
      });
      await Promise.race([queue.addBulk(webhookJobs(jobs, opts.retry)), timeout]).finally(() => clearTimeout(timer));
    },
    close: () => queue.close(),
  };
}
