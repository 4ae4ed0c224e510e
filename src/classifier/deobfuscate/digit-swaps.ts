/**
 * Digit- and symbol-for-letter swaps (`fr33`, `m0ney`, `v1agra`, `c@sh`, `v!agra`) undone when the
 * repaired word is one the model knows. The vocabulary is what keeps this honest: `i5`, `mp3` or
 * `ps4` stay as they are when the model knows them (the original form then carries the signal), and
 * prices, years and phone numbers have no letters to repair.
 */

/** What each swapped character may stand for, most likely first. */
const SWAPS: Readonly<Record<string, readonly string[]>> = {
  "0": ["o"],
  "1": ["i", "l"],
  "3": ["e"],
  "4": ["a"],
  "5": ["s"],
  "7": ["t"],
  "8": ["b"],
  "9": ["g"],
  "@": ["a"],
  $: ["s"],
  "!": ["i"],
  "|": ["l"],
};

/**
 * A run of letters, digits and swap symbols. `!` and `|` count between letters/digits, or once at
 * the start of a word (`!phone`), so `free!!` keeps its exclamation marks.
 */
const CANDIDATE = /(?:(?<![\p{L}\p{M}\p{N}@$!|])[!|](?=\p{L}))?[\p{L}\p{M}\p{N}@$]+(?:[!|]+[\p{L}\p{M}\p{N}@$]+)*/gu;
/** A number with a unit or ordinal (10am, 4th, 100k, 1080p, 32gb): a real number, not a swap. */
const NUMBER_WITH_UNIT =
  /^\d+(?:st|nd|rd|th|[kmbpsxdh]|bn|am|pm|px|gb|mb|kb|tb|hz|khz|mhz|ghz|fps|min|yo|yrs?|km|kg|cm|mm|ml|lbs?|ft|mph|usd|eur|gbp)$/i;
/** A swap character touching a letter: texts without one (most) skip the word scan. */
export const MAYBE_SWAPPED = /\p{L}[0-9@$]|[0-9@$]\p{L}|[!|]\p{L}/u;
const SWAP_CHAR = /[0-9@$!|]/;
/** Each variant costs a vocabulary lookup; a word with more ambiguous swaps than this is left alone. */
const MAX_VARIANTS = 16;

function variants(word: string): string[] {
  let acc = [""];
  for (const ch of word) {
    const options = SWAPS[ch] ?? [ch];
    const next: string[] = [];
    for (const prefix of acc) for (const o of options) next.push(prefix + o);
    if (next.length > MAX_VARIANTS) return [];
    acc = next;
  }
  return acc;
}

/**
 * The repaired form of one word, or undefined when it is not a swap or the repair is unknown.
 * `isKnownWord` receives lower-case candidates.
 */
export function repairSwappedWord(word: string, isKnownWord: (word: string) => boolean): string | undefined {
  let letters = 0;
  let swaps = 0;
  for (const ch of word) {
    if (SWAPS[ch] !== undefined) swaps++;
    else if (/\p{L}/u.test(ch)) letters++;
  }
  // Mostly letters, at least one swap: `fr33` and `m0ney` qualify; `2014`, `$100`, `1k` do not, nor
  // do two-character model numbers like `i5`.
  if (swaps === 0 || letters < 2 || letters < swaps || NUMBER_WITH_UNIT.test(word)) return undefined;
  const lower = word.toLowerCase();
  if (isKnownWord(lower)) return undefined;
  const repaired = variants(lower).find((v) => v !== lower && isKnownWord(v));
  if (repaired === undefined) return undefined;
  const shouting = word === word.toUpperCase() && word !== lower;
  if (shouting) return repaired.toUpperCase();
  // Keep the letters' own case; the swapped positions become lower case.
  const original = Array.from(word);
  return Array.from(repaired)
    .map((ch, i) => (SWAPS[original[i] ?? ""] !== undefined ? ch : (original[i] ?? ch)))
    .join("");
}

export interface DigitSwapResult {
  text: string;
  repairedWords: number;
}

/** Vocabulary lookups a comment may still cost; shared by the digit-swap and spaced-letter steps. */
export interface LookupBudget {
  left: number;
}

/** `isKnownWord` that answers "no" once the budget is spent. */
export function spend(budget: LookupBudget, isKnownWord: (word: string) => boolean): (word: string) => boolean {
  return (word) => budget.left-- > 0 && isKnownWord(word);
}

/**
 * Undoes digit/symbol swaps in a text whose links and e-mail addresses were set aside. `budget`
 * (vocabulary lookups left) stops the work on a comment built to be expensive.
 */
export function undoDigitSwaps(text: string, isKnownWord: (word: string) => boolean, budget?: LookupBudget): DigitSwapResult {
  if (!MAYBE_SWAPPED.test(text)) return { text, repairedWords: 0 };
  const ask = budget === undefined ? isKnownWord : spend(budget, isKnownWord);
  let repairedWords = 0;
  const out = text.replace(CANDIDATE, (word) => {
    if (!SWAP_CHAR.test(word) || (budget !== undefined && budget.left <= 0)) return word;
    const repaired = repairSwappedWord(word, ask);
    if (repaired === undefined) return word;
    repairedWords++;
    return repaired;
  });
  return { text: out, repairedWords };
}
