/**
 * The fuzz phase: at least `count` hostile requests against a running api, from a seeded generator
 * (the same seed sends the same requests). It requires zero 5xx (for the Akismet routes also no
 * `invalid` that hides an internal error), no request hanging past the client's timeout, slow
 * clients (slowloris headers, a lying Content-Length, a chunked body that never ends) cut by the
 * server within SLOW_CAP_MS, the process alive afterwards and its RSS growth bounded.
 */
import http from "node:http";
import net from "node:net";
import { randomUUID } from "node:crypto";
import type { Row } from "./check.js";
import { rssKiB, sleep } from "./cluster.js";
import { countStatus, isOk, percentile, request, type Reply, type RequestOptions, type Site } from "./load.js";

interface Deps {
  port: number;
  apiPid: number;
  adminToken: string;
  site: Site;
  /** Another site, whose ids the fuzz site's keys must not reach. */
  other: Site;
  count: number;
  log(msg: string): void;
}

/** Requests in flight at once; the machine has 2 cores shared with the service under test. */
const CONCURRENCY = 16;
/** A slow client must be cut by the server within this (the issue's finding 7: Node's defaults are 89 s and 300 s). */
const SLOW_CAP_MS = Number(process.env.CHAOS_SLOW_CAP_MS ?? 45_000);
/** RSS may grow this much over the fuzz phase (caches, V8 heap growth), not more. */
const RSS_GROWTH_CAP_KIB = 128 * 1024;
/** The whole phase stops sending after this, whatever the count. */
const PHASE_CAP_MS = 240_000;

/** mulberry32: small, seeded, good enough to pick fuzz cases reproducibly. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  return { next, int, pick };
}

const HOSTILE_STRINGS = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "x\udfffy",
  "\ud83d",
  "' OR '1'='1",
  "'; DROP TABLE comments; --",
  "1; SELECT pg_sleep(10); --",
  "\\x00\\'\\\"",
  "<script>alert(1)</script>",
  "<img src=x onerror=alert(document.cookie)>",
  "\"><svg onload=alert(1)>",
  "${7*7}{{7*7}}<%= 7*7 %>",
  "../../../../etc/passwd",
  "%00%ff%fe",
  "\r\nSet-Cookie: pwned=1",
  "\u202e\u200b\ufeff",
  "NaN",
  "Infinity",
  "-0",
  "9".repeat(400),
  "2026-13-45T99:99:99Z",
  "00000000-0000-0000-0000-000000000000",
  "ffffffff-ffff-ffff-ffff-ffffffffffff",
  "🙂".repeat(500),
  "x".repeat(5000),
  "é".repeat(3000),
  "\u0301".repeat(2000),
  "__proto__",
  "constructor",
] as const;

const HOSTILE_VALUES: readonly unknown[] = [
  ...HOSTILE_STRINGS,
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  2 ** 53 + 1,
  [],
  [1, "2", null],
  {},
  { $gt: "" },
  { __proto__: { admin: true } },
  [[[[[[[[[["deep"]]]]]]]]]],
];

const CURSOR_VALUES: readonly unknown[] = [
  ["0000-01-01T00:00:00Z", "00000000-0000-0000-0000-000000000000"],
  ["0000-12-31T23:59:59.999Z", "00000000-0000-0000-0000-000000000000"],
  ["0001-01-01T00:00:00Z", "00000000-0000-0000-0000-000000000000"],
  ["9999-12-31T23:59:59.999Z", "ffffffff-ffff-ffff-ffff-ffffffffffff"],
  ["+275760-09-13T00:00:00.000Z", "00000000-0000-0000-0000-000000000000"],
  ["-000001-01-01T00:00:00Z", "00000000-0000-0000-0000-000000000000"],
  ["2026-02-30T00:00:00Z", "00000000-0000-0000-0000-000000000000"],
  ["2026-01-01T00:00:00+99:00", "00000000-0000-0000-0000-000000000000"],
  ["2026-01-01T00:00:00Z", "' OR 1=1 --"],
  ["2026-01-01T00:00:00Z"],
  ["2026-01-01T00:00:00Z", "00000000-0000-0000-0000-000000000000", "extra"],
  [1, 2],
  {},
  null,
  "x",
  [],
];

const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=utf-16",
  "application/json; charset=latin1",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/jsonx",
  "application/json, text/html",
  "*/*",
  "",
] as const;

