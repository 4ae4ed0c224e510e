/**
 * The service's logger: pino underneath, one JSON object per line on stdout, so any log shipper can
 * read it. The interface below is what every module calls; pino is an implementation detail.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { pino } from "pino";

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
export type LogFields = Record<string, unknown>;

export interface Log {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Log;
}

/**
 * Fields every line written inside `withLogContext` carries (the request id of an HTTP request, or
 * of the request that queued a job), without each caller passing them along.
 */
const context = new AsyncLocalStorage<LogFields>();

/** Runs `fn` with `fields` added to every log line written from it (and from what it awaits). */
export function withLogContext<T>(fields: LogFields, fn: () => T): T {
  const outer = context.getStore();
  return context.run(outer ? { ...outer, ...fields } : fields, fn);
}

/**
 * Runs `fn` outside any log context: for work done on behalf of many requests at once (a batch),
 * which must not carry the id of whichever request happened to start it.
 */
export function withoutLogContext<T>(fn: () => T): T {
  return context.exit(fn);
}

/** The fields of the context `fn` runs in (for code that hands work to another context). */
export function logContext(): LogFields | undefined {
  return context.getStore();
}

/**
 * Driver fields that say what went wrong; kept beside name and message. Query parameters are left
 * out on purpose: they carry comment text and key hashes.
 */
const ERROR_FIELDS = ["code", "errno", "syscall", "address", "port", "severity", "detail", "hint", "routine", "query"] as const;

/** Deep enough for drizzle → postgres.js → net; a longer chain is cut rather than followed forever. */
const MAX_CAUSE_DEPTH = 8;

function serializeError(err: Error, depth: number, seen: Set<unknown>): Record<string, unknown> {
  seen.add(err);
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  const fields = err as unknown as Record<string, unknown>;
  for (const key of ERROR_FIELDS) {
    const v = fields[key];
    if (v !== undefined && v !== "" && (typeof v === "string" || typeof v === "number")) out[key] = v;
  }
  out.stack = err.stack;
  const nested = (v: unknown): unknown => {
    if (seen.has(v)) return "[circular]";
    if (depth >= MAX_CAUSE_DEPTH) return "[cause chain cut]";
    return v instanceof Error ? serializeError(v, depth + 1, seen) : v;
  };
  // drizzle-orm wraps driver errors (DrizzleQueryError): the real code is only on `cause`.
  if (err.cause !== undefined) out.cause = nested(err.cause);
  // net's dual-stack connect fails with an AggregateError whose message is empty.
  if (err instanceof AggregateError) out.errors = err.errors.map(nested);
  return out;
}

/**
 * Field names whose values never reach the log (compared lowercased, without `_` and `-`): keys,
 * tokens, cookies, signatures, e-mail addresses, comment bodies. Matched by name at any depth.
 */
const SECRET_NAMES = new Set([
  "authorization",
  "proxyauthorization",
  "cookie",
  "setcookie",
  "apikey",
  "key",
  "keys",
  "moderatorkey",
  "admintoken",
  "token",
  "accesstoken",
  "secret",
  "password",
  "signature",
  "webhooksignature",
  "email",
  "content",
  "commentcontent",
  "body",
  "text",
]);
const SECRET_SUFFIXES = ["email", "secret", "password", "apikey"];
/** Field names are a small set written in code: each is classified once (bounded, in case). */
const secretNameCache = new Map<string, boolean>();
const isSecretName = (name: string) => {
  let secret = secretNameCache.get(name);
  if (secret === undefined) {
    const n = name.toLowerCase().replace(/[-_]/g, "");
    secret = SECRET_NAMES.has(n) || SECRET_SUFFIXES.some((s) => n.endsWith(s));
    if (secretNameCache.size < 10_000) secretNameCache.set(name, secret);
  }
  return secret;
};

/**
 * What a secret looks like inside free text (an error's message or detail, a URL): an e-mail
 * address, a bearer credential, a moderator key. A site API key (12 lowercase letters and digits)
 * cannot be told from a word, so it is caught by field name only.
 */
