/** URL and e-mail recognition, and the host / registrable domain / TLD tokens made from them. */
import { getDomain } from "tldts";

// The Public Suffix List as tldts bundles it (pure data, no I/O). Private suffixes count too: the
// owner of `someone.blogspot.com` is `someone`, not Blogger, and spam hosts group by owner.
const PSL_OPTIONS = { allowPrivateDomains: true, extractHostname: false, validateHostname: false } as const;

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

/**
 * The name its owner registered, by the Public Suffix List (`www.example.co.uk` → `example.co.uk`,
 * `a.someone.github.io` → `someone.github.io`). An IP address, or a host that is itself a public
 * suffix, is its own domain.
 */
export function registrableDomain(host: string): string {
  if (/^[\d.]+$/.test(host) || host.startsWith("[")) return host;
  return getDomain(host, PSL_OPTIONS) ?? host;
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
