import { COUNT_SCALE, TOKEN_TOTAL } from "./model.js";
import { stretchesOf } from "./redundancy.js";
import { SUBWORD_PREFIX } from "./tokenize.js";
import { CAMPAIGN_DECIDED_PREFIX, CAMPAIGN_PREFIX } from "./campaign.js";
import type { Clue, ScopeSlice, ScoreOptions, ScoreResult, ScoringData, TokenCounts, Verdict } from "./contract.js";

/**
 * Defaults for the SpamBayes-style knobs (see `ScoreOptions`). Prior, min-strength and
 * max-discriminators are SpamBayes' own defaults (spambayes/Options.py: unknown_word_prob 0.5,
 * minimum_prob_strength 0.1, max_discriminators 150). Robinson's strength is 2 rather than
 * SpamBayes' 0.45: comments are short, so one sighting should weigh less than in e-mail; chosen on
 * leave-one-video-out runs (BENCHMARKS.md). The cutoffs were calibrated on out-of-sample scores:
 * see BENCHMARKS.md, "Classifier → Cutoffs". The subword weight halves the pull of a word's
 * 5-letter pieces: at 1 they double-count their word and blocked more ham on unseen videos; 0.25,
 * 0.5 and 0.75 all raised AUC, 0.5 gave the best 10-fold figures with leave-one-video-out on par
 * (BENCHMARKS.md, "Generalization experiments").
 */
export const DEFAULT_SCORE_OPTIONS: ScoreOptions = {
  hamCutoff: 0.3,
  spamCutoff: 0.75,
  minPerLabel: 10,
  maxReasons: 8,
  unknownWordStrength: 2,
  unknownWordProb: 0.5,
  minimumProbStrength: 0.1,
  maxDiscriminators: 150,
  sitePriorStrength: 3,
  subwordWeight: 0.5,
  // Log-odds combining, length normalization and redundancy handling were measured against these
  // and did not beat them on both protocols (BENCHMARKS.md, "Issue 13 … Ranking experiments").
  combining: "chi2",
  redundancy: "none",
  campaignEvidence: "added",
};

const ZERO: TokenCounts = { spam: 0, ham: 0 };

/**
 * Robinson's f(w) = (s·x + n·p(w)) / (s + n), where p(w) compares how often the token occurs per
 * token learned under each label (`base`, see `frequencyBase`), and n is the token's evidence in
 * documents (counts are in `COUNT_SCALE` units, damped by length: see `documentWeight`).
 */
function robinson(counts: TokenCounts, base: TokenCounts, prior: number, strength: number): number {
  const n = (counts.spam + counts.ham) / COUNT_SCALE;
  if (n === 0) return prior;
  const spamBase = base.spam;
  const hamBase = base.ham;
  const spamRatio = spamBase > 0 ? Math.min(1, counts.spam / spamBase) : 0;
  const hamRatio = hamBase > 0 ? Math.min(1, counts.ham / hamBase) : 0;
  const sum = spamRatio + hamRatio;
  if (sum === 0) return prior;
  const p = spamRatio / sum;
  return (strength * prior + n * p) / (strength + n);
}

/**
 * The probability that a chi-square variable with `v` (even) degrees of freedom exceeds `x2`.
 * Series from SpamBayes' chi2.py (after Gary Robinson's "Handling Redundancy in Email Token
 * Probabilities"), exact for even v.
 */
function chi2Q(x2: number, v: number): number {
  const m = x2 / 2;
  let term = Math.exp(-m);
  let sum = term;
  for (let i = 1; i < v / 2; i++) {
    term *= m / i;
    sum += term;
  }
  return Math.min(sum, 1);
}

/**
 * What a token's count is divided by. With the `TOKEN_TOTAL` row present (tokenize adds it, learnDeltas
 * counts every token of a document into it) this is the number of tokens learned per label, so
 * P(w|label) is a per-token frequency as in multinomial naive Bayes. Dividing by documents instead
 * (Graham/SpamBayes) makes every common word look spammy when spam comments are longer than ham —
 * on the YouTube set that cost 10 points of accuracy (BENCHMARKS.md, "Classifier → Token frequency").
 * Without the row (hand-made token lists, learned at one document each) it falls back to the
 * document totals, in count units.
 */
function frequencyBase(slice: ScopeSlice): TokenCounts {
  const row = slice.tokens.get(TOKEN_TOTAL);
  if (row && row.spam > 0 && row.ham > 0) return row;
  return { spam: slice.totals.spam * COUNT_SCALE, ham: slice.totals.ham * COUNT_SCALE };
}

