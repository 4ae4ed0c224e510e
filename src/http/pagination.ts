import { z } from "@hono/zod-openapi";
import type { Cursor } from "../db/queries/comments.js";
import type { CommentRow } from "../db/schema.js";
import { ApiError } from "./errors.js";

/**
 * Only what encodeCursor writes (`Date.toISOString()`), and only dates Postgres can store: it has no
 * year 0 ("date/time field value out of range"), and a day like Feb 30 must not reach it either.
 */
const cursorDate = z.iso.datetime().refine((s) => {
  const d = new Date(s);
  return !Number.isNaN(d.getTime()) && d.getUTCFullYear() >= 1 && d.toISOString() === s;
});

const cursorSchema = z.tuple([cursorDate, z.uuid()]);

/** Opaque to clients: base64url of the last row's (createdAt, id). */
export function encodeCursor(row: Pick<CommentRow, "createdAt" | "id">): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString("base64url");
}

export function decodeCursor(raw: string | undefined): Cursor | undefined {
  if (raw === undefined || raw === "") return undefined;
  try {
    const [createdAt, id] = cursorSchema.parse(JSON.parse(Buffer.from(raw, "base64url").toString("utf8")));
    return { createdAt, id };
  } catch {
    throw new ApiError("BAD_REQUEST", "Invalid cursor", [{ path: "cursor", message: "not a cursor this API returned" }]);
  }
}

export const limitSchema = z
  .string()
  .regex(/^\d{1,4}$/, "an integer from 1 to 200")
  .transform(Number)
  .pipe(z.number().int().min(1, "an integer from 1 to 200").max(200, "an integer from 1 to 200"))
  .optional();

/** Fetch one row more than asked, to know whether a next page exists without a count query. */
export function page<T extends Pick<CommentRow, "createdAt" | "id">>(rows: T[], limit: number): { rows: T[]; nextCursor: string | null } {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  return { rows: kept, nextCursor: more && last ? encodeCursor(last) : null };
}
