import type { ContentfulStatusCode } from "hono/utils/http-status";

/** The fixed set of error codes every /v1 route answers with, and their HTTP status. */
export const errorStatus = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof errorStatus;

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }

  get status(): ContentfulStatusCode {
    return errorStatus[this.code];
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; requestId: string; details?: unknown };
}

export function errorBody(code: ErrorCode, message: string, requestId: string, details?: unknown): ErrorBody {
  return { error: { code, message, requestId, ...(details === undefined ? {} : { details }) } };
}

/** Seconds a client is asked to wait after a 503: about one Postgres fast restart. */
export const RETRY_AFTER_S = "5";

const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  // statement_timeout: the database is too slow to answer now, which a retry may fix.
  "57014",
]);

/** Causes followed at most: a cycle or a freak chain must not loop. */
const MAX_CAUSE_DEPTH = 8;

/**
 * Postgres or network failures that mean "try again later", not a bug (answered 503, not 500).
 * drizzle-orm wraps driver errors in DrizzleQueryError, whose own `code` is empty: the driver's
 * (`ECONNREFUSED`, `57P01`, ...) is on `cause`, so the whole cause chain is read.
 */
export function isUnavailable(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current !== null && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    // Postgres classes 08 (connection), 53 (resources), 57P (shutdown / cannot connect now).
    if (typeof code === "string" && (UNAVAILABLE_CODES.has(code) || /^(08|53|57P)/.test(code))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
