import { createHash } from "node:crypto";
import { createRoute, z } from "@hono/zod-openapi";
import { listThreadPublished } from "../../db/queries/comments.js";
import { publishedView } from "../views.js";
import type { Deps } from "../../deps.js";
import { requireKey } from "../auth.js";
import { ApiError } from "../errors.js";
import { decodeCursor, limitSchema, page } from "../pagination.js";
import { createApi, errors, json, SITE_KEY } from "../openapi.js";
import { PublishedCommentSchema } from "../schemas.js";

const ThreadPage = z.object({ thread: z.string(), comments: z.array(PublishedCommentSchema), nextCursor: z.string().nullable() }).openapi("ThreadPage");

export function threadRoutes(deps: Deps) {
  /** A thread's published comments, oldest first; `ETag` + `If-None-Match` make polling cheap. */
  return createApi().openapi(
    createRoute({
      method: "get",
      path: "/{thread}/comments",
      tags: ["Comments"],
      summary: "A thread's published comments, oldest first",
      description: "What a site shows: no e-mail, IP or scoring internals. Cursor-paginated, with a weak `ETag` (304 on `If-None-Match`).",
      security: SITE_KEY,
      middleware: [requireKey(deps, ["site"])] as const,
      request: {
        params: z.object({ thread: z.string().openapi({ param: { name: "thread", in: "path" }, description: "The thread's name, 1 to 512 characters" }) }),
        query: z.object({
          limit: limitSchema.openapi({ param: { name: "limit", in: "query" }, description: "1 to 200, default 50" }),
          cursor: z.string().optional().openapi({ param: { name: "cursor", in: "query" }, description: "`nextCursor` of the previous page" }),
        }),
      },
      responses: {
        200: json(ThreadPage, "A page of the thread"),
        304: { description: "Unchanged since the `If-None-Match` ETag" },
        ...errors("BAD_REQUEST", "FORBIDDEN"),
      },
    }),
    async (c) => {
      const thread = c.req.valid("param").thread;
      if (thread.length === 0 || thread.length > 512 || thread.includes("\u0000")) {
        throw new ApiError("BAD_REQUEST", "Invalid thread", [{ path: "thread", message: "1 to 512 characters, no NUL" }]);
      }
      const q = c.req.valid("query");
      const limit = q.limit ?? 50;
      const after = decodeCursor(q.cursor);
      const rows = await listThreadPublished(deps.db, { siteId: c.var.auth.site.id, thread, after, limit: limit + 1 });
      const { rows: kept, nextCursor } = page(rows, limit);
      const body = JSON.stringify({ thread, comments: kept.map(publishedView), nextCursor });
      const etag = `W/"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
      c.header("ETag", etag);
      c.header("Cache-Control", "private, no-cache");
      const ifNoneMatch = c.req.header("if-none-match");
      if (ifNoneMatch && ifNoneMatch.split(",").some((t) => t.trim() === etag)) return c.body(null, 304);
      return c.body(body, 200, { "Content-Type": "application/json" });
    },
  );
}
