/**
 * Links and e-mail addresses are left to the tokenizer's own URL/e-mail handling: `fr33m0ney.com`
 * is a host, not a disguised word, and `c.a.s.i.n.o` must not be taken for one.
 */
const PROTECTED = new RegExp(
  [
    // scheme://… and www.…
    String.raw`\b[a-z][a-z0-9+.-]*:\/\/[^\s<>"']+`,
    String.raw`\bwww\.[^\s<>"']+`,
    // e-mail addresses
    String.raw`[^\s@<>"'()]+@[^\s@<>"'()]+\.[^\s@<>"'()]+`,
    // bare host names: some label of two or more characters before a TLD of two or more letters
    String.raw`(?<![\p{L}\p{N}.-])(?:[\p{L}\p{N}-]+\.)*[\p{L}\p{N}-]{2,}\.\p{L}{2,}(?![\p{L}\p{N}-])(?:\/[^\s<>"']*)?`,
  ].join("|"),
  "giu",
);

/** Applies `fn` to the parts of `text` that are not links or e-mail addresses. */
export function mapOutsideLinks(text: string, fn: (part: string) => string): string {
  let out = "";
  let last = 0;
  for (const m of text.matchAll(PROTECTED)) {
    out += fn(text.slice(last, m.index)) + m[0];
    last = m.index + m[0].length;
  }
  return out + fn(text.slice(last));
}
