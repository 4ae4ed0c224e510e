import { SUBWORD_PREFIX } from "../classifier/index.js";
import type { Clue, Label } from "../classifier/index.js";

/**
 * What the moderation console shows about a comment, computed from stored rows only (pure, so the
 * console's pages and tests share it).
 */

/** Bidi controls that can reorder the text around them (Trojan Source, CVE-2021-42574), and zero-width ones. */
const INVISIBLE_CONTROLS = /[\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/g;

/**
 * Replaces bidi overrides, isolates and zero-width characters with a visible `[U+202E]` marker, so an
 * author name cannot display reversed or hide words, and the reader sees that they were there.
 */
export function revealControls(text: string): string {
  return text.replace(INVISIBLE_CONTROLS, (ch) => `[U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}]`);
}

export interface Segment {
  text: string;
  /** Set when the segment is a clue: which way it pushed. */
  mark?: Label;
  token?: string;
}

function isWordClue(token: string): boolean {
  // Signal tokens carry a `kind:` prefix (url:, meta:, html:, …); words, pairs and emoji do not.
  return token.startsWith(SUBWORD_PREFIX) || !/^[a-z-]+:/.test(token);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const patterns = new Map<string, RegExp | null>();
/** Patterns kept at most: a queue page has ~400 clues, most of them shared. */
const MAX_PATTERNS = 5000;

function cluePattern(token: string): RegExp | null {
  let pattern = patterns.get(token);
  if (pattern !== undefined) return pattern;
  const piece = token.startsWith(SUBWORD_PREFIX);
  const raw = piece ? token.slice(SUBWORD_PREFIX.length) : token;
  // A pair is two words with any run of spaces between them; a whole word must not be part of a longer one.
  const body = raw.split(" ").map(escapeRegExp).join("\\s+");
  pattern = raw.trim() === "" ? null : new RegExp(piece ? body : `(?<![\\p{L}\\p{N}])${body}(?![\\p{L}\\p{N}])`, "giu");
  if (patterns.size >= MAX_PATTERNS) patterns.clear();
  patterns.set(token, pattern);
  return pattern;
}

/**
 * Splits `text` into plain and highlighted segments: each word clue (a word, a pair of words, or a
 * word's 5-letter piece) is marked where it occurs, case-insensitively. The strongest clue wins
 * where two overlap. Bounded: at most `maxMarks` highlights, so a 20,000-character body stays cheap.
 */
export function highlightClues(text: string, clues: readonly Clue[], maxMarks = 200): Segment[] {
  const marks: { start: number; end: number; clue: Clue }[] = [];
  const taken = new Uint8Array(text.length);
  const sorted = [...clues].filter((c) => isWordClue(c.token)).sort((a, b) => b.weight - a.weight);
  for (const clue of sorted) {
    const pattern = cluePattern(clue.token);
    if (!pattern) continue;
    for (const m of text.matchAll(pattern)) {
      if (marks.length >= maxMarks) break;
      const start = m.index;
      const end = start + m[0].length;
      if (m[0].length === 0) continue;
      let free = true;
      for (let i = start; i < end; i++) if (taken[i]) free = false;
      if (!free) continue;
      taken.fill(1, start, end);
      marks.push({ start, end, clue });
    }
  }
  marks.sort((a, b) => a.start - b.start);
  const out: Segment[] = [];
  let at = 0;
  for (const m of marks) {
    if (m.start > at) out.push({ text: text.slice(at, m.start) });
    out.push({ text: text.slice(m.start, m.end), mark: m.clue.direction, token: m.clue.token });
    at = m.end;
  }
  if (at < text.length) out.push({ text: text.slice(at) });
  return out;
}

/** Clues that are not words of the text (links, author URL/e-mail, network, timing, HTML), in plain words. */
export function describeSignal(token: string): string {
  const [kind, ...rest] = token.split(":");
  const value = rest.join(":");
  // Host tokens are `<kind>:domain:x`, `<kind>:tld:x` or `<kind>:host:x` (classifier/urls.ts).
  const host = (what: string) => {
    const [part, ...name] = value.split(":");
    const v = name.join(":");
    if (part === "domain") return `${what} at the domain ${v}`;
    if (part === "tld") return `${what} in the .${v} top-level domain`;
    if (part === "host") return `${what} at the host ${v}`;
    return `${what}: ${value}`;
  };
  switch (kind) {
    case "url":
      return value.startsWith("word:") ? `a word in a link: ${value.slice(5)}` : host("a link");
    case "author-url":
      return host("the author's website");
    case "author-email":
      return host("the author's e-mail");
    case "email":
      return host("an e-mail address");
    case "ip":
      return `sent from the network ${value}`;
    case "ua":
      return `browser family: ${value}`;
    case "html":
      return `HTML tag <${value}>`;
    case "meta":
      return value === "honeypot"
        ? "the hidden form field was filled in"
        : value.startsWith("tts=")
          ? `time to submit: ${value.slice(4)}`
          : value.replaceAll("=", ": ").replaceAll("-", " ");
    default:
      return token;
  }
}

export function signalClues(clues: readonly Clue[]): Clue[] {
  return clues.filter((c) => !isWordClue(c.token));
}

/** Well-formed clues from a comment's stored `reasons` (older rows or other writers may differ). */
export function cluesOf(reasons: unknown[] | null): Clue[] {
  if (!reasons) return [];
  return reasons.filter(
    (r): r is Clue =>
      typeof r === "object" &&
      r !== null &&
      typeof (r as Clue).token === "string" &&
      typeof (r as Clue).probability === "number" &&
      ((r as Clue).direction === "spam" || (r as Clue).direction === "ham"),
  ).map((c) => ({ ...c, weight: typeof c.weight === "number" ? c.weight : Math.abs(c.probability - 0.5) * 2 }));
}

export interface LinkShown {
  /** The link as written (controls revealed). */
  text: string;
  /** The host a browser would go to, or null when it is not a web link (`javascript:`, junk). */
  host: string | null;
  scheme: string | null;
}

const LINK_PATTERN = /\b(?:[a-z][a-z0-9+.-]{1,20}:\/\/|www\.)[^\s<>"'`]+|\b(?:javascript|data|vbscript):[^\s<>"'`]+/gi;
const HREF_PATTERN = /href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi;

/** The links in a comment's text and markup, each with the host it really goes to. At most `max`. */
export function linksIn(text: string, max = 20): LinkShown[] {
  const found = new Set<string>();
  for (const m of text.matchAll(HREF_PATTERN)) found.add((m[1] ?? m[2] ?? m[3] ?? "").trim());
  for (const m of text.matchAll(LINK_PATTERN)) {
    const link = m[0].replace(/[).,;:!?]+$/, "");
    // The same link inside an href was already taken whole.
    if (![...found].some((f) => f.startsWith(link))) found.add(link);
  }
  const out: LinkShown[] = [];
  for (const link of found) {
    if (link === "" || out.length >= max) continue;
    out.push({ text: revealControls(link), ...hostOf(link) });
  }
  return out;
}

export function hostOf(link: string): { host: string | null; scheme: string | null } {
  try {
    const url = new URL(/^www\./i.test(link) ? `http://${link}` : link);
    const scheme = url.protocol.replace(/:$/, "");
    // WHATWG URL parsing gives the punycode (xn--) form of a look-alike host: the real one.
    return { host: scheme === "http" || scheme === "https" ? url.hostname : null, scheme };
  } catch {
    return { host: null, scheme: null };
  }
}

export interface CutoffPreview {
  decided: number;
  /** Decided ham that these cutoffs would file as spam. */
  blockedHam: number;
  /** Decided spam that these cutoffs would publish. */
  missedSpam: number;
  /** Comments these cutoffs would hold for a moderator. */
  held: number;
  heldShare: number;
  filed: { label: Label; as: "published" | "held" | "spam"; n: number }[];
}

/**
 * How the given decided comments (their score at the time, and the label a person gave them) would
 * be filed at these cutoffs. Uses the stored score: it previews the cutoffs, not a retrained model.
 */
export function previewCutoffs(rows: readonly { score: number; label: Label }[], hamCutoff: number, spamCutoff: number): CutoffPreview {
  const counts = new Map<string, number>();
  for (const r of rows) {
    const as = r.score < hamCutoff ? "published" : r.score >= spamCutoff ? "spam" : "held";
    const k = `${r.label}/${as}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const n = (label: Label, as: string) => counts.get(`${label}/${as}`) ?? 0;
  const held = n("spam", "held") + n("ham", "held");
  const filed = (["spam", "ham"] as const).flatMap((label) => (["published", "held", "spam"] as const).map((as) => ({ label, as, n: n(label, as) })));
  return {
    decided: rows.length,
    blockedHam: n("ham", "spam"),
    missedSpam: n("spam", "published"),
    held,
    heldShare: rows.length === 0 ? 0 : held / rows.length,
    filed,
  };
}

/** "203.0.113.7" → "203.0.113" (its /24), or undefined for anything but a plain IPv4 address. */
export function ipv4Prefix24(ip: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip.trim());
  if (!m || m.slice(1).some((p) => Number(p) > 255)) return undefined;
  return `${m[1]}.${m[2]}.${m[3]}`;
}
