import { and, asc, desc, eq, ilike, sql } from "drizzle-orm";
import type { Db, Executor } from "../client.js";
import { akismetChecks, akismetUsage, type AkismetCheckRow, type AkismetUsageRow } from "../schema.js";
import { STATUS_CHANNEL, type NewComment } from "./comments.js";

/** The UTC month Postgres is in now, as `YYYY-MM` (the database clock, so every process agrees). */
const CURRENT_MONTH = sql`to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM')`;

export interface UsageDelta {
  apiCalls?: number;
  spam?: number;
  ham?: number;
  missedSpam?: number;
  falsePositives?: number;
}

/**
 * Records a check or a submission: the check row (when given) and the month's usage counters, in
 * one statement so the two never disagree and the answer waits on one round trip only.
 */
export async function recordAkismetCall(
  db: Executor,
  params: {
    siteId: string;
    blog: string;
    usage: UsageDelta;
    check?: { commentId: string; fingerprint: string; answeredSpam: boolean | null };
  },
): Promise<void> {
  const u = params.usage;
  const usage = sql`
    INSERT INTO ${akismetUsage} (site_id, month, blog, api_calls, spam, ham, missed_spam, false_positives)
    VALUES (${params.siteId}, ${CURRENT_MONTH}, ${params.blog}, ${u.apiCalls ?? 0}, ${u.spam ?? 0}, ${u.ham ?? 0},
            ${u.missedSpam ?? 0}, ${u.falsePositives ?? 0})
    ON CONFLICT (site_id, month, blog) DO UPDATE SET
      api_calls = ${akismetUsage.apiCalls} + EXCLUDED.api_calls,
      spam = ${akismetUsage.spam} + EXCLUDED.spam,
      ham = ${akismetUsage.ham} + EXCLUDED.ham,
      missed_spam = ${akismetUsage.missedSpam} + EXCLUDED.missed_spam,
      false_positives = ${akismetUsage.falsePositives} + EXCLUDED.false_positives`;
  const c = params.check;
  if (!c) {
    await db.execute(usage);
    return;
  }
  await db.execute(sql`
    WITH check_row AS (
      INSERT INTO ${akismetChecks} (comment_id, site_id, fingerprint, answered_spam, blog)
      VALUES (${c.commentId}, ${params.siteId}, ${c.fingerprint}, ${c.answeredSpam}, ${params.blog})
      ON CONFLICT (comment_id) DO NOTHING
    )
    ${usage}`);
}

/** The site's stored check with this comment id (a guid from comment-check), if any. */
export async function findCheckByComment(db: Executor, siteId: string, commentId: string): Promise<AkismetCheckRow | undefined> {
  const [row] = await db
    .select()
    .from(akismetChecks)
    .where(and(eq(akismetChecks.siteId, siteId), eq(akismetChecks.commentId, commentId)));
  return row;
}

/** The site's newest check with the same fingerprint (same content, author and IP). */
export async function findCheckByFingerprint(db: Executor, siteId: string, fingerprint: string): Promise<AkismetCheckRow | undefined> {
  const [row] = await db
    .select()
    .from(akismetChecks)
    .where(and(eq(akismetChecks.siteId, siteId), eq(akismetChecks.fingerprint, fingerprint)))
    .orderBy(desc(akismetChecks.createdAt))
    .limit(1);
  return row;
}

/** comment-check calls this month, all blogs together (usage-limit). */
export async function monthApiCalls(db: Executor, siteId: string): Promise<number> {
  const [row] = await db
    .select({ calls: sql<string>`coalesce(sum(${akismetUsage.apiCalls}), 0)` })
    .from(akismetUsage)
    .where(and(eq(akismetUsage.siteId, siteId), eq(akismetUsage.month, CURRENT_MONTH)));
  return Number(row?.calls ?? 0);
}

/** The month `YYYY-MM` Postgres is in now (key-sites' default month). */
export async function currentMonth(db: Executor): Promise<string> {
  const [row] = await db.execute<{ month: string }>(sql`SELECT ${CURRENT_MONTH} AS month`);
  if (!row) throw new Error("no row");
  return row.month;
}

