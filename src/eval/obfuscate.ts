/**
 * A seeded generator of the disguises spammers use against word filters, for tests and for the
 * eval's `--obfuscate-spam SEED`: look-alike letters from other scripts, invisible characters inside
 * words, digits for letters, spaced-out letters. Pure and deterministic: the same text and seed give
 * the same output, whatever order rows are processed in.
 *
 * It draws look-alikes from the whole TR39 confusables table (every non-Latin letter whose
 * prototype is the Latin letter), not from the handful the deobfuscator's tests spell out.
 */
import prototypes from "unhomoglyph/data.json" with { type: "json" };
import { mapOutsideLinks } from "../classifier/deobfuscate/spans.js";
import { seededRandom } from "./folds.js";

export type Trick = "confusables" | "invisible" | "digits" | "spaced";
export const TRICKS: readonly Trick[] = ["confusables", "invisible", "digits", "spaced"];

export interface ObfuscateOptions {
  /** Share of eligible words (ASCII words of 3+ letters outside links) that get disguised. */
  rate?: number;
  /** Which tricks to draw from; all by default. */
  tricks?: readonly Trick[];
}

/** FNV-1a, so that each text gets its own stream from one seed. */
function hashText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

type Rng = () => number;
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;

/** Latin letter → non-Latin letters that look like it, split into the common ones and the rest. */
function buildLookAlikes(): { common: Map<string, string[]>; rare: Map<string, string[]> } {
  const common = new Map<string, string[]>();
  const rare = new Map<string, string[]>();
  for (const [ch, proto] of Object.entries(prototypes as Record<string, string>)) {
    if (Array.from(ch).length !== 1 || !/\p{L}/u.test(ch) || /\p{Script=Latin}/u.test(ch)) continue;
    // NFKC would undo it before any filter looks: not a disguise worth testing.
    if (ch.normalize("NFKC") !== ch) continue;
    const upper = ch !== ch.toLowerCase();
    const lower = ch !== ch.toUpperCase();
    let latin: string | undefined;
    if (/^[a-z]$/.test(proto) && lower) latin = proto;
    else if (/^[A-Z]$/.test(proto) && upper) latin = proto;
    else if (proto === "l" && upper) latin = "I";
    if (latin === undefined) continue;
    const cp = ch.codePointAt(0)!;
    const basic = (cp >= 0x0370 && cp <= 0x03ff) || (cp >= 0x0400 && cp <= 0x04ff);
    const map = basic ? common : rare;
    map.set(latin, [...(map.get(latin) ?? []), ch]);
  }
  return { common, rare };
}

let lookAlikes: ReturnType<typeof buildLookAlikes> | undefined;

const INVISIBLES = [
  "\u200B", // zero-width space
  "\u200C", // zero-width non-joiner
  "\u200D", // zero-width joiner
  "\u2060", // word joiner
  "\u00AD", // soft hyphen
  "\uFEFF", // zero-width no-break space (BOM)
  "\u200E", // left-to-right mark
  "\u200F", // right-to-left mark
  "\u2063", // invisible separator
  "\u034F", // combining grapheme joiner
];

const DIGITS: Readonly<Record<string, readonly string[]>> = {
  o: ["0"],
  i: ["1", "1", "!"],
  l: ["1"],
  e: ["3"],
  a: ["4", "4", "@"],
  s: ["5", "5", "$"],
  t: ["7"],
  b: ["8"],
  g: ["9"],
};

const SEPARATORS = [" ", " ", ".", "-", "_", "*", " . "];

function shuffledIndexes(rng: Rng, n: number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx;
}

/** Swaps some letters (at least one, never all: the word must still mix scripts) for look-alikes. */
function withConfusables(rng: Rng, word: string): string {
  lookAlikes ??= buildLookAlikes();
  const chars = Array.from(word);
  const eligible = chars.map((c, i) => (lookAlikes!.common.has(c) || lookAlikes!.rare.has(c) ? i : -1)).filter((i) => i >= 0);
  if (eligible.length === 0) return word;
  const count = 1 + Math.floor(rng() * Math.min(eligible.length, chars.length - 1));
  for (const i of shuffledIndexes(rng, eligible.length).slice(0, count)) {
    const at = eligible[i]!;
    const c = chars[at]!;
    const pool = rng() < 0.75 ? (lookAlikes.common.get(c) ?? lookAlikes.rare.get(c)) : (lookAlikes.rare.get(c) ?? lookAlikes.common.get(c));
    if (pool !== undefined) chars[at] = pick(rng, pool);
  }
  return chars.join("");
}

