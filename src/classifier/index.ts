/**
 * The classifier's public surface: the contract types plus the pure implementation.
 *
 * Flow for a backend: `tokenize(features)` → fetch the rows of those tokens and the totals for the
 * global scope (`GLOBAL_SCOPE`) and the site → `score(tokens, data, DEFAULT_SCORE_OPTIONS)`.
 * Learning a moderator's decision applies `learnDeltas(tokens, label, 1)` (counts in `COUNT_SCALE`
 * units, damped by the document's length) and totals[label] += 1 to
 * BOTH the global scope and the site scope (unlearn: sign −1). The in-memory model does the same
 * with `learnSite`/`unlearnSite`; its `learn`/`unlearn` touch one scope only.
 * The token list includes the `TOKEN_TOTAL` pseudo-token; store and fetch it like any other.
 * When scoring, pass `{ isKnownWord }` to `tokenize` so that digit swaps and spaced letters are
 * undone into known words (`knownWordQueries` + `knownWordsIn` answer it from fetched rows); when
 * learning, unlearning or retraining, do not, so that a document's tokens depend on its text alone.
 */
export type * from "./contract.js";
export { SUBWORD_PREFIX, TOKENIZER_VERSION, tokenize } from "./tokenize.js";
export type { TokenizeOptions } from "./tokenize.js";
export { ipNetwork } from "./signals.js";
export { knownWordQueries, knownWordsIn, knownWordsOf } from "./vocabulary.js";
export { OBFUSCATION_SIGNALS } from "./deobfuscate/index.js";
export { DEFAULT_SCORE_OPTIONS, score, tokenProbability } from "./score.js";
export {
  COUNT_SCALE,
  DAMPING_LENGTH,
  GLOBAL_SCOPE,
  TOKEN_TOTAL,
  createMemoryModel,
  documentWeight,
  learn,
  learnDeltas,
  learnSite,
  scopeSlice,
  scoringData,
  unlearn,
  unlearnSite,
} from "./model.js";
export type { LearnOptions, MemoryModel } from "./model.js";
export { DEFAULT_HARD_RULES, applyHardRules, firedRules } from "./rules.js";
export type { HardRule, HardRules } from "./rules.js";
export { calibrate, fitIsotonic, fitPlatt } from "./calibration.js";
export type { Calibration, ScoredLabel } from "./calibration.js";
export { DEFAULT_CUTOFF_TARGETS, proposeCutoffs } from "./cutoffs.js";
export type { CutoffProposal, CutoffTargets, DecidedScore } from "./cutoffs.js";
export { DEFAULT_MIN_JACCARD, campaignEligible, campaignTokens, matchCandidates } from "./campaign.js";
export type { CampaignCandidate, CandidateMatch } from "./campaign.js";
export { FINGERPRINT_VERSION, estimateJaccard, fingerprint } from "./fingerprint.js";
export type { Fingerprint } from "./fingerprint.js";
