import type { CommentFeatures } from "./contract.js";
import { sanitize, stripHtml } from "./html.js";
import { TOKEN_TOTAL } from "./model.js";
import { normalizeText } from "./normalize.js";
import { featureSignals, textSignals } from "./signals.js";
import { EMAIL_PATTERN, URL_PATTERN, hostOf, hostTokens, pathWords } from "./urls.js";

/**
 * Bumped whenever `tokenize` changes the tokens it makes for some input: counts stored under an
 * older version must then be rebuilt from the stored comments.
 */
export const TOKENIZER_VERSION = 5; // 3: disguises undone before splitting (issue 5); 4: 5-letter pieces of words; 5: registrable domains from the Public Suffix List

/**
 * Prefix of the character 5-grams inside longer words (`subscribe` → `gram:subsc`, `gram:ubscr`, …).
 * A word never contains `:`, so they cannot collide with words. Scoring weighs them down
 * (`ScoreOptions.subwordWeight`) because they repeat the evidence of the word they come from.
 */
export const SUBWORD_PREFIX = "gram:";
/**
 * Length of those pieces, and the shortest word (one longer than a piece) that gets them. Shorter
 * pieces (3, 4) and word edges marked with `<` `>` added more tokens and blocked more ham on
 * unseen videos; 5 inside words of 6+ letters generalized best across spelling variants
 * (`subscribe`/`subscribers`/`subscribing`, `youtube`/`youtuber`), with about 1.3× the tokens per
 * comment (BENCHMARKS.md, "Generalization experiments").
 */
const SUBWORD = 5;

/** Words longer than this (in code points) become a skip token: base64 blobs and keyboard mashing. */
const MAX_WORD = 20;

// Scripts written without spaces between words: Intl.Segmenter's dictionary rules split them.
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

// A number with separators (3.50, 1,000, 12:30), kept whole so that its shape survives. A word: letters, marks and digits, with inner apostrophes (don't, l'amour). Or an emoji sequence
// (modifiers, variation selectors, ZWJ joins, flags).
const PIECE =
  /(\p{Extended_Pictographic}(?:\p{Emoji_Modifier}|\uFE0F|\u20E3|\u200D\p{Extended_Pictographic})*|\p{Regional_Indicator}{2})|(\p{Nd}+(?:[.,:]\p{Nd}+)+(?![\p{L}\p{M}\p{N}]))|([\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}]+)*)/gu;

/**
 * Longest run of non-space characters the pattern matching sees; longer runs are cut into pieces
 * of this size. Several patterns (URLs, dotted hosts, number groups) backtrack within a run, so
 * an unbroken 64 KiB run cost seconds to minutes; cut, the work stays linear in the text length.
 * A real word, host or Chinese sentence fits; only the tail of a giant URL is split up.
 */
const MAX_RUN = 256;
/** Links taken from HTML attributes are cut to this length for the same reason. */
const MAX_LINK = 1024;
const LONG_RUN = new RegExp(`\\S{${MAX_RUN + 1},}`, "gu");

function cutLongRuns(text: string): string {
  return text.replace(LONG_RUN, (run) => {
    const chars = [...run];
    const pieces: string[] = [];
    for (let i = 0; i < chars.length; i += MAX_RUN) pieces.push(chars.slice(i, i + MAX_RUN).join(""));
    return pieces.join(" ");
  });
}

let segmenter: Intl.Segmenter | undefined;

function segmentUnspaced(word: string): string[] {
  segmenter ??= new Intl.Segmenter(undefined, { granularity: "word" });
  const out: string[] = [];
  for (const part of segmenter.segment(word)) if (part.isWordLike === true) out.push(part.segment);
  return out;
}

/** "2013" → "num:4", "3.50" → "num:1.2", "1,000,000" → "num:1,3,3": the shape, not the value. */
function numberShape(digits: string): string {
  return `num:${digits.replace(/\p{Nd}+/gu, (run) => String(run.length))}`;
}

/**
 * Adds a word's tokens to `out` and the word's units, in order, to `sequence` (for word pairs).
 * One-letter words are too common to be clues alone but still count inside pairs ("i love").
 */