/** A slice is usable for a site estimate only if it has learned both labels; otherwise its ratios are one-sided. */
function hasBothLabels(slice: ScopeSlice | undefined): slice is ScopeSlice {
  return slice !== undefined && slice.totals.spam > 0 && slice.totals.ham > 0;
}

/** f(w) for one token: global estimate first, then the site's counts with the global value as prior. */
export function tokenProbability(token: string, data: ScoringData, options: ScoreOptions): number {
  const strength = options.unknownWordStrength ?? 2;
  const prior = options.unknownWordProb ?? 0.5;
  const globalCounts = data.global.tokens.get(token) ?? ZERO;
  const globalP = hasBothLabels(data.global) ? robinson(globalCounts, frequencyBase(data.global), prior, strength) : prior;
  if (!hasBothLabels(data.site)) return globalP;
  const siteCounts = data.site.tokens.get(token) ?? ZERO;
  return robinson(siteCounts, frequencyBase(data.site), globalP, options.sitePriorStrength ?? 3);
}

/**
 * The f(w) a token contributes to the combining: a word's 5-letter pieces (`SUBWORD_PREFIX`) are
 * pulled towards 0.5 by `subwordWeight`, since they are not independent of the word they come from
 * (naive Bayes would count the same evidence twice).
 */
function clueProbability(token: string, data: ScoringData, options: ScoreOptions): number {
  const probability = tokenProbability(token, data, options);
  if (!token.startsWith(SUBWORD_PREFIX)) return probability;
  return 0.5 + (options.subwordWeight ?? 0.5) * (probability - 0.5);
}

/**
 * The clues that vote, strongest first, and how much each counts. With redundancy handling, each
 * stretch of text (see ./redundancy.ts) is covered by its strongest clue: `exclusive` drops the
 * weaker clues over a covered stretch, `discount` divides their weight by 1 + the times it was covered.
 */
function pickClues(clues: readonly Clue[], redundancy: NonNullable<ScoreOptions["redundancy"]>, max: number): { used: Clue[]; weights: number[] } {
  if (redundancy === "none") {
    const used = clues.slice(0, max);
    return { used, weights: used.map(() => 1) };
  }
  const stretches = stretchesOf(clues.map((c) => c.token));
  const covered = new Map<string, number>();
  const used: Clue[] = [];
  const weights: number[] = [];
  for (const clue of clues) {
    if (used.length >= max) break;
    const own = stretches.get(clue.token) ?? [clue.token];
    let times = 0;
    for (const stretch of own) times = Math.max(times, covered.get(stretch) ?? 0);
    if (redundancy === "exclusive" && times > 0) continue;
    for (const stretch of own) covered.set(stretch, (covered.get(stretch) ?? 0) + 1);
    used.push(clue);
    weights.push(1 / (1 + times));
  }
  return { used, weights };
}

const clamp = (p: number) => Math.min(Math.max(p, 1e-6), 1 - 1e-6);

const strongestFirst = (a: Clue, b: Clue) => b.weight - a.weight || (a.token < b.token ? -1 : a.token > b.token ? 1 : 0);

/**
 * The one campaign token that speaks for the campaign. Its tokens describe one fact (this text is
 * posted again and again), and its size, sites and decided labels go together, so adding all of
 * them would count it several times. The moderators' decisions on its members, when there are
 * any, are what it says of this very text, and outrank its size: a campaign of copies decided ham
 * is not spam for being large. Otherwise the strongest of its size and sites, either way.
 */
function campaignClueOf(campaignClues: readonly Clue[]): Clue | undefined {
  const decided = campaignClues.filter((c) => c.token.startsWith(CAMPAIGN_DECIDED_PREFIX));
  let best: Clue | undefined;
  for (const clue of decided.length > 0 ? decided : campaignClues) if (!best || strongestFirst(clue, best) < 0) best = clue;
  return best;
}

/**
 * The text's combined score moved by its campaign: the log-likelihood ratio of the campaign's
 * token (`campaignClueOf`; its learned f(w) as log-odds, from per-token frequencies under each
 * label, see `robinson`) is added to the score's log-odds, as naive Bayes combines independent
 * evidence. A campaign is a fact about where the text came from, not a word of it: as one clue
 * among a long comment's dozens it barely moved the chi-square result, so a copy of a campaign
 * that moderators decided spam scored as if it were new. Added like this, the model's own estimate
 * of how much campaigns mean decides how far one moves a score, and a token that taught nothing
 * (f(w) ≈ 0.5) moves it not at all.
 */
function withCampaignEvidence(probability: number, campaignClue: Clue | undefined): number {
  if (!campaignClue) return probability;
  const p = clamp(probability);
  const f = clamp(campaignClue.probability);
  const logOdds = Math.log(p / (1 - p)) + Math.log(f / (1 - f));
  return 1 / (1 + Math.exp(-logOdds));
}

