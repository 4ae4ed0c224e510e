/** Text clean-up before tokenizing: broken code units, HTML tags and entities. */

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " ", hellip: "…", mdash: "—", ndash: "–",
  lsquo: "‘", rsquo: "’", ldquo: "“", rdquo: "”", copy: "©", reg: "®", trade: "™", euro: "€",
  pound: "£", yen: "¥", cent: "¢", laquo: "«", raquo: "»", bull: "•", middot: "·", shy: "\u00AD",
  zwj: "\u200D", zwnj: "\u200C",
};

/**
 * Removes NUL and lone surrogates. Byte-order marks (U+FEFF ends many YouTube comments) are left to
 * normalization, which drops them with the other invisible characters and notices one hidden
 * inside a word; a space here would split `vi\uFEFFagra` into two harmless words.
 */
export function sanitize(text: string): string {
  // eslint-disable-next-line no-control-regex -- removing NUL is the point: Postgres rejects it in text.
  return text.replace(/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, " ");
}

/** Decodes named (common ones) and numeric HTML entities; an unknown or invalid one stays as written. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8});/gi, (whole, body: string) => {
    if (body.startsWith("#")) {
      const code = body[1] === "x" || body[1] === "X" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      // NUL and surrogate code points are not characters: drop them like `sanitize` does.
      if (code === 0 || (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) return " ";
      return String.fromCodePoint(code);
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? whole;
  });
}

export interface StrippedHtml {
  text: string;
  /** href/src values found in tags, entity-decoded: links survive the stripping. */
  links: string[];
  /** Lower-case names of the tags that were present (once each). */
  tags: string[];
}

const TAG = /<\/?([a-z][a-z0-9]*)\b[^<>]*>/gi;
const LINK_ATTRIBUTE = /\b(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi;

/** Replaces tags by spaces (keeping their links) and decodes entities. Text without `<` or `&` is returned as is. */
export function stripHtml(text: string): StrippedHtml {
  const links: string[] = [];
  const tags = new Set<string>();
  let out = text;
  if (out.includes("<")) {
    out = out.replace(TAG, (tag, name: string) => {
      tags.add(name.toLowerCase());
      for (const match of tag.matchAll(LINK_ATTRIBUTE)) {
        const value = match[1] ?? match[2] ?? match[3];
        if (value) links.push(decodeEntities(value));
      }
      return " ";
    });
  }
  if (out.includes("&")) out = decodeEntities(out);
  return { text: out, links, tags: [...tags] };
}
