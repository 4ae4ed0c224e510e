/**
 * Akismet's wire format, as real clients speak it: form bodies in, `text/plain` answers out, the key
 * in the Host name or the body. Pure: no I/O, no clock, no database. The routes in
 * `src/http/routes/akismet.ts` give it a request and turn its answers into responses.
 *
 * Reference: https://akismet.com/developers/ (comment-check, submit-spam, submit-ham, verify-key,
 * usage-limit, key-sites) and what the clients we care about actually send (akismet-api for npm,
 * the WordPress plugin, Discourse's plugin, python-akismet).
 */
import { API_KEY_PATTERN } from "../comments/limits.js";
import { z } from "zod";

// ---------------------------------------------------------------------------------------------
// Form bodies

/** One decoded form: scalar fields and array fields kept apart (`a=1` versus `a[]=1`, `a[0]=1`). */
export interface FormFields {
  scalars: ReadonlyMap<string, string>;
  arrays: ReadonlyMap<string, readonly string[]>;
}

/**
 * Caps that keep a hostile body from costing more than a normal one. A real comment-check carries
 * about 20 fields; WordPress's `comment_context` holds a handful of tags.
 */
export const FORM_LIMITS = {
  maxFields: 200,
  maxArrayItems: 100,
} as const;

const ARRAY_FIELD = /^([^[\]]+)\[([^[\]]*)\]$/;

const HEX = /^[0-9a-fA-F]{2}$/;

/**
 * Percent-decodes with `decoder`: each run of `%XX` escapes is decoded as bytes in the body's
 * charset; characters sent unescaped are kept as they are (the HTTP layer already read them).
 */
function percentDecode(text: string, decoder: Decoder): string {
  let out = "";
  let bytes: number[] = [];
  const flush = () => {
    if (bytes.length > 0) out += decoder.decode(Uint8Array.from(bytes));
    bytes = [];
  };
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 0x25 /* % */ && HEX.test(text.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      flush();
      out += text[i];
    }
  }
  flush();
  return out;
}

type Decoder = InstanceType<typeof TextDecoder>;

/**
 * One name or value. UTF-8 (nearly every body) goes through the native `decodeURIComponent`; a
 * broken sequence, which it refuses, and other charsets go byte by byte through the decoder, which
 * turns what it cannot read into U+FFFD.
 */
function decodeComponent(raw: string, decoder: Decoder): string {
  const text = raw.includes("+") ? raw.replaceAll("+", " ") : raw;
  if (decoder.encoding === "utf-8") {
    try {
      return decodeURIComponent(text);
    } catch {
      // Malformed: fall through to the forgiving path.
    }
  }
  return percentDecode(text, decoder);
}

function decoderFor(charset: string | undefined): Decoder {
  if (charset) {
    try {
      // WordPress sends `blog_charset` (e.g. ISO-8859-1 on old blogs); its bodies are encoded in it.
      return new TextDecoder(charset.trim());
    } catch {
      // An unknown charset label: fall back to UTF-8 rather than refusing the comment.
    }
  }
  return new TextDecoder("utf-8");
}

/**
 * Parses an `application/x-www-form-urlencoded` body. `name[]=` and `name[N]=` collect into arrays
 * (indexed ones ordered by index, then the `[]` ones in arrival order); a repeated scalar keeps its
 * last value, as PHP does. Values are decoded in `blog_charset` when the body names one, broken
 * sequences become U+FFFD, and NUL characters are removed because Postgres cannot store them.
 * Returns `undefined` past {@link FORM_LIMITS}.
 */
