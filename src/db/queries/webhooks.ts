import { and, asc, desc, eq, lt, or, sql } from "drizzle-orm";
import type postgres from "postgres";
import type { Db, Executor } from "../client.js";
import { hotQuery, type ident } from "../hot.js";
import { CHANNELS, notify } from "../notify.js";
import {
  comments,
  decisions,
  webhookAttempts,
  webhookDeliveries,
  webhookEndpoints,
  type WebhookAttemptOutcome,
  type WebhookAttemptRow,
  type WebhookDeliveryRow,
  type WebhookDeliveryStatus,
  type WebhookEndpointRow,
  type WebhookEvent,
} from "../schema.js";

type Client = postgres.Sql | postgres.TransactionSql;
function clientOf(db: Executor): Client {
  if ("$client" in db) return db.$client;
  return (db as unknown as { session: { client: Client } }).session.client;
}

// --- endpoints ------------------------------------------------------------------------------------

export async function insertEndpoint(
  db: Executor,
  params: { siteId: string; url: string; description: string | null; events: WebhookEvent[]; enabled: boolean; secret: string },
): Promise<WebhookEndpointRow> {
  const [row] = await db
    .insert(webhookEndpoints)
    .values({ ...params, disabledReason: params.enabled ? null : "disabled by an admin" })
    .returning();
  if (!row) throw new Error("insert returned no row");
  return row;
}

export function listEndpoints(db: Executor, siteId: string): Promise<WebhookEndpointRow[]> {
  return db.select().from(webhookEndpoints).where(eq(webhookEndpoints.siteId, siteId)).orderBy(asc(webhookEndpoints.createdAt), asc(webhookEndpoints.id));
}

/** The endpoint only when it belongs to `siteId`: another site's id is no endpoint at all. */
export async function findEndpoint(db: Executor, siteId: string, id: string): Promise<WebhookEndpointRow | undefined> {
  const [row] = await db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.siteId, siteId)));
  return row;
}

export async function updateEndpoint(
  db: Executor,
  siteId: string,
  id: string,
  patch: Partial<Pick<WebhookEndpointRow, "url" | "description" | "events" | "enabled" | "disabledReason" | "secret" | "previousSecret" | "previousSecretExpiresAt">>,
): Promise<WebhookEndpointRow | undefined> {
  const [row] = await db
    .update(webhookEndpoints)
    .set({ ...patch, updatedAt: new Date() })
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.siteId, siteId)))
    .returning();
  return row;
}

/** Deletes the endpoint with its deliveries and attempts (cascade); false when the site has no such endpoint. */
export async function deleteEndpoint(db: Executor, siteId: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.siteId, siteId)))
    .returning({ id: webhookEndpoints.id });
  return rows.length > 0;
}

/** Sites with at least one enabled endpoint for `event` (small: read whole, cached by the emitter). */
export async function sitesSubscribedTo(db: Executor, event: WebhookEvent): Promise<Set<string>> {
  const rows = await db
    .selectDistinct({ siteId: webhookEndpoints.siteId })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.enabled, true), sql`${event} = ANY(${webhookEndpoints.events})`));
  return new Set(rows.map((r) => r.siteId));
}

// --- events into the outbox -----------------------------------------------------------------------

