import { and, asc, count, eq, gt, isNotNull, or, sql } from "drizzle-orm";
import type { Executor } from "../client.js";
import { comments, decisions, type CommentRow } from "../schema.js";

/** An imported comment, already decided: its label is learned in the same transaction. */
export type ImportedComment = Pick<
  typeof comments.$inferInsert,
  "siteId" | "thread" | "content" | "authorName" | "authorEmail" | "authorUrl" | "ip" | "userAgent" | "externalId" | "meta" | "createdAt"
> & { externalId: string; label: "spam" | "ham"; tokens: string[]; tokenizerVersion: string };

/**
 * Inserts decided comments (source `import`), skipping every externalId the site already has:
 * that is what makes an import resumable. Returns the rows inserted, none for those skipped.
 */
export async function insertImportedComments(
  tx: Executor,
  rows: readonly ImportedComment[],
): Promise<Pick<CommentRow, "id" | "siteId" | "externalId" | "learnedLabel" | "learnedTokens">[]> {
  if (rows.length === 0) return [];
  const now = new Date();
  return tx
    .insert(comments)
    .values(
      rows.map((r) => ({
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
        status: r.label === "spam" ? ("spam" as const) : ("published" as const),
        learnedLabel: r.label,
        learnedTokens: r.tokens,
        learnedTokenizerVersion: r.tokenizerVersion,
        createdAt: r.createdAt ?? now,
        decidedAt: now,
      })),
    )
    .onConflictDoNothing({ target: [comments.siteId, comments.externalId], where: sql`${comments.externalId} IS NOT NULL` })
    .returning({ id: comments.id, siteId: comments.siteId, externalId: comments.externalId, learnedLabel: comments.learnedLabel, learnedTokens: comments.learnedTokens });
}

export async function insertDecisions(tx: Executor, rows: readonly { commentId: string; siteId: string; label: "spam" | "ham"; actor: string; note?: string | null }[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.insert(decisions).values(rows.map((r) => ({ ...r, note: r.note ?? null })));
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
