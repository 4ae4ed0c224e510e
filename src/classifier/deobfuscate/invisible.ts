/**
 * Invisible and formatting characters: zero-width space and joiners, word joiner, soft hyphen, bidi
 * controls, BOM, variation selectors, tag characters, Hangul fillers. They render as nothing, so a
 * spammer puts them inside words to split a token without the reader noticing.
 *
 * The set is Unicode's Default_Ignorable_Code_Point (which already holds all of the above), minus
 * the uses that are orthography or emoji rather than disguise:
 * - ZWNJ/ZWJ after a letter of a script that joins or forms conjuncts (Persian "می‌خواهم",
 *   Devanagari, Sinhala…) or inside an emoji ZWJ sequence (👨‍👩‍👧);
 * - variation selectors after anything but a Latin, Cyrillic or Greek letter (❤️, keycaps 1️⃣,
 *   ideographic variants);
 * - tag characters that continue a flag sequence (🏴 + tags, e.g. the Scottish flag);
 * - a zero-width space between two letters of a script written without spaces (Thai, Khmer…),
 *   where it is the word boundary.
 */

const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;
const WORD_CHAR = /[\p{L}\p{M}\p{N}]/u;
/** Letters of the scripts that look-alike and hidden-character tricks target. */
const ALPHABETIC_LETTER = /[\p{Script=Latin}\p{Script=Cyrillic}\p{Script=Greek}\p{Script=Armenian}]/u;
/** Scripts whose spelling uses ZWNJ/ZWJ: cursive joining (Arabic, Syriac…) and Indic conjuncts. */
const JOINER_SCRIPT = new RegExp(
  "[" +
    ["Arabic", "Syriac", "Nko", "Mongolian", "Thaana", "Devanagari", "Bengali", "Gurmukhi", "Gujarati", "Oriya", "Tamil", "Telugu", "Kannada", "Malayalam", "Sinhala", "Khmer", "Myanmar", "Tibetan"]
      .map((s) => `\\p{Script=${s}}`)
      .join("") +
    "]",
  "u",
);
/** Scripts written without spaces, where a zero-width space is a legitimate word boundary. */
const UNSPACED_SCRIPT =
  /[\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}\p{Script=Tibetan}\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
/** Emoji, skin tones, regional indicators and the keycap mark: the parts of emoji ZWJ sequences. */
const EMOJI = /^(?:\p{Extended_Pictographic}|\p{Emoji_Modifier}|\p{Regional_Indicator}|\u20E3)$/u;

const ZWSP = "\u200B";
const ZWNJ = "\u200C";
const ZWJ = "\u200D";
const BLACK_FLAG = "\u{1F3F4}";

function isVariationSelector(cp: number): boolean {
  return (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef) || (cp >= 0x180b && cp <= 0x180f && cp !== 0x180e);
}

function isTag(cp: number): boolean {
  return cp >= 0xe0020 && cp <= 0xe007f;
}

export interface InvisibleResult {
  text: string;
  /** How many invisible characters were removed in all. */
  removed: number;
  /** How many of them sat between two word characters (a word split in a way nobody sees). */
  insideWords: number;
}

/**
 * Removes invisible characters that carry no meaning in their place, and counts those that sat
 * inside a word. Input should already be NFKC-normalized.
 */
export function stripInvisible(text: string): InvisibleResult {
  if (!DEFAULT_IGNORABLE.test(text)) return { text, removed: 0, insideWords: 0 };
  let removed = 0;
  let insideWords = 0;
  // Each run of invisibles is judged between its visible neighbours: `a\u200B\u200Cb` is still
  // inside a word.
  const out = text.replace(INVISIBLE_RUN, (run: string, offset: number) => {
    const before = codePointBefore(text, offset);
    const after = codePointAt(text, offset + run.length);
    const inWord =
      before !== undefined &&
      after !== undefined &&
      WORD_CHAR.test(before) &&
      WORD_CHAR.test(after) &&
      !(UNSPACED_SCRIPT.test(before) || UNSPACED_SCRIPT.test(after));
    let kept = "";
    let prev = before;
    for (const c of run) {
      if (isLegitimate(c, prev, before, after)) kept += c;
      else {
        removed++;
        if (inWord) insideWords++;
      }
      prev = c;
    }
    return kept;
  });
  return removed === 0 ? { text, removed: 0, insideWords: 0 } : { text: out, removed, insideWords };
}

const INVISIBLE_RUN = /\p{Default_Ignorable_Code_Point}+/gu;

function codePointBefore(text: string, index: number): string | undefined {
  if (index <= 0) return undefined;
  const low = text.charCodeAt(index - 1);
  if (index >= 2 && low >= 0xdc00 && low <= 0xdfff) {
    const high = text.charCodeAt(index - 2);
    if (high >= 0xd800 && high <= 0xdbff) return text.slice(index - 2, index);
  }
  return text[index - 1];
}

function codePointAt(text: string, index: number): string | undefined {
  const cp = text.codePointAt(index);
  return cp === undefined ? undefined : String.fromCodePoint(cp);
}

/**
 * Whether invisible `c` means something where it stands. `prev` is the character just before it
 * (possibly another invisible); `before`/`after` are the visible characters around its run.
 */
function isLegitimate(c: string, prev: string | undefined, before: string | undefined, after: string | undefined): boolean {
  const cp = c.codePointAt(0)!;
  if (c === ZWNJ || c === ZWJ) {
    return (
      (before !== undefined && (JOINER_SCRIPT.test(before) || EMOJI.test(before))) || (after !== undefined && EMOJI.test(after))
    );
  }
  if (c === ZWSP) {
    // Thai, Khmer, Japanese… mark word boundaries with it, as other scripts use a space.
    return before !== undefined && after !== undefined && UNSPACED_SCRIPT.test(before) && UNSPACED_SCRIPT.test(after);
  }
  if (isVariationSelector(cp)) {
    return prev !== undefined && prev === before && !ALPHABETIC_LETTER.test(prev);
  }
  if (isTag(cp)) {
    return prev !== undefined && (prev === BLACK_FLAG || isTag(prev.codePointAt(0)!));
  }
  return false;
}
