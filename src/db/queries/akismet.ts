import { and, asc, desc, eq, ilike, sql } from "drizzle-orm";
import type { Db, Executor } from "../client.js";
import { akismetChecks, akismetUsage, comments, type AkismetCheckRow, type AkismetUsageRow } from "../schema.js";
import { hotQuery } from "../hot.js";
import { type NewComment, type VerdictWrite, verdictRecord } from "./comments.js";

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

/** The comment columns a check stores, in parameter order after the check's own. */
const CHECKED_COLUMNS = [
  "id", "siteId", "thread", "content", "authorName", "authorEmail", "authorUrl", "ip", "userAgent", "referrer",
  "honeypotFilled", "source", "meta", "status", "verdict", "score", "reasons", "insufficientTraining", "modelVersion", "statusOverride",
] as const satisfies readonly (keyof NewComment)[];
const JSON_COLUMNS = new Set<string>(["meta", "reasons", "insufficientTraining"]);
/** $1 durable, $2 fingerprint, $3 answeredSpam, $4 blog, $5..$9 usage, then the comment columns. */
const FIRST_COMMENT_PARAM = 10;

const INSERT_CHECKED = hotQuery("insert_checked_comment", (n) => {
  const cols = CHECKED_COLUMNS.map((k) => n(comments[k])).join(", ");
  const vals = CHECKED_COLUMNS.map((k, i) => `$${FIRST_COMMENT_PARAM + i}${JSON_COLUMNS.has(k) ? "::text::jsonb" : ""}`).join(", ");
  const u = akismetUsage;
  return `WITH commit_mode AS (
      SELECT set_config('synchronous_commit', CASE WHEN $1::boolean THEN 'on' ELSE 'off' END, true) AS mode
    ),
    inserted AS (
      INSERT INTO ${n(comments)} (${cols}, ${n(comments.scoredAt)})
      VALUES (${vals}, CASE WHEN $${FIRST_COMMENT_PARAM + CHECKED_COLUMNS.indexOf("verdict")}::text IS NOT NULL THEN now() END)
      RETURNING ${n(comments.id)} AS id
    ),
    check_row AS (
      INSERT INTO ${n(akismetChecks)} (${n(akismetChecks.commentId)}, ${n(akismetChecks.siteId)}, ${n(akismetChecks.fingerprint)}, ${n(akismetChecks.answeredSpam)}, ${n(akismetChecks.blog)})
      SELECT id, $${FIRST_COMMENT_PARAM + 1}::uuid, $2::text, $3::boolean, $4::text FROM inserted
    )
    INSERT INTO ${n(u)} (${n(u.siteId)}, ${n(u.month)}, ${n(u.blog)}, ${n(u.apiCalls)}, ${n(u.spam)}, ${n(u.ham)}, ${n(u.missedSpam)}, ${n(u.falsePositives)})
    SELECT $${FIRST_COMMENT_PARAM + 1}::uuid, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM'), $4::text, $5::int, $6::int, $7::int, $8::int, $9::int
    FROM inserted, commit_mode
    ON CONFLICT (${n(u.siteId)}, ${n(u.month)}, ${n(u.blog)}) DO UPDATE SET
      ${n(u.apiCalls)} = ${n(u)}.${n(u.apiCalls)} + EXCLUDED.${n(u.apiCalls)},
      ${n(u.spam)} = ${n(u)}.${n(u.spam)} + EXCLUDED.${n(u.spam)},
      ${n(u.ham)} = ${n(u)}.${n(u.ham)} + EXCLUDED.${n(u.ham)},
      ${n(u.missedSpam)} = ${n(u)}.${n(u.missedSpam)} + EXCLUDED.${n(u.missedSpam)},
      ${n(u.falsePositives)} = ${n(u)}.${n(u.falsePositives)} + EXCLUDED.${n(u.falsePositives)}`;
});

