/**
 * Undoes the tricks spam uses to hide words from a word filter, before tokenizing: invisible
 * characters inside words, look-alike letters from other scripts, digits for letters, spaced-out
 * letters. Pure: the caller passes what the model knows as a predicate.
 */
import { foldConfusables } from "./confusables.js";
import { MAYBE_SWAPPED, undoDigitSwaps } from "./digit-swaps.js";
import { stripInvisible } from "./invisible.js";
import { MAYBE_SPACED, joinSpacedLetters } from "./spaced-letters.js";
import { mapOutsideLinks } from "./spans.js";

export { foldConfusables, foldWord } from "./confusables.js";
export { repairSwappedWord, undoDigitSwaps } from "./digit-swaps.js";
export { stripInvisible } from "./invisible.js";
export { joinSpacedLetters } from "./spaced-letters.js";

/**
 * Signal tokens: hiding is itself evidence, so each trick seen in the text leaves a token the model
 * learns like any other. Only tricks the text alone reveals get one: digit swaps and spaced letters
 * are undone only when scoring (with the vocabulary), so a token for them would never be learned.
 */
export const OBFUSCATION_SIGNALS = {
  hiddenChars: "meta:hidden-chars",
  confusables: "meta:confusables",
} as const;

/**
 * Vocabulary lookups one comment may cost. An ordinary comment needs a few dozen, a heavily
 * disguised one a few hundred; a comment built to be expensive (64 KiB of `f r 3 3 …`) stops here
 * instead of taking seconds.
 */
const MAX_LOOKUPS = 5000;

export interface DeobfuscateOptions {
  /**
   * Whether a lower-case, NFKC-normalized word is a token the model knows (the model's vocabulary,
   * or a word list). Digit swaps and spaced letters are only undone into known words; without this
   * predicate those two steps are skipped. It also breaks ties between scripts for look-alikes.
   */
  isKnownWord?: (word: string) => boolean;
}

export interface DeobfuscationStats {
  /** Invisible characters removed in all (a trailing BOM counts here). */
  invisibleRemoved: number;
  /** Of those, the ones that sat inside a word. */
  hiddenInWords: number;
  confusableWords: number;
  digitSwapWords: number;
  spacedRuns: number;
}

export interface Deobfuscation {
  /** NFKC-normalized text with the tricks undone; case is kept (the tokenizer lowercases). */
  text: string;
  /** Signal tokens for the tricks found, from {@link OBFUSCATION_SIGNALS}. */
  signals: string[];
  stats: DeobfuscationStats;
}

/**
 * Normalizes a comment's text so that disguised words tokenize like plain ones.
 *
 * Order matters: NFKC first (full-width and mathematical letters become ASCII, so they are not
 * "mixed script"), then invisibles (they would split words), then look-alikes (a Cyrillic `о` in
 * `m0nеy` must be Latin before the digit step looks the word up), then spaced letters (which may
 * themselves hold swapped digits: `f r 3 3`), then digit swaps.
 */
export function deobfuscate(text: string, options: DeobfuscateOptions = {}): Deobfuscation {
  const { isKnownWord } = options;
  const nfkc = text.normalize("NFKC");
  const invisible = stripInvisible(nfkc);
  const confusables = foldConfusables(invisible.text, isKnownWord);

  let out = confusables.text;
  let spacedRuns = 0;
  let digitSwapWords = 0;
  if (isKnownWord !== undefined && (MAYBE_SWAPPED.test(out) || MAYBE_SPACED.test(out))) {
    const budget = { left: MAX_LOOKUPS };
    out = mapOutsideLinks(out, (part) => {
      const spaced = joinSpacedLetters(part, isKnownWord, budget);
      const swaps = undoDigitSwaps(spaced.text, isKnownWord, budget);
      spacedRuns += spaced.joinedRuns;
      digitSwapWords += swaps.repairedWords;
      return swaps.text;
    });
  }

  const stats: DeobfuscationStats = {
    invisibleRemoved: invisible.removed,
    hiddenInWords: invisible.insideWords,
    confusableWords: confusables.foldedWords,
    digitSwapWords,
    spacedRuns,
  };
  const signals: string[] = [];
  if (stats.hiddenInWords > 0) signals.push(OBFUSCATION_SIGNALS.hiddenChars);
  if (stats.confusableWords > 0) signals.push(OBFUSCATION_SIGNALS.confusables);
  return { text: out, signals, stats };
}
