import { randomBytes } from "node:crypto";
import { and, asc, eq, inArray, isNotNull, lt, or, sql, type SQL } from "drizzle-orm";
import type { Executor } from "../client.js";
import {
  akismetChecks,
  comments,
  decisions,
  erasures,
  installSecrets,
  retainedCounts,
  retainedTotals,
  scopeTotals,
  sites,
  tokenCounts,
  type AkismetCheckRow,
  type CommentRow,
  type DecisionRow,
  type ErasureRow,
} from "../schema.js";

/** The stored values that identify one person on one site (each list: any of them matches). */
export interface PersonValues {
  emails: readonly string[];
  urls: readonly string[];
  ips: readonly string[];
}

function personWhere(siteId: string, v: PersonValues): SQL | undefined {
  const any: SQL[] = [];
  if (v.emails.length > 0) {
    any.push(inArray(comments.authorEmail, [...v.emails]));
    // Addresses are case-insensitive in practice; stored ones keep the case they came in.
    any.push(inArray(sql`lower(${comments.authorEmail})`, v.emails.map((e) => e.toLowerCase())));
  }
  if (v.urls.length > 0) any.push(inArray(comments.authorUrl, [...v.urls]));
  if (v.ips.length > 0) any.push(inArray(comments.ip, [...v.ips]));
  return and(eq(comments.siteId, siteId), or(...any));
}

/** The site's comments matching any of the values, oldest first (export reads them, erase locks them). */
export function findPersonComments(db: Executor, siteId: string, v: PersonValues, opts: { lock?: boolean } = {}): Promise<CommentRow[]> {
  const q = db.select().from(comments).where(personWhere(siteId, v)).orderBy(asc(comments.createdAt), asc(comments.id));
  return opts.lock ? q.for("update") : q;
}

export function listDecisionsOf(db: Executor, commentIds: readonly string[]): Promise<DecisionRow[]> {
  if (commentIds.length === 0) return Promise.resolve([]);
  return db.select().from(decisions).where(inArray(decisions.commentId, [...commentIds])).orderBy(asc(decisions.id));
}

export function listAkismetChecksOf(db: Executor, commentIds: readonly string[]): Promise<AkismetCheckRow[]> {
  if (commentIds.length === 0) return Promise.resolve([]);
  return db.select().from(akismetChecks).where(inArray(akismetChecks.commentId, [...commentIds]));
}

export async function countDecisionsOf(db: Executor, commentIds: readonly string[]): Promise<number> {
  if (commentIds.length === 0) return 0;
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(decisions)
    .where(inArray(decisions.commentId, [...commentIds]));
  return row?.n ?? 0;
}

/** Deletes comments by id; decisions, fingerprints, Akismet checks and console items go with them (ON DELETE CASCADE). */
export async function deleteComments(db: Executor, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await db.delete(comments).where(inArray(comments.id, [...ids])).returning({ id: comments.id });
  return rows.length;
}

export async function insertErasure(db: Executor, row: Omit<ErasureRow, "id" | "createdAt">): Promise<ErasureRow> {
  const [out] = await db.insert(erasures).values(row).returning();
  if (!out) throw new Error("insert returned no row");
  return out;
}

export function listErasures(db: Executor, siteId: string): Promise<ErasureRow[]> {
  return db.select().from(erasures).where(eq(erasures.siteId, siteId)).orderBy(asc(erasures.createdAt));
}

/**
 * The next batch of one site's comments past their retention, locked; rows another transaction
 * holds (a decision in flight) are skipped and picked up next round. `spamBefore` applies to
 * comments in `spam`, `allBefore` to every comment. Walks the (site, status, created_at) index.
 */
export function lockExpiredBatch(
  tx: Executor,
  params: { siteId: string; spamBefore?: Date; allBefore?: Date; limit: number },
): Promise<CommentRow[]> {
  const expired = or(
    params.spamBefore ? and(eq(comments.status, "spam"), lt(comments.createdAt, params.spamBefore)) : undefined,
    params.allBefore ? lt(comments.createdAt, params.allBefore) : undefined,
  );
  if (!expired) return Promise.resolve([]);
  return tx
    .select()
    .from(comments)
    .where(and(eq(comments.siteId, params.siteId), expired))
    .orderBy(asc(comments.createdAt), asc(comments.id))
    .limit(params.limit)
    .for("update", { skipLocked: true });
}

