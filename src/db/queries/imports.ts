import { and, asc, count, eq, gt, isNotNull, or } from "drizzle-orm";
import { clientOf, type Executor } from "../client.js";
import { hotQuery } from "../hot.js";
import { comments, decisions, type CommentRow } from "../schema.js";

/** An imported comment, already decided: its label is learned in the same transaction. */
export type ImportedComment = Pick<
  typeof comments.$inferInsert,
  "siteId" | "thread" | "content" | "authorName" | "authorEmail" | "authorUrl" | "ip" | "userAgent" | "externalId" | "meta" | "createdAt"
> & { externalId: string; label: "spam" | "ham"; tokens: string[]; tokenizerVersion: string };

const IMPORT_COLUMNS = [
  "siteId", "thread", "content", "authorName", "authorEmail", "authorUrl", "ip", "userAgent", "externalId", "source", "meta",
  "status", "learnedLabel", "learnedTokens", "learnedTokenizerVersion", "createdAt", "decidedAt",
] as const satisfies readonly (keyof typeof comments.$inferInsert)[];

// One jsonb parameter for the whole batch, as intake's group commit does: thousands of bound
// parameters cost more to plan than the rows cost to write (measured: 1.3 s for 400 rows).
const IMPORT_COMMENTS = hotQuery("import_comments", (n) => {
  const cols = IMPORT_COLUMNS.map((k) => n(comments[k])).join(", ");
  const typed = IMPORT_COLUMNS.map((k) => `${n(comments[k])} ${comments[k].getSQLType()}${k === "learnedTokens" ? "[]" : ""}`).join(", ");
  return `INSERT INTO ${n(comments)} (${cols})
    SELECT ${cols} FROM jsonb_to_recordset($1::text::jsonb) AS r(${typed})
    ON CONFLICT (${n(comments.siteId)}, ${n(comments.externalId)}) WHERE ${n(comments.externalId)} IS NOT NULL DO NOTHING
    RETURNING ${n(comments.id)} AS id, ${n(comments.learnedLabel)} AS label, ${n(comments.learnedTokens)} AS tokens`;
});

const DECISION_COLUMNS = ["commentId", "siteId", "label", "actor", "note"] as const satisfies readonly (keyof typeof decisions.$inferInsert)[];

const IMPORT_DECISIONS = hotQuery("import_decisions", (n) => {
  const cols = DECISION_COLUMNS.map((k) => n(decisions[k])).join(", ");
  const typed = DECISION_COLUMNS.map((k) => `${n(decisions[k])} ${decisions[k].getSQLType()}`).join(", ");
  return `INSERT INTO ${n(decisions)} (${cols}) SELECT ${cols} FROM jsonb_to_recordset($1::text::jsonb) AS r(${typed})`;
});

/**
 * Inserts decided comments (source `import`), skipping every externalId the site already has:
 * that is what makes an import resumable. Returns the rows inserted, none for those skipped.
 */
export async function insertImportedComments(tx: Executor, rows: readonly ImportedComment[]): Promise<{ id: string; label: "spam" | "ham"; tokens: string[] }[]> {
  if (rows.length === 0) return [];
  const now = new Date().toISOString();
  const payload = rows.map((r) => {
    const row: Record<(typeof IMPORT_COLUMNS)[number], unknown> = {
      siteId: r.siteId,
      thread: r.thread,
      content: r.content,
      authorName: r.authorName ?? null,
      authorEmail: r.authorEmail ?? null,
      authorUrl: r.authorUrl ?? null,
      ip: r.ip ?? null,
      userAgent: r.userAgent ?? null,
      externalId: r.externalId,
      source: "import",
      meta: r.meta ?? {},
      status: r.label === "spam" ? "spam" : "published",
      learnedLabel: r.label,
      learnedTokens: r.tokens,
      learnedTokenizerVersion: r.tokenizerVersion,
      createdAt: r.createdAt ? r.createdAt.toISOString() : now,
      decidedAt: now,
    };
    return Object.fromEntries(IMPORT_COLUMNS.map((k) => [comments[k].name, row[k]]));
  });
  return clientOf(tx).unsafe<{ id: string; label: "spam" | "ham"; tokens: string[] }[]>(IMPORT_COMMENTS.text, [JSON.stringify(payload)], { prepare: true });
}

export async function insertDecisions(tx: Executor, rows: readonly { commentId: string; siteId: string; label: "spam" | "ham"; actor: string; note?: string | null }[]): Promise<void> {
  if (rows.length === 0) return;
  const payload = rows.map((r) => Object.fromEntries(DECISION_COLUMNS.map((k) => [decisions[k].name, k === "note" ? (r.note ?? null) : r[k]])));
  await clientOf(tx).unsafe(IMPORT_DECISIONS.text, [JSON.stringify(payload)], { prepare: true });
}

/** How many comments currently teach the model (retrain's progress total). */
export async function countLearnedComments(db: Executor): Promise<number> {
  const [row] = await db.select({ n: count() }).from(comments).where(isNotNull(comments.learnedLabel));
  return row?.n ?? 0;
}

export type DecidedComment = Pick<
  CommentRow,
  "id" | "createdAt" | "learnedLabel" | "content" | "authorName" | "authorEmail" | "authorUrl" | "ip" | "userAgent" | "honeypotFilled" | "timeToSubmitMs" | "signals"
>;

/** A site's decided comments in the order they were posted, a page after `after` (for `eval --site`). */
export function listDecidedInTimeOrder(db: Executor, params: { siteId: string; after?: { createdAt: Date; id: string }; limit: number }): Promise<DecidedComment[]> {
  const { after } = params;
  return db
    .select({
      id: comments.id,
      createdAt: comments.createdAt,
      learnedLabel: comments.learnedLabel,
      content: comments.content,
      authorName: comments.authorName,
      authorEmail: comments.authorEmail,
      authorUrl: comments.authorUrl,
      ip: comments.ip,
      userAgent: comments.userAgent,
      honeypotFilled: comments.honeypotFilled,
      timeToSubmitMs: comments.timeToSubmitMs,
      signals: comments.signals,
    })
    .from(comments)
    .where(
      and(
        eq(comments.siteId, params.siteId),
        isNotNull(comments.learnedLabel),
        after ? or(gt(comments.createdAt, after.createdAt), and(eq(comments.createdAt, after.createdAt), gt(comments.id, after.id))) : undefined,
      ),
    )
    .orderBy(asc(comments.createdAt), asc(comments.id))
    .limit(params.limit);
}
