import { THREAD_MAX_CHARS } from "../../comments/limits.js";
import { createRoute, z } from "@hono/zod-openapi";
import { listByStatus } from "../../db/queries/comments.js";
import { commentStatuses } from "../../db/schema.js";
import { commentView } from "../views.js";
import type { Deps } from "../../deps.js";
import { requireKey } from "../auth.js";
import { decodeCursor, limitSchema, page } from "../pagination.js";
import { createApi, errors, json, MODERATOR_KEY } from "../openapi.js";
import { CommentSchema } from "../schemas.js";
import { text } from "../validate.js";

const q = (name: string, description: string) => ({ param: { name, in: "query" as const }, description });
const querySchema = z.object({
  status: z.enum(commentStatuses).default("held").openapi(q("status", "Default `held`")),
  thread: text(THREAD_MAX_CHARS).min(1).optional().openapi(q("thread", "Only this thread")),
  limit: limitSchema.openapi(q("limit", "1 to 200, default 50")),
  cursor: z.string().max(500).optional().openapi(q("cursor", "`nextCursor` of the previous page")),
});

export function moderationRoutes(deps: Deps) {
  /** The site's comments in one status (default `held`), newest first. */
  return createApi().openapi(
    createRoute({
      method: "get",
      path: "/queue",
      tags: ["Moderation"],
      summary: "The moderation queue: the site's comments in one status, newest first",
      security: MODERATOR_KEY,
      middleware: [requireKey(deps, ["moderator"])] as const,
      request: { query: querySchema },
      responses: {
        200: json(z.object({ status: z.enum(commentStatuses), comments: z.array(CommentSchema), nextCursor: z.string().nullable() }), "A page of the queue"),
        ...errors("BAD_REQUEST", "FORBIDDEN"),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const limit = q.limit ?? 50;
      const rows = await listByStatus(deps.db, {
        siteId: c.var.auth.site.id,
        status: q.status,
        thread: q.thread,
        before: decodeCursor(q.cursor),
        limit: limit + 1,
      });
      const { rows: kept, nextCursor } = page(rows, limit);
      return c.json({ status: q.status, comments: kept.map((r) => commentView(r)), nextCursor }, 200);
    },
  );
}
