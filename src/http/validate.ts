import type { Context } from "hono";
import { z } from "zod";
import { ApiError } from "./errors.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Turns zod issues into `details`: where and what, never the rejected value. */
export function issuesOf(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
}

/**
 * Reads a JSON body and validates it: 415 unless the body is declared JSON, 400 for broken UTF-8,
 * malformed JSON or a schema mismatch. The body limit (413) is enforced by middleware before this.
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type)) {
    throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json");
  }
  let text: string;
  try {
    text = utf8.decode(await c.req.arrayBuffer());
  } catch (err) {
    if (err instanceof TypeError) throw new ApiError("BAD_REQUEST", "The body is not valid UTF-8");
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError("BAD_REQUEST", "The body is not valid JSON");
  }
  return parseWith(schema, value, "Invalid request body");
}

const items = (n: number | bigint) => `${String(n)} item${Number(n) === 1 ? "" : "s"}`;
const article = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

/**
 * zod's default messages ("Invalid input: expected string, received undefined") in words a site
 * developer reads at a glance: "thread is required". Messages a schema sets itself take precedence;
 * anything not listed keeps zod's own message.
 */
export function wordsFor(issue: z.core.$ZodRawIssue): string | undefined {
  const field = issue.path?.length ? issue.path.join(".") : "the body";
  switch (issue.code) {
    case "invalid_type":
      return issue.input === undefined ? `${field} is required` : `${field} must be ${article(issue.expected)}`;
    case "too_small":
      if (issue.origin === "string") return issue.minimum === 1 ? `${field} must not be empty` : `${field} must be at least ${issue.minimum} characters`;
      if (issue.origin === "array" || issue.origin === "set") return `${field} needs at least ${items(issue.minimum)}`;
      return `${field} must be ${issue.inclusive ? "at least" : "greater than"} ${issue.minimum}`;
    case "too_big":
      if (issue.origin === "string") return `${field} must be at most ${issue.maximum} characters`;
      if (issue.origin === "array" || issue.origin === "set") return `${field} takes at most ${items(issue.maximum)}`;
      return `${field} must be ${issue.inclusive ? "at most" : "less than"} ${issue.maximum}`;
    case "unrecognized_keys":
      return `${issue.keys.length === 1 ? "unknown field" : "unknown fields"} ${issue.keys.map((k) => `"${k}"`).join(", ")}${issue.path?.length ? ` in ${field}` : ""}`;
    case "invalid_value":
      return `${field} must be ${issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`}`;
    case "invalid_format":
      return `${field} must be a valid ${issue.format}`;
    case "not_multiple_of":
      return `${field} must be a multiple of ${String(issue.divisor)}`;
    default:
      return undefined;
  }
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, message: string): z.infer<S> {
  const parsed = schema.safeParse(value, { error: wordsFor });
  if (!parsed.success) throw new ApiError("BAD_REQUEST", message, issuesOf(parsed.error));
  return parsed.data;
}

/**
 * A string field we store: bounded, and free of what Postgres or our clients cannot take
 * (NUL is refused by Postgres text; a lone surrogate is not encodable as UTF-8).
 */
export function text(max: number) {
  return z
    .string()
    .max(max, `at most ${max} characters`)
    .refine((s) => !s.includes("\u0000"), "must not contain NUL characters")
    .refine((s) => !LONE_SURROGATE.test(s), "must be well-formed Unicode (no lone surrogates)");
}

/** Path ids are UUIDs; anything else cannot exist, and must not reach Postgres as a bad cast. */
export const idSchema = z.uuid();