/** One month of usage per blog, busiest first, paged (key-sites). */
export async function listMonthUsage(
  db: Executor,
  params: { siteId: string; month: string; blogContains?: string; limit: number; offset: number },
): Promise<{ rows: AkismetUsageRow[]; total: number }> {
  const where = and(
    eq(akismetUsage.siteId, params.siteId),
    eq(akismetUsage.month, params.month),
    params.blogContains === undefined ? undefined : ilike(akismetUsage.blog, `%${escapeLike(params.blogContains)}%`),
  );
  const [rows, [count]] = await Promise.all([
    db
      .select()
      .from(akismetUsage)
      .where(where)
      .orderBy(desc(akismetUsage.apiCalls), asc(akismetUsage.blog))
      .limit(params.limit)
      .offset(params.offset),
    db.select({ n: sql<string>`count(*)` }).from(akismetUsage).where(where),
  ]);
  return { rows, total: Number(count?.n ?? 0) };
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

/**
 * comment-check's one write: the comment (already scored, or `pending` when scoring ran late), its
 * check row and the month's usage, plus the status announcement `writeVerdict` makes, in a single
 * statement and commit. Written against postgres.js directly, like the service's other per-comment
 * hot queries: drizzle's SQL building cost more CPU than the statement.
 *
 * With `durable: false` the commit does not wait for the WAL flush (`synchronous_commit = off`,
 * set for this one implicit transaction from inside the statement, so it costs no round trip): a
 * Postgres crash may lose the last few hundred milliseconds of such rows, never corrupts, and
 * never touches other writes. https://www.postgresql.org/docs/current/wal-async-commit.html
 */
export async function insertCheckedComment(
  db: Db,
  params: {
    comment: NewComment & { id: string; siteId: string };
    blog: string;
    fingerprint: string;
    answeredSpam: boolean;
    usage: UsageDelta;
    durable: boolean;
  },
): Promise<void> {
  const u = params.usage;
  const c = params.comment;
  const scored = c.status !== undefined && c.status !== "pending";
  await db.$client`
    WITH commit_mode AS (
      SELECT set_config('synchronous_commit', ${params.durable ? "on" : "off"}, true) AS mode
    ),
    inserted AS (
      INSERT INTO comments (id, site_id, thread, content, author_name, author_email, author_url, ip, user_agent,
                            referrer, honeypot_filled, source, meta, status, verdict, score, reasons, insufficient_training,
                            model_version, scored_at)
      VALUES (${c.id}, ${c.siteId}, ${c.thread}, ${c.content}, ${c.authorName ?? null}, ${c.authorEmail ?? null},
              ${c.authorUrl ?? null}, ${c.ip ?? null}, ${c.userAgent ?? null}, ${c.referrer ?? null},
              ${c.honeypotFilled ?? null}, ${c.source ?? "akismet"}, ${JSON.stringify(c.meta ?? {})}::jsonb,
              ${c.status ?? "pending"}, ${c.verdict ?? null}, ${c.score ?? null},
              ${c.reasons === undefined || c.reasons === null ? null : JSON.stringify(c.reasons)}::jsonb,
              ${c.insufficientTraining ? JSON.stringify(c.insufficientTraining) : null}::jsonb,
              ${c.modelVersion ?? null}, CASE WHEN ${scored} THEN now() END)
      RETURNING id
    ),
    check_row AS (
      INSERT INTO akismet_checks (comment_id, site_id, fingerprint, answered_spam, blog)
      SELECT id, ${c.siteId}, ${params.fingerprint}, ${params.answeredSpam}, ${params.blog} FROM inserted
    ),
    announced AS (
      SELECT id, CASE WHEN ${scored} THEN pg_notify(${STATUS_CHANNEL}, id::text) END AS notified
      FROM inserted, commit_mode
    )
    INSERT INTO akismet_usage (site_id, month, blog, api_calls, spam, ham, missed_spam, false_positives)
    SELECT ${c.siteId}, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM'), ${params.blog}, ${u.apiCalls ?? 0}, ${u.spam ?? 0},
           ${u.ham ?? 0}, ${u.missedSpam ?? 0}, ${u.falsePositives ?? 0}
    FROM announced
    ON CONFLICT (site_id, month, blog) DO UPDATE SET
      api_calls = akismet_usage.api_calls + EXCLUDED.api_calls,
      spam = akismet_usage.spam + EXCLUDED.spam,
      ham = akismet_usage.ham + EXCLUDED.ham,
      missed_spam = akismet_usage.missed_spam + EXCLUDED.missed_spam,
      false_positives = akismet_usage.false_positives + EXCLUDED.false_positives`;
}
