import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Hook } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { ApiError, errorStatus, type ErrorCode } from "./errors.js";
import type { AppEnv } from "./types.js";
import { issuesOf, wordsFor } from "./validate.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });
const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;

/**
 * Route middleware for a route with a JSON body; it runs before zod-openapi's validators, so a
 * body that is not JSON is our 415/400, not Hono's plain-text answer. It decodes strictly (broken
 * UTF-8 is a 400, where `c.req.json()` would silently substitute U+FFFD), leaves the text in
 * Hono's body cache and the parsed value where the validator reads it: one parse per body.
 */
export const jsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!JSON_TYPE.test(c.req.header("content-type") ?? "")) {
    throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json");
  }
  let text: string;
  try {
    text = utf8.decode(await c.req.arrayBuffer());
  } catch (err) {
    if (err instanceof TypeError) throw new ApiError("BAD_REQUEST", "The body is not valid UTF-8");
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError("BAD_REQUEST", "The body is not valid JSON");
  }
  // Hono's cache holds promises, whatever its type says.
  (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(text);
  // The validator reads the body with `c.req.json()`, which parses the text again (Hono caches the
  // text, never the value): this request's `json()` hands over the value parsed here.
  (c.req as { json: () => Promise<unknown> }).json = () => Promise.resolve(parsed);
  await next();
};

/**
 * `jsonBody` for a route whose body may be left out (`body: {..., required: false}`): a request
 * with neither a Content-Type nor a body goes on, and the validator hands the handler `{}`.
 */
export const optionalJsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  const length = c.req.header("content-length");
  if (c.req.header("content-type") === undefined && (length === undefined || length === "0")) return next();
  return jsonBody(c, next);
};

const TARGET_MESSAGE: Record<string, string> = {
  json: "Invalid request body",
  query: "Invalid query parameters",
  param: "Invalid path parameters",
  header: "Invalid headers",
};

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const key of path) v = v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}

/**
 * The validator hands over finished issues, their messages already set. A message equal to zod's
 * own default is replaced by our words (validate.ts's `wordsFor`, as `parseWith` does); a message
 * the schema set itself is kept. zod drops `input` from finished issues, so it is read back from
 * the raw value at the issue's path ("thread is required" needs to know it was absent).
 */
function reword(issue: z.core.$ZodIssue, raw: unknown): { path: string; message: string } {
  const full = { ...issue, input: valueAt(raw, issue.path) } as unknown as z.core.$ZodRawIssue;
  const fallback = z.config().localeError?.(full);
  const zodDefault = typeof fallback === "string" ? fallback : fallback?.message;
  const message = issue.message === zodDefault ? (wordsFor(full) ?? issue.message) : issue.message;
  return { path: issue.path.join("."), message };
}

/** Every validator's failure becomes our 400 envelope, in words; `details` never echo the value. */
export const validationHook: Hook<unknown, AppEnv, string, undefined> = (result) => {
  if (result.success) return;
  const message = TARGET_MESSAGE[result.target] ?? "Invalid request";
  const raw = (result as { data?: unknown }).data;
  const details = raw === undefined ? issuesOf(result.error) : result.error.issues.map((i) => reword(i, raw));
  throw new ApiError("BAD_REQUEST", message, details);
};

/** A sub-app whose routes are documented: `createApi().openapi(createRoute({...}), handler)`. */
export function createApi() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

/** The error envelope of errors.ts, as one component every error response refers to. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      requestId: z.string(),
      details: z.unknown().optional().openapi({ description: "For a 400, `[{path, message}]` per rejected field" }),
    }),
  })
  .openapi("Error");

const ERROR_TEXT: Record<ErrorCode, string> = {
  BAD_REQUEST: "The request is malformed or a field is invalid (`details` lists them)",
  UNAUTHORIZED: "Missing, unknown or revoked key",
  FORBIDDEN: "The key is valid but of the wrong kind for this route",
  NOT_FOUND: "No such resource (or it belongs to another site)",
  CONFLICT: "The request conflicts with the current state",
  PAYLOAD_TOO_LARGE: "The body exceeds MAX_BODY_BYTES",
  UNSUPPORTED_MEDIA_TYPE: "The body is not declared application/json",
  RATE_LIMITED: "Too many requests; see Retry-After",
  SERVICE_UNAVAILABLE: "Postgres or the queue is unavailable, or no answer within REQUEST_DEADLINE_MS; retry after Retry-After",
  INTERNAL: "A bug; the log has it under the request id",
};

/** One error answer, for a route outside `errors()`'s usual set (no key, say). */
export const errorResponse = (code: ErrorCode) => ({
  description: ERROR_TEXT[code],
  content: { "application/json": { schema: ErrorSchema } },
});