/** The next batch of a site's comments, locked (deleting the site). Waits for rows in use. */
export function lockSiteBatch(tx: Executor, siteId: string, limit: number): Promise<CommentRow[]> {
  return tx.select().from(comments).where(eq(comments.siteId, siteId)).orderBy(asc(comments.id)).limit(limit).for("update");
}

/** Adds (or, negative, removes) counts kept from purged comments. Rows that reach zero are deleted. */
export async function addRetained(
  tx: Executor,
  siteId: string,
  deltas: readonly { token: string; spam: number; ham: number }[],
  totals: { spam: number; ham: number },
): Promise<void> {
  if (deltas.length > 0) {
    // Sorted, so concurrent purges of one site lock rows in the same order.
    const sorted = [...deltas].sort((a, b) => (a.token < b.token ? -1 : a.token > b.token ? 1 : 0));
    await tx.execute(sql`
      INSERT INTO ${retainedCounts} (site_id, token, spam, ham)
      SELECT ${siteId}::uuid, d.token, d.spam, d.ham FROM jsonb_to_recordset(${JSON.stringify(sorted)}::jsonb) AS d(token text, spam bigint, ham bigint)
      ON CONFLICT (site_id, token) DO UPDATE
      SET spam = ${retainedCounts.spam} + EXCLUDED.spam, ham = ${retainedCounts.ham} + EXCLUDED.ham`);
    await tx.execute(sql`DELETE FROM ${retainedCounts} WHERE site_id = ${siteId} AND spam = 0 AND ham = 0`);
  }
  if (totals.spam !== 0 || totals.ham !== 0) {
    await tx.execute(sql`
      INSERT INTO ${retainedTotals} (site_id, spam, ham) VALUES (${siteId}, ${totals.spam}, ${totals.ham})
      ON CONFLICT (site_id) DO UPDATE SET spam = ${retainedTotals.spam} + EXCLUDED.spam, ham = ${retainedTotals.ham} + EXCLUDED.ham`);
    await tx.execute(sql`DELETE FROM ${retainedTotals} WHERE site_id = ${siteId} AND spam = 0 AND ham = 0`);
  }
}

/** One site's retained counts (or every site's, for retrain). */
export async function readRetained(
  db: Executor,
  siteId?: string,
): Promise<{ totals: Map<string, { spam: number; ham: number }>; tokens: { siteId: string; token: string; spam: number; ham: number }[] }> {
  const totals = await db
    .select()
    .from(retainedTotals)
    .where(siteId ? eq(retainedTotals.siteId, siteId) : undefined);
  const tokens = await db
    .select()
    .from(retainedCounts)
    .where(siteId ? eq(retainedCounts.siteId, siteId) : undefined)
    .orderBy(asc(retainedCounts.siteId), asc(retainedCounts.token));
  return { totals: new Map(totals.map((t) => [t.siteId, { spam: t.spam, ham: t.ham }])), tokens };
}

/** Revokes both of a site's keys (the first step of deleting it: no new comments or decisions). */
export async function revokeSiteKeys(db: Executor, siteId: string): Promise<void> {
  await db.update(sites).set({ apiKeyHash: null, moderatorKeyHash: null, updatedAt: new Date() }).where(eq(sites.id, siteId));
}

/** Removes the site row (the rest of its rows cascade) and whatever its own scope still counts. */
export async function deleteSiteRow(tx: Executor, siteId: string): Promise<void> {
  await tx.delete(tokenCounts).where(eq(tokenCounts.scope, siteId));
  await tx.delete(scopeTotals).where(eq(scopeTotals.scope, siteId));
  await tx.delete(sites).where(eq(sites.id, siteId));
}

/** Sites whose settings set a retention period (the scheduled purge visits only these). */
export async function listSitesWithRetention(db: Executor): Promise<{ id: string; settings: Record<string, unknown> }[]> {
  return db
    .select({ id: sites.id, settings: sites.settings })
    .from(sites)
    .where(and(isNotNull(sql`${sites.settings} -> 'retention'`), sql`${sites.settings} -> 'retention' <> 'null'::jsonb`));
}

/**
 * The installation's secret of this name, made on first use: concurrent first uses race on the
 * insert and all read the winner's.
 */
export async function installSecret(db: Executor, name: string): Promise<string> {
  await db
    .insert(installSecrets)
    .values({ name, secret: randomBytes(32).toString("base64url") })
    .onConflictDoNothing();
  const [row] = await db.select().from(installSecrets).where(eq(installSecrets.name, name));
  if (!row) throw new Error("install secret vanished");
  return row.secret;
}
