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

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, message: string): z.infer<S> {
  const parsed = schema.safeParse(value);
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
