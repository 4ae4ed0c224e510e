import { and, asc, count, desc, eq, gt, gte, ilike, inArray, isNotNull, isNull, like, lt, lte, notExists, sql, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Executor } from "../client.js";
import {
  comments,
  commentStatuses,
  consoleActionItems,
  consoleActions,
  consoleLoginFailures,
  consoleSessions,
  decisions,
  scopeTotals,
  sites,
  type CommentRow,
  type CommentStatus,
  type ConsoleActionItemRow,
  type ConsoleActionRow,
  type ConsoleSessionRow,
  type DecisionRow,
  type SiteRow,
} from "../schema.js";
import { CHANNELS, notify } from "../notify.js";

// ---------------------------------------------------------------------------------------------
// Sessions and sign-in throttling

export async function insertSession(db: Executor, row: typeof consoleSessions.$inferInsert): Promise<ConsoleSessionRow> {
  const [created] = await db.insert(consoleSessions).values(row).returning();
  if (!created) throw new Error("insert returned no row");
  return created;
}

/** A live session with its site (null for an admin who has not picked one). Expired ones are not found. */
export async function findSession(db: Executor, tokenHash: string): Promise<{ session: ConsoleSessionRow; site: SiteRow | null } | undefined> {
  const [row] = await db
    .select({ session: consoleSessions, site: sites })
    .from(consoleSessions)
    .leftJoin(sites, eq(sites.id, consoleSessions.siteId))
    .where(and(eq(consoleSessions.tokenHash, tokenHash), gt(consoleSessions.expiresAt, new Date())));
  return row;
}

export async function deleteSession(db: Executor, tokenHash: string): Promise<void> {
  await db.delete(consoleSessions).where(eq(consoleSessions.tokenHash, tokenHash));
}

/** Ends every moderator session of the site opened with another key than the current one. */
export async function deleteStaleModeratorSessions(db: Executor, siteId: string, currentKeyHash: string | null): Promise<number> {
  const rows = await db
    .delete(consoleSessions)
    .where(
      and(
        eq(consoleSessions.siteId, siteId),
        eq(consoleSessions.role, "moderator"),
        currentKeyHash === null ? undefined : sql`${consoleSessions.keyHash} <> ${currentKeyHash}`,
      ),
    )
    .returning({ tokenHash: consoleSessions.tokenHash });
  return rows.length;
}

export async function deleteExpiredSessions(db: Executor): Promise<void> {
  await db.delete(consoleSessions).where(lte(consoleSessions.expiresAt, new Date()));
}

export async function setSessionSite(db: Executor, tokenHash: string, siteId: string): Promise<void> {
  await db.update(consoleSessions).set({ siteId }).where(eq(consoleSessions.tokenHash, tokenHash));
}

export async function countLoginFailures(db: Executor, client: string, since: Date): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(consoleLoginFailures)
    .where(and(eq(consoleLoginFailures.client, client), gt(consoleLoginFailures.createdAt, since)));
  return row?.n ?? 0;
}

export async function insertLoginFailure(db: Executor, client: string, pruneBefore: Date): Promise<void> {
  await db.insert(consoleLoginFailures).values({ client });
  await db.delete(consoleLoginFailures).where(lt(consoleLoginFailures.createdAt, pruneBefore));
}

// ---------------------------------------------------------------------------------------------
// The queue

export interface QueueFilter {
  siteId: string;
  status: CommentStatus;
  thread?: string;
  /** Part of the author's name, any case. */
  author?: string;
  email?: string;
  url?: string;
  /** An exact address, or an IPv4 /24 given as its first three octets (`203.0.113`). */
  ip?: string;
  ipPrefix24?: string;
  source?: string;
  from?: Date;
  /** Exclusive upper bound. */
  to?: Date;
  /** Substring of the text, any language, any case (pg_trgm's GIN index serves it). */
  text?: string;
}

/** `%` and `_` in a user's search are literal. */
function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

