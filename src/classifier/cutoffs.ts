/**
 * Cutoffs proposed from a site's own decided comments (issue 13): the score each comment had when it
 * was scored, against the label a moderator gave it. Thresholds come from the scores themselves.
 */
import type { Label } from "./contract.js";

export interface DecidedScore {
  probability: number;
  label: Label;
}

export interface CutoffTargets {
  /** At most this share of the decided ham would have been blocked (verdict `spam`). */
  maxBlockedHam: number;
  /** At most this share of the decided spam would have been published (verdict `ham`). */
  maxPassedSpam: number;
  /** Fewer decided comments of either label than this give no proposal. */
  minPerLabel: number;
}

/**
 * 0.3 % blocked ham: where the issue puts a site's tolerance. 2 % spam published: the prequential
 * target. 30 of each label: below that one comment moves a rate by more than 3 points.
 */
export const DEFAULT_CUTOFF_TARGETS: CutoffTargets = { maxBlockedHam: 0.003, maxPassedSpam: 0.02, minPerLabel: 30 };

export type CutoffProposal =
  | {
      ok: true;
      hamCutoff: number;
      spamCutoff: number;
      /** What these cutoffs would have done to the decided comments. */
      blockedHam: number;
      passedSpam: number;
      held: number;
      spam: number;
      ham: number;
    }
  | { ok: false; reason: "insufficient"; spam: number; ham: number; required: number };

/** The smallest score in `sorted` (ascending) greater than `x`, halfway to it; just above `x` at the top. */
function justAbove(sorted: readonly number[], x: number): number {
  for (const v of sorted) if (v > x) return (x + v) / 2;
  return Math.min(1, x + (1 - x) / 2);
}

/**
 * The cutoffs that meet both targets on the decided comments with the fewest held: the spam cutoff
 * is the lowest that blocks at most `maxBlockedHam` of the ham (spam iff p ≥ spamCutoff), the ham
 * cutoff the highest at or below it that publishes at most `maxPassedSpam` of the spam (ham iff
 * p < hamCutoff). The spam cutoff sits halfway between two observed scores, so a tie never crosses it.
 */
export function proposeCutoffs(decided: readonly DecidedScore[], targets: CutoffTargets = DEFAULT_CUTOFF_TARGETS): CutoffProposal {
  const hams = decided.filter((d) => d.label === "ham").map((d) => d.probability).sort((a, b) => b - a);
  const spams = decided.filter((d) => d.label === "spam").map((d) => d.probability).sort((a, b) => a - b);
  if (hams.length < targets.minPerLabel || spams.length < targets.minPerLabel) {
    return { ok: false, reason: "insufficient", spam: spams.length, ham: hams.length, required: targets.minPerLabel };
  }
  const all = [...hams, ...spams].sort((a, b) => a - b);
  const allowedHam = Math.floor(targets.maxBlockedHam * hams.length + 1e-9);
  // The highest ham that must stay unblocked; the cutoff sits just above it.
  const keep = hams[allowedHam];
  const spamCutoff = keep === undefined ? 0 : justAbove(all, keep);
  const allowedSpam = Math.floor(targets.maxPassedSpam * spams.length + 1e-9);
  // The lowest spam that must not be published (ties with it are not published either).
  const lowest = spams[allowedSpam];
  const hamCutoff = lowest === undefined ? spamCutoff : Math.min(spamCutoff, lowest);
  const blockedHam = hams.filter((p) => p >= spamCutoff).length / hams.length;
  const passedSpam = spams.filter((p) => p < hamCutoff).length / spams.length;
  const held = decided.filter((d) => d.probability >= hamCutoff && d.probability < spamCutoff).length / decided.length;
  return { ok: true, hamCutoff, spamCutoff, blockedHam, passedSpam, held, spam: spams.length, ham: hams.length };
}
