import { campaignTokens } from "./campaign.js";
import type { CommentFeatures } from "./contract.js";
import { hostOf, hostTokens } from "./urls.js";

/** Signal tokens from what the caller knows besides the text. Each signal is a token in the same model. */
export function featureSignals(features: CommentFeatures): string[] {
  const out: string[] = [];
  if (features.authorUrl !== undefined && features.authorUrl.trim() !== "") {
    const host = hostOf(features.authorUrl);
    if (host) out.push(...hostTokens("author-url", host));
    else out.push("author-url:unparsable");
  }
  if (features.authorEmail !== undefined && features.authorEmail.includes("@")) {
    const domain = features.authorEmail.slice(features.authorEmail.lastIndexOf("@") + 1).trim().toLowerCase();
    if (/^[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+$/u.test(domain)) out.push(...hostTokens("author-email", domain));
  }
  if (features.ip !== undefined) {
    const net = ipNetwork(features.ip);
    if (net) out.push(net);
  }
  if (features.userAgent !== undefined) out.push(`ua:${userAgentFamily(features.userAgent)}`);
  if (features.honeypotFilled === true) out.push("meta:honeypot");
  if (features.timeToSubmitMs !== undefined && Number.isFinite(features.timeToSubmitMs)) {
    out.push(`meta:tts=${timeBucket(features.timeToSubmitMs)}`);
  }
  if (features.seenBefore === true) out.push("meta:seen-before");
  out.push(...campaignTokens(features.campaign));
  return out;
}

/** The /24 of an IPv4 address or the /48 of an IPv6 one: spam farms rotate addresses inside a block. */
export function ipNetwork(ip: string): string | undefined {
  const trimmed = ip.trim().toLowerCase();
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(trimmed);
  if (v4) {
    const parts = v4.slice(1, 5).map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return `ip:${parts.slice(0, 3).join(".")}.0/24`;
  }
  if (!/^[0-9a-f:]+$/.test(trimmed) || !trimmed.includes(":")) return undefined;
  const halves = trimmed.split("::");
  if (halves.length > 2) return undefined;
  const head = (halves[0] ?? "").split(":").filter((g) => g !== "");
  const tail = halves.length === 2 ? (halves[1] ?? "").split(":").filter((g) => g !== "") : [];
  const groups = halves.length === 2 ? [...head, ...Array<string>(8 - head.length - tail.length).fill("0"), ...tail] : head;
  if (groups.length !== 8 || groups.some((g) => g.length > 4)) return undefined;
  return `ip:${groups.slice(0, 3).map((g) => parseInt(g, 16).toString(16)).join(":")}::/48`;
}

/** A coarse user-agent family: scripts and bots differ from browsers far more than browsers from each other. */
export function userAgentFamily(ua: string): string {
  const s = ua.toLowerCase();
  if (s.trim() === "") return "empty";
  if (/bot|crawler|spider|slurp/.test(s)) return "bot";
  if (/curl|wget|python|java\/|go-http|okhttp|libwww|httpclient|node-fetch|axios|php|ruby|perl|scrapy|headless/.test(s)) return "script";
  if (s.includes("edg/")) return "edge";
  if (s.includes("opr/") || s.includes("opera")) return "opera";
  if (s.includes("firefox/")) return "firefox";
  if (s.includes("chrome/") || s.includes("crios/")) return "chrome";
  if (s.includes("safari/")) return "safari";
  if (s.includes("msie") || s.includes("trident/")) return "ie";
  if (s.startsWith("mozilla/")) return "mozilla-other";
  return "other";
}

/** Seconds between form shown and submit: bots post in under two seconds, people take longer. */
function timeBucket(ms: number): string {
  const s = ms / 1000;
  if (s < 0) return "negative";
  if (s < 2) return "lt2s";
  if (s < 5) return "lt5s";
  if (s < 15) return "lt15s";
  if (s < 60) return "lt1m";
  if (s < 600) return "lt10m";
  if (s < 86_400) return "lt1d";
  return "ge1d";
}

const SCRIPTS: ReadonlyArray<readonly [string, RegExp]> = [
  ["latin", /\p{Script=Latin}/u],
  ["cyrillic", /\p{Script=Cyrillic}/u],
  ["greek", /\p{Script=Greek}/u],
  ["arabic", /\p{Script=Arabic}/u],
  ["hebrew", /\p{Script=Hebrew}/u],
  ["han", /\p{Script=Han}/u],
  ["kana", /[\p{Script=Hiragana}\p{Script=Katakana}]/u],
  ["hangul", /\p{Script=Hangul}/u],
  ["thai", /\p{Script=Thai}/u],
  ["devanagari", /\p{Script=Devanagari}/u],
];

/** Signals from the text itself: links, length, capitals and scripts. `original` is before lower-casing. */
export function textSignals(original: string, linkCount: number): string[] {
  const out: string[] = [];
  out.push(`meta:links=${linkCount >= 3 ? "3+" : String(linkCount)}`);
  const length = original.trim().length;
  out.push(`meta:len=${length < 20 ? "lt20" : length < 50 ? "lt50" : length < 100 ? "lt100" : length < 200 ? "lt200" : length < 500 ? "lt500" : "ge500"}`);
  const letters = original.match(/\p{L}/gu)?.length ?? 0;
  if (letters >= 8) {
    const upper = original.match(/\p{Lu}/gu)?.length ?? 0;
    const share = upper / letters;
    out.push(`meta:caps=${share < 0.05 ? "lt5" : share < 0.2 ? "lt20" : share < 0.5 ? "lt50" : share < 0.8 ? "lt80" : "ge80"}`);
  }
  let scripts = 0;
  let other = letters > 0;
  for (const [name, pattern] of SCRIPTS) {
    if (pattern.test(original)) {
      out.push(`meta:script=${name}`);
      scripts++;
      other = false;
    }
  }
  if (other) {
    out.push("meta:script=other");
    scripts++;
  }
  if (scripts >= 2) out.push("meta:scripts=mixed");
  return out;
}
