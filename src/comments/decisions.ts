import { GLOBAL_SCOPE, TOKENIZER_VERSION, learnDeltas, tokenize } from "../classifier/index.js";
import type { Label } from "../classifier/index.js";
import type { Db, Executor } from "../db/client.js";
import { clearLearned, listSiteLearned, lockComment, setDecided } from "../db/queries/comments.js";
import { insertDecision } from "../db/queries/decisions.js";
import { insertDecidedDeliveries } from "../db/queries/webhooks.js";
import { applyDeltas, lockModelShared } from "../db/queries/model.js";
import { appendModelChange } from "../db/queries/model-changes.js";
import type { CommentRow, DecisionRow } from "../db/schema.js";
import { countDecision } from "../observe/metrics.js";
import { featuresOf } from "./scoring.js";
import { followProposedCutoffs } from "./site-rules.js";

/** Applies one learn (+1) or unlearn (−1) of `tokens` to the global scope and the site's scope. */
async function applyToScopes(tx: Executor, change: LearnChange): Promise<void> {
  const sign = change.kind === "learn" ? 1 : -1;
  const deltas = learnDeltas(change.tokens, change.label, sign);
  const totals = { spam: change.label === "spam" ? sign : 0, ham: change.label === "ham" ? sign : 0 };
  // Always global before site: every learner locks rows in the same order.
  await applyDeltas(tx, GLOBAL_SCOPE, deltas, totals);
  await applyDeltas(tx, change.siteId, deltas, totals);
}

export interface LearnChange {
  kind: "learn" | "unlearn";
  siteId: string;
  tokens: readonly string[];
  label: Label;
}

/**
 * The one way counts change outside `retrain`: applies each change to Postgres, then appends it to
 * the change log that every scoring process follows, in the caller's transaction. The appends come
 * last: they hold the log's ordering lock until commit, and must not wait on count rows meanwhile.
 */
export async function applyLearning(tx: Executor, changes: readonly LearnChange[]): Promise<void> {
  for (const c of changes) await applyToScopes(tx, c);
  for (const c of changes) await appendModelChange(tx, c);
}

/**
 * Records a human decision and teaches the model, all in one transaction: the decision row
 * (append-only), the comment's new status (a decision always wins over a verdict), the counts and
 * their change-log entries. If the comment had taught the other label, exactly those tokens are
 * unlearned first; the same label again changes no counts. Returns undefined when the site has no
 * such comment. Every decision goes through here (moderators, Akismet submissions, imports).
 */
export async function recordDecision(
  db: Executor,
  params: { siteId: string; commentId: string; label: Label; note?: string | null; actor: string },
): Promise<{ comment: CommentRow; decision: DecisionRow; before: CommentRow } | undefined> {
  const recorded = await recordDecisionInTransaction(db, params);
  if (recorded) countDecision(params.label, params.actor, params.siteId);
  // After the decision (and its commit, unless the caller holds a transaction), so that the
  // proposal reads this decision too.
  if (recorded) await followProposedCutoffs(db, params.siteId);
  return recorded;
}

async function recordDecisionInTransaction(
  db: Executor,
  params: { siteId: string; commentId: string; label: Label; note?: string | null; actor: string },
): Promise<{ comment: CommentRow; decision: DecisionRow; before: CommentRow } | undefined> {
  return db.transaction(async (tx) => {
    await lockModelShared(tx);
    const comment = await lockComment(tx, params.siteId, params.commentId);
    if (!comment) return undefined;
    const decision = await insertDecision(tx, {
      commentId: comment.id,
      siteId: comment.siteId,
      label: params.label,
      note: params.note ?? null,
      actor: params.actor,
    });
    let tokens = comment.learnedTokens;
    let tokenizerVersion = comment.learnedTokenizerVersion;
    if (comment.learnedLabel !== params.label || !tokens) {
      const changes: LearnChange[] = [];
      if (comment.learnedLabel && tokens) changes.push({ kind: "unlearn", siteId: comment.siteId, tokens, label: comment.learnedLabel });
      tokens = tokenize(featuresOf(comment));
      tokenizerVersion = String(TOKENIZER_VERSION);
      changes.push({ kind: "learn", siteId: comment.siteId, tokens, label: params.label });
      await applyLearning(tx, changes);
    }
    const updated = await setDecided(tx, comment.id, {
      status: params.label === "spam" ? "spam" : "published",
      learnedLabel: params.label,
      learnedTokens: tokens,
      learnedTokenizerVersion: tokenizerVersion ?? String(TOKENIZER_VERSION),
    });
    // comment.decided webhooks: the outbox rows commit with the decision (the worker queues them).
    await insertDecidedDeliveries(tx, decision.id);
    // `before` is what an undo restores (src/comments/undo.ts); passing a transaction as `db` lets
    // the caller store it atomically with the decision.
    return { comment: updated, decision, before: comment };
  });
}

/**
 * Unlearns everything a site's comments taught (its own scope and its share of the global one),
 * through the change log like any decision. For removing a site (the tests use it to leave the
 * shared global scope as they found it).
 */
export async function unlearnSite(db: Db, siteId: string): Promise<void> {
  await db.transaction(async (tx) => {
    await lockModelShared(tx);
    const learned = await listSiteLearned(tx, siteId);
    await applyLearning(
      tx,
      learned.map((c) => ({ kind: "unlearn" as const, siteId, tokens: c.tokens, label: c.label })),
    );
    await clearLearned(tx, siteId);
  });
}
