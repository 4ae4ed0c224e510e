/**
 * The one way comments leave the database (retention, erasure, site deletion): what they taught is
 * unlearned through `applyLearning` (so every scoring process sees it within its poll), or, when the
 * site keeps purged comments' counts, moved into the site's retained counts; then the rows go.
 */
import { learnDeltas } from "../classifier/index.js";
import type { CountDelta } from "../classifier/index.js";
import type { Executor } from "../db/client.js";
import { addRetained, countDecisionsOf, deleteComments } from "../db/queries/privacy.js";
import type { CommentRow } from "../db/schema.js";
import { applyLearning, type LearnChange } from "./decisions.js";

export interface Forgotten {
  comments: number;
  decisions: number;
  /** Comments whose counts were unlearned (the others taught nothing, or their counts were kept). */
  unlearned: number;
}

/** Sums many documents' deltas into one row per token. */
export function sumDeltas(docs: readonly CountDelta[][]): CountDelta[] {
  const acc = new Map<string, CountDelta>();
  for (const deltas of docs) {
    for (const d of deltas) {
      const row = acc.get(d.token);
      if (row) {
        row.spam += d.spam;
        row.ham += d.ham;
      } else acc.set(d.token, { ...d });
    }
  }
  return [...acc.values()];
}

/**
 * Deletes `rows` (locked by the caller, in a transaction holding the model lock shared), with their
 * decisions, fingerprints and Akismet checks (cascades), after unlearning or retaining their counts.
 */
export async function forgetComments(tx: Executor, rows: readonly CommentRow[], opts: { keepLearned: boolean }): Promise<Forgotten> {
  const learned = rows.flatMap((c) => (c.learnedLabel && c.learnedTokens ? [{ siteId: c.siteId, label: c.learnedLabel, tokens: c.learnedTokens }] : []));
  let unlearned = 0;
  if (opts.keepLearned) {
    const bySite = new Map<string, typeof learned>();
    for (const l of learned) bySite.set(l.siteId, [...(bySite.get(l.siteId) ?? []), l]);
    for (const [siteId, list] of bySite) {
      const totals = { spam: list.filter((l) => l.label === "spam").length, ham: list.filter((l) => l.label === "ham").length };
      await addRetained(tx, siteId, sumDeltas(list.map((l) => learnDeltas(l.tokens, l.label, 1))), totals);
    }
  } else if (learned.length > 0) {
    await applyLearning(
      tx,
      learned.map((l): LearnChange => ({ kind: "unlearn", siteId: l.siteId, tokens: l.tokens, label: l.label })),
    );
    unlearned = learned.length;
  }
  const ids = rows.map((r) => r.id);
  const decisions = await countDecisionsOf(tx, ids);
  const comments = await deleteComments(tx, ids);
  return { comments, decisions, unlearned };
}