export function parseForm(body: string): FormFields | undefined {
  const pairs = body.split("&").filter((p) => p.length > 0);
  if (pairs.length > FORM_LIMITS.maxFields * 2) return undefined;

  const raw = pairs.map((pair) => {
    const eq = pair.indexOf("=");
    return eq === -1 ? ([pair, ""] as const) : ([pair.slice(0, eq), pair.slice(eq + 1)] as const);
  });

  // Field names are ASCII in every client; read blog_charset first so values decode in it.
  const utf8 = new TextDecoder("utf-8");
  let charset: string | undefined;
  for (const [n, v] of raw) if (n === "blog_charset") charset = decodeComponent(v, utf8);
  const decoder = decoderFor(charset);
  const clean = (s: string) => (s.includes("\u0000") ? s.replaceAll("\u0000", "") : s);

  const scalars = new Map<string, string>();
  const indexed = new Map<string, { index: number; seq: number; value: string }[]>();
  const appended = new Map<string, string[]>();
  let seq = 0;
  for (const [n, v] of raw) {
    const name = clean(decodeComponent(n, utf8));
    const value = clean(decodeComponent(v, decoder));
    const m = ARRAY_FIELD.exec(name);
    if (m) {
      const base = m[1] as string;
      const inner = m[2] as string;
      if (/^\d{1,6}$/.test(inner)) {
        const list = indexed.get(base) ?? [];
        list.push({ index: Number(inner), seq: seq++, value });
        indexed.set(base, list);
      } else {
        // `name[]` and `name[key]` (keys are not meaningful for Akismet's lists) append.
        const list = appended.get(base) ?? [];
        list.push(value);
        appended.set(base, list);
      }
    } else {
      scalars.set(name, value);
    }
  }

  const arrays = new Map<string, string[]>();
  for (const base of new Set([...indexed.keys(), ...appended.keys()])) {
    const ordered = (indexed.get(base) ?? [])
      .sort((a, b) => a.index - b.index || a.seq - b.seq)
      .map((e) => e.value);
    const all = [...ordered, ...(appended.get(base) ?? [])];
    if (all.length > FORM_LIMITS.maxArrayItems) return undefined;
    arrays.set(base, all);
  }
  if (scalars.size + arrays.size > FORM_LIMITS.maxFields) return undefined;
  return { scalars, arrays };
}

/**
 * A JSON object body as form fields (Coral Talk's older releases post submit-spam/submit-ham as
 * `application/json`): strings as they are, numbers and booleans as text (`is_test: false` reads
 * as "false"), arrays of scalars as lists; nulls and nested objects are ignored. Undefined for
 * anything but an object, or past {@link FORM_LIMITS}.
 */
export function parseJsonForm(body: string): FormFields | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > FORM_LIMITS.maxFields) return undefined;
  const clean = (s: string) => (s.includes("\u0000") ? s.replaceAll("\u0000", "") : s);
  const text = (v: unknown) => (typeof v === "string" ? clean(v) : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined);
  const scalars = new Map<string, string>();
  const arrays = new Map<string, string[]>();
  for (const [name, v] of entries) {
    if (Array.isArray(v)) {
      if (v.length > FORM_LIMITS.maxArrayItems) return undefined;
      arrays.set(clean(name), v.map(text).filter((x): x is string => x !== undefined));
    } else {
      const t = text(v);
      if (t !== undefined) scalars.set(clean(name), t);
    }
  }
  return { scalars, arrays };
}

/** Query-string fields first, body fields over them (GET `usage-limit` sends everything as a query). */
export function mergeForms(under: FormFields, over: FormFields): FormFields {
  return {
    scalars: new Map([...under.scalars, ...over.scalars]),
    arrays: new Map([...under.arrays, ...over.arrays]),
  };
}

/** A scalar field, with `""` read as absent (clients send empty fields rather than leave them out). */
function scalar(form: FormFields, name: string): string | undefined {
  const v = form.scalars.get(name)?.trim();
  return v === undefined || v === "" ? undefined : v;
}

/** An array field in either form; a lone scalar (`comment_context=x`) counts as a one-item list. */
function list(form: FormFields, name: string): string[] {
  const arr = form.arrays.get(name);
  if (arr) return arr.map((s) => s.trim()).filter((s) => s !== "");
  const one = scalar(form, name);
  return one === undefined ? [] : [one];
}

// ---------------------------------------------------------------------------------------------
// The key

/** Keys are the service's site API keys: 12 lowercase letters or digits (issue 3). */
export const KEY_PATTERN = API_KEY_PATTERN;

export type KeySource = "api_key" | "key" | "host";

