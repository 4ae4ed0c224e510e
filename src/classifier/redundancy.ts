/**
 * Which stretch of text each token's evidence comes from, so that one stretch does not vote many
 * times: a word, its pairs and its 5-letter pieces; one URL's host, domain and TLD tokens. After
 * Robinson's "Handling Redundancy in Email Token Probabilities" and SpamBayes' bigram tiling
 * (a stretch is covered by its strongest clue; overlapping weaker ones are left out).
 */
import { SUBWORD_PREFIX } from "./tokenize.js";

const HOST_PREFIXES = ["url", "author-url", "email", "author-email"] as const;

/** True for the units that pairs are made of: words, emoji, number shapes and skip tokens. */
function isUnit(token: string): boolean {
  if (token.includes(" ")) return false;
  if (!token.includes(":")) return true;
  return token.startsWith("num:") || token.startsWith("skip:");
}

/**
 * For each token, the stretches it covers (names only compared with each other). Tokens the
 * tokenizer makes independently of others (signals, path words) cover a stretch of their own.
 */
export function stretchesOf(tokens: readonly string[]): Map<string, readonly string[]> {
  const units = new Set<string>();
  const domains = new Map<string, string[]>();
  for (const token of tokens) {
    if (isUnit(token)) units.add(token);
    for (const prefix of HOST_PREFIXES) {
      const head = `${prefix}:domain:`;
      if (token.startsWith(head)) {
        const list = domains.get(prefix) ?? [];
        list.push(token.slice(head.length));
        domains.set(prefix, list);
      }
    }
  }
  const out = new Map<string, readonly string[]>();
  for (const token of tokens) out.set(token, stretchesOfOne(token, units, domains));
  return out;
}

function stretchesOfOne(token: string, units: ReadonlySet<string>, domains: ReadonlyMap<string, string[]>): readonly string[] {
  if (isUnit(token)) return [token];
  if (token.includes(" ") && !token.includes(":")) return token.split(" ");
  if (token.includes(" ")) {
    // A pair with a number shape or skip token in it.
    const space = token.indexOf(" ");
    return [token.slice(0, space), token.slice(space + 1)];
  }
  if (token.startsWith(SUBWORD_PREFIX)) {
    const piece = token.slice(SUBWORD_PREFIX.length);
    const words: string[] = [];
    for (const unit of units) if (unit.length > piece.length && unit.includes(piece)) words.push(unit);
    return words.length > 0 ? words : [token];
  }
  for (const prefix of HOST_PREFIXES) {
    if (!token.startsWith(`${prefix}:`)) continue;
    const rest = token.slice(prefix.length + 1);
    const own = domains.get(prefix) ?? [];
    const owners = (name: string) => own.filter((d) => name === d || name.endsWith(`.${d}`)).map((d) => `${prefix}@${d}`);
    if (rest.startsWith("domain:")) return [`${prefix}@${rest.slice(7)}`];
    if (rest.startsWith("host:")) {
      const found = owners(rest.slice(5));
      return found.length > 0 ? found : [token];
    }
    if (rest.startsWith("tld:")) {
      const tld = rest.slice(4);
      const found = own.filter((d) => d === tld || d.endsWith(`.${tld}`)).map((d) => `${prefix}@${d}`);
      return found.length > 0 ? found : [token];
    }
  }
  return [token];
}
