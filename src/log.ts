/** A small structured logger: one JSON object per line on stdout, so any log shipper can read it. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
export type LogFields = Record<string, unknown>;

export interface Log {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Log;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

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

function serialize(value: unknown): unknown {
  if (value instanceof Error) return serializeError(value, 0, new Set());
  return value;
}

export function createLog(level: LogLevel, base: LogFields = {}, write = (line: string) => process.stdout.write(line + "\n")): Log {
  const emit = (lvl: Exclude<LogLevel, "silent">, msg: string, fields?: LogFields) => {
    if (rank[lvl] < rank[level]) return;
    const entry: LogFields = { time: new Date().toISOString(), level: lvl, msg, ...base };
    for (const [k, v] of Object.entries(fields ?? {})) entry[k] = serialize(v);
    write(JSON.stringify(entry));
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => createLog(level, { ...base, ...fields }, write),
  };
}
