import type { Label } from "../classifier/index.js";
import type { Db } from "../db/client.js";
import { insertDecision } from "../db/queries/decisions.js";
import { insertAction, latestDecisionId, lockAction, markActionUndone, restoreComment } from "../db/queries/console.js";
import { lockComment } from "../db/queries/comments.js";
import type { CommentRow, ConsoleActionItemRow, ConsoleActionRow } from "../db/schema.js";
import { lockModelShared } from "../db/queries/model.js";
import { applyLearning, recordDecisions, type LearnChange } from "./decisions.js";

/** How long a console action stays undoable: long enough to notice a slip, short enough to stay exact. */
export const UNDO_WINDOW_MS = 10 * 60_000;
/** Comments one action may decide (a bulk selection or "decide all" in the author view). */
export const MAX_ACTION_COMMENTS = 500;

export interface ActionResult {
  action: ConsoleActionRow;
  comments: CommentRow[];
}

/**
 * Decides `commentIds` (the site's own; others are skipped as missing) with one label, as one
 * undoable action: the decisions go through `recordDecisions`, and the state each comment was in
 * before is stored in the same transaction, so `undoAction` can put exactly that back.
 */
export async function decideAsAction(
  db: Db,
  params: { siteId: string; commentIds: string[]; label: Label; actor: string; note?: string | null; now?: Date; campaignId?: string },
): Promise<ActionResult> {
  const ids = [...new Set(params.commentIds)].slice(0, MAX_ACTION_COMMENTS);
  const now = params.now ?? new Date();
  return db.transaction(async (tx) => {
    // Locked in id order, so two bulk actions over overlapping selections lock rows in the same order.
    const results = await recordDecisions(tx, { siteId: params.siteId, commentIds: ids, label: params.label, note: params.note ?? null, actor: params.actor });
    const decided = results.map((r) => r.comment);
    const items: Omit<ConsoleActionItemRow, "actionId">[] = results.map((result) => ({
      commentId: result.comment.id,
      decisionId: result.decision.id,
      prevStatus: result.before.status,
      prevDecidedAt: result.before.decidedAt,
      prevLearnedLabel: result.before.learnedLabel,
      prevLearnedTokens: result.before.learnedTokens,
      prevLearnedTokenizerVersion: result.before.learnedTokenizerVersion,
    }));
    const action = await insertAction(
      tx,
      { siteId: params.siteId, label: params.label, actor: params.actor, undoableUntil: new Date(now.getTime() + UNDO_WINDOW_MS), campaignId: params.campaignId ?? null },
      (actionId) => items.map((item) => ({ ...item, actionId })),
    );
    return { action, comments: decided };
  });
}

export type UndoOutcome =
  | { outcome: "undone"; action: ConsoleActionRow; restored: CommentRow[]; skipped: string[] }
  | { outcome: "missing" }
  | { outcome: "already-undone" }
  | { outcome: "expired" };

function sameTokens(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

/**
 * The exact inverse of an action: for each comment whose newest decision is still the action's, the
 * model unlearns what the comment teaches now and relearns what it taught before (nothing, for a
 * comment that was only held), and the comment gets its old status back. Each undo is recorded as a
 * decision row (`undoesId`) in the comment's history. A comment decided again since is skipped: its
 * newer decision stands.
 */
export async function undoAction(
  db: Db,
  /** With `campaignId`, an action that did not decide that campaign is "missing". */
  params: { siteId: string; actionId: string; actor: string; now?: Date; campaignId?: string },
): Promise<UndoOutcome> {
  const now = params.now ?? new Date();
  return db.transaction(async (tx) => {
    await lockModelShared(tx);
    const found = await lockAction(tx, params.siteId, params.actionId);
    if (!found || (params.campaignId !== undefined && found.action.campaignId !== params.campaignId)) return { outcome: "missing" } as const;
    if (found.action.undoneAt) return { outcome: "already-undone" } as const;
    if (found.action.undoableUntil <= now) return { outcome: "expired" } as const;
    const restored: CommentRow[] = [];
    const skipped: string[] = [];
    // Applied after the loop, summed: the rows are locked in item (comment id) order, the token rows
    // after them all, as recordDecisions does (learning item by item deadlocked with a decision).
    const changes: LearnChange[] = [];
    for (const item of found.items) {
      const comment = await lockComment(tx, params.siteId, item.commentId);
      if (!comment || (await latestDecisionId(tx, comment.id)) !== item.decisionId) {
        skipped.push(item.commentId);
        continue;
      }
      const changed = comment.learnedLabel !== item.prevLearnedLabel || !sameTokens(comment.learnedTokens, item.prevLearnedTokens);
      if (changed) {
        // Through the decision path's one learner, so the change log (and every process's model
        // in memory) sees the undo exactly as it saw the action.
        if (comment.learnedLabel && comment.learnedTokens) {
          changes.push({ kind: "unlearn", siteId: comment.siteId, tokens: comment.learnedTokens, label: comment.learnedLabel });
        }
        if (item.prevLearnedLabel && item.prevLearnedTokens) {
          changes.push({ kind: "learn", siteId: comment.siteId, tokens: item.prevLearnedTokens, label: item.prevLearnedLabel });
        }
      }
      await insertDecision(tx, {
        commentId: comment.id,
        siteId: comment.siteId,
        label: found.action.label,
        note: "undo",
        actor: params.actor,
        undoesId: item.decisionId,
      });
      restored.push(
        await restoreComment(tx, comment.id, {
          status: item.prevStatus,
          decidedAt: item.prevDecidedAt,
          learnedLabel: item.prevLearnedLabel,
          learnedTokens: item.prevLearnedTokens,
          learnedTokenizerVersion: item.prevLearnedTokenizerVersion,
        }),
      );
    }
    await applyLearning(tx, changes);
    await markActionUndone(tx, found.action.id);
    return { outcome: "undone", action: found.action, restored, skipped } as const;
  });
}
