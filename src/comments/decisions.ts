import { GLOBAL_SCOPE, TOKENIZER_VERSION, learnDeltas, tokenize } from "../classifier/index.js";
import type { Label } from "../classifier/index.js";
import type { Db, Executor } from "../db/client.js";
import { clearLearned, listSiteLearned, lockComment, lockComments, setDecided } from "../db/queries/comments.js";
import { insertDecision } from "../db/queries/decisions.js";
import { insertDecisions, insertImportedComments, type ImportedComment } from "../db/queries/imports.js";
import { insertDecidedDeliveries } from "../db/queries/webhooks.js";
import { applyDeltas, lockModelShared } from "../db/queries/model.js";
import { appendModelChange, appendModelChanges } from "../db/queries/model-changes.js";
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
  if (changes.length === 1 && changes[0]) {
    await applyToScopes(tx, changes[0]);
    await appendModelChange(tx, changes[0]);
    return;
  }
  await applyMerged(tx, changes);
  // One INSERT for the batch's log entries (an import's 500 learns took 500 round trips).
  await appendModelChanges(tx, changes);
}

/**
 * Several changes (a flip, a purge batch) summed into one write per scope: global first, then the
 * sites in id order, each scope's tokens sorted. Every learner then takes its row locks in one
 * global order, so a batch of 200 unlearnings cannot deadlock with a decision; the sums equal
 * applying the changes one by one.
 */
async function applyMerged(tx: Executor, changes: readonly LearnChange[]): Promise<void> {
  const scopes = new Map<string, { deltas: Map<string, { spam: number; ham: number }>; totals: { spam: number; ham: number } }>();
  const scopeOf = (scope: string) => {
    let acc = scopes.get(scope);
    if (!acc) scopes.set(scope, (acc = { deltas: new Map(), totals: { spam: 0, ham: 0 } }));
    return acc;
  };
  for (const c of changes) {
    const sign = c.kind === "learn" ? 1 : -1;
    for (const scope of [GLOBAL_SCOPE, c.siteId]) {
      const acc = scopeOf(scope);
      acc.totals[c.label] += sign;
      for (const d of learnDeltas(c.tokens, c.label, sign)) {
        const row = acc.deltas.get(d.token);
        if (row) {
          row.spam += d.spam;
          row.ham += d.ham;
        } else acc.deltas.set(d.token, { spam: d.spam, ham: d.ham });
      }
    }
  }
  const order = [...scopes.keys()].sort((a, b) => (a === GLOBAL_SCOPE ? -1 : b === GLOBAL_SCOPE ? 1 : a < b ? -1 : a > b ? 1 : 0));
  for (const scope of order) {
    const acc = scopes.get(scope);
    if (!acc) continue;
    // A token unlearned and learned again nets zero: leaving it out changes nothing.
    const deltas = [...acc.deltas].filter(([, d]) => d.spam !== 0 || d.ham !== 0).map(([token, d]) => ({ token, ...d }));
    await applyDeltas(tx, scope, deltas, acc.totals);
  }
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
): Promise<RecordedDecision | undefined> {
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
): Promise<RecordedDecision | undefined> {
  return db.transaction(async (tx) => {
    await lockModelShared(tx);
    const comment = await lockComment(tx, params.siteId, params.commentId);
    if (!comment) return undefined;
    const { changes, ...recorded } = await writeDecision(tx, comment, params);
    await applyLearning(tx, changes);
    return recorded;
  });
}

export interface RecordedDecision {
  comment: CommentRow;
  decision: DecisionRow;
  /** The comment as it was: what an undo restores (src/comments/undo.ts). */
  before: CommentRow;
}

/**
 * One decision's rows on a comment the caller locked: the decision (append-only), the comment's new
 * status (a decision always wins over a verdict), its webhook outbox rows (they commit with it). The
 * learning is returned, not applied: the caller applies it last, so that the change-log lock is the
 * last lock it takes, and a bulk action sums all of its decisions' learning into one write.
 */