/**
 * The Host label a key-in-the-hostname client puts first (`{key}.{host}`), or undefined. Only a
 * label that has the key's exact shape counts, so `localhost:3000` or `spam.example.com` are not
 * mistaken for keys.
 */
export function keyFromHost(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const name = host.trim().toLowerCase();
  if (name.startsWith("[")) return undefined; // an IPv6 literal has no labels
  const withoutPort = name.replace(/:\d+$/, "");
  const labels = withoutPort.split(".");
  if (labels.length < 2) return undefined;
  const first = labels[0] as string;
  return KEY_PATTERN.test(first) ? first : undefined;
}

/**
 * Where the key comes from, in order: the body's `api_key` (all endpoints), the body's `key`
 * (verify-key, as Akismet documents it), then the first label of the Host name (or, failing that,
 * of X-Forwarded-Host). An explicit body field
 * wins because a server whose own name happens to start with a 12-character label would otherwise
 * shadow it.
 */
export function extractKey(
  form: FormFields,
  host: string | undefined,
  opts: { allowKeyField: boolean; forwardedHost?: string | undefined },
): { key: string; source: KeySource } | undefined {
  const apiKey = scalar(form, "api_key");
  if (apiKey !== undefined) return { key: apiKey, source: "api_key" };
  if (opts.allowKeyField) {
    const key = scalar(form, "key");
    if (key !== undefined) return { key, source: "key" };
  }
  // A proxy that rewrites Host usually keeps the original in X-Forwarded-Host (first hop first).
  // Trusting it costs nothing: it can only name a key, which the caller could send anyway.
  const fromHost = keyFromHost(host) ?? keyFromHost(opts.forwardedHost?.split(",")[0]);
  return fromHost === undefined ? undefined : { key: fromHost, source: "host" };
}

/** Whether a key could be a site key at all; lets a route skip the database for garbage. */
export function isWellFormedKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

// ---------------------------------------------------------------------------------------------
// Field values

/** `is_test` is set by `true` or `1` (clients send both); anything else, absent included, is not. */
export function parseFlag(value: string | undefined): boolean {
  if (value === undefined) return false;
  const v = value.trim().toLowerCase();
  return v === "true" || v === "1";
}

const MYSQL_DATETIME = /^(\d{4})-(\d{2})-(\d{2})[ ](\d{2}):(\d{2}):(\d{2})$/;
const ISO_8601 =
  /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Reads the `*_gmt` dates: ISO-8601 (`2026-11-28T07:51:52Z`, offsets allowed) or WordPress's MySQL
 * form `YYYY-MM-DD HH:MM:SS`, which is UTC because the field is the GMT one. A date we cannot read
 * is dropped rather than refused: it only informs scoring, and refusing would leave the comment
 * unchecked.
 */