const AKISMET_CHARSETS = ["UTF-8", "ISO-8859-1", "iso-8859-15", "windows-1252", "UTF-16", "UTF-7", "shift_jis", "bogus-charset", "", "../../etc", "x".repeat(300)] as const;

const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");

interface Case {
  category: string;
  req: Omit<RequestOptions, "port" | "agent">;
}

function generator(deps: Deps, commentId: string, seed: number) {
  const r = rng(seed);
  const site = `Bearer ${deps.site.apiKey}`;
  const mod = `Bearer ${deps.site.moderatorKey}`;
  const admin = `Bearer ${deps.adminToken}`;
  const json = (auth: string, extra: Record<string, string> = {}) => ({ authorization: auth, "content-type": "application/json", ...extra });
  const base = () => ({
    thread: "fuzz",
    content: "A perfectly ordinary comment about the article.",
    author: { name: "Fuzzer", email: "fuzz@example.com", url: "https://fuzz.example" },
    ip: "203.0.113.9",
    userAgent: "fuzz/1.0",
    referrer: "https://fuzz.example/post",
    externalId: `fuzz-${randomUUID()}`,
    timeToSubmitMs: 4000,
    honeypot: "",
  });
  const fields = ["thread", "content", "ip", "userAgent", "referrer", "externalId", "parentId", "honeypot", "timeToSubmitMs", "author"] as const;
  const authorFields = ["name", "email", "url"] as const;
  const enc = (s: string) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, "\ufffd"));
  const akismetForm = (): Record<string, string> => ({
    api_key: deps.site.apiKey,
    blog: deps.site.url,
    user_ip: "198.51.100.9",
    user_agent: "fuzz/1.0",
    comment_type: "comment",
    comment_author: "Fuzzer",
    comment_content: "An ordinary comment via Akismet.",
    ...(r.next() < 0.5 ? { is_test: "1" } : {}),
  });
  const form = (f: Record<string, string>) => new URLSearchParams(f).toString();
  const formHeaders = { "content-type": "application/x-www-form-urlencoded" };
  const akismetPath = () => r.pick(["/1.1/comment-check", "/1.1/submit-spam", "/1.1/submit-ham", "/1.1/verify-key", "/1.2/usage-limit", "/1.2/key-sites"]);

  const makers: (() => Case)[] = [
    // --- JSON on POST /v1/comments ------------------------------------------------------------
    () => {
      const body = JSON.stringify(base());
      return { category: "truncated json", req: { method: "POST", path: "/v1/comments", headers: json(site), body: body.slice(0, r.int(body.length)) } };
    },
    () => {
      const n = r.pick([100, 1000, 5000, 15000]);
      const nested = r.next() < 0.5 ? `${'{"a":'.repeat(n)}1${"}".repeat(n)}` : `${"[".repeat(n)}${"]".repeat(n)}`;
      const where = r.int(3);
      const body = where === 0 ? nested : where === 1 ? `{"thread":"t","content":"x","author":${nested}}` : `{"thread":"t","content":${nested}}`;
      return { category: "deeply nested json", req: { method: "POST", path: "/v1/comments", headers: json(site), body } };
    },
    () => ({ category: "unclosed nesting", req: { method: "POST", path: "/v1/comments", headers: json(site), body: r.pick(["[", "{", '{"a":[']).repeat(r.pick([1000, 20000])) } }),
    () => {
      const b: Record<string, unknown> = base();
      const f = r.pick(fields);
      if (f === "author" && r.next() < 0.7) (b.author as Record<string, unknown>)[r.pick(authorFields)] = r.pick(HOSTILE_VALUES);
      else b[f] = r.pick(HOSTILE_VALUES);
      return { category: "wrong types / hostile values", req: { method: "POST", path: "/v1/comments", headers: json(site), body: JSON.stringify(b) } };
    },
    () => {
      const b: Record<string, unknown> = base();
      const f = r.pick(["thread", "content", "ip", "userAgent", "referrer", "externalId"]);
      b[f] = r.pick(["x", "é", "🙂", "\u0000"]).repeat(r.pick([200, 1000, 10_000, 20_001, 30_000]));
      return { category: "huge strings", req: { method: "POST", path: "/v1/comments", headers: json(site), body: JSON.stringify(b) } };
    },
    () => {
      const b = base();
      b.content = "y".repeat(r.pick([66_000, 200_000, 1_000_000]));
      return { category: "over the body limit", req: { method: "POST", path: "/v1/comments", headers: json(site), body: JSON.stringify(b) } };
    },
    () => {
      const head = Buffer.from('{"thread":"t","content":"');
      const bad = r.pick([
        [0xff, 0xfe],
        [0xc3, 0x28],
        [0xe2, 0x82],
        [0xed, 0xa0, 0x80],
        [0xf0, 0x9f, 0x98],
        [0xf8, 0x88, 0x80, 0x80, 0x80],
        [0xc0, 0xaf],
        [0x00],
        [0x00, 0x00, 0x00],
      ]);
      const body = Buffer.concat([head, Buffer.from("hello "), Buffer.from(bad), Buffer.from(' there"}')]);
      return { category: "broken utf-8 / raw NUL", req: { method: "POST", path: "/v1/comments", headers: json(site), body } };
    },
    () => {
      const b: Record<string, unknown> = base();
      const n = r.pick([1, 10, 500, 2000]);
      for (let i = 0; i < n; i++) b[`unknown_${i}_${r.int(1e6)}`] = r.pick(HOSTILE_VALUES);
      const proto = r.next() < 0.5 ? ',"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}}' : "";
      const body = JSON.stringify(b).replace(/}$/, `${proto}}`);
      return { category: "unknown fields / __proto__", req: { method: "POST", path: "/v1/comments", headers: json(site), body } };
    },
    () => ({
      category: "not an object",
      req: { method: "POST", path: "/v1/comments", headers: json(site), body: r.pick(["", "null", "[]", "1", '"x"', "true", "{}", "1e999", "\ufeff{}", "{'a':1}", '{"thread":"t","content":"x",}', "NaN", "[" + '"x",'.repeat(5000) + '"x"]']) },
    }),
    () => ({
      category: "wrong content type",
      req: { method: "POST", path: "/v1/comments", headers: json(site, { "content-type": r.pick(CONTENT_TYPES) }), body: r.next() < 0.5 ? JSON.stringify(base()) : "thread=t&content=x" },
    }),
    () => ({
      category: "absurd ?wait",
      req: {
        method: "POST",
        path: `/v1/comments?wait=${r.pick(["-1", "abc", "1e9", "2001", "NaN", "0x10", "1.5", "%00", "1&wait=2", "9".repeat(500), "", "%E0%A4%A"])}`,
        headers: json(site),
        body: JSON.stringify(base()),
      },
    }),
    () => {
      const b: Record<string, unknown> = base();
      b.parentId = r.pick([deps.other.id, commentId, "00000000-0000-0000-0000-000000000000", randomUUID(), "not-a-uuid"]);
      return { category: "parentId of nobody / another site", req: { method: "POST", path: "/v1/comments", headers: json(site), body: JSON.stringify(b) } };
    },
    // --- GET routes with absurd ids, query parameters and cursors ----------------------------
    () => ({
      category: "absurd comment ids",
      req: {
        method: "GET",
        path: `/v1/comments/${r.pick([enc(r.pick(HOSTILE_STRINGS)) || "x", "%00", "%ff", "%E0%A4%A", "..%2F..%2Fetc%2Fpasswd", commentId.toUpperCase(), `{${commentId}}`, "x".repeat(4000), "%", deps.other.id])}`,
        headers: { authorization: r.pick([site, mod]) },
      },
    }),
    () => {
      const thread = r.next() < 0.3 ? r.pick(["%00", "%ff", "%", "%zz", "%E0%A4%A", "x".repeat(3000)]) : enc(r.pick(HOSTILE_STRINGS)) || "t";
      const limit = r.pick(["-1", "0", "1", "200", "201", "1e9", "abc", "", "99999", "1%20", "01", "2&limit=3"]);
      const cursor = r.next() < 0.8 ? b64(r.pick(CURSOR_VALUES)) : r.pick(["!!!", "==", "x".repeat(5000), "%00", b64("x".repeat(3000)), ""]);
      return { category: "thread listing: absurd query/cursor", req: { method: "GET", path: `/v1/threads/${thread}/comments?limit=${limit}&cursor=${cursor}`, headers: { authorization: site } } };
    },
    () => {
      const status = r.pick(["held", "spam", "published", "pending", "bogus", "", "HELD", "held'--", "held&status=spam", "%00"]);
      const cursor = r.next() < 0.8 ? b64(r.pick(CURSOR_VALUES)) : r.pick(["!!!", "x".repeat(5000), ""]);
      const thread = enc(r.pick(HOSTILE_STRINGS));
      return {
        category: "moderation queue: absurd query/cursor",
        req: { method: "GET", path: `/v1/moderation/queue?status=${status}&thread=${thread}&limit=${r.pick(["1", "0", "-5", "abc", "500"])}&cursor=${cursor}`, headers: { authorization: mod } },
      };
    },
    () => ({
      category: "decision: hostile bodies",
      req: {
        method: "POST",
        path: `/v1/comments/${r.pick([commentId, deps.other.id, "x"])}/decision`,
        headers: json(mod),
        body: r.next() < 0.2 ? "{" : JSON.stringify({ label: r.pick([...HOSTILE_VALUES, "spam", "ham", "SPAM"]), note: r.pick(HOSTILE_VALUES), extra: r.pick(HOSTILE_VALUES) }),
      },
    }),
    // --- admin routes --------------------------------------------------------------------------
    () => ({
      category: "admin: hostile site bodies",
      req: { method: "POST", path: "/v1/sites", headers: json(admin), body: r.next() < 0.2 ? '{"name":' : JSON.stringify({ name: r.pick(HOSTILE_VALUES), url: r.pick([...HOSTILE_VALUES, "javascript:alert(1)", "http://[::1", "https://ok.example"]) }) },
    }),
    () => ({
      category: "admin: hostile settings",
      req: {
        method: "PATCH",
        path: `/v1/sites/${r.pick([deps.site.id, "x", "00000000-0000-0000-0000-000000000000", "%00"])}${r.next() < 0.3 ? "/akismet" : ""}`,
        headers: json(admin),
        body: JSON.stringify(
          r.next() < 0.5
            ? { settings: { hamCutoff: r.pick(HOSTILE_VALUES), spamCutoff: r.pick([...HOSTILE_VALUES, 0.1]), minPerLabel: r.pick([...HOSTILE_VALUES, 1e12]) } }
            : { unsureAnswer: r.pick(HOSTILE_VALUES), discardCutoff: r.pick(HOSTILE_VALUES), name: r.pick(HOSTILE_VALUES) },
        ),
      },
    }),
    // --- Akismet routes ------------------------------------------------------------------------
    () => {
      const f = akismetForm();
      const key = r.pick(["comment_content", "comment_author", "user_ip", "blog", "comment_author_email", "comment_author_url", "permalink", "referrer", "user_role", "comment_date_gmt", "recheck_reason", "honeypot_field_name"]);
      f[key] = String(r.pick(HOSTILE_STRINGS));
      return { category: "akismet: hostile field values", req: { method: "POST", path: akismetPath(), headers: formHeaders, body: form(f) } };
    },
    () => {
      const f = akismetForm();
      const value = r.pick(["0000-00-00 00:00:00", "0000-01-01T00:00:00Z", "99999-01-01T00:00:00Z", "2026-02-30 25:61:61", "garbage", "-1", "+275760-09-13T00:00:00Z", "1970-01-01T00:00:00+99:00"]);
      f[r.pick(["comment_date_gmt", "comment_post_modified_gmt"])] = value;
      return { category: "akismet: absurd dates", req: { method: "POST", path: "/1.1/comment-check", headers: formHeaders, body: form(f) } };
    },
    () => {
      const parts = [form(akismetForm())];
      const n = r.pick([2, 50, 199, 201, 1000]);
      const name = r.pick(["comment_content", "api_key", "blog", "comment_context[]", "comment_context[0]", "user_ip", "x"]);
      for (let i = 0; i < n; i++) parts.push(`${encodeURIComponent(name)}=${r.int(1e6)}`);
      return { category: "akismet: repeated fields", req: { method: "POST", path: akismetPath(), headers: formHeaders, body: parts.join("&") } };
    },
    () => {
      const f = akismetForm();
      f.comment_content = r.pick(["x", "é", "🙂"]).repeat(r.pick([20_001, 60_000]));
      return { category: "akismet: oversized forms", req: { method: "POST", path: "/1.1/comment-check", headers: formHeaders, body: form(f) } };
    },
    () => ({ category: "akismet: over the body limit", req: { method: "POST", path: akismetPath(), headers: formHeaders, body: `${form(akismetForm())}&comment_content=${"z".repeat(r.pick([300_000, 1_000_000]))}` } }),
    () => {
      const charset = r.pick(AKISMET_CHARSETS);
      const f = { ...akismetForm(), blog_charset: charset };
      const head = Buffer.from(`${form(f)}&comment_content=`);
      const raw = r.pick([Buffer.from("caf\xe9 cr\xe8me", "latin1"), Buffer.from([0xff, 0xfe, 0x00, 0x41]), Buffer.from("%E9%ZZ%"), Buffer.from("%00%00"), Buffer.from([0xed, 0xa0, 0x80])]);
      const type = r.pick(["application/x-www-form-urlencoded", `application/x-www-form-urlencoded; charset=${charset}`, "application/x-www-form-urlencoded; charset=utf-16"]);
      return { category: "akismet: wrong-charset forms", req: { method: "POST", path: r.pick(["/1.1/comment-check", "/1.1/submit-ham"]), headers: { "content-type": type }, body: Buffer.concat([head, raw]) } };
    },
    () => ({
      category: "akismet: not a form",
      req: { method: "POST", path: akismetPath(), headers: { "content-type": r.pick(CONTENT_TYPES) }, body: r.pick([JSON.stringify(akismetForm()), "%", "&&&&", "=", "a=%ZZ&b=%", "\u0000", "api_key"]) },
    }),
    () => {
      const q = r.pick([
        `month=${r.pick(["0000-00", "0000-01", "9999-12", "2026-13", "", "' OR 1", "x".repeat(300), "-0001-01"])}`,
        `limit=${r.pick(["-1", "1e20", "abc", "0", "99999999999999999999"])}&offset=${r.pick(["-5", "1e20", "abc", "9".repeat(30)])}`,
        `format=${r.pick(["xml", "", "JSON", "csv%00"])}`,
        `url_filter=${r.pick(["%25", "_", "%5C", "x".repeat(5000), "'--"])}`,
      ]);
      return { category: "akismet: absurd key-sites query", req: { method: r.pick(["GET", "POST"]), path: `/1.2/key-sites?${q}${r.next() < 0.5 ? `&api_key=${deps.site.apiKey}` : ""}`, headers: formHeaders, body: r.next() < 0.5 ? form({ api_key: deps.site.apiKey }) : "" } };
    },
    () => {
      const f = { ...akismetForm(), guid: r.pick([deps.other.id, commentId, "x", "00000000-0000-0000-0000-000000000000", "' OR 1=1"]) };
      return { category: "akismet: submissions naming others", req: { method: "POST", path: r.pick(["/1.1/submit-spam", "/1.1/submit-ham"]), headers: formHeaders, body: form(f) } };
    },
    () => {
      const f = akismetForm();
      delete (f as Partial<Record<string, string>>).api_key;
      const host = r.pick([`${deps.site.apiKey}.localhost`, `${"a".repeat(63)}.localhost`, "..", "x".repeat(2000), `${deps.site.apiKey.toUpperCase()}.localhost`, "[::1]:99999"]);
      return { category: "akismet: hostile Host", req: { method: "POST", path: "/1.1/comment-check", headers: { ...formHeaders, host, "x-forwarded-host": r.pick(["evil.example", `${deps.site.apiKey}.x`, ""]) }, body: form(f) } };
    },
    // --- everything else -----------------------------------------------------------------------
    () => ({
      category: "odd methods and paths",
      req: {
        method: r.pick(["PUT", "DELETE", "OPTIONS", "PATCH", "HEAD", "TRACE", "PROPFIND"]),
        path: r.pick(["/v1/comments", `/v1/comments/${commentId}`, "/v1/sites", "/1.1/comment-check", "/readyz", "//v1//comments", "/v1/comments/../sites", `/${"a/".repeat(2000)}`, "/v1/%00", "/%ff%fe"]),
        headers: { authorization: r.pick([site, mod, admin]) },
      },
    }),
  ];
  return (): Case => r.pick(makers)();
}