/** What every authenticated /v1 route can answer besides its own errors. */
const COMMON = ["UNAUTHORIZED", "SERVICE_UNAVAILABLE", "INTERNAL"] as const;
type Common = (typeof COMMON)[number];

/**
 * The error responses of a route: the ones every authenticated route can give (401, 503, 500),
 * plus those named; keyed by status in the type too, so the typed client knows each error answer.
 */
export function errors<const C extends readonly ErrorCode[]>(...codes: C) {
  const out: Record<number, ReturnType<typeof errorResponse>> = {};
  for (const code of [...codes, ...COMMON]) out[errorStatus[code]] = errorResponse(code);
  return out as { [K in C[number] | Common as (typeof errorStatus)[K]]: ReturnType<typeof errorResponse> };
}

/** The errors of a route that reads a JSON body. */
export const BODY_ERRORS = ["BAD_REQUEST", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"] as const;

/** `responses[200]` and the like. */
export function json<S extends z.ZodType>(schema: S, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/** `request.body` of a JSON route (paired with `middleware: [auth, jsonBody]`). */
export function jsonRequest<S extends z.ZodType>(schema: S) {
  return { required: true, content: { "application/json": { schema } } };
}

/** The document's head: what `getOpenAPI31Document` puts around the routes. */
export const DOCUMENT_INFO = {
  openapi: "3.1.0",
  info: {
    title: "Commentinel API",
    version: "1",
    description:
      "Self-hosted spam filter for website comments. Every /v1 error is `{error: {code, message, requestId, details?}}`. " +
      "The Akismet-compatible API (`/1.1/comment-check`, …) keeps Akismet's own wire format and is described in the README, not here.",
  },
  tags: [
    { name: "Comments", description: "A site's servers submit comments and read verdicts (site API key)" },
    { name: "Moderation", description: "Moderators decide (moderator key)" },
    { name: "Campaigns", description: "The same spam across threads and sites (moderator key)" },
    { name: "Sites (admin)", description: "Sites, keys and settings (admin token)" },
    { name: "Webhooks (admin)", description: "Any site's webhook endpoints, deliveries and attempts (admin token)" },
    { name: "Webhooks", description: "A site's own webhook endpoints, deliveries and attempts (site API key)" },
    { name: "Form helper", description: "The script a site adds to its comment form (public)" },
  ],
};

/** The security schemes of auth.ts, by the name routes use in `security`. */
export const securitySchemes = {
  siteKey: { type: "http", scheme: "bearer", description: "The site's API key (12 lowercase letters and digits), for its servers" },
  moderatorKey: { type: "http", scheme: "bearer", description: "The site's moderator key (`mod_…`)" },
  adminToken: { type: "http", scheme: "bearer", description: "The install's ADMIN_TOKEN" },
  publishableKey: { type: "http", scheme: "bearer", description: "The site's publishable key (`pk_…`), public, for posts straight from its pages: it can only create comments" },
} as const;

export const SITE_KEY = [{ siteKey: [] }];
export const MODERATOR_KEY = [{ moderatorKey: [] }];
export const ADMIN = [{ adminToken: [] }];
export const PUBLISHABLE_KEY = [{ publishableKey: [] }];

/** A path id: any string reaches the handler, which answers 404 for one that cannot exist. */
export const idParam = (name: string, what: string) =>
  z.string().openapi({ param: { name, in: "path" }, format: "uuid", description: what });