/** SpamBayes' chi2_spamprob: (S − H + 1) / 2 from Fisher's method on both tails. */
function chi2Combine(used: readonly Clue[]): number {
  if (used.length === 0) return 0.5;
  let logSpam = 0;
  let logHam = 0;
  for (const clue of used) {
    // Clamp so that a token seen in only one label cannot force log(0).
    const p = clamp(clue.probability);
    logHam += Math.log(p);
    logSpam += Math.log(1 - p);
  }
  const n = used.length;
  const s = 1 - chi2Q(-2 * logSpam, 2 * n);
  const h = 1 - chi2Q(-2 * logHam, 2 * n);
  return Math.min(1, Math.max(0, (s - h + 1) / 2));
}

/** Naive Bayes' sum of log-odds over the clues (weighted), length-normalized, through the logistic map. */
function logOddsCombine(used: readonly Clue[], weights: readonly number[], options: ScoreOptions): number {
  if (used.length === 0) return 0.5;
  let sum = 0;
  let count = 0;
  used.forEach((clue, i) => {
    const p = clamp(clue.probability);
    const w = weights[i] ?? 1;
    sum += w * Math.log(p / (1 - p));
    count += w;
  });
  const normalized = sum / Math.pow(count, options.lengthNorm ?? 0) / (options.temperature ?? 1);
  return 1 / (1 + Math.exp(-normalized));
}

function verdictFor(probability: number, options: ScoreOptions): Verdict {
  if (probability >= options.spamCutoff) return "spam";
  if (probability < options.hamCutoff) return "ham";
  return "unsure";
}

/**
 * Scores a comment's tokens: Robinson f(w) per token (a site leans on global as its prior), then
 * Fisher/Robinson chi-square combining over the strongest clues, as SpamBayes' `chi2_spamprob`
 * (or, by `options.combining`, a length-normalized sum of log-odds; see `ScoreOptions`).
 * The result is (S − H + 1) / 2 where S and H are the chi-square evidence for spam and for ham;
 * it sits near 0.5 both when there is no evidence and when the evidence conflicts.
 *
 * @param tokens the comment's tokens (from `tokenize`); duplicates are ignored
 * @param data totals plus the counts of these tokens, for global and optionally the site
 * @param options cutoffs, minimum learning and the combining knobs
 */
export function score(tokens: readonly string[], data: ScoringData, options: ScoreOptions): ScoreResult {
  const minStrength = options.minimumProbStrength ?? 0.1;
  const maxDiscriminators = options.maxDiscriminators ?? 150;
  const addCampaign = (options.campaignEvidence ?? "added") === "added";
  const clues: Clue[] = [];
  const campaignClues: Clue[] = [];
  for (const token of new Set(tokens)) {
    if (token === TOKEN_TOTAL) continue;
    const probability = clueProbability(token, data, options);
    const distance = Math.abs(probability - 0.5);
    if (distance < minStrength) continue;
    const clue: Clue = { token, probability, direction: probability >= 0.5 ? "spam" : "ham", weight: distance * 2 };
    if (addCampaign && token.startsWith(CAMPAIGN_PREFIX)) campaignClues.push(clue);
    else clues.push(clue);
  }
  // Strongest first; ties broken by token so that the result does not depend on input order.
  clues.sort(strongestFirst);
  const { used, weights } = pickClues(clues, options.redundancy ?? "none", maxDiscriminators);
  const textProbability = (options.combining ?? "chi2") === "chi2" ? chi2Combine(used) : logOddsCombine(used, weights, options);
  const campaignClue = campaignClueOf(campaignClues);
  const probability = withCampaignEvidence(textProbability, campaignClue);

  const reasons = campaignClue ? [campaignClue, ...used].sort(strongestFirst).slice(0, options.maxReasons ?? 8) : used.slice(0, options.maxReasons ?? 8);
  // Site documents are also learned into global, so global already counts them: the larger of the
  // two is what has been learned for this comment's scope.
  const learnedSpam = Math.max(data.global.totals.spam, data.site?.totals.spam ?? 0);
  const learnedHam = Math.max(data.global.totals.ham, data.site?.totals.ham ?? 0);
  if (learnedSpam < options.minPerLabel || learnedHam < options.minPerLabel) {
    return {
      probability,
      verdict: "unsure",
      reasons,
      insufficientTraining: { spam: learnedSpam, ham: learnedHam, required: options.minPerLabel },
    };
  }
  return { probability, verdict: verdictFor(probability, options), reasons };
}