// ---------------------------------------------------------------------------------------------
// Raw sockets: what an HTTP client library will not send.

interface RawResult {
  status: number | "closed" | "timeout" | "error";
  ms: number;
}

/** Writes `data`, reads the status line of the first answer (or the close). */
function rawOnce(port: number, data: Buffer | string, timeoutMs = 5000): Promise<RawResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let done = false;
    let got = "";
    const finish = (status: RawResult["status"]) => {
      if (done) return;
      done = true;
      sock.destroy();
      resolve({ status, ms: performance.now() - started });
    };
    const sock = net.connect(port, "127.0.0.1", () => sock.write(data));
    sock.setTimeout(timeoutMs, () => finish("timeout"));
    sock.on("data", (c: Buffer) => {
      got += c.toString("latin1");
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(got);
      if (m) finish(Number(m[1]));
    });
    sock.on("error", () => finish(got ? "closed" : "error"));
    sock.on("close", () => finish("closed"));
  });
}

function rawCases(deps: Deps): { category: string; data: Buffer | string }[] {
  const h = `Host: 127.0.0.1:${deps.port}\r\n`;
  const auth = `Authorization: Bearer ${deps.site.apiKey}\r\n`;
  const body = '{"thread":"raw","content":"raw socket comment"}';
  return [
    { category: "raw: garbage request line", data: "GARBAGE\r\n\r\n" },
    { category: "raw: unknown HTTP version", data: `GET /healthz HTTP/9.9\r\n${h}\r\n` },
    { category: "raw: header without colon", data: `GET /healthz HTTP/1.1\r\n${h}NoColonHere\r\n\r\n` },
    { category: "raw: NUL in header", data: `GET /healthz HTTP/1.1\r\n${h}X-A: a\u0000b\r\n\r\n` },
    { category: "raw: 80 KiB header", data: `GET /healthz HTTP/1.1\r\n${h}X-Big: ${"a".repeat(80 * 1024)}\r\n\r\n` },
    { category: "raw: 100 KiB URL", data: `GET /v1/comments/${"a".repeat(100 * 1024)} HTTP/1.1\r\n${h}\r\n` },
    { category: "raw: CL and TE together", data: `POST /v1/comments HTTP/1.1\r\n${h}${auth}Content-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n` },
    { category: "raw: two Content-Lengths", data: `POST /v1/comments HTTP/1.1\r\n${h}${auth}Content-Type: application/json\r\nContent-Length: 3\r\nContent-Length: ${body.length}\r\n\r\n${body}` },
    { category: "raw: negative Content-Length", data: `POST /v1/comments HTTP/1.1\r\n${h}${auth}Content-Type: application/json\r\nContent-Length: -1\r\n\r\n${body}` },
    { category: "raw: Content-Length not a number", data: `POST /v1/comments HTTP/1.1\r\n${h}${auth}Content-Type: application/json\r\nContent-Length: 1e3\r\n\r\n${body}` },
    { category: "raw: Content-Length too short", data: `POST /v1/comments HTTP/1.1\r\n${h}${auth}Content-Type: application/json\r\nContent-Length: 10\r\n\r\n${body}` },
    { category: "raw: bad chunk size", data: `POST /v1/comments HTTP/1.1\r\n${h}${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n${body}\r\n0\r\n\r\n` },
    { category: "raw: obs-fold header", data: `GET /healthz HTTP/1.1\r\n${h}X-A: a\r\n  folded\r\n\r\n` },
    { category: "raw: bare LF", data: `GET /healthz HTTP/1.1\n${h.replace("\r\n", "\n")}\n` },
    { category: "raw: HTTP/1.0 without Host", data: "GET /readyz HTTP/1.0\r\n\r\n" },
    { category: "raw: absolute-form URL", data: `GET http://evil.example/v1/sites HTTP/1.1\r\n${h}Authorization: Bearer x\r\n\r\n` },
    { category: "raw: CONNECT", data: `CONNECT 127.0.0.1:22 HTTP/1.1\r\n${h}\r\n` },
    { category: "raw: 1000 headers", data: `GET /healthz HTTP/1.1\r\n${h}${Array.from({ length: 1000 }, (_, i) => `X-H${i}: ${i}\r\n`).join("")}\r\n` },
    { category: "raw: pipelined garbage", data: `GET /healthz HTTP/1.1\r\n${h}\r\nGET /healthz HTTP/1.1\r\n${h}\r\n\u0000\u0001\u0002\r\n\r\n` },
  ];
}

