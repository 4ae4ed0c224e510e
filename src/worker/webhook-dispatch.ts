import { findDueDeliveries, pruneDeliveries, type QueuedDelivery } from "../db/queries/webhooks.js";
import { CHANNELS, type Listener } from "../db/notify.js";
import type { Db } from "../db/client.js";
import type { Log } from "../log.js";
import type { WebhookQueue } from "../queue/webhook-queue.js";

/** Deliveries queued per sweep round; a backlog drains over several rounds. */
const SWEEP_BATCH = 500;

/** Finished deliveries and their attempts are kept this long for the admin API, then deleted. */
const RETENTION_MS = 30 * 24 * 3_600_000;

export interface DispatchDeps {
  db: Db;
  log: Log;
  listener: Listener;
  queue: WebhookQueue;
}

/** `id/generation` tokens from a notification; anything else is ignored. */
export function parseTokens(payload: string): QueuedDelivery[] {
  const out: QueuedDelivery[] = [];
  for (const token of payload.split(",")) {
    const m = /^([0-9a-f-]{36})\/(\d{1,9})$/i.exec(token);
    if (m) out.push({ deliveryId: m[1]!, generation: Number(m[2]) });
  }
  return out;
}

/**
 * Queues pending deliveries past their time by `olderThanMs`: outbox rows whose enqueue failed or
 * whose notification was missed, and jobs lost with Redis. Returns how many it queued.
 */
export async function sweepDeliveries(deps: Pick<DispatchDeps, "db" | "log" | "queue">, opts: { olderThanMs: number }): Promise<number> {
  const due = await findDueDeliveries(deps.db, { olderThanMs: opts.olderThanMs, limit: SWEEP_BATCH });
  if (due.length === 0) return 0;
  await deps.queue.enqueue(due);
  deps.log.info("webhook sweep queued pending deliveries", { count: due.length });
  return due.length;
}

/**
 * The worker's side of the outbox: deliveries written elsewhere (decisions in the API, re-sends by
 * hand) are announced by NOTIFY at their commit and queued here; a timer sweeps up the rest.
 */
export function startWebhookDispatch(deps: DispatchDeps, opts: { intervalMs: number; olderThanMs: number }) {
  const pending = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  let sweeping: Promise<unknown> | undefined;
  const sweep = () => {
    if (sweeping) return;
    sweeping = Promise.all([sweepDeliveries(deps, opts), pruneDeliveries(deps.db, RETENTION_MS)])
      .catch((err: unknown) => deps.log.warn("webhook sweep failed", { error: err }))
      .finally(() => (sweeping = undefined));
    track(sweeping);
  };
  const onPayload = (payload: string) => {
    const jobs = parseTokens(payload);
    if (jobs.length === 0) return;
    track(deps.queue.enqueue(jobs).catch((err: unknown) => deps.log.warn("webhook enqueue failed; the sweep will queue the deliveries", { count: jobs.length, error: err })));
  };
  // (Re)connected: notifications may have been missed meanwhile.
  const listening = deps.listener.listen(CHANNELS.webhookDeliveries, onPayload, sweep).catch((err: unknown) => {
    deps.log.warn("LISTEN for webhook deliveries failed; relying on the sweep", { error: err });
    return undefined;
  });
  const timer = setInterval(sweep, opts.intervalMs);
  timer.unref();
  return {
    async close() {
      clearInterval(timer);
      const l = await listening;
      await l?.unlisten().catch(() => {});
      await Promise.all([...pending]);
    },
  };
}