async function writeDecision(
  tx: Executor,
  comment: CommentRow,
  params: { label: Label; note?: string | null; actor: string },
): Promise<RecordedDecision & { changes: LearnChange[] }> {
  const decision = await insertDecision(tx, {
    commentId: comment.id,
    siteId: comment.siteId,
    label: params.label,
    note: params.note ?? null,
    actor: params.actor,
  });
  let tokens = comment.learnedTokens;
  let tokenizerVersion = comment.learnedTokenizerVersion;
  const changes: LearnChange[] = [];
  if (comment.learnedLabel !== params.label || !tokens) {
    if (comment.learnedLabel && tokens) changes.push({ kind: "unlearn", siteId: comment.siteId, tokens, label: comment.learnedLabel });
    tokens = tokenize(featuresOf(comment));
    tokenizerVersion = String(TOKENIZER_VERSION);
    changes.push({ kind: "learn", siteId: comment.siteId, tokens, label: params.label });
  }
  const updated = await setDecided(tx, comment.id, {
    status: params.label === "spam" ? "spam" : "published",
    learnedLabel: params.label,
    learnedTokens: tokens,
    learnedTokenizerVersion: tokenizerVersion ?? String(TOKENIZER_VERSION),
  });
  // comment.decided webhooks: the outbox rows commit with the decision (the worker queues them).
  await insertDecidedDeliveries(tx, decision.id);
  return { comment: updated, decision, before: comment, changes };
}

/**
 * Decides several of a site's comments with one label in the caller's transaction (a console bulk
 * action, a campaign's members), each recorded as `recordDecision` records one. The comments are
 * locked first, in id order, and the learning of all of them goes last, summed into one write per
 * scope (applyLearning's global row order). Learned comment by comment, the action took token rows
 * after the change-log lock and in no global order, and deadlocked with a decision running beside
 * it (test/campaign-label-race.test.ts). Comments the site does not have are left out.
 */
export async function recordDecisions(
  tx: Executor,
  params: { siteId: string; commentIds: readonly string[]; label: Label; note?: string | null; actor: string },
): Promise<RecordedDecision[]> {
  await lockModelShared(tx);
  const locked = await lockComments(tx, params.siteId, params.commentIds);
  const recorded: RecordedDecision[] = [];
  const changes: LearnChange[] = [];
  for (const comment of locked) {
    const { changes: own, ...one } = await writeDecision(tx, comment, params);
    changes.push(...own);
    recorded.push(one);
  }
  await applyLearning(tx, changes);
  for (const _ of recorded) countDecision(params.label, params.actor, params.siteId);
  if (recorded.length > 0) await followProposedCutoffs(tx, params.siteId);
  return recorded;
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

/** A labeled comment from a site's history (`commentinel import`), as it will be stored. */
export type ImportedInput = Omit<ImportedComment, "tokens" | "tokenizerVersion">;

/**
 * Stores a batch of already-labeled comments and learns them, in one transaction: the comments
 * (skipping externalIds the site already has), one decision each (`actor`), the counts and the
 * change log, as `recordDecision` does one at a time. The counts of the whole batch go in one
 * upsert per scope, and the log entries in one INSERT; followers apply them as usual. A crash
 * leaves a batch all there or not at all, so a rerun of the import finds a clean edge.
 */
export async function recordImportedDecisions(db: Db, siteId: string, rows: readonly ImportedInput[], actor: string): Promise<{ inserted: number; byLabel: Record<Label, number> }> {
  const version = String(TOKENIZER_VERSION);
  const prepared: ImportedComment[] = rows.map((r) => ({
    ...r,
    siteId,
    tokens: tokenize(featuresOf({ content: r.content, authorName: r.authorName, authorEmail: r.authorEmail, authorUrl: r.authorUrl, ip: r.ip, userAgent: r.userAgent })),
    tokenizerVersion: version,
  }));
  return db.transaction(async (tx) => {
    await lockModelShared(tx);
    const inserted = await insertImportedComments(tx, prepared);
    const byLabel: Record<Label, number> = { spam: 0, ham: 0 };
    const changes: { kind: "learn"; siteId: string; label: Label; tokens: string[] }[] = [];
    for (const c of inserted) {
      byLabel[c.label]++;
      changes.push({ kind: "learn", siteId, label: c.label, tokens: c.tokens });
    }
    await insertDecisions(tx, inserted.map((c) => ({ commentId: c.id, siteId, label: c.label, actor })));
    await applyLearning(tx, changes);
    return { inserted: changes.length, byLabel };
  });
}
