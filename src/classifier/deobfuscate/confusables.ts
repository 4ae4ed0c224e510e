/**
 * Look-alike letters (`vіаgrа` with Cyrillic і and а) folded back, but only inside words that mix
 * scripts: a word wholly in Russian or Greek is a real word and stays itself.
 *
 * The character → prototype table is Unicode's TR39 confusables data (confusables.txt, the
 * "Recommended confusable mapping for IDN"), as shipped by the `unhomoglyph` package (nodeca,
 * MIT). See https://www.unicode.org/reports/tr39/#Confusable_Detection. A full TR39 skeleton is
 * meant for comparing two strings, not for reading (`m` becomes `rn`), so we use the table per
 * letter: a mixed word is rewritten into ONE of the scripts it contains, and only when every
 * foreign letter has a look-alike in that script. Otherwise it is a genuine mix (`iPhoneケース`)
 * and is left alone.
 */
import prototypes from "unhomoglyph/data.json" with { type: "json" };

const PROTOTYPE: ReadonlyMap<string, string> = new Map(Object.entries(prototypes as Record<string, string>));

type ScriptClass = "latin" | "latin-exotic" | "cyrillic" | "greek" | "other";
type Target = "latin" | "cyrillic" | "greek";

const LATIN = /\p{Script=Latin}/u;
const CYRILLIC = /\p{Script=Cyrillic}/u;
const GREEK = /\p{Script=Greek}/u;
const LETTER_OR_NUMBER = /[\p{L}\p{N}]/u;
const MARK = /\p{M}/u;
const ASCII_LETTERS = /^[A-Za-z]+$/;
const ASCII_LETTER = /^[A-Za-z]$/;

/**
 * Latin-script letters that ordinary text does not use (IPA, phonetic small capitals, Latin
 * Extended-C/D/E, click letters that look like `l`): spammers borrow them as look-alikes, so a word
 * mixing them with ordinary Latin counts as mixed.
 */
function isExoticLatin(cp: number): boolean {
  return (
    (cp >= 0x0250 && cp <= 0x02af) ||
    (cp >= 0x1d00 && cp <= 0x1dbf) ||
    (cp >= 0x2c60 && cp <= 0x2c7f) ||
    (cp >= 0xa720 && cp <= 0xa7ff) ||
    (cp >= 0xab30 && cp <= 0xab6f) ||
    (cp >= 0x01c0 && cp <= 0x01c3)
  );
}

function classify(ch: string): ScriptClass | undefined {
  const cp = ch.codePointAt(0)!;
  if (cp < 0x80) return /[A-Za-z]/.test(ch) ? "latin" : undefined; // ASCII digits are script-neutral
  if (!LETTER_OR_NUMBER.test(ch)) return undefined;
  if (LATIN.test(ch)) return isExoticLatin(cp) ? "latin-exotic" : "latin";
  if (CYRILLIC.test(ch)) return "cyrillic";
  if (GREEK.test(ch)) return "greek";
  return "other";
}

/**
 * The letter(s) `ch` looks like. TR39 maps capital-I look-alikes (Cyrillic І, Greek Ι) to `l`, its
 * prototype for the I/l/1 family; an upper-case source reads as `I`, or `VІAGRA` would fold to
 * `vlagra`.
 */
function prototypeOf(ch: string): string | undefined {
  const p = PROTOTYPE.get(ch);
  if (p === "l" && ch !== ch.toLowerCase()) return "I";
  return p;
}

/** Latin letter → the basic Cyrillic/Greek letter that looks like it (lowest code point wins). */
function buildReverse(from: number, to: number): ReadonlyMap<string, string> {
  const reverse = new Map<string, string>();
  for (let cp = from; cp <= to; cp++) {
    const ch = String.fromCodePoint(cp);
    if (!/\p{L}/u.test(ch)) continue;
    const p = prototypeOf(ch);
    if (p !== undefined && ASCII_LETTER.test(p) && !reverse.has(p)) reverse.set(p, ch);
  }
  return reverse;
}

const REVERSE: Readonly<Record<"cyrillic" | "greek", ReadonlyMap<string, string>>> = {
  cyrillic: buildReverse(0x0400, 0x04ff),
  greek: buildReverse(0x0370, 0x03ff),
};

/** Rewrites the (NFD) characters of a word into `target`, or null when some letter has no look-alike there. */
function foldInto(chars: readonly string[], target: Target): string | null {
  let out = "";
  for (const ch of chars) {
    const cls = classify(ch);
    if (cls === undefined || MARK.test(ch) || cls === target) {
      out += ch;
      continue;
    }
    if (target === "latin") {
      const p = prototypeOf(ch);
      if (p === undefined || !ASCII_LETTERS.test(p)) return null;
      out += p;
    } else {
      const latin = cls === "latin" && ch.codePointAt(0)! < 0x80 ? ch : prototypeOf(ch);
      const mapped = latin === undefined ? undefined : REVERSE[target].get(latin);
      if (mapped === undefined) return null;
      out += mapped;
    }
  }
  return out;
}

/**
 * Folds one word if it mixes scripts. Candidate targets are the scripts present in the word (Latin,
 * Cyrillic, Greek); a target whose result the model knows wins, then Latin (the look-alike tables,
 * and the spam that uses them, aim at Latin words), then the script with the most letters.
 */
export function foldWord(word: string, isKnownWord?: (word: string) => boolean): string {
  const chars = Array.from(word.normalize("NFD"));
  const counts = new Map<ScriptClass, number>();
  for (const ch of chars) {
    if (MARK.test(ch)) continue;
    const cls = classify(ch);
    if (cls !== undefined) counts.set(cls, (counts.get(cls) ?? 0) + 1);
  }
  const exoticOnly = counts.size === 1 && counts.has("latin-exotic");
  if (counts.size < 2 && !exoticOnly) return word;

  const targets: Target[] = [];
  if (counts.has("latin") || counts.has("latin-exotic")) targets.push("latin");
  const others = (["cyrillic", "greek"] as const)
    .filter((t) => counts.has(t))
    .sort((a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0));
  targets.push(...others);

  const folded: string[] = [];
  for (const target of targets) {
    const result = foldInto(chars, target);
    if (result !== null) folded.push(result.normalize("NFC"));
  }
  const chosen = (isKnownWord && folded.find((f) => isKnownWord(f.toLowerCase()))) ?? folded[0];
  return chosen ?? word;
}

export interface ConfusablesResult {
  text: string;
  /** Words rewritten because they mixed look-alike letters from several scripts. */
  foldedWords: number;
}

/** Folds every mixed-script word of an NFKC-normalized text. */
export function foldConfusables(text: string, isKnownWord?: (word: string) => boolean): ConfusablesResult {
  // Plain ASCII cannot mix scripts; most comments stop here.
  if (!/[\u0080-\u{10FFFF}]/u.test(text)) return { text, foldedWords: 0 };
  let foldedWords = 0;
  const out = text.replace(/[\p{L}\p{M}\p{N}]+/gu, (word) => {
    const folded = foldWord(word, isKnownWord);
    if (folded !== word) foldedWords++;
    return folded;
  });
  return { text: out, foldedWords };
}
