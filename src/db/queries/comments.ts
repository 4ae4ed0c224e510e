import { and, asc, desc, eq, gt, lt, or, sql } from "drizzle-orm";
import type { Db, Executor } from "../client.js";
import { comments, sites, type CommentRow, type CommentStatus, type InsufficientTraining, type SiteRow } from "../schema.js";

/** Postgres channel on which every status change of a comment is announced (payload: its id). */
export const STATUS_CHANNEL = "comment_status";

export type NewComment = typeof comments.$inferInsert;

/**
 * Inserts a comment, or returns the site's existing comment with the same externalId.
 * `created` tells which happened.
 */
export async function insertComment(db: Executor, values: NewComment): Promise<{ comment: CommentRow; created: boolean }> {
  const p = prepared(db);
  const [row] = p
    ? await p.insertComment.execute({
        ...Object.fromEntries(INSERT_COLUMNS.map((c) => [c, values[c] ?? null])),
        source: values.source ?? "api",
        meta: values.meta ?? {},
      })
    : await db
        .insert(comments)
        .values(values)
        .onConflictDoNothing({ target: [comments.siteId, comments.externalId], where: sql`${comments.externalId} IS NOT NULL` })
        .returning();
  if (row) return { comment: row, created: true };
  if (values.externalId == null) throw new Error("insert returned no row");
  const [existing] = await db
    .select()
    .from(comments)
    .where(and(eq(comments.siteId, values.siteId), eq(comments.externalId, values.externalId)));
  if (!existing) throw new Error("conflicting comment vanished");
  return { comment: existing, created: false };
}

export async function findComment(db: Executor, id: string): Promise<CommentRow | undefined> {
  const [row] = await db.select().from(comments).where(eq(comments.id, id));
  return row;
}

/** The columns intake sets; the rest take their defaults. */
const INSERT_COLUMNS = [
  "siteId", "thread", "content", "authorName", "authorEmail", "authorUrl", "ip", "userAgent", "referrer",
  "externalId", "parentId", "honeypotFilled", "timeToSubmitMs", "source", "meta",
] as const satisfies readonly (keyof NewComment)[];

/**
 * The hot-path queries, built once per database handle: drizzle's query builder costs more CPU than
 * the query itself at worker speeds (measured in bench/service.ts).
 */
function buildPrepared(db: Db) {
  return {
    commentWithSite: db
      .select({ comment: comments, site: sites })
      .from(comments)
      .innerJoin(sites, eq(sites.id, comments.siteId))
      .where(eq(comments.id, sql.placeholder("id")))
      .prepare("comment_with_site"),
    insertComment: db
      .insert(comments)
      .values(Object.fromEntries(INSERT_COLUMNS.map((c) => [c, sql.placeholder(c)])) as unknown as NewComment)
      .onConflictDoNothing({ target: [comments.siteId, comments.externalId], where: sql`${comments.externalId} IS NOT NULL` })
      .returning()
      .prepare("insert_comment"),
    siteComment: db
      .select()
      .from(comments)
      .where(and(eq(comments.id, sql.placeholder("id")), eq(comments.siteId, sql.placeholder("siteId"))))
      .prepare("site_comment"),
  };
}
const preparedByDb = new WeakMap<Db, ReturnType<typeof buildPrepared>>();
/** Prepared queries only run on the root handle; inside a transaction we build as usual. */
function prepared(db: Executor): ReturnType<typeof buildPrepared> | undefined {
  if (!("$client" in db)) return undefined;
  let p = preparedByDb.get(db);
  if (!p) preparedByDb.set(db, (p = buildPrepared(db)));
  return p;
}

/** A comment with its site, in one round trip (the worker's first read). */
export async function findCommentWithSite(db: Executor, id: string): Promise<{ comment: CommentRow; site: SiteRow } | undefined> {
  const p = prepared(db);
  const [row] = p
    ? await p.commentWithSite.execute({ id })
    : await db.select({ comment: comments, site: sites }).from(comments).innerJoin(sites, eq(sites.id, comments.siteId)).where(eq(comments.id, id));
  return row;
}

/** The comment only if it belongs to `siteId`: another site's comment looks exactly like a missing one. */
export async function findSiteComment(db: Executor, siteId: string, id: string): Promise<CommentRow | undefined> {
  const p = prepared(db);
  if (p) return (await p.siteComment.execute({ id, siteId }))[0];
  const [row] = await db
    .select()
    .from(comments)
    .where(and(eq(comments.id, id), eq(comments.siteId, siteId)));
  return row;
}

/** Locks the comment row for the rest of the transaction (decisions on one comment serialize). */
export async function lockComment(tx: Executor, siteId: string, id: string): Promise<CommentRow | undefined> {
  const [row] = await tx
    .select()
    .from(comments)
    .where(and(eq(comments.id, id), eq(comments.siteId, siteId)))
    .for("update");
  return row;
}

export interface VerdictWrite {
  status: Exclude<CommentStatus, "pending">;
  verdict: "ham" | "unsure" | "spam";
  score: number;
  reasons: unknown[];
  modelVersion: string;
  insufficientTraining?: InsufficientTraining | null;
}