export function parseAkismetDate(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  const m = MYSQL_DATETIME.exec(v);
  let ms: number;
  if (m) {
    const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
    ms = Date.UTC(y, mo - 1, d, h, mi, s);
    const back = new Date(ms);
    // Date.UTC rolls 2026-02-31 over into March; a date that does not round-trip is not a date.
    if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  } else if (ISO_8601.test(v)) {
    // A bare local time (no zone) in a `_gmt` field is UTC.
    const zoned = /T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/i.test(v) ? `${v}Z` : v;
    ms = Date.parse(zoned);
  } else {
    return undefined;
  }
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

// ---------------------------------------------------------------------------------------------
// The comment

/**
 * Size caps. `content` is only the default: the route passes the service's MAX_CONTENT_CHARS so a
 * comment is refused, or not, the same way on both APIs.
 */
export const FIELD_LIMITS = {
  content: 20_000,
  text: 2_048,
  contextItem: 256,
} as const;

const optionalText = (name: string, max: number = FIELD_LIMITS.text) =>
  z.string().max(max, `Field "${name}" is longer than ${max} characters.`).optional();

const ipSchema = z.union([z.ipv4(), z.ipv6()]);

/**
 * What comment-check, submit-spam and submit-ham require and accept. Akismet requires `blog` and
 * `user_ip`; everything else is optional, and fields we do not know are ignored.
 */
const commentSchema = (maxContent: number, submission: boolean) => z.object({
  blog: (submission ? z.string().default("") : z.string({ error: 'Missing required field: blog.' })).pipe(
    z.string().max(FIELD_LIMITS.text, `Field "blog" is longer than ${FIELD_LIMITS.text} characters.`),
  ),
  user_ip: (submission ? z.string().default("") : z.string({ error: "Missing required field: user_ip." })).refine(
    (v) => (submission && v === "") || ipSchema.safeParse(v).success,
    'Field "user_ip" is not an IP address.',
  ),
  // The same caps as POST /v1/comments, so a comment is accepted or refused alike on both APIs.
  user_agent: optionalText("user_agent", 1000),
  referrer: optionalText("referrer", 2000),
  permalink: optionalText("permalink"),
  comment_type: optionalText("comment_type", 64),
  comment_author: optionalText("comment_author", 200),
  comment_author_email: optionalText("comment_author_email", 320),
  comment_author_url: optionalText("comment_author_url", 2000),
  comment_content: optionalText("comment_content", maxContent),
  blog_lang: optionalText("blog_lang", 256),
  blog_charset: optionalText("blog_charset", 64),
  user_role: optionalText("user_role", 64),
  recheck_reason: optionalText("recheck_reason", 256),
  guid: optionalText("guid", 64),
  comment_context: z
    .array(z.string().max(FIELD_LIMITS.contextItem, `Field "comment_context" has an item longer than ${FIELD_LIMITS.contextItem} characters.`))
    .max(FORM_LIMITS.maxArrayItems),
  honeypot_field_name: optionalText("honeypot_field_name", 128),
});

/** One comment as Akismet describes it, validated and in our names. */
export interface AkismetComment {
  /** `""` only on a submission that sent none (Coral Talk); the route then puts the site's URL. */
  blog: string;
  /** `""` only on a submission that sent none. */
  ip: string;
  userAgent?: string;
  referrer?: string;
  /** The page the comment belongs to: the service's thread. */
  permalink?: string;
  commentType?: string;
  author: { name?: string; email?: string; url?: string };
  content: string;
  commentDate?: Date;
  postModifiedDate?: Date;
  blogLang?: string;
  blogCharset?: string;
  userRole?: string;
  /** `honeypot_field_name` named a field and that field arrived non-empty. */
  honeypotFilled: boolean;
  recheckReason?: string;
  context: string[];
  isTest: boolean;
  /** `guid` from an earlier comment-check answer (submit-spam/submit-ham). */
  guid?: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; help: string };

// Built once per content limit and kind: the limit comes from configuration and rarely varies.
const commentSchemas = new Map<string, ReturnType<typeof commentSchema>>();

/**
 * Reads and validates a comment-check / submit-spam / submit-ham body. `submission` (submit-spam,
 * submit-ham) lets `blog` and `user_ip` be absent: Coral Talk sends no `blog` there, and a
 * correction refused is a lesson lost, while a check without them cannot be answered well.
 */
export function parseComment(
  form: FormFields,
  limits: { maxContentChars: number; submission?: boolean } = { maxContentChars: FIELD_LIMITS.content },
): Parsed<AkismetComment> {
  const submission = limits.submission === true;
  const cacheKey = `${limits.maxContentChars}:${submission}`;
  let schema = commentSchemas.get(cacheKey);
  if (!schema) {
    schema = commentSchema(limits.maxContentChars, submission);
    commentSchemas.set(cacheKey, schema);
  }
  const honeypotName = scalar(form, "honeypot_field_name");
  const input = {
    blog: scalar(form, "blog"),
    user_ip: scalar(form, "user_ip"),
    user_agent: scalar(form, "user_agent"),
    referrer: scalar(form, "referrer") ?? scalar(form, "referer"),
    permalink: scalar(form, "permalink"),
    // Discourse's plugin names it `content_type`.
    comment_type: scalar(form, "comment_type") ?? scalar(form, "content_type"),
    comment_author: scalar(form, "comment_author"),
    comment_author_email: scalar(form, "comment_author_email"),
    comment_author_url: scalar(form, "comment_author_url"),
    comment_content: scalar(form, "comment_content"),
    blog_lang: scalar(form, "blog_lang"),
    blog_charset: scalar(form, "blog_charset"),
    user_role: scalar(form, "user_role"),
    recheck_reason: scalar(form, "recheck_reason"),
    guid: scalar(form, "guid"),
    comment_context: list(form, "comment_context"),
    honeypot_field_name: honeypotName,
  };
  const parsed = schema.safeParse(input);
  if (!parsed.success) return { ok: false, help: firstMessage(parsed.error) };
  const v = parsed.data;
  const honeypotValue =
    honeypotName !== undefined && honeypotName !== "honeypot_field_name" ? scalar(form, honeypotName) : undefined;
  return {
    ok: true,
    value: {
      blog: v.blog,
      ip: v.user_ip,
      userAgent: v.user_agent,
      referrer: v.referrer,
      permalink: v.permalink,
      commentType: v.comment_type?.toLowerCase(),
      author: omitUndefined({
        name: v.comment_author,
        email: v.comment_author_email,
        url: v.comment_author_url,
      }),
      // Content is optional in Akismet (a signup has none); the classifier still scores the rest.
      content: v.comment_content ?? "",
      commentDate: parseAkismetDate(scalar(form, "comment_date_gmt")),
      postModifiedDate: parseAkismetDate(scalar(form, "comment_post_modified_gmt")),
      blogLang: v.blog_lang,
      blogCharset: v.blog_charset,
      userRole: v.user_role?.toLowerCase(),
      honeypotFilled: honeypotValue !== undefined,
      recheckReason: v.recheck_reason,
      context: v.comment_context,
      isTest: parseFlag(scalar(form, "is_test")),
      guid: v.guid,
    },
  };
}

/** key-sites paging and filters (Akismet's `month`, `limit`, `offset`, `url_filter`, `format`). */
export interface KeySitesQuery {
  month?: string;
  limit: number;
  offset: number;
  urlFilter?: string;
  format: "json" | "csv";
}

const keySitesSchema = z.object({
  month: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'Field "month" must look like YYYY-MM.')
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(10),
  offset: z.coerce.number().int().min(0).default(0),
  url_filter: optionalText("url_filter", 256),
  format: z.enum(["json", "csv"], { error: 'Field "format" must be json or csv.' }).default("json"),
});