/** Every filter term but the status (the tabs count all statuses under the same filters). */
function filterWhere(f: Omit<QueueFilter, "status">): SQL | undefined {
  return and(
    eq(comments.siteId, f.siteId),
    f.thread === undefined ? undefined : eq(comments.thread, f.thread),
    f.author === undefined ? undefined : ilike(comments.authorName, `%${likeEscape(f.author)}%`),
    f.email === undefined ? undefined : eq(comments.authorEmail, f.email),
    f.url === undefined ? undefined : eq(comments.authorUrl, f.url),
    f.ip === undefined ? undefined : eq(comments.ip, f.ip),
    f.ipPrefix24 === undefined ? undefined : like(comments.ip, `${likeEscape(f.ipPrefix24)}.%`),
    f.source === undefined ? undefined : eq(comments.source, f.source),
    f.from === undefined ? undefined : gte(comments.createdAt, f.from),
    f.to === undefined ? undefined : lt(comments.createdAt, f.to),
    f.text === undefined ? undefined : ilike(comments.content, `%${likeEscape(f.text)}%`),
  );
}

/**
 * Queries are prepared (db/client.ts), and after five runs Postgres may switch to a generic plan,
 * which cannot see what an ILIKE pattern matches: it then walks the newest-first index for a rare
 * search term (233 ms for 51 rows of 100,000, BENCHMARKS.md "Console") where the trigram index
 * takes 30 ms. Searches therefore run with custom plans, in a transaction that says so.
 */
async function withSearchPlans<T>(db: Executor, f: Omit<QueueFilter, "status">, run: (db: Executor) => Promise<T>): Promise<T> {
  if (f.text === undefined && f.author === undefined) return run(db);
  return db.transaction(async (tx) => {
    await tx.execute(sql`SET LOCAL plan_cache_mode = force_custom_plan`);
    return run(tx);
  });
}

function queueWhere(f: QueueFilter): SQL | undefined {
  return and(filterWhere(f), eq(comments.status, f.status));
}

/** Scores are ranked by uncertainty in steps of 0.05 (finer differences are noise): bucket 0 is 0.45–0.55. */
const uncertaintyBucket = sql`floor(abs(coalesce(${comments.score}, 0.5) - 0.5) * 20)`;

/**
 * One page of the queue. `newest`: newest first (the status index serves it). `priority`: most
 * uncertain first, then the busiest threads (most published comments: the ones most readers see),
 * then newest. Thread activity is counted only for the rows that can reach this page: those in the
 * uncertainty buckets up to the one holding the page's last row, so a large queue does not count
 * every thread of the site. Content is cut to `excerptChars` so a page of 20,000-char bodies stays
 * small; `contentLength` tells how much there was.
 */
export async function listQueue(
  db: Executor,
  f: QueueFilter,
  opts: { order: "newest" | "priority"; limit: number; offset: number; excerptChars: number },
): Promise<(CommentRow & { contentLength: number; threadActivity: number })[]> {
  return withSearchPlans(db, f, (db) => listQueuePage(db, f, opts));
}

async function listQueuePage(
  db: Executor,
  f: QueueFilter,
  opts: { order: "newest" | "priority"; limit: number; offset: number; excerptChars: number },
): Promise<(CommentRow & { contentLength: number; threadActivity: number })[]> {
  const base = selectColumnsWithExcerpt(opts.excerptChars);
  if (opts.order === "newest") {
    const rows = await db
      .select(base)
      .from(comments)
      .where(queueWhere(f))
      .orderBy(desc(comments.createdAt), desc(comments.id))
      .limit(opts.limit)
      .offset(opts.offset);
    return rows.map((r) => ({ ...r, threadActivity: 0 }));
  }
  const ranked = await db.execute<{ id: string; activity: number }>(sql`
    WITH candidates AS (
      SELECT ${comments.id} AS id, ${comments.thread} AS thread, ${comments.createdAt} AS created_at, ${uncertaintyBucket} AS bucket
      FROM ${comments} WHERE ${queueWhere(f)}
    ),
    boundary AS (SELECT bucket FROM candidates ORDER BY bucket LIMIT 1 OFFSET ${opts.offset + opts.limit - 1}),
    reachable AS (SELECT * FROM candidates WHERE bucket <= coalesce((SELECT bucket FROM boundary), 'Infinity'::float8)),
    activity AS (
      SELECT ${comments.thread} AS thread, count(*)::int AS n FROM ${comments}
      WHERE ${comments.siteId} = ${f.siteId} AND ${comments.status} = 'published'
        AND ${comments.thread} IN (SELECT DISTINCT thread FROM reachable)
      GROUP BY ${comments.thread}
    )
    SELECT r.id, coalesce(a.n, 0)::int AS activity FROM reachable r LEFT JOIN activity a ON a.thread = r.thread
    ORDER BY r.bucket, coalesce(a.n, 0) DESC, r.created_at DESC, r.id DESC
    LIMIT ${opts.limit} OFFSET ${opts.offset}`);
  const order = [...ranked];
  if (order.length === 0) return [];
  const rows = await db.select(base).from(comments).where(inArray(comments.id, order.map((r) => r.id)));
  const byId = new Map(rows.map((r) => [r.id, r]));
  return order.flatMap((o) => {
    const row = byId.get(o.id);
    return row ? [{ ...row, threadActivity: o.activity }] : [];
  });
}

