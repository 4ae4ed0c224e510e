/**
 * The classifier's public contract. The service (worker, Postgres backend), the eval CLI and the
 * benchmarks code against these names only; `src/classifier/index.ts` re-exports them with the
 * implementation. Pure: no I/O, no clock, no environment.
 */

/** What the caller knows about a comment besides its text. All optional: absent means unknown. */
export interface CommentFeatures {
  /** Comment body as the site sent it (may contain HTML). */
  content: string;
  authorName?: string;
  authorEmail?: string;
  authorUrl?: string;
  ip?: string;
  userAgent?: string;
  /** A hidden form field that humans leave empty was filled in. */
  honeypotFilled?: boolean;
  /** Milliseconds between the form being shown and submitted. */
  timeToSubmitMs?: number;
  /** The caller found this exact text already on this site. */
  seenBefore?: boolean;
  /** The campaign the caller clustered this comment into (issue 12), if any. */
  campaign?: CampaignSignal;
}

/** What the model hears of a campaign: counts only (`campaignTokens` turns them into tokens). */
export interface CampaignSignal {
  size: number;
  sites: number;
  decidedSpam: number;
  decidedHam: number;
}

export type Label = "spam" | "ham";
export type Verdict = "ham" | "unsure" | "spam";

/** Documents learned per label in one scope (global, or one site). */
export interface ScopeTotals {
  spam: number;
  ham: number;
}

/** Per-token counts in one scope, in `COUNT_SCALE` units (a document adds its damped weight). */
export interface TokenCounts {
  spam: number;
  ham: number;
}

/** The slice of a scope that scoring one comment needs: totals plus the counts of its own tokens. */
export interface ScopeSlice {
  totals: ScopeTotals;
  /** Only the comment's tokens need to be present; a missing token counts as {0, 0}. */
  tokens: ReadonlyMap<string, TokenCounts>;
}

/** Everything scoring reads: the site's slice leans on the global one (Robinson's prior). */
export interface ScoringData {
  global: ScopeSlice;
  site?: ScopeSlice;
}

export interface ScoreOptions {
  /** probability < hamCutoff → ham. */
  hamCutoff: number;
  /** probability ≥ spamCutoff → spam; in between → unsure. */
  spamCutoff: number;
  /** Until site+global together learned this many of EACH label, the verdict is `unsure`. */
  minPerLabel: number;
  /** How many of the strongest clues to return as reasons. */
  maxReasons?: number;
  /** Robinson's s: how many documents' worth of weight the prior carries (SpamBayes: 0.45). */
  unknownWordStrength?: number;
  /** Robinson's x for the global scope: f(w) of a never-seen token (SpamBayes: 0.5). */
  unknownWordProb?: number;
  /** Clues with |f(w) − 0.5| below this are ignored (SpamBayes: 0.1). */
  minimumProbStrength?: number;
  /** At most this many of the strongest clues are combined (SpamBayes: 150). */
  maxDiscriminators?: number;
  /** Robinson's s for a site estimate whose prior is the global f(w). */
  sitePriorStrength?: number;
  /** In 0..1: how much of its distance from 0.5 a word's 5-letter piece (`gram:`) keeps (default 0.5). */
  subwordWeight?: number;
  /** How clues are combined: Fisher/Robinson chi-square (`chi2`) or a sum of log-odds (`logodds`). */
  combining?: "chi2" | "logodds";
  /**
   * Redundant clues (from the same word, URL or spaced run): `none` counts each as independent,
   * `exclusive` lets only the strongest clue of each stretch vote, `discount` divides a clue's
   * weight by how many stronger clues already covered its stretch.
   */
  redundancy?: "none" | "exclusive" | "discount";
  /** logodds only: the sum is divided by (number of clues)^lengthNorm (0: none, 0.5: √n, 1: mean). */
  lengthNorm?: number;
  /** logodds only: the normalized sum is divided by this before the logistic map. */
  temperature?: number;
  /**
   * How a campaign's tokens (`campaign:*`, issue 12) weigh in: `added` (default) adds the learned
   * log-likelihood ratio of one of them (how its members were decided, else the strongest) to the
   * log-odds of the text's combined score, as naive Bayes combines independent evidence; `clue`
   * lets each vote as one more clue among the text's.
   */
  campaignEvidence?: "added" | "clue";
}

export interface Clue {
  token: string;
  /** Robinson f(w): the token's spam probability after the prior. */
  probability: number;
  direction: Label;
  /** |f(w) − 0.5| scaled to 0..1: how hard the clue pulls. */
  weight: number;
  /** Set when this reason is a hard rule that decided the verdict (see `applyHardRules`), not a token. */
  rule?: "honeypot" | "too-fast";
}

export interface ScoreResult {
  /** Spam probability in [0, 1]. */
  probability: number;
  verdict: Verdict;
  /** Strongest clues first. */
  reasons: Clue[];
  /** Set when the verdict was forced to `unsure` because too little was learned. */
  insufficientTraining?: { spam: number; ham: number; required: number };
  /** Hard rules that overrode the model's verdict (see `applyHardRules`). */
  rules?: Array<"honeypot" | "too-fast">;
}

/** One row change the learn/unlearn path applies to a scope: add `delta` to the token's label count. */
export interface CountDelta {
  token: string;
  spam: number;
  ham: number;
}
