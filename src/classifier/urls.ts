/** URL and e-mail recognition, and the host / registrable domain / TLD tokens made from them. */

// Second-level labels under which registries sell names (co.uk, com.au…). A heuristic stand-in for
// the Public Suffix List: good enough to group spam hosts by owner, far smaller than the list.
const SECOND_LEVEL = new Set(["co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go", "gob", "nic", "mil", "ltd", "plc", "sch", "info", "biz", "nom"]);

// Bare "name.tld" without scheme or www counts as a link only for these common TLDs, so "end.next"
// (a missing space after a full stop) is not taken for a link.
const BARE_TLDS = "com|net|org|info|biz|io|co|me|tv|ly|gl|be|us|uk|ru|de|fr|es|it|nl|pl|br|in|cn|jp|xyz|online|site|club|top|shop|store|app|link|click|live|fm|to|cc|ws|tk|ml|ga|cf|gq|pw|eu|ca|au";

/** Matches URLs with a scheme, `www.` hosts and bare host names with a common TLD, plus their path. */
export const URL_PATTERN = new RegExp(
  String.raw`(?:\b(?:https?|ftp):\/\/[^\s<>"'\x60]+|\bwww\.[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+[^\s<>"'\x60]*|\b[\p{L}\p{N}][\p{L}\p{N}-]*(?:\.[\p{L}\p{N}-]+)*\.(?:${BARE_TLDS})\b(?:\/[^\s<>"'\x60]*)?)`,
  "giu",
);

export const EMAIL_PATTERN = /[\p{L}\p{N}._%+-]+@([\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+)/giu;

/** The host of a URL-ish string, lower-case, without port, credentials or a trailing dot; undefined if none. */
export function hostOf(url: string): string | undefined {
  const withoutScheme = url.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  const authority = withoutScheme.split(/[/?#\\]/, 1)[0] ?? "";
  const host = (authority.split("@").pop() ?? "").replace(/:\d*$/, "").replace(/\.+$/, "").toLowerCase();
  if (!/^[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+$/u.test(host) && !/^\[[0-9a-f:.]+\]$/.test(host)) return undefined;
  return host;
}

/** The name its owner registered: the last two labels, or three under a known second level (example.co.uk). */
export function registrableDomain(host: string): string {
  const labels = host.split(".");
  if (labels.length <= 2 || /^\d+$/.test(labels[labels.length - 1] ?? "")) return host;
  const second = labels[labels.length - 2] ?? "";
  const keep = SECOND_LEVEL.has(second) && (labels[labels.length - 1] ?? "").length === 2 ? 3 : 2;
  return labels.slice(-keep).join(".");
}

/** Host, registrable domain and TLD tokens under a prefix (`url`, `author-url`, `email`…). */
export function hostTokens(prefix: string, host: string): string[] {
  const domain = registrableDomain(host);
  const tld = host.includes(".") ? host.slice(host.lastIndexOf(".") + 1) : host;
  const out = [`${prefix}:domain:${domain}`, `${prefix}:tld:${tld}`];
  if (host !== domain) out.push(`${prefix}:host:${host}`);
  return out;
}

/** Words of a URL's path and query (e.g. `watch`, `channel`), which often name the spammer's aim. */
export function pathWords(url: string): string[] {
  const withoutScheme = url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  const slash = withoutScheme.search(/[/?#]/);
  if (slash < 0) return [];
  return withoutScheme
    .slice(slash)
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length >= 2 && word.length <= 20 && !/^\d+$/.test(word));
}