/** Postgres's timestamptz as JSON's usual `…Z` (what `Date.toISOString()` writes elsewhere in the API). */
const iso = (expr: string) => `to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The comment as an event carries it: ids and the outcome, no text or personal data (fetch those by id). */
const commentObject = (n: typeof ident) => `jsonb_build_object(
    'id', ev.${n(comments.id)}, 'siteId', ev.${n(comments.siteId)}, 'externalId', ev.${n(comments.externalId)},
    'thread', ev.${n(comments.thread)}, 'status', ev.${n(comments.status)}, 'verdict', ev.${n(comments.verdict)},
    'score', ev.${n(comments.score)}, 'reasons', coalesce(ev.${n(comments.reasons)}, '[]'::jsonb),
    'modelVersion', ev.${n(comments.modelVersion)}, 'createdAt', ${iso(`ev.${n(comments.createdAt)}`)},
    'scoredAt', ${iso(`ev.${n(comments.scoredAt)}`)}, 'decidedAt', ${iso(`ev.${n(comments.decidedAt)}`)})`;

/** One message id per event, shared by the endpoints it goes to (Standard Webhooks' `msg_…` shape). */
const MESSAGE_ID = `'msg_' || replace(gen_random_uuid()::text, '-', '')`;

const subscribed = (n: typeof ident, alias: string, event: WebhookEvent) =>
  `${alias}.${n(webhookEndpoints.enabled)} AND '${event}' = ANY(${alias}.${n(webhookEndpoints.events)})`;

const insertDeliveries = (n: typeof ident, event: WebhookEvent, payload: string) => `
  INSERT INTO ${n(webhookDeliveries)} (${n(webhookDeliveries.endpointId)}, ${n(webhookDeliveries.siteId)}, ${n(webhookDeliveries.messageId)},
      ${n(webhookDeliveries.eventType)}, ${n(webhookDeliveries.payload)})
    SELECT e.${n(webhookEndpoints.id)}, ev.${n(comments.siteId)}, ev.message_id, '${event}', ${payload}
    FROM ev JOIN ${n(webhookEndpoints)} e ON e.${n(webhookEndpoints.siteId)} = ev.${n(comments.siteId)} AND ${subscribed(n, "e", event)}
    RETURNING ${n(webhookDeliveries.id)} AS id, ${n(webhookDeliveries.generation)} AS generation`;

/** comment.scored for every comment of `ids` whose site has an endpoint for it; one statement per batch. */
const INSERT_SCORED = hotQuery(
  "insert_scored_webhooks",
  (n) => `WITH ev AS (
      SELECT c.*, ${MESSAGE_ID} AS message_id FROM ${n(comments)} c
      WHERE c.${n(comments.id)} = ANY($1::uuid[]) AND c.${n(comments.scoredAt)} IS NOT NULL
        AND EXISTS (SELECT 1 FROM ${n(webhookEndpoints)} e WHERE e.${n(webhookEndpoints.siteId)} = c.${n(comments.siteId)} AND ${subscribed(n, "e", "comment.scored")}))
    ${insertDeliveries(n, "comment.scored", `jsonb_build_object('type', 'comment.scored', 'timestamp', ${iso(`ev.${n(comments.scoredAt)}`)}, 'data', jsonb_build_object('comment', ${commentObject(n)}))`)}`,
);

/** comment.decided for decision `$1`, inside the decision's own transaction (the outbox write). */
const INSERT_DECIDED = hotQuery(
  "insert_decided_webhooks",
  (n) => `WITH ev AS (
      SELECT c.*, d.${n(decisions.id)} AS decision_id, d.${n(decisions.label)} AS decision_label, d.${n(decisions.actor)} AS decision_actor,
        d.${n(decisions.note)} AS decision_note, d.${n(decisions.createdAt)} AS decision_at, ${MESSAGE_ID} AS message_id
      FROM ${n(decisions)} d JOIN ${n(comments)} c ON c.${n(comments.id)} = d.${n(decisions.commentId)}
      WHERE d.${n(decisions.id)} = $1::bigint)
    ${insertDeliveries(
      n,
      "comment.decided",
      `jsonb_build_object('type', 'comment.decided', 'timestamp', ${iso("ev.decision_at")}, 'data', jsonb_build_object('comment', ${commentObject(n)},
        'decision', jsonb_build_object('id', ev.decision_id, 'label', ev.decision_label, 'actor', ev.decision_actor, 'note', ev.decision_note,
          'createdAt', ${iso("ev.decision_at")})))`,
    )}`,
);

export interface QueuedDelivery {
  deliveryId: string;
  generation: number;
}

const queued = (rows: { id: string; generation: number }[]): QueuedDelivery[] => rows.map((r) => ({ deliveryId: r.id, generation: r.generation }));

/** `id/generation`: how a delivery to queue travels in a notification. */
export const deliveryToken = (d: QueuedDelivery) => `${d.deliveryId}/${d.generation}`;

export async function insertScoredDeliveries(db: Db, commentIds: readonly string[]): Promise<QueuedDelivery[]> {
  if (commentIds.length === 0) return [];
  return queued(await db.$client.unsafe<{ id: string; generation: number }[]>(INSERT_SCORED.text, [[...commentIds]], { prepare: true }));
}

/**
 * Writes comment.decided deliveries for one decision and announces them to the worker, both inside
 * the caller's transaction: they commit with the decision or not at all, and the notification goes
 * out at that commit (the sweep finds them if it is missed).
 */
export async function insertDecidedDeliveries(tx: Executor, decisionId: number): Promise<QueuedDelivery[]> {
  const rows = queued(await clientOf(tx).unsafe<{ id: string; generation: number }[]>(INSERT_DECIDED.text, [decisionId], { prepare: true }));
  if (rows.length > 0) await notify(tx, CHANNELS.webhookDeliveries, rows.map(deliveryToken));
  return rows;
}

// --- the delivery worker --------------------------------------------------------------------------

export async function findDeliveryWithEndpoint(db: Executor, id: string): Promise<{ delivery: WebhookDeliveryRow; endpoint: WebhookEndpointRow } | undefined> {
  const [row] = await db
    .select({ delivery: webhookDeliveries, endpoint: webhookEndpoints })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(eq(webhookDeliveries.id, id));
  return row;
}

export interface AttemptRecord {
  deliveryId: string;
  endpointId: string;
  generation: number;
  trigger: "queue" | "manual";
  outcome: WebhookAttemptOutcome;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseExcerpt: string | null;
  startedAt: Date;
  /** Set while retrying: when the queue runs it next (not before). */
  nextAttemptAt: Date | null;
  /** Set on a 410: the endpoint is switched off with this reason. */
  disableEndpoint: string | null;
}

/**
 * Records an attempt and moves its delivery on, in one transaction; only while the delivery is
 * still pending at this generation (a re-send by hand or a duplicate job must not be overwritten).
 * Returns false when it was not (the attempt is then not recorded either).
 */
export async function recordAttempt(db: Db, a: AttemptRecord): Promise<boolean> {
  return db.transaction(async (tx) => {
    const status = a.outcome === "delivered" ? "delivered" : a.outcome === "retrying" ? "pending" : "failed";
    const [updated] = await tx
      .update(webhookDeliveries)
      .set({
        status,
        attempts: sql`${webhookDeliveries.attempts} + 1`,
        lastStatusCode: a.statusCode,
        lastError: a.error,
        ...(a.nextAttemptAt ? { nextAttemptAt: a.nextAttemptAt } : {}),
        ...(a.outcome === "delivered" ? { deliveredAt: new Date() } : {}),
        updatedAt: new Date(),
      })
      .where(and(eq(webhookDeliveries.id, a.deliveryId), eq(webhookDeliveries.generation, a.generation), eq(webhookDeliveries.status, "pending")))
      .returning({ attempts: webhookDeliveries.attempts });
    if (!updated) return false;
    await tx.insert(webhookAttempts).values({
      deliveryId: a.deliveryId,
      endpointId: a.endpointId,
      attempt: updated.attempts,
      trigger: a.trigger,
      outcome: a.outcome,
      statusCode: a.statusCode,
      durationMs: a.durationMs,
      error: a.error,
      responseExcerpt: a.responseExcerpt,
      createdAt: a.startedAt,
    });
    if (a.disableEndpoint) {
      await tx
        .update(webhookEndpoints)
        .set({ enabled: false, disabledReason: a.disableEndpoint, updatedAt: new Date() })
        .where(eq(webhookEndpoints.id, a.endpointId));
    }
    return true;
  });
}

/** A delivery whose endpoint was switched off before its turn: closed without an attempt. */
export async function skipDelivery(db: Executor, id: string, generation: number, reason: string): Promise<void> {
  await db
    .update(webhookDeliveries)
    .set({ status: "failed", lastError: reason, updatedAt: new Date() })
    .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.generation, generation), eq(webhookDeliveries.status, "pending")));
}

/**
 * Pending deliveries whose job should have run by now: never queued (the enqueue failed, or the
 * notification was missed) or lost (Redis restarted without AOF). Re-adding a job id that is still
 * queued is a no-op, so this may overlap with jobs that merely wait in a backlog.
 */
export async function findDueDeliveries(db: Executor, params: { olderThanMs: number; limit: number }): Promise<QueuedDelivery[]> {
  const rows = await db
    .select({ id: webhookDeliveries.id, generation: webhookDeliveries.generation })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.status, "pending"), lt(webhookDeliveries.nextAttemptAt, new Date(Date.now() - params.olderThanMs))))
    .orderBy(asc(webhookDeliveries.nextAttemptAt))
    .limit(params.limit);
  return queued(rows);
}

/** Finished deliveries (and their attempts) older than `olderThanMs` are deleted; resolves to how many. */
export async function pruneDeliveries(db: Executor, olderThanMs: number): Promise<number> {
  const rows = await db
    .delete(webhookDeliveries)
    .where(and(sql`${webhookDeliveries.status} <> 'pending'`, lt(webhookDeliveries.createdAt, new Date(Date.now() - olderThanMs))))
    .returning({ id: webhookDeliveries.id });
  return rows.length;
}

// --- the admin API's views ------------------------------------------------------------------------

export interface PageCursor {
  createdAt: string;
  id: string;
}

export function listDeliveries(
  db: Executor,
  params: { endpointId: string; status?: WebhookDeliveryStatus | undefined; before?: PageCursor | undefined; limit: number },
): Promise<WebhookDeliveryRow[]> {
  const { before } = params;
  return db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.endpointId, params.endpointId),
        params.status ? eq(webhookDeliveries.status, params.status) : undefined,
        before
          ? or(lt(webhookDeliveries.createdAt, new Date(before.createdAt)), and(eq(webhookDeliveries.createdAt, new Date(before.createdAt)), lt(webhookDeliveries.id, before.id)))
          : undefined,
      ),
    )
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(params.limit);
}

export function listAttempts(
  db: Executor,
  params: { endpointId: string; deliveryId?: string | undefined; before?: PageCursor | undefined; limit: number },
): Promise<WebhookAttemptRow[]> {
  const { before } = params;
  return db
    .select()
    .from(webhookAttempts)
    .where(
      and(
        eq(webhookAttempts.endpointId, params.endpointId),
        params.deliveryId ? eq(webhookAttempts.deliveryId, params.deliveryId) : undefined,
        before
          ? or(lt(webhookAttempts.createdAt, new Date(before.createdAt)), and(eq(webhookAttempts.createdAt, new Date(before.createdAt)), lt(webhookAttempts.id, before.id)))
          : undefined,
      ),
    )
    .orderBy(desc(webhookAttempts.createdAt), desc(webhookAttempts.id))
    .limit(params.limit);
}

export async function findDelivery(db: Executor, endpointId: string, id: string): Promise<WebhookDeliveryRow | undefined> {
  const [row] = await db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.endpointId, endpointId)));
  return row;
}

/**
 * A re-send by hand: a finished delivery goes back to pending under a new generation (so its job
 * gets a new id), and the worker hears of it at commit. Undefined when it is still pending (its
 * job is under way) or gone.
 */
export async function resendDelivery(db: Db, endpointId: string, id: string): Promise<WebhookDeliveryRow | undefined> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(webhookDeliveries)
      .set({ status: "pending", generation: sql`${webhookDeliveries.generation} + 1`, nextAttemptAt: new Date(), lastError: null, updatedAt: new Date() })
      .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.endpointId, endpointId), sql`${webhookDeliveries.status} <> 'pending'`))
      .returning();
    if (row) await notify(tx, CHANNELS.webhookDeliveries, [deliveryToken({ deliveryId: row.id, generation: row.generation })]);
    return row;
  });
}