function selectColumnsWithExcerpt(chars: number) {
  return {
    id: comments.id,
    siteId: comments.siteId,
    thread: comments.thread,
    content: sql<string>`left(${comments.content}, ${chars})`.as("content"),
    contentLength: sql<number>`char_length(${comments.content})`.mapWith(Number).as("content_length"),
    authorName: comments.authorName,
    authorEmail: comments.authorEmail,
    authorUrl: comments.authorUrl,
    ip: comments.ip,
    userAgent: comments.userAgent,
    referrer: comments.referrer,
    externalId: comments.externalId,
    parentId: comments.parentId,
    honeypotFilled: comments.honeypotFilled,
    timeToSubmitMs: comments.timeToSubmitMs,
    source: comments.source,
    meta: comments.meta,
    signals: comments.signals,
    status: comments.status,
    statusOverride: comments.statusOverride,
    verdict: comments.verdict,
    score: comments.score,
    reasons: comments.reasons,
    insufficientTraining: comments.insufficientTraining,
    modelVersion: comments.modelVersion,
    // Not shown; left out so a page does not carry every comment's learned token list.
    learnedLabel: comments.learnedLabel,
    learnedTokens: sql<string[] | null>`NULL::text[]`.as("learned_tokens"),
    learnedTokenizerVersion: comments.learnedTokenizerVersion,
    createdAt: comments.createdAt,
    scoredAt: comments.scoredAt,
    decidedAt: comments.decidedAt,
    updatedAt: comments.updatedAt,
  };
}

/** Tab counts stop here: past it the tab says "1000+", so counting never scans a whole large tab. */
export const COUNT_CAP = 1000;

/**
 * Counts per status for the queue's tabs, with the same filters, each capped at COUNT_CAP + 1 (read
 * "more than COUNT_CAP"). A text or name search counts its matches in one pass instead (one trigram
 * scan rather than four), capped at 4 × COUNT_CAP in all; `partial` says that cap was reached, and
 * then every count is a lower bound.
 */
export async function countByStatus(db: Executor, f: Omit<QueueFilter, "status">): Promise<{ counts: Record<CommentStatus, number>; partial: boolean }> {
  const counts: Record<CommentStatus, number> = { pending: 0, published: 0, held: 0, spam: 0 };
  if (f.text !== undefined || f.author !== undefined) {
    const cap = 4 * COUNT_CAP;
    const rows = await withSearchPlans(db, f, (db) =>
      db.execute<{ status: CommentStatus; n: number }>(
        sql`SELECT status, count(*)::int AS n FROM (SELECT ${comments.status} AS status FROM ${comments} WHERE ${filterWhere(f)} LIMIT ${cap + 1}) AS x GROUP BY status`,
      ),
    );
    let total = 0;
    for (const r of rows) {
      counts[r.status] = r.n;
      total += r.n;
    }
    return { counts, partial: total > cap };
  }
  const parts = commentStatuses.map(
    (status) => sql`SELECT ${status}::text AS status, count(*)::int AS n FROM (SELECT 1 FROM ${comments} WHERE ${queueWhere({ ...f, status })} LIMIT ${COUNT_CAP + 1}) AS x`,
  );
  const rows = await db.execute<{ status: CommentStatus; n: number }>(sql.join(parts, sql` UNION ALL `));
  for (const r of rows) counts[r.status] = r.n;
  return { counts, partial: false };
}

/** The decisions of many comments, oldest first per comment. */
export function listDecisionsFor(db: Executor, commentIds: string[]): Promise<DecisionRow[]> {
  if (commentIds.length === 0) return Promise.resolve([]);
  return db.select().from(decisions).where(inArray(decisions.commentId, commentIds)).orderBy(asc(decisions.commentId), asc(decisions.id));
}

/** The site's comment ids among `ids` (a form may name any id; another site's are dropped). */
export async function filterSiteCommentIds(db: Executor, siteId: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .select({ id: comments.id })
    .from(comments)
    .where(and(eq(comments.siteId, siteId), inArray(comments.id, ids)));
  return rows.map((r) => r.id);
}

