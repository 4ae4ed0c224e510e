/**
 * Spaced-out letters (`c a s i n o`, `c.a.s.i.n.o`, `f-r-e-e m-o-n-e-y`) joined when the result is
 * a word the model knows, or splits into a few known words. Only alphabetic scripts that separate
 * words with spaces (Latin, Cyrillic, Greek): in Chinese or Japanese, one character between spaces
 * is ordinary writing.
 */
import { repairSwappedWord, spend, type LookupBudget } from "./digit-swaps.js";

const UNIT = String.raw`[\p{Script=Latin}\p{Script=Cyrillic}\p{Script=Greek}0-9@$]`;
const WORDISH = String.raw`[\p{L}\p{M}\p{N}@$]`;
/**
 * Runs are matched at most this long (a longer one is cut into pieces): a bounded pattern cannot
 * backtrack quadratically over 64 KiB of `a.a.a…`, and the search for known words below is cubic
 * in the run's length.
 */
const MAX_UNITS = 30;
/**
 * Three or more single characters with the SAME separator between them (the back-reference): one or
 * two spaces, or one punctuation mark with optional spaces around it.
 */
const SPACED_RUN = new RegExp(
  String.raw`(?<!${WORDISH})(${UNIT})( {1,2}| ?[.\-_*·•|/+~,:] ?)${UNIT}(?:\2${UNIT}){1,${MAX_UNITS - 2}}(?!${WORDISH})`,
  "gu",
);
export const MAYBE_SPACED = new RegExp(SPACED_RUN.source, "u");
/** Words of a split that are shorter than this are not trusted: initials would join into anything. */
const MIN_PIECE = 2;
/** A run splits into at most this many known words. */
const MAX_PIECES = 4;

/** Splits `s` into the fewest known words (dynamic programming over prefixes), or undefined. */
function splitIntoKnown(s: string, isKnownWord: (word: string) => boolean): string[] | undefined {
  const chars = Array.from(s);
  const n = chars.length;
  // best[i] = fewest pieces covering chars[0..i), with the split that achieves it.
  const best: (string[] | undefined)[] = new Array<string[] | undefined>(n + 1).fill(undefined);
  best[0] = [];
  for (let i = 0; i < n; i++) {
    const prefix = best[i];
    if (prefix === undefined || prefix.length >= MAX_PIECES) continue;
    for (let j = i + MIN_PIECE; j <= n; j++) {
      const piece = chars.slice(i, j).join("");
      const known = isKnownWord(piece) ? piece : repairSwappedWord(piece, isKnownWord)?.toLowerCase();
      if (known === undefined) continue;
      const candidate = [...prefix, known];
      const current = best[j];
      if (current === undefined || candidate.length < current.length) best[j] = candidate;
    }
  }
  return best[n];
}

export interface SpacedLettersResult {
  text: string;
  joinedRuns: number;
}

/** The known word(s) that `units` spell, or undefined. `split` allows several words. */
function resolve(units: readonly string[], isKnownWord: (word: string) => boolean, split: boolean): string | undefined {
  if (units.some((u) => Array.from(u).length !== 1)) return undefined;
  const letters = units.filter((u) => /\p{L}/u.test(u)).length;
  // Mostly letters: `1 2 3`, `1.2.3` and `5 - 0` are numbers, not words.
  if (letters < 2 || letters * 2 < units.length) return undefined;
  const joined = units.join("");
  const lower = joined.toLowerCase();
  let words: string[] | undefined;
  if (isKnownWord(lower)) words = [lower];
  else {
    const repaired = repairSwappedWord(lower, isKnownWord);
    words = repaired !== undefined ? [repaired] : split ? splitIntoKnown(lower, isKnownWord) : undefined;
  }
  if (words === undefined) return undefined;
  const result = words.join(" ");
  const shouting = joined === joined.toUpperCase() && joined !== lower;
  return shouting ? result.toUpperCase() : result;
}

/**
 * The whole run as one or more known words, else its longest known prefix or suffix (a real number
 * or word before it, the next spaced word after it).
 */
function findLongestKnown(
  units: readonly string[],
  isKnownWord: (word: string) => boolean,
): { start: number; end: number; words: string } | undefined {
  const n = units.length;
  const whole = resolve(units, isKnownWord, true);
  if (whole !== undefined) return { start: 0, end: n, words: whole };
  for (let length = n - 1; length >= 3; length--) {
    for (const start of [0, n - length]) {
      const words = resolve(units.slice(start, start + length), isKnownWord, false);
      if (words !== undefined) return { start, end: start + length, words };
    }
  }
  return undefined;
}

/**
 * Joins spaced-out letters in a text whose links and e-mail addresses were set aside. `budget`
 * (vocabulary lookups left) stops the work on a comment built to be expensive.
 */
export function joinSpacedLetters(
  text: string,
  isKnownWord: (word: string) => boolean,
  budget?: LookupBudget,
): SpacedLettersResult {
  if (!MAYBE_SPACED.test(text)) return { text, joinedRuns: 0 };
  const ask = budget === undefined ? isKnownWord : spend(budget, isKnownWord);
  let joinedRuns = 0;
  let out = "";
  let copied = 0;
  const re = new RegExp(SPACED_RUN.source, "gu");
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null && (budget === undefined || budget.left > 0)) {
    const separator = m[2]!;
    const units = m[0].split(separator);
    // Neighbours may share the separator (`5 l e f t`, `t h i s s.o.n.g`): when the whole run spells
    // nothing, the longest stretch of it that does is taken, and what follows is scanned again.
    const found = findLongestKnown(units, ask);
    if (found === undefined) continue;
    joinedRuns++;
    const runStart = m.index;
    const before = units.slice(0, found.start).map((u) => u + separator).join("");
    const consumed = before.length + units.slice(found.start, found.end).join(separator).length;
    out += text.slice(copied, runStart) + before + found.words;
    copied = runStart + consumed;
    re.lastIndex = found.end < units.length ? copied + separator.length : copied;
  }
  return { text: out + text.slice(copied), joinedRuns };
}