function addWord(word: string, out: Set<string>, sequence: string[]): void {
  const length = [...word].length;
  if (/^\p{N}+$/u.test(word)) {
    const shape = numberShape(word);
    out.add(shape);
    sequence.push(shape);
    return;
  }
  if (length > MAX_WORD) {
    // SpamBayes' skip token: first character and length rounded down to 10.
    const skip = `skip:${[...word][0] ?? ""}:${Math.floor(length / 10) * 10}`;
    out.add(skip);
    sequence.push(skip);
    return;
  }
  if (UNSPACED.test(word)) {
    for (const part of segmentUnspaced(word)) {
      out.add(part);
      addSubwords(part, out);
      sequence.push(part);
    }
    return;
  }
  if (length >= 2) out.add(word);
  addSubwords(word, out);
  sequence.push(word);
}

/** The word's character 5-grams (see `SUBWORD_PREFIX`), for words of at least 6 characters. */
function addSubwords(word: string, out: Set<string>): void {
  const chars = [...word];
  if (chars.length <= SUBWORD || chars.length > MAX_WORD) return;
  for (let i = 0; i + SUBWORD <= chars.length; i++) out.add(SUBWORD_PREFIX + chars.slice(i, i + SUBWORD).join(""));
}

export interface TokenizeOptions {
  /**
   * Whether a lower-case word is a token the model knows. Digit swaps (`fr33`) and spaced letters
   * (`c a s i n o`) are undone only into known words. Pass it when SCORING; leave it out when
   * learning, unlearning or retraining, so that a document's tokens depend on its text alone and
   * unlearn stays the exact inverse of learn. `knownWordQueries` lists the words it may be asked.
   */
  isKnownWord?: (word: string) => boolean;
}

/**
 * The comment's unique tokens: its words, emoji, number shapes and skip tokens, pairs of adjacent
 * ones ("check out"), the 5-letter pieces of words of 6+ letters (`gram:`), plus prefixed signal
 * tokens (`url:`, `email:`, `html:`, `meta:`, `author-url:`, `author-email:`, `ip:`, `ua:`), and
 * last the `TOKEN_TOTAL` pseudo-token (see there). Deterministic and pure; each token appears once.
 */
export function tokenize(features: CommentFeatures, options: TokenizeOptions = {}): string[] {
  const out = new Set<string>();
  const html = stripHtml(sanitize(features.content));
  for (const tag of html.tags) out.add(`html:${tag}`);

  const normalized = normalizeText(html.text, options);
  // Capitals, length and scripts of the text as a reader sees it: look-alike letters are counted by
  // their own signal token, not as a second script.
  const original = normalized.cased;
  for (const signal of normalized.signals) out.add(signal);
  let text = cutLongRuns(normalized.text);

  // Links inside tags were removed with the tag; the ones in the text are cut out so that their
  // pieces become url tokens rather than words.
  const links = html.links.map((link) => link.slice(0, MAX_LINK).normalize("NFKC").toLowerCase());
  text = text.replace(EMAIL_PATTERN, (_whole, domain: string) => {
    for (const token of hostTokens("email", domain)) out.add(token);
    return " ";
  });
  text = text.replace(URL_PATTERN, (url) => {
    links.push(url);
    return " ";
  });
  for (const link of links) {
    const host = hostOf(link);
    if (host) for (const token of hostTokens("url", host)) out.add(token);
    for (const word of pathWords(link)) out.add(`url:word:${word}`);
  }

  const sequence: string[] = [];
  for (const match of text.matchAll(PIECE)) {
    if (match[1] !== undefined) {
      const emoji = match[1].replace(/\uFE0F/g, "");
      out.add(emoji);
      sequence.push(emoji);
    } else if (match[2] !== undefined) {
      const shape = numberShape(match[2]);
      out.add(shape);
      sequence.push(shape);
    } else if (match[3] !== undefined) addWord(match[3], out, sequence);
  }
  // Adjacent pairs tell "check out my" from "check how many views": on leave-one-video-out runs
  // they raised mean accuracy by about 1.5 points (BENCHMARKS.md). A space never occurs in a
  // single token, so pairs cannot collide with words.
  for (let i = 0; i + 1 < sequence.length; i++) out.add(`${sequence[i]} ${sequence[i + 1]}`);
  if (/[!?]{2,}/.test(text)) out.add("meta:punct=repeated");
  if (/[$€£¥]/.test(text)) out.add("meta:currency");

  for (const signal of textSignals(original, links.length)) out.add(signal);
  for (const signal of featureSignals(features)) out.add(signal);
  out.add(TOKEN_TOTAL);
  return [...out];
}