const SECRET_TEXT = /[\w.+-]+@(?:[\w-]+\.)+[a-z]{2,}\b|\b(Bearer|Basic)\s+[\w.~+/=-]+|\bmod_[\w-]{16,}/gi;
export const REDACTED = "[redacted]";

/** Cheap test first: SECRET_TEXT backtracks over every start of a long word (a UUID) that has no `@`. */
const MAYBE_SECRET_TEXT = /@|bearer|basic|mod_/i;
const scrub = (s: string) =>
  MAYBE_SECRET_TEXT.test(s) ? s.replace(SECRET_TEXT, (_m, scheme?: string) => (scheme ? `${scheme} ${REDACTED}` : REDACTED)) : s;

/** Nested objects deeper than this are summarized: a log line is not a heap dump. */
const MAX_DEPTH = 6;

function clean(value: unknown, depth: number): unknown {
  if (typeof value === "string") return scrub(value);
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Error) return clean(serializeError(value, 0, new Set()), depth);
  if (value instanceof Date) return value.toISOString();
  if (depth >= MAX_DEPTH) return "[nested too deep]";
  if (Array.isArray(value)) return value.map((v) => clean(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretName(k) && v !== undefined && v !== null ? REDACTED : clean(v, depth + 1);
  return out;
}

/** A log line's fields with secrets replaced and errors serialized with their cause chains. */
export function redactFields(fields: LogFields): LogFields {
  return clean(fields, 0) as LogFields;
}

/** Lines waiting for stdout, and whether a flush is scheduled. */
let pendingLines: string[] = [];
let pendingBytes = 0;
let flushScheduled = false;
/** A burst past this goes out at once rather than at the end of the turn. */
const MAX_PENDING_BYTES = 64 * 1024;

function flushStdout(): void {
  flushScheduled = false;
  if (pendingLines.length === 0) return;
  const text = pendingLines.join("\n") + "\n";
  pendingLines = [];
  pendingBytes = 0;
  process.stdout.write(text);
}

/**
 * The default sink: the lines written within one turn of the event loop go to stdout as one write
 * (at `setImmediate`, or at once past 64 KiB). A write to a pipe is a system call, synchronous on
 * Linux; one per access-log line was ~6 % of the API's CPU at intake rates (BENCHMARKS.md, "Intake:
 * the request path's CPU"). Lines still waiting when the process exits (`process.exit` after a
 * fatal error) are written by the `exit` handler, synchronously.
 */
export function writeStdoutLine(line: string): void {
  pendingLines.push(line);
  pendingBytes += line.length;
  if (pendingBytes >= MAX_PENDING_BYTES) flushStdout();
  else if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushStdout);
  }
}
process.on("exit", flushStdout);

export function createLog(level: LogLevel, base: LogFields = {}, write: (line: string) => unknown = writeStdoutLine): Log {
  const logger = pino(
    {
      level,
      // No pid and hostname on every line: the platform's log collector adds where a line came from.
      base: null,
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      formatters: {
        // "info", not pino's 30: what the lines said before pino, and what people grep for.
        level: (label) => ({ level: label }),
        bindings: (bindings) => redactFields(bindings),
        log: (fields) => redactFields(fields),
      },
      mixin: () => context.getStore() ?? {},
    },
    // Through `write` (process.stdout by default), so main.ts's EPIPE handling still applies.
    { write: (line: string) => void write(line.endsWith("\n") ? line.slice(0, -1) : line) },
  );
  return wrap(Object.keys(base).length > 0 ? logger.child(base) : logger);
}

function wrap(logger: pino.Logger): Log {
  return {
    debug: (msg, fields) => logger.debug(fields ?? {}, msg),
    info: (msg, fields) => logger.info(fields ?? {}, msg),
    warn: (msg, fields) => logger.warn(fields ?? {}, msg),
    error: (msg, fields) => logger.error(fields ?? {}, msg),
    child: (fields) => wrap(logger.child(fields)),
  };
}
