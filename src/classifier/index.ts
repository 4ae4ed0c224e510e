/** The classifier's public surface: the contract types plus the pure implementation. */
export type * from "./contract.js";
export { TOKENIZER_VERSION, tokenize } from "./tokenize.js";
export type { TokenizeOptions } from "./tokenize.js";
export { knownWordQueries, knownWordsIn, knownWordsOf } from "./vocabulary.js";
export { OBFUSCATION_SIGNALS } from "./deobfuscate/index.js";
export { DEFAULT_SCORE_OPTIONS, score, tokenProbability } from "./score.js";
export {
  GLOBAL_SCOPE,
  createMemoryModel,
  learn,
  learnDeltas,
  learnSite,
  scopeSlice,
  scoringData,
  unlearn,
  unlearnSite,
} from "./model.js";
export type { MemoryModel } from "./model.js";
