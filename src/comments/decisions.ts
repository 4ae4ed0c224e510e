import { sql } from "drizzle-orm";
import { GLOBAL_SCOPE, TOKENIZER_VERSION, learnDeltas, tokenize } from "../classifier/index.js";
import type { Label } from "../classifier/index.js";
import type { Executor } from "../db/client.js";
import { lockComment, setDecided } from "../db/queries/comments.js";
import { insertDecision } from "../db/queries/decisions.js";
import { applyDeltas } from "../db/queries/model.js";
import type { CommentRow, DecisionRow } from "../db/schema.js";
import { featuresOf } from "./scoring.js";

/**
 * Decisions take this advisory lock shared, `retrain` takes it exclusive: a retrain never
 * interleaves with a decision (which would deadlock on rows or miscount).
 */
export const MODEL_LOCK_KEY = 7_326_012;

export async function lockModelShared(tx: Executor): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock_shared(${MODEL_LOCK_KEY})`);
}

export async function lockModelExclusive(tx: Executor): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${MODEL_LOCK_KEY})`);
}

/** Applies one learn (+1) or unlearn (−1) of `tokens` to the global scope and the site's scope. */
export async function applyToScopes(tx: Executor, siteId: string, tokens: readonly string[], label: Label, sign: 1 | -1): Promise<void> {
  const deltas = learnDeltas(tokens, label, sign);
  const totals = { spam: label === "spam" ? sign : 0, ham: label === "ham" ? sign : 0 };
  // Always global before site: every learner locks rows in the same order.
  await applyDeltas(tx, GLOBAL_SCOPE, deltas, totals);
  await applyDeltas(tx, siteId, deltas, totals);
}

/**
 * Records a human decision and teaches the model, all in one transaction: the decision row
 * (append-only), the comment's new status (a decision always wins over a verdict), and the counts.
 * If the comment had taught the other label, exactly those tokens are unlearned first; the same
 * label again changes no counts. Returns undefined when the site has no such comment.
 */
export async function recordDecision(
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
      if (comment.learnedLabel && tokens) await applyToScopes(tx, comment.siteId, tokens, comment.learnedLabel, -1);
      tokens = tokenize(featuresOf(comment));
      tokenizerVersion = String(TOKENIZER_VERSION);
      await applyToScopes(tx, comment.siteId, tokens, params.label, 1);
    }
    const updated = await setDecided(tx, comment.id, {
      status: params.label === "spam" ? "spam" : "published",
      learnedLabel: params.label,
      learnedTokens: tokens,
      learnedTokenizerVersion: tokenizerVersion ?? String(TOKENIZER_VERSION),
    });
    // `before` is what an undo restores (src/comments/undo.ts); passing a transaction as `db` lets
    // the caller store it atomically with the decision.
    return { comment: updated, decision, before: comment };
  });
}
