/**
 * What the model knows, as the `isKnownWord` predicate that `tokenize` uses when scoring to undo
 * digit swaps and spaced letters. Storage-agnostic: a backend that fetches only the rows a comment
 * needs asks `knownWordQueries` first, fetches those words' rows with the comment's tokens, and
 * answers from them.
 */
import type { CommentFeatures, ScoringData } from "./contract.js";
import { GLOBAL_SCOPE, type MemoryModel } from "./model.js";
import { tokenize } from "./tokenize.js";

/**
 * Every word `tokenize(features, { isKnownWord })` may ask about. With each answer "no" the
 * deobfuscation explores every alternative, so this is a superset of the questions asked for any
 * answers.
 */
export function knownWordQueries(features: CommentFeatures): string[] {
  const asked = new Set<string>();
  tokenize(features, {
    isKnownWord: (word) => {
      asked.add(word);
      return false;
    },
  });
  return [...asked];
}

const hasCounts = (slice: ScoringData["global"] | undefined, word: string): boolean => {
  const row = slice?.tokens.get(word);
  return row !== undefined && row.spam + row.ham > 0;
};

/** A word is known when the global scope or the site has counted it. */
export function knownWordsIn(data: ScoringData): (word: string) => boolean {
  return (word) => hasCounts(data.global, word) || hasCounts(data.site, word);
}

/** The same over an in-memory model (eval CLI, tests, benchmarks): the global scope holds every word. */
export function knownWordsOf(model: MemoryModel): (word: string) => boolean {
  return (word) => {
    const row = model.scopes.get(GLOBAL_SCOPE)?.tokens.get(word);
    return row !== undefined && row.spam + row.ham > 0;
  };
}