export function parseKeySites(form: FormFields): Parsed<KeySitesQuery> {
  const parsed = keySitesSchema.safeParse({
    month: scalar(form, "month"),
    limit: scalar(form, "limit"),
    offset: scalar(form, "offset"),
    url_filter: scalar(form, "url_filter"),
    format: scalar(form, "format")?.toLowerCase(),
  });
  if (!parsed.success) return { ok: false, help: firstMessage(parsed.error) };
  const v = parsed.data;
  return { ok: true, value: { month: v.month, limit: v.limit, offset: v.offset, urlFilter: v.url_filter, format: v.format } };
}

function firstMessage(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "Invalid request.";
  const field = issue.path.map(String).join(".");
  // Our own messages name the field; zod's generic ones get the field put in front.
  const ours = issue.message.startsWith("Field ") || issue.message.startsWith("Missing ");
  const msg = ours ? issue.message : `Field "${field}": ${issue.message}`;
  return toHeaderSafe(msg);
}

function omitUndefined<T extends Record<string, string | undefined>>(obj: T): { [K in keyof T]?: string } {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Akismet's documented test values

/**
 * Akismet's fixed answers for integration tests (https://akismet.com/developers/detailed-docs/testing/):
 * author `viagra-test-123` or email `akismet-guaranteed-spam@example.com` is always spam.
 * Akismet's third, `user_role=administrator` is never spam, is not a fixed verdict here: an
 * administrator is a trusted author (comments/publishing.ts), answered `false` whatever the verdict
 * (the role wins over the spam values, as Akismet documents), and still scored.
 */
export function fixedVerdict(comment: AkismetComment): "spam" | "ham" | undefined {
  if (comment.author.name === "viagra-test-123") return "spam";
  if (comment.author.email?.toLowerCase() === "akismet-guaranteed-spam@example.com") return "spam";
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Answers

/** A text answer; Akismet answers HTTP 200 to everything, errors included. */
export interface AkismetAnswer {
  body: string;
  headers: Record<string, string>;
}

const TEXT = "text/plain; charset=utf-8";
export const THANKS = "Thanks for making the web a better place.";

/** Header values must be one line of visible ASCII. */
function toHeaderSafe(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, "?").slice(0, 512);
}

/** `invalid`, the one answer that carries `X-akismet-debug-help`. */
export function invalidAnswer(help: string): AkismetAnswer {
  return { body: "invalid", headers: { "Content-Type": TEXT, "X-akismet-debug-help": toHeaderSafe(help) } };
}

export function verifyAnswer(valid: boolean, help = "The API key is not valid."): AkismetAnswer {
  return valid ? { body: "valid", headers: { "Content-Type": TEXT } } : invalidAnswer(help);
}

/**
 * comment-check's answer: `true` is spam. `guid` names the stored comment (and is sent for test
 * checks too, so a client can log it). `discard` tells the client it may drop the comment unseen.
 */
export function checkAnswer(a: { spam: boolean; guid: string; discard: boolean }): AkismetAnswer {
  const headers: Record<string, string> = { "Content-Type": TEXT, "X-akismet-guid": toHeaderSafe(a.guid) };
  if (a.spam && a.discard) headers["X-akismet-pro-tip"] = "discard";
  return { body: a.spam ? "true" : "false", headers };
}

export function thanksAnswer(): AkismetAnswer {
  return { body: THANKS, headers: { "Content-Type": TEXT } };
}

export function jsonAnswer(value: unknown): AkismetAnswer {
  return { body: JSON.stringify(value), headers: { "Content-Type": "application/json; charset=utf-8" } };
}

export function csvAnswer(text: string): AkismetAnswer {
  return { body: text, headers: { "Content-Type": "text/csv; charset=utf-8" } };
}

/** The always-200 response. */
export function toResponse(answer: AkismetAnswer): Response {
  return new Response(answer.body, { status: 200, headers: answer.headers });
}

// ---------------------------------------------------------------------------------------------
// usage-limit and key-sites

/** One month of one site's usage, as stored by the service. */
export interface MonthlyUsage {
  month: string;
  site: string;
  apiCalls: number;
  spam: number;
  ham: number;
  missedSpam: number;
  falsePositives: number;
  isRevoked: boolean;
}

/** `{"limit":"none","usage":N,"percentage":"0.00","throttled":false}`: a self-hosted key has no cap. */
export function usageLimitBody(usage: number): Record<string, unknown> {
  return { limit: "none", usage, percentage: "0.00", throttled: false };
}

/** Akismet's key-sites JSON: the month as key, counts as strings (as Akismet sends them), paging. */
export function keySitesJson(
  month: string,
  rows: readonly MonthlyUsage[],
  page: { limit: number; offset: number; total: number },
): Record<string, unknown> {
  return {
    [month]: rows.map((r) => ({
      site: r.site,
      api_calls: String(r.apiCalls),
      spam: String(r.spam),
      ham: String(r.ham),
      missed_spam: String(r.missedSpam),
      false_positives: String(r.falsePositives),
      is_revoked: r.isRevoked,
    })),
    limit: page.limit,
    offset: page.offset,
    total: page.total,
  };
}

export function keySitesCsv(month: string, rows: readonly MonthlyUsage[]): string {
  const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
  const lines = [
    `Active sites for ${month}`,
    "Site,Total API Calls,Spam,Ham,Missed Spam,False Positives,Is Revoked",
    ...rows.map((r) =>
      [quote(r.site), r.apiCalls, r.spam, r.ham, r.missedSpam, r.falsePositives, r.isRevoked].join(","),
    ),
  ];
  return `${lines.join("\n")}\n`;
}
