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
 * The words `tokenize(features, { isKnownWord })` asks about when `isKnownWord` answers from
 * `known` (every word unknown by default): with all answers "no" the deobfuscation explores every
 * alternative but one, the rest of a spaced run after a known stretch of it. So a backend fetches
 * the rows of these words with the comment's tokens, then asks again with what it found until no
 * new word comes up (usually once, never more than a few rounds); a word it never fetched simply
 * counts as unknown.
 */
export function knownWordQueries(features: CommentFeatures, known: (word: string) => boolean = () => false): string[] {
  const asked = new Set<string>();
  tokenize(features, {
    isKnownWord: (word) => {
      asked.add(word);
      return known(word);
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