/**
 * Stores a verdict only while the comment is still `pending`: a job that runs twice writes once,
 * and a verdict landing after a moderator's decision never overwrites it. Then announces the change
 * on STATUS_CHANNEL. Returns the time written, or undefined when it did not write.
 *
 * The NOTIFY is its own statement, after the UPDATE has committed, not part of it: a transaction
 * that notifies holds Postgres's one notify lock through its commit, WAL flush included, so
 * concurrent verdict writes queued behind each other one fsync at a time (measured here, 16
 * writers: 340–400 commits/s with the NOTIFY inside, ~3,000/s with it after). The cost is one more
 * round trip, and a worker dying between the two leaves a `?wait` caller with a 202, never a lost
 * verdict (waitForSettled's contract already).
 */
export async function writeVerdict(db: Db, id: string, v: VerdictWrite): Promise<Date | undefined> {
  // postgres.js directly: once per scored comment, where drizzle's SQL building showed in profiles.
  const rows = await db.$client<{ scored_at: Date }[]>`
    UPDATE comments
    SET status = ${v.status}, verdict = ${v.verdict}, score = ${v.score},
        reasons = ${JSON.stringify(v.reasons)}::jsonb, model_version = ${v.modelVersion},
        insufficient_training = ${v.insufficientTraining ? JSON.stringify(v.insufficientTraining) : null}::jsonb,
        scored_at = now(), updated_at = now()
    WHERE id = ${id} AND status = 'pending'
    RETURNING scored_at`;
  const row = rows[0];
  if (!row) return undefined;
  await db.$client`SELECT pg_notify(${STATUS_CHANNEL}, ${id})`;
  return new Date(row.scored_at);
}

/** Records a moderator's label on the comment row (inside the decision's transaction). */
export async function setDecided(
  tx: Executor,
  id: string,
  params: { status: "published" | "spam"; learnedLabel: "spam" | "ham"; learnedTokens: string[]; learnedTokenizerVersion: string },
): Promise<CommentRow> {
  const now = new Date();
  const [row] = await tx
    .update(comments)
    .set({ ...params, decidedAt: now, updatedAt: now })
    .where(eq(comments.id, id))
    .returning();
  if (!row) throw new Error("decided comment vanished");
  await tx.execute(sql`SELECT pg_notify(${STATUS_CHANNEL}, ${id})`);
  return row;
}

export interface Cursor {
  createdAt: string;
  id: string;
}

/** A thread's published comments, oldest first, after `cursor`. */
export function listThreadPublished(
  db: Executor,
  params: { siteId: string; thread: string; after?: Cursor; limit: number },
): Promise<CommentRow[]> {
  const { after } = params;
  return db
    .select()
    .from(comments)
    .where(
      and(
        eq(comments.siteId, params.siteId),
        eq(comments.thread, params.thread),
        eq(comments.status, "published"),
        after
          ? or(gt(comments.createdAt, new Date(after.createdAt)), and(eq(comments.createdAt, new Date(after.createdAt)), gt(comments.id, after.id)))
          : undefined,
      ),
    )
    .orderBy(asc(comments.createdAt), asc(comments.id))
    .limit(params.limit);
}

/** The moderation queue: one status, optionally one thread, newest first, before `cursor`. */
export function listByStatus(
  db: Executor,
  params: { siteId: string; status: CommentStatus; thread?: string; before?: Cursor; limit: number },
): Promise<CommentRow[]> {
  const { before } = params;
  return db
    .select()
    .from(comments)
    .where(
      and(
        eq(comments.siteId, params.siteId),
        eq(comments.status, params.status),
        params.thread === undefined ? undefined : eq(comments.thread, params.thread),
        before
          ? or(lt(comments.createdAt, new Date(before.createdAt)), and(eq(comments.createdAt, new Date(before.createdAt)), lt(comments.id, before.id)))
          : undefined,
      ),
    )
    .orderBy(desc(comments.createdAt), desc(comments.id))
    .limit(params.limit);
}

/** Ids of comments still `pending` after `olderThanMs`, oldest first (for the sweep). */
export async function findStalePending(
  db: Executor,
  params: { olderThanMs: number; limit: number; siteId?: string },
): Promise<string[]> {
  const rows = await db
    .select({ id: comments.id })
    .from(comments)
    .where(
      and(
        eq(comments.status, "pending"),
        sql`${comments.createdAt} <= now() - make_interval(secs => ${params.olderThanMs / 1000})`,
        params.siteId === undefined ? undefined : eq(comments.siteId, params.siteId),
      ),
    )
    .orderBy(asc(comments.createdAt))
    .limit(params.limit);
  return rows.map((r) => r.id);
}

/** Every comment that currently teaches the model, for `retrain`, in a stable order. */
export function listLearnedComments(db: Executor, params: { afterId?: string; limit: number }): Promise<CommentRow[]> {
  return db
    .select()
    .from(comments)
    .where(and(sql`${comments.learnedLabel} IS NOT NULL`, params.afterId ? gt(comments.id, params.afterId) : undefined))
    .orderBy(asc(comments.id))
    .limit(params.limit);
}

/** Records, for many comments at once, the tokens they now contribute (retrain re-tokenizes). */
export async function setLearnedTokens(db: Executor, rows: { id: string; tokens: string[] }[], tokenizerVersion: string): Promise<void> {
  if (rows.length === 0) return;
  await db.execute(sql`
    UPDATE ${comments} AS c
    SET learned_tokens = ARRAY(SELECT jsonb_array_elements_text(r.tokens)), learned_tokenizer_version = ${tokenizerVersion}
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(id uuid, tokens jsonb)
    WHERE c.id = r.id`);
}
