import { THREAD_MAX_CHARS } from "../../comments/limits.js";
import { Hono } from "hono";
import { z } from "zod";
import { listByStatus } from "../../db/queries/comments.js";
import { commentStatuses } from "../../db/schema.js";
import { commentView } from "../views.js";
import type { Deps } from "../../deps.js";
import { requireKey } from "../auth.js";
import { decodeCursor, limitSchema, page } from "../pagination.js";
import type { AppEnv } from "../types.js";
import { parseWith, text } from "../validate.js";

const querySchema = z.object({
  status: z.enum(commentStatuses).default("held"),
  thread: text(THREAD_MAX_CHARS).min(1).optional(),
  limit: limitSchema,
  cursor: z.string().max(500).optional(),
});

export function moderationRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();

  /** The site's comments in one status (default `held`), newest first. */
  app.get("/queue", requireKey(deps, ["moderator"]), async (c) => {
    const q = parseWith(querySchema, c.req.query(), "Invalid query parameters");
    const limit = q.limit ?? 50;
    const rows = await listByStatus(deps.db, {
      siteId: c.var.auth.site.id,
      status: q.status,
      thread: q.thread,
      before: decodeCursor(q.cursor),
      limit: limit + 1,
    });
    const { rows: kept, nextCursor } = page(rows, limit);
    return c.json({ status: q.status, comments: kept.map((r) => commentView(r)), nextCursor });
  });

  return app;
}
