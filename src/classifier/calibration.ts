/**
 * Calibration of the final probability: a monotone map, fitted on out-of-fold scores of labelled
 * comments, from the combined score to the share of spam among comments with that score. A map
 * cannot change the ranking (AUC, spam caught at a blocked-ham share picked on scores); it changes
 * what a fixed cutoff means. Measured in BENCHMARKS.md, "Issue 13, second session".
 */
import type { Label } from "./contract.js";

export interface ScoredLabel {
  probability: number;
  label: Label;
}

/**
 * `platt`: σ(a · logit(p) + b) (Platt 1999, with his smoothed targets). `isotonic`: pool adjacent
 * violators (Zadrozny & Elkan 2002), knots at each block's mean score, linear between them so that
 * distinct scores stay distinct inside the fitted range.
 */
export type Calibration = { kind: "platt"; a: number; b: number } | { kind: "isotonic"; x: number[]; y: number[] };

/** Scores bunch at 0 and 1 (chi-square combining); their logit is bounded here. */
const EPS = 1e-6;
const logit = (p: number) => {
  const q = Math.min(Math.max(p, EPS), 1 - EPS);
  return Math.log(q / (1 - q));
};

/**
 * Platt scaling by Newton's method on the log-loss. Targets are Platt's (N₊+1)/(N₊+2) and 1/(N₋+2)
 * rather than 1 and 0, so that a perfectly separated sample does not send `a` to infinity.
 */
export function fitPlatt(scored: readonly ScoredLabel[]): Calibration {
  const positives = scored.filter((s) => s.label === "spam").length;
  const negatives = scored.length - positives;
  const hi = (positives + 1) / (positives + 2);
  const lo = 1 / (negatives + 2);
  const z = scored.map((s) => logit(s.probability));
  const t = scored.map((s) => (s.label === "spam" ? hi : lo));
  // From the flat map, where the Hessian is well conditioned; each Newton step is halved until the
  // loss goes down (scores pinned at 0 and 1 make a full step overshoot).
  const loss = (a: number, b: number) => {
    let sum = 0;
    for (let i = 0; i < z.length; i++) {
      const m = a * (z[i] ?? 0) + b;
      const ti = t[i] ?? 0;
      // log(1 + e^m) − t·m, computed without overflow.
      sum += (m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m))) - ti * m;
    }
    return sum;
  };
  let a = 0;
  let b = 0;
  let current = loss(a, b);
  for (let iter = 0; iter < 100; iter++) {
    // Gradient and Hessian of the mean log-loss in (a, b), with a small ridge for stability.
    let ga = 0;
    let gb = 0;
    let haa = 1e-9;
    let hab = 0;
    let hbb = 1e-9;
    for (let i = 0; i < z.length; i++) {
      const zi = z[i] ?? 0;
      const p = 1 / (1 + Math.exp(-(a * zi + b)));
      const d = p - (t[i] ?? 0);
      const w = p * (1 - p);
      ga += d * zi;
      gb += d;
      haa += w * zi * zi;
      hab += w * zi;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    let da = (hbb * ga - hab * gb) / det;
    let db = (haa * gb - hab * ga) / det;
    let next = loss(a - da, b - db);
    for (let halvings = 0; next > current && halvings < 30; halvings++) {
      da /= 2;
      db /= 2;
      next = loss(a - da, b - db);
    }
    if (next > current) break;
    a -= da;
    b -= db;
    current = next;
    if (Math.abs(da) < 1e-10 && Math.abs(db) < 1e-10) break;
  }
  return { kind: "platt", a, b };
}

/** Isotonic regression of the labels on the scores (pool adjacent violators). */
export function fitIsotonic(scored: readonly ScoredLabel[]): Calibration {
  const sorted = [...scored].sort((p, q) => p.probability - q.probability);
  // Each block: total score, total label, count; merged while a block's mean label is not above the last's.
  const blocks: Array<{ sx: number; sy: number; n: number }> = [];
  for (const s of sorted) {
    blocks.push({ sx: s.probability, sy: s.label === "spam" ? 1 : 0, n: 1 });
    for (;;) {
      const last = blocks[blocks.length - 1];
      const prev = blocks[blocks.length - 2];
      if (!last || !prev || prev.sy / prev.n < last.sy / last.n) break;
      blocks.splice(blocks.length - 2, 2, { sx: prev.sx + last.sx, sy: prev.sy + last.sy, n: prev.n + last.n });
    }
  }
  return { kind: "isotonic", x: blocks.map((b) => b.sx / b.n), y: blocks.map((b) => b.sy / b.n) };
}

/** The calibrated probability of a combined score. */
export function calibrate(map: Calibration, probability: number): number {
  if (map.kind === "platt") return 1 / (1 + Math.exp(-(map.a * logit(probability) + map.b)));
  const { x, y } = map;
  const n = x.length;
  if (n === 0) return probability;
  if (probability <= (x[0] ?? 0)) return y[0] ?? probability;
  if (probability >= (x[n - 1] ?? 1)) return y[n - 1] ?? probability;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((x[mid] ?? 0) <= probability) lo = mid;
    else hi = mid;
  }
  const x0 = x[lo] ?? 0;
  const x1 = x[hi] ?? 1;
  const y0 = y[lo] ?? 0;
  const y1 = y[hi] ?? 1;
  return x1 === x0 ? y1 : y0 + ((probability - x0) / (x1 - x0)) * (y1 - y0);
}
