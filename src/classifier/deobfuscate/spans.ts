/**
 * Links and e-mail addresses are left to the tokenizer's own URL/e-mail handling: `fr33m0ney.com`
 * is a host, not a disguised word, and `c.a.s.i.n.o` must not be taken for one.
 *
 * Judged per whitespace-separated chunk with anchored tests, never with one pattern over the whole
 * text: unanchored link patterns backtrack quadratically on long unbroken runs (64 KiB of `a.a.a…`
 * took 16 s).
 */
const CHUNK = /\S+/g;
/** Longer chunks are no word anyone reads: left alone, and never scanned by the repair patterns. */
const MAX_CHUNK = 256;
const LINKISH = [
  /:\/\//, // scheme://…
  /^[^\p{L}\p{N}]*www\./iu,
  /@[^@]*[\p{L}\p{N}]\.[\p{L}\p{N}]/u, // e-mail address
  // a host name: a label of two or more characters, a dot, a TLD of two or more letters
  /[\p{L}\p{N}-]{2,}\.\p{L}{2,}(?![\p{L}\p{N}])/u,
];

function isProtected(chunk: string): boolean {
  return chunk.length > MAX_CHUNK || LINKISH.some((pattern) => pattern.test(chunk));
}

/** Applies `fn` to the parts of `text` that are not links, e-mail addresses or overlong chunks. */
export function mapOutsideLinks(text: string, fn: (part: string) => string): string {
  let out = "";
  let last = 0;
  for (const m of text.matchAll(CHUNK)) {
    if (!isProtected(m[0])) continue;
    out += fn(text.slice(last, m.index)) + m[0];
    last = m.index + m[0].length;
  }
  return out + fn(text.slice(last));
}
