import { findSiteComment, insertComment, type NewComment } from "../db/queries/comments.js";
import type { CommentRow } from "../db/schema.js";
import type { Deps } from "../deps.js";
import { storeFingerprints } from "./campaigns.js";

/** A comment as any intake path (JSON API, Akismet, import) hands it over, already validated. */
export interface CommentInput {
  thread: string;
  content: string;
  author?: { name?: string; email?: string; url?: string };
  ip?: string;
  userAgent?: string;
  referrer?: string;
  externalId?: string;
  parentId?: string;
  /** The honeypot field's value (non-empty means a bot filled it), or whether it was filled. */
  honeypot?: string | boolean;
  timeToSubmitMs?: number;
  /** `api` (default), `akismet`, `import`. */
  source?: string;
  /** Extra source fields kept for display and debugging; scoring does not read them. */
  meta?: Record<string, unknown>;
}

export class ParentNotFoundError extends Error {}

/** The row a comment input is stored as (the Akismet check stores its comments through this too). */
export function commentRow(siteId: string, input: CommentInput): NewComment {
  const honeypot = input.honeypot;
  return {
    siteId,
    thread: input.thread,
    content: input.content,
    authorName: input.author?.name ?? null,
    authorEmail: input.author?.email ?? null,
    authorUrl: input.author?.url ?? null,
    ip: input.ip ?? null,
    userAgent: input.userAgent ?? null,
    referrer: input.referrer ?? null,
    externalId: input.externalId ?? null,
    parentId: input.parentId ?? null,
    honeypotFilled: honeypot === undefined ? null : typeof honeypot === "string" ? honeypot.trim() !== "" : honeypot,
    timeToSubmitMs: input.timeToSubmitMs ?? null,
    source: input.source ?? "api",
    meta: input.meta ?? {},
  };
}

/**
 * Stores a comment as `pending` (or returns the site's earlier comment with the same externalId).
 * Throws ParentNotFoundError when `parentId` names no comment of this site.
 */
export async function storeComment(db: Deps["db"], siteId: string, input: CommentInput): Promise<{ comment: CommentRow; created: boolean }> {
  if (input.parentId !== undefined && !(await findSiteComment(db, siteId, input.parentId))) {
    throw new ParentNotFoundError(`parent comment ${input.parentId} not found`);
  }
  const stored = await insertComment(db, commentRow(siteId, input));
  // Fingerprinted at intake so that copies arriving together find each other when scored (issue 12).
  if (stored.created) await storeFingerprints(db, [stored.comment]);
  return stored;
}

/**
 * Queues scoring jobs. Never throws: when the queue is down or slow the comments stay `pending`
 * in Postgres and the sweep enqueues them later. Returns whether the jobs were added now.
 */
export async function enqueueScoring(deps: Pick<Deps, "scoreQueue" | "log">, commentIds: string[]): Promise<boolean> {
  if (commentIds.length === 0) return true;
  try {
    await deps.scoreQueue.enqueue(commentIds);
    return true;
  } catch (err) {
    deps.log.warn("enqueue failed; the sweep will retry", { comments: commentIds.length, error: (err as Error).message });
    return false;
  }
}

/** Postgres first, then the queue: the row exists before its job, so a lost job loses nothing. */
export async function acceptComment(
  deps: Pick<Deps, "db" | "scoreQueue" | "log">,
  siteId: string,
  input: CommentInput,
): Promise<{ comment: CommentRow; created: boolean; enqueued: boolean }> {
  const { comment, created } = await storeComment(deps.db, siteId, input);
  // A replayed externalId whose comment is still pending gets its job re-added (the job id dedups).
  const enqueued = comment.status === "pending" ? await enqueueScoring(deps, [comment.id]) : true;
  return { comment, created, enqueued };
}