// ---------------------------------------------------------------------------------------------
// The author view

export type AuthorKey = { kind: "email" | "url" | "ip"; value: string } | { kind: "net"; prefix24: string };

function authorWhere(siteId: string, key: AuthorKey): SQL | undefined {
  if (key.kind === "net") return and(eq(comments.siteId, siteId), like(comments.ip, `${likeEscape(key.prefix24)}.%`));
  const column = key.kind === "email" ? comments.authorEmail : key.kind === "url" ? comments.authorUrl : comments.ip;
  return and(eq(comments.siteId, siteId), eq(column, key.value));
}

export async function listAuthorComments(
  db: Executor,
  siteId: string,
  key: AuthorKey,
  opts: { limit: number; excerptChars: number },
): Promise<(CommentRow & { contentLength: number })[]> {
  return db
    .select(selectColumnsWithExcerpt(opts.excerptChars))
    .from(comments)
    .where(authorWhere(siteId, key))
    .orderBy(desc(comments.createdAt), desc(comments.id))
    .limit(opts.limit);
}

export async function authorCounts(
  db: Executor,
  siteId: string,
  key: AuthorKey,
): Promise<{ byStatus: Record<CommentStatus, number>; threads: number }> {
  const byStatus: Record<CommentStatus, number> = { pending: 0, published: 0, held: 0, spam: 0 };
  const rows = await db
    .select({ status: comments.status, n: count(), threads: sql<number>`count(DISTINCT ${comments.thread})`.mapWith(Number) })
    .from(comments)
    .where(authorWhere(siteId, key))
    .groupBy(comments.status);
  for (const r of rows) byStatus[r.status] = r.n;
  const [t] = await db
    .select({ n: sql<number>`count(DISTINCT ${comments.thread})`.mapWith(Number) })
    .from(comments)
    .where(authorWhere(siteId, key));
  return { byStatus, threads: t?.n ?? 0 };
}

/** Ids of the author's comments not already labelled `label` (what "decide all" changes), newest first. */
export async function authorCommentIdsToDecide(db: Executor, siteId: string, key: AuthorKey, label: "spam" | "ham", limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: comments.id })
    .from(comments)
    .where(and(authorWhere(siteId, key), sql`${comments.learnedLabel} IS DISTINCT FROM ${label}`))
    .orderBy(desc(comments.createdAt))
    .limit(limit);
  return rows.map((r) => r.id);
}

// ---------------------------------------------------------------------------------------------
// The dashboard and the settings preview

/** Decisions since `since` that still stand: undo rows, and the decisions they undid, do not count. */
export async function countDecisionsSince(db: Executor, siteId: string, since: Date): Promise<number> {
  const undone = alias(decisions, "undone");
  const [row] = await db
    .select({ n: count() })
    .from(decisions)
    .where(
      and(
        eq(decisions.siteId, siteId),
        gte(decisions.createdAt, since),
        isNull(decisions.undoesId),
        notExists(db.select({ one: sql`1` }).from(undone).where(eq(undone.undoesId, decisions.id))),
      ),
    );
  return row?.n ?? 0;
}

export async function countHeld(db: Executor, siteId: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(comments)
    .where(and(eq(comments.siteId, siteId), eq(comments.status, "held")));
  return row?.n ?? 0;
}

export async function readScopeTotals(db: Executor, scopes: string[]): Promise<Map<string, { spam: number; ham: number }>> {
  const rows = await db.select().from(scopeTotals).where(inArray(scopeTotals.scope, scopes));
  return new Map(rows.map((r) => [r.scope, { spam: r.spam, ham: r.ham }]));
}

export interface DailyRates {
  day: string;
  /** Comments the model called spam, and how many of them a moderator then called ham. */
  spamVerdicts: number;
  blockedHam: number;
  /** Comments the model published, and how many of them a moderator then called spam. */
  hamVerdicts: number;
  missedSpam: number;
}

/**
 * Per UTC day of the verdict, over the last `days` days: the label standing now (`learned_label`,
 * which undos restore) against the verdict the model gave.
 */