interface SlowResult {
  category: string;
  /** How long the server kept the socket before closing it; null when it was still open at the cap. */
  closedAfterMs: number | null;
}

/** A client that never finishes its request; resolves when the server closes it or at the cap. */
function slowClient(port: number, category: string, head: string, drip: () => string, intervalMs: number): Promise<SlowResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearInterval(timer);
      clearTimeout(cap);
      sock.destroy();
      resolve({ category, closedAfterMs: closed ? performance.now() - started : null });
    };
    const cap = setTimeout(() => finish(false), SLOW_CAP_MS);
    const sock = net.connect(port, "127.0.0.1", () => {
      if (head) sock.write(head);
      timer = setInterval(() => {
        if (!sock.destroyed) sock.write(drip());
      }, intervalMs);
    });
    sock.on("data", () => {});
    sock.on("error", () => finish(true));
    sock.on("close", () => finish(true));
  });
}

function slowClients(deps: Deps): Promise<SlowResult[]> {
  const h = `Host: 127.0.0.1:${deps.port}\r\n`;
  const auth = `Authorization: Bearer ${deps.site.apiKey}\r\n`;
  const all: Promise<SlowResult>[] = [];
  for (let i = 0; i < 4; i++) {
    all.push(slowClient(deps.port, "slowloris: a header byte a second", `GET /healthz HTTP/1.1\r\n${h}X-Slow: `, () => "a", 1000));
    all.push(slowClient(deps.port, "lying Content-Length (1000 declared, 12 sent)", `POST /v1/comments HTTP/1.1\r\n${h}${auth}Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"thread":"s"`, () => "", 1000));
    all.push(slowClient(deps.port, "chunked body that never ends", `POST /v1/comments HTTP/1.1\r\n${h}${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`, () => "1\r\n \r\n", 1000));
    all.push(slowClient(deps.port, "chunk size larger than ever sent", `POST /v1/comments HTTP/1.1\r\n${h}${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\nabc`, () => "", 1000));
    all.push(
      slowClient(deps.port, "akismet: lying Content-Length", `POST /1.1/comment-check HTTP/1.1\r\n${h}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\napi_key=${deps.site.apiKey}&blog=`, () => "", 1000),
    );
  }
  return Promise.all(all);
}

