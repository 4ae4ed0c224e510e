import { randomUUID } from "node:crypto";
import type { Db } from "../db/client.js";
import { createBatcher } from "../db/batch.js";
import { findByExternalId, findSiteComment, insertComment, insertComments, type NewComment } from "../db/queries/comments.js";
import { logContext, type Log } from "../log.js";
import { countEnqueueFailures } from "../observe/metrics.js";
import type { ScoreQueue } from "../queue/score-queue.js";
import type { CommentRow } from "../db/schema.js";
import type { Deps } from "../deps.js";
import { findSiteById } from "../db/queries/sites.js";
import { storeFingerprints } from "./campaigns.js";
import { NO_INTAKE_PRIVACY, intakePrivacyFor, protectIdentity, type IntakePrivacy } from "./privacy-settings.js";
import { awaitsVerdict } from "./publishing.js";

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
  /**
   * The author is trusted (see comments/publishing.ts `authorTrusted`): the comment is stored
   * `published` at once, and scored after like any other.
   */
  trusted?: boolean;
  /** `api` (default), `akismet`, `import`. */
  source?: string;
  /** Extra source fields kept for display and debugging; scoring does not read them. */
  meta?: Record<string, unknown>;
}

export class ParentNotFoundError extends Error {}

/**
 * The row a comment input is stored as (the Akismet check stores its comments through this too),
 * with the site's IP truncation and e-mail hashing applied: nothing else ever sees the raw values.
 */
export function commentRow(siteId: string, input: CommentInput, privacy: IntakePrivacy = NO_INTAKE_PRIVACY): NewComment {
  const honeypot = input.honeypot;
  const identity = protectIdentity({ email: input.author?.email, ip: input.ip }, privacy);
  return {
    siteId,
    thread: input.thread,
    content: input.content,
    authorName: input.author?.name ?? null,
    authorEmail: identity.email ?? null,
    authorUrl: input.author?.url ?? null,
    ip: identity.ip ?? null,
    userAgent: input.userAgent ?? null,
    referrer: input.referrer ?? null,
    externalId: input.externalId ?? null,
    parentId: input.parentId ?? null,
    honeypotFilled: honeypot === undefined ? null : typeof honeypot === "string" ? honeypot.trim() !== "" : honeypot,
    timeToSubmitMs: input.timeToSubmitMs ?? null,
    source: input.source ?? "api",
    meta: input.meta ?? {},
    ...(input.trusted === true ? { status: "published" as const, statusOverride: "trusted" as const } : {}),
  };
}

/** The site's intake privacy, read from the database (for callers that do not hold the site row). */
export async function intakePrivacyOf(db: Db, siteId: string): Promise<IntakePrivacy> {
  const site = await findSiteById(db, siteId);
  return site ? intakePrivacyFor(db, site) : NO_INTAKE_PRIVACY;
}

/**
 * Stores a comment as `pending` (or returns the site's earlier comment with the same externalId).
 * Throws ParentNotFoundError when `parentId` names no comment of this site. Without `privacy` the
 * site's settings are read first.
 */
export async function storeComment(
  db: Deps["db"],
  siteId: string,
  input: CommentInput,
  privacy?: IntakePrivacy,
): Promise<{ comment: CommentRow; created: boolean }> {
  if (input.parentId !== undefined && !(await findSiteComment(db, siteId, input.parentId))) {
    throw new ParentNotFoundError(`parent comment ${input.parentId} not found`);
  }
  const stored = await insertComment(db, commentRow(siteId, input, privacy ?? (await intakePrivacyOf(db, siteId))));
  // Fingerprinted at intake so that copies arriving together find each other when scored (issue 12).
  if (stored.created) await storeFingerprints(db, [stored.comment]);
  return stored;
}

/**
 * Queues scoring jobs. Never throws: when the queue is down or slow the comments stay `pending`
 * in Postgres and the sweep enqueues them later. Returns whether the jobs were added now.
 * `requestIds` (comment id → request id) go into the jobs; by default the current request's.
 */
export async function enqueueScoring(
  deps: Pick<Deps, "scoreQueue" | "log">,
  commentIds: string[],
  requestIds: ReadonlyMap<string, string> | undefined = requestIdsOf(commentIds),
  opts?: { together?: boolean },
): Promise<boolean> {
  if (commentIds.length === 0) return true;
  try {
    await deps.scoreQueue.enqueue(commentIds, requestIds, opts);
    return true;
  } catch (err) {
    countEnqueueFailures(commentIds.length);
    deps.log.warn("enqueue failed; the sweep will retry", { comments: commentIds.length, error: (err as Error).message });
    return false;
  }
}