export async function dailyRates(db: Executor, siteId: string, days: number): Promise<DailyRates[]> {
  const rows = await db
    .select({
      day: sql<string>`to_char(date_trunc('day', ${comments.scoredAt} AT TIME ZONE 'UTC'), 'YYYY-MM-DD')`,
      spamVerdicts: sql<number>`count(*) FILTER (WHERE ${comments.verdict} = 'spam')`.mapWith(Number),
      blockedHam: sql<number>`count(*) FILTER (WHERE ${comments.verdict} = 'spam' AND ${comments.learnedLabel} = 'ham')`.mapWith(Number),
      hamVerdicts: sql<number>`count(*) FILTER (WHERE ${comments.verdict} = 'ham')`.mapWith(Number),
      missedSpam: sql<number>`count(*) FILTER (WHERE ${comments.verdict} = 'ham' AND ${comments.learnedLabel} = 'spam')`.mapWith(Number),
    })
    .from(comments)
    .where(and(eq(comments.siteId, siteId), gte(comments.scoredAt, sql`now() - make_interval(days => ${days})`)))
    .groupBy(sql`1`)
    .orderBy(sql`1`);
  return rows;
}

/** The last `limit` comments a person labelled that also had a score, newest decision first. */
export async function lastDecidedScored(db: Executor, siteId: string, limit: number): Promise<{ score: number; label: "spam" | "ham" }[]> {
  const rows = await db
    .select({ score: comments.score, label: comments.learnedLabel })
    .from(comments)
    .where(and(eq(comments.siteId, siteId), isNotNull(comments.decidedAt), isNotNull(comments.score), isNotNull(comments.learnedLabel)))
    .orderBy(desc(comments.decidedAt))
    .limit(limit);
  return rows.flatMap((r) => (r.score === null || r.label === null ? [] : [{ score: r.score, label: r.label }]));
}

// ---------------------------------------------------------------------------------------------
// Undoable actions

export async function insertAction(
  tx: Executor,
  action: { siteId: string; label: "spam" | "ham"; actor: string; undoableUntil: Date; campaignId?: string | null },
  items: ConsoleActionItemRow[] | ((actionId: string) => ConsoleActionItemRow[]),
): Promise<ConsoleActionRow> {
  const [row] = await tx.insert(consoleActions).values(action).returning();
  if (!row) throw new Error("insert returned no row");
  const list = typeof items === "function" ? items(row.id) : items;
  if (list.length > 0) await tx.insert(consoleActionItems).values(list);
  return row;
}

/** The action and its items, locked for the rest of the transaction (two undos of one action serialize). */
export async function lockAction(
  tx: Executor,
  siteId: string,
  actionId: string,
): Promise<{ action: ConsoleActionRow; items: ConsoleActionItemRow[] } | undefined> {
  const [action] = await tx
    .select()
    .from(consoleActions)
    .where(and(eq(consoleActions.id, actionId), eq(consoleActions.siteId, siteId)))
    .for("update");
  if (!action) return undefined;
  const items = await tx.select().from(consoleActionItems).where(eq(consoleActionItems.actionId, actionId)).orderBy(asc(consoleActionItems.commentId));
  return { action, items };
}

/** The site's newest action that can still be undone by this actor. */
export async function latestUndoableAction(db: Executor, siteId: string): Promise<ConsoleActionRow | undefined> {
  const [row] = await db
    .select()
    .from(consoleActions)
    .where(and(eq(consoleActions.siteId, siteId), isNull(consoleActions.undoneAt), gt(consoleActions.undoableUntil, new Date())))
    .orderBy(desc(consoleActions.createdAt))
    .limit(1);
  return row;
}

export async function markActionUndone(tx: Executor, actionId: string): Promise<void> {
  await tx.update(consoleActions).set({ undoneAt: new Date() }).where(eq(consoleActions.id, actionId));
}

/** The id of the comment's newest decision (an undo applies only while the action's is the newest). */
export async function latestDecisionId(tx: Executor, commentId: string): Promise<number | undefined> {
  const [row] = await tx
    .select({ id: decisions.id })
    .from(decisions)
    .where(eq(decisions.commentId, commentId))
    .orderBy(desc(decisions.id))
    .limit(1);
  return row?.id;
}

/** Puts a comment back in the state an action found it in, and announces the change. */
export async function restoreComment(
  tx: Executor,
  id: string,
  state: Pick<CommentRow, "status" | "decidedAt" | "learnedLabel" | "learnedTokens" | "learnedTokenizerVersion">,
): Promise<CommentRow> {
  const [row] = await tx
    .update(comments)
    .set({ ...state, updatedAt: new Date() })
    .where(eq(comments.id, id))
    .returning();
  if (!row) throw new Error("restored comment vanished");
  await notify(tx, CHANNELS.commentStatus, [id]);
  return row;
}