// ---------------------------------------------------------------------------------------------

export async function runFuzz(deps: Deps): Promise<Row> {
  const { port } = deps;
  const seed = Number(process.env.CHAOS_SEED ?? 14);
  const made = await request({
    port,
    method: "POST",
    path: "/v1/comments",
    headers: { authorization: `Bearer ${deps.site.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ thread: "fuzz", content: "the fuzz site's own comment" }),
  });
  const commentId = (JSON.parse(made.body) as { id: string }).id;
  await sleep(1000);
  const rssBefore = rssKiB(deps.apiPid);

  const byStatus: Record<string, number> = {};
  const byCategory = new Map<string, Record<string, number>>();
  const examples = new Map<string, string[]>();
  const badCount = new Map<string, number>();
  const latencies: number[] = [];
  const violations: string[] = [];
  const notes: string[] = [];
  let sent = 0;
  let ok = 0;
  const record = (category: string, status: Reply["status"] | RawResult["status"], ms: number, bad: string | undefined, what: string) => {
    sent++;
    latencies.push(ms);
    countStatus(byStatus, status);
    const cat = byCategory.get(category) ?? {};
    countStatus(cat, status);
    byCategory.set(category, cat);
    if (typeof status === "number" && status >= 200 && status < 300) ok++;
    if (bad) {
      badCount.set(`${category}: ${bad}`, (badCount.get(`${category}: ${bad}`) ?? 0) + 1);
      const list = examples.get(`${category}: ${bad}`) ?? [];
      if (list.length < 3) list.push(what);
      examples.set(`${category}: ${bad}`, list);
    }
  };

  const slow = slowClients(deps);
  const raws = rawCases(deps);
  const next = generator(deps, commentId, seed);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const stopAt = performance.now() + PHASE_CAP_MS;
  const target = deps.count;
  let issued = 0;
  let refused = 0;
  let lastLog = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (issued < target && performance.now() < stopAt) {
        const n = issued++;
        if (n % 25 === 0) {
          const raw = raws[(n / 25) % raws.length];
          if (raw) {
            const res = await rawOnce(port, raw.data);
            const bad = typeof res.status === "number" && res.status >= 500 ? String(res.status) : res.status === "timeout" ? "no answer in 5 s" : undefined;
            record(raw.category, res.status, res.ms, bad, raw.category);
            continue;
          }
        }
        const c = next();
        let reply: Reply;
        try {
          // A body the server refuses early ends its connection; on a shared keep-alive socket that
          // would reset the next, unrelated request, so such bodies get a connection of their own.
          const big = c.req.body !== undefined && Buffer.byteLength(c.req.body) > 60_000;
          reply = await request({ ...c.req, port, agent: big ? false : agent, timeoutMs: 10_000 });
        } catch {
          // Node's client refuses some header values before sending: nothing reached the server.
          refused++;
          continue;
        }
        const help = String(reply.headers["x-akismet-debug-help"] ?? "");
        const bad =
          typeof reply.status === "number" && reply.status >= 500
            ? String(reply.status)
            : reply.status === "timeout"
              ? "hung past 10 s"
              : /internal error/i.test(help)
                ? "akismet `invalid` hiding an internal error"
                : undefined;
        const body = typeof c.req.body === "string" ? c.req.body : c.req.body ? c.req.body.toString("latin1") : "";
        record(c.category, reply.status, reply.ms, bad, `${c.req.method} ${c.req.path.slice(0, 160)} ${body.slice(0, 160)}`);
        if (performance.now() - lastLog > 15_000) {
          lastLog = performance.now();
          deps.log(`fuzz: ${sent} sent`);
        }
      }
    }),
  );
  agent.destroy();
  deps.log(`fuzz: ${sent} sent; waiting for the slow clients (cap ${SLOW_CAP_MS / 1000} s)`);
  const slowResults = await slow;
  for (const s of slowResults) {
    sent++;
    countStatus(byStatus, s.closedAfterMs === null ? "held open" : "cut by server");
  }
  const slowByCategory = new Map<string, (number | null)[]>();
  for (const s of slowResults) slowByCategory.set(s.category, [...(slowByCategory.get(s.category) ?? []), s.closedAfterMs]);
  for (const [category, times] of slowByCategory) {
    const held = times.filter((t) => t === null).length;
    const cut = times.filter((t): t is number => t !== null);
    if (held) violations.push(`${category}: ${held} of ${times.length} sockets still open after ${SLOW_CAP_MS / 1000} s`);
    else notes.push(`${category}: cut after ${(Math.max(...cut) / 1000).toFixed(1)} s`);
  }

  // 1,000 sockets that connect and send nothing, after the rest so they cannot crowd it out: the
  // server must cut them (a connection cap may also refuse some at once), not hold them forever.
  const halfOpen = await Promise.all(Array.from({ length: 1000 }, () => slowClient(port, "half-open socket, nothing sent", "", () => "", 60_000)));
  for (const s of halfOpen) {
    sent++;
    countStatus(byStatus, s.closedAfterMs === null ? "held open" : "cut by server");
  }
  const held = halfOpen.filter((s) => s.closedAfterMs === null).length;
  if (held) violations.push(`half-open sockets: ${held} of ${halfOpen.length} still open after ${SLOW_CAP_MS / 1000} s`);
  else notes.push(`1000 half-open sockets: all cut within ${(Math.max(...halfOpen.map((s) => s.closedAfterMs ?? 0)) / 1000).toFixed(1)} s`);

  await sleep(2000);
  let alive = true;
  try {
    process.kill(deps.apiPid, 0);
  } catch {
    alive = false;
  }
  if (!alive) violations.push(`the api process (pid ${deps.apiPid}) died during the fuzz phase`);
  const health = await request({ port, method: "GET", path: "/healthz" });
  if (health.status !== 200) violations.push(`/healthz answered ${health.status} after the fuzz phase`);
  const plain = await request({
    port,
    method: "POST",
    path: "/v1/comments",
    headers: { authorization: `Bearer ${deps.site.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ thread: "fuzz", content: "An ordinary comment after the fuzz phase." }),
  });
  if (!isOk(plain.status)) violations.push(`a plain comment after the fuzz phase got ${plain.status}`);
  const rssAfter = alive ? rssKiB(deps.apiPid) : NaN;
  const growth = rssAfter - rssBefore;
  notes.push(`api RSS ${Math.round(rssBefore / 1024)} → ${Math.round(rssAfter / 1024)} MiB`);
  if (!(growth <= RSS_GROWTH_CAP_KIB)) violations.push(`api RSS grew ${Math.round(growth / 1024)} MiB (cap ${RSS_GROWTH_CAP_KIB / 1024} MiB)`);
  if (refused) notes.push(`${refused} generated requests refused by Node's own client before sending (not counted)`);
  if (sent < deps.count) violations.push(`only ${sent} of ${deps.count} hostile requests sent before the phase's time cap`);

  for (const [key, list] of examples) {
    violations.push(`${key} (${badCount.get(key) ?? 0}×), e.g. ${list.slice(0, 2).map((l) => JSON.stringify(l.slice(0, 150))).join(" | ")}`);
  }
  deps.log(
    `fuzz by category:\n${[...byCategory]
      .map(([cat, s]) => `  ${cat}: ${Object.entries(s).map(([k, v]) => `${k}=${v}`).join(" ")}`)
      .join("\n")}`,
  );
  return {
    scenario: `fuzz (${byCategory.size + slowByCategory.size} kinds, seed ${seed})`,
    sent,
    ok,
    byStatus,
    lost: null,
    stuck: null,
    doubled: null,
    p99: percentile(latencies, 99),
    violations,
    notes,
  };
}