/** The request id of the context this runs in (set by the HTTP app), for every one of `commentIds`. */
function requestIdsOf(commentIds: readonly string[]): ReadonlyMap<string, string> | undefined {
  const requestId = logContext()?.requestId;
  return typeof requestId === "string" ? new Map(commentIds.map((id) => [id, requestId])) : undefined;
}

/**
 * Intake's group commit: the comments accepted within a couple of milliseconds go to Postgres as
 * one INSERT (one commit, one WAL flush), then to the queue as one job per 50 of them (one round
 * trip; a lone comment keeps its per-comment job). Each request still waits on its own batch only.
 */
export interface IntakeBatches {
  /** Without `privacy` the site's settings are read first (the routes pass the cached site's). */
  store(siteId: string, input: CommentInput, privacy?: IntakePrivacy): Promise<{ comment: CommentRow; created: boolean }>;
  /**
   * Queues a comment's scoring; false when the queue is down or slow (the sweep catches up). The
   * job carries the current request's id (see enqueueScoring).
   */
  enqueue(commentId: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Up to 2 ms of waiting for company: next to a commit's 0.5–3 ms WAL flush on this kind of disk. */
const INTAKE_BATCH = { maxSize: 200, windowMs: 2 };

export function createIntakeBatches(deps: { db: Db; scoreQueue: ScoreQueue; log: Log }): IntakeBatches {
  const inserts = createBatcher<NewComment & { id: string }, { comment: CommentRow; created: boolean }>(async (rows) => {
    const inserted = await insertComments(deps.db, rows);
    return Promise.all(
      rows.map(async (row) => {
        const comment = inserted.get(row.id);
        if (comment) return { comment, created: true };
        // The site used this externalId before (or twice in this batch): the first comment stands.
        const existing = row.externalId == null ? undefined : await findByExternalId(deps.db, row.siteId, row.externalId);
        if (!existing) throw new Error("insert returned no row");
        return { comment: existing, created: false };
      }),
    );
  }, INTAKE_BATCH);
  const adds = createBatcher<{ id: string; requestId: string | undefined }, boolean>(async (items) => {
    const ids = items.map((i) => i.id);
    const requestIds = new Map(items.flatMap((i) => (i.requestId ? [[i.id, i.requestId] as const] : [])));
    // One job for the batch: BullMQ's per-job work, not scoring, was most of a worker's cost per
    // comment with a job each (BENCHMARKS.md), and the batch's comments are read together anyway.
    const ok = await enqueueScoring(deps, ids, requestIds, { together: true });
    return ids.map(() => ok);
    // An insert batch's comments all come back in one turn of the event loop, so the next timer
    // turn already holds them: waiting a window again would only add latency.
  }, { maxSize: INTAKE_BATCH.maxSize, windowMs: 0 });
  return {
    async store(siteId, input, privacy) {
      if (input.parentId !== undefined && !(await findSiteComment(deps.db, siteId, input.parentId))) {
        throw new ParentNotFoundError(`parent comment ${input.parentId} not found`);
      }
      const row = commentRow(siteId, input, privacy ?? (await intakePrivacyOf(deps.db, siteId)));
      return inserts.add({ ...row, id: randomUUID() });
    },
    enqueue: (id) => adds.add({ id, requestId: requestIdsOf([id])?.get(id) }),
    async close() {
      await inserts.flush();
      await adds.flush();
    },
  };
}

/** Postgres first, then the queue: the row exists before its job, so a lost job loses nothing. */
export async function acceptComment(
  deps: { intake: IntakeBatches },
  siteId: string,
  input: CommentInput,
  privacy?: IntakePrivacy,
): Promise<{ comment: CommentRow; created: boolean; enqueued: boolean }> {
  const { comment, created } = await deps.intake.store(siteId, input, privacy);
  // A replayed externalId whose comment is still unscored gets its job re-added (the job id dedups).
  const enqueued = awaitsVerdict(comment) ? await deps.intake.enqueue(comment.id) : true;
  return { comment, created, enqueued };
}
