/**
 * Operating points: how much spam is caught when at most a given share of ham may be blocked.
 * Thresholds come from the scores themselves (the ham score just inside the allowance), not from a
 * grid: scores that bunch up near 1 fall between any grid's steps.
 */
import type { Prediction } from "./metrics.js";

/** The blocked-ham allowances every eval reports (0.1 %, 0.3 %, 1 %). */
export const OPERATING_RATES = [0.001, 0.003, 0.01] as const;

export interface OperatingPoint {
  /** The allowance: at most this share of ham blocked where the threshold was chosen. */
  maxBlockedHam: number;
  /** Spam iff score > threshold (strict: the ham at the threshold itself stays unblocked). */
  threshold: number;
  spamCaught: number;
  blockedHam: number;
}

/** Counts under the rule spam iff score > threshold. */
export interface Tally {
  spam: number;
  spamCaught: number;
  ham: number;
  hamBlocked: number;
}

export function tally(predictions: readonly Prediction[], threshold: number): Tally {
  const t: Tally = { spam: 0, spamCaught: 0, ham: 0, hamBlocked: 0 };
  for (const p of predictions) {
    const blocked = p.probability > threshold;
    if (p.label === "spam") {
      t.spam++;
      if (blocked) t.spamCaught++;
    } else {
      t.ham++;
      if (blocked) t.hamBlocked++;
    }
  }
  return t;
}

/**
 * The lowest threshold (rule: spam iff score > threshold) that blocks at most `maxBlockedHam` of the
 * ham in `predictions`: the (⌊rate·n⌋+1)-th highest ham score. Ties at that score all stay unblocked,
 * so the allowance is never exceeded. Without ham every score may be blocked (−Infinity).
 */
export function thresholdFor(predictions: readonly Prediction[], maxBlockedHam: number): number {
  const hams = predictions.filter((p) => p.label === "ham").map((p) => p.probability).sort((a, b) => b - a);
  const allowed = Math.floor(maxBlockedHam * hams.length + 1e-9);
  return hams[allowed] ?? -Infinity;
}

/** The operating point chosen on these scores and measured on them (the oracle figure). */
export function operatingPoint(predictions: readonly Prediction[], maxBlockedHam: number): OperatingPoint {
  const threshold = thresholdFor(predictions, maxBlockedHam);
  const t = tally(predictions, threshold);
  return { maxBlockedHam, threshold, spamCaught: ratio(t.spamCaught, t.spam), blockedHam: ratio(t.hamBlocked, t.ham) };
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/** Adds up tallies of several test parts, each scored at its own threshold (the honest figure). */
export function pooled(parts: readonly Tally[]): { spamCaught: number; blockedHam: number } {
  const sum = parts.reduce((a, b) => ({ spam: a.spam + b.spam, spamCaught: a.spamCaught + b.spamCaught, ham: a.ham + b.ham, hamBlocked: a.hamBlocked + b.hamBlocked }), {
    spam: 0,
    spamCaught: 0,
    ham: 0,
    hamBlocked: 0,
  });
  return { spamCaught: ratio(sum.spamCaught, sum.spam), blockedHam: ratio(sum.hamBlocked, sum.ham) };
}