/**
 * comment-check's one write: the comment (already scored, or `pending` when scoring could not
 * run in time), its check row and the month's usage, in a single statement and commit.
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
  const c: NewComment = { source: "akismet", status: "pending", meta: {}, ...params.comment };
  const values = CHECKED_COLUMNS.map((k) => {
    const v = c[k];
    if (JSON_COLUMNS.has(k)) return v === undefined || v === null ? null : JSON.stringify(v);
    return v ?? null;
  });
  await db.$client.unsafe(
    INSERT_CHECKED.text,
    [params.durable, params.fingerprint, params.answeredSpam, params.blog, u.apiCalls ?? 0, u.spam ?? 0, u.ham ?? 0, u.missedSpam ?? 0, u.falsePositives ?? 0, ...values] as never[],
    { prepare: true },
  );
}

const SETTLE_CHECKED = hotQuery("settle_checked_comment", (n) => {
  const u = akismetUsage;
  return `WITH commit_mode AS (
      SELECT set_config('synchronous_commit', CASE WHEN $1::boolean THEN 'on' ELSE 'off' END, true) AS mode
    ),
    verdict AS (
      UPDATE ${n(comments)} AS c
      SET ${n(comments.status)} = v.status, ${n(comments.verdict)} = v.verdict, ${n(comments.score)} = v.score,
          ${n(comments.reasons)} = v.reasons, ${n(comments.modelVersion)} = v.model_version,
          ${n(comments.insufficientTraining)} = v.insufficient_training, ${n(comments.statusOverride)} = v.status_override,
          ${n(comments.signals)} = v.signals, ${n(comments.scoredAt)} = now(), ${n(comments.updatedAt)} = now()
      FROM jsonb_to_record($2::text::jsonb)
        AS v(id uuid, status text, verdict text, score float8, reasons jsonb, model_version text, insufficient_training jsonb, status_override text, signals jsonb),
        commit_mode
      WHERE c.${n(comments.id)} = v.id
        AND (c.${n(comments.status)} = 'pending'
          OR (c.${n(comments.statusOverride)} = 'trusted' AND c.${n(comments.scoredAt)} IS NULL AND c.${n(comments.decidedAt)} IS NULL))
      RETURNING c.${n(comments.id)} AS id
    ),
    check_row AS (
      UPDATE ${n(akismetChecks)} SET ${n(akismetChecks.answeredSpam)} = $3::boolean
      WHERE ${n(akismetChecks.commentId)} = (SELECT id FROM verdict)
    ),
    usage AS (
      UPDATE ${n(u)} SET ${n(u.spam)} = ${n(u.spam)} + $6::int, ${n(u.ham)} = ${n(u.ham)} + $7::int
      WHERE ${n(u.siteId)} = $4::uuid AND ${n(u.month)} = to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM') AND ${n(u.blog)} = $5::text
        AND EXISTS (SELECT 1 FROM verdict)
    )
    SELECT id FROM verdict`;
});

/**
 * The second write of a comment-check that looked up its campaign before scoring (the comment had
 * to be stored first, as `pending`, with a call counted): the verdict and signals, the answer on
 * the check row, and the answer's spam/ham count, in one statement, only while the comment is
 * still pending. Returns whether it was (false: a moderator or the worker settled it meanwhile).
 */
export async function settleCheckedComment(
  db: Db,
  params: { commentId: string; siteId: string; blog: string; write: VerdictWrite; answeredSpam: boolean; durable: boolean },
): Promise<boolean> {
  const record = verdictRecord(params.commentId, params.write);
  const rows = await db.$client.unsafe<{ id: string }[]>(
    SETTLE_CHECKED.text,
    [params.durable, JSON.stringify(record), params.answeredSpam, params.siteId, params.blog, params.answeredSpam ? 1 : 0, params.answeredSpam ? 0 : 1] as never[],
    { prepare: true },
  );
  return rows.length > 0;
}
