import { z } from "zod";
import { ApiError } from "./errors.js";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Turns zod issues into `details`: where and what, never the rejected value. */
export function issuesOf(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
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