/** Puts one to three invisible characters between letters. */
function withInvisible(rng: Rng, word: string): string {
  const chars = Array.from(word);
  const count = 1 + Math.floor(rng() * 3);
  for (let k = 0; k < count; k++) {
    const at = 1 + Math.floor(rng() * (chars.length - 1));
    chars.splice(at, 0, pick(rng, INVISIBLES));
  }
  return chars.join("");
}

/** Swaps up to half of the letters that have a digit or symbol look-alike (at least one). */
function withDigits(rng: Rng, word: string): string {
  const chars = Array.from(word);
  const eligible = chars.map((c, i) => (DIGITS[c.toLowerCase()] ? i : -1)).filter((i) => i >= 0);
  if (eligible.length === 0) return word;
  const count = 1 + Math.floor(rng() * Math.max(1, Math.min(eligible.length, Math.floor(chars.length / 2))));
  for (const i of shuffledIndexes(rng, eligible.length).slice(0, count)) {
    const at = eligible[i]!;
    chars[at] = pick(rng, DIGITS[chars[at]!.toLowerCase()]!);
  }
  return chars.join("");
}

function withSpacing(rng: Rng, word: string): string {
  return Array.from(word).join(pick(rng, SEPARATORS));
}

function applyTrick(rng: Rng, trick: Trick, word: string): string {
  switch (trick) {
    case "confusables":
      return withConfusables(rng, word);
    case "invisible":
      return withInvisible(rng, word);
    case "digits":
      return withDigits(rng, word);
    case "spaced":
      return withSpacing(rng, word);
  }
}

/**
 * Disguises a share of the words of `text`. Links and e-mail addresses are left working, as a
 * spammer needs them to. One word in five that gets a look-alike or digit trick also gets hidden
 * characters, as real spam stacks tricks.
 */
export function obfuscate(text: string, seed: number, options: ObfuscateOptions = {}): string {
  const rate = options.rate ?? 0.5;
  const tricks = options.tricks ?? TRICKS;
  if (tricks.length === 0 || rate <= 0) return text;
  const rng = seededRandom((seed ^ hashText(text)) >>> 0);
  const disguiseWords = (part: string): string =>
    part.replace(/(?<![\p{L}\p{M}\p{N}])[A-Za-z]{3,}(?![\p{L}\p{M}\p{N}])/gu, (word) => {
      if (rng() >= rate) return word;
      const trick = pick(rng, tricks);
      if (trick === "spaced" && word.length > 12) return word;
      let out = applyTrick(rng, trick, word);
      if ((trick === "confusables" || trick === "digits") && tricks.includes("invisible") && rng() < 0.2) {
        out = withInvisible(rng, out);
      }
      return out;
    });
  // HTML tags and entities stay intact too (`&quot;` disguised as `&qu0t;` is not a disguise, it
  // is broken markup a reader would see).
  let out = "";
  let last = 0;
  for (const m of text.matchAll(MARKUP)) {
    out += mapOutsideLinks(text.slice(last, m.index), disguiseWords) + m[0];
    last = m.index + m[0].length;
  }
  return out + mapOutsideLinks(text.slice(last), disguiseWords);
}

const MARKUP = /<\/?[a-z][^<>]*>|&(?:#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8});/gi;

/** The eval's `--obfuscate-spam`: the spam rows disguised, every other row as it was. */
export function obfuscateSpam<T extends { label: string; text: string }>(rows: readonly T[], seed: number, options?: ObfuscateOptions): T[] {
  return rows.map((row) => (row.label === "spam" ? { ...row, text: obfuscate(row.text, seed, options) } : row));
}
