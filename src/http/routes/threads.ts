import { createHash } from "node:crypto";
import { Hono } from "hono";
import { listThreadPublished } from "../../db/queries/comments.js";
import { publishedView } from "../views.js";
import type { Deps } from "../../deps.js";
import { requireKey } from "../auth.js";
import { ApiError } from "../errors.js";
import { decodeCursor, limitSchema, page } from "../pagination.js";
import type { AppEnv } from "../types.js";
import { parseWith } from "../validate.js";

export function threadRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();

  /** A thread's published comments, oldest first; `ETag` + `If-None-Match` make polling cheap. */
  app.get("/:thread/comments", requireKey(deps, ["site"]), async (c) => {
    const thread = c.req.param("thread");
    if (thread.length === 0 || thread.length > 512 || thread.includes("\u0000")) {
      throw new ApiError("BAD_REQUEST", "Invalid thread", [{ path: "thread", message: "1 to 512 characters, no NUL" }]);
    }
    const limit = parseWith(limitSchema, c.req.query("limit"), "Invalid query parameter limit") ?? 50;
    const after = decodeCursor(c.req.query("cursor"));
    const rows = await listThreadPublished(deps.db, { siteId: c.var.auth.site.id, thread, after, limit: limit + 1 });
    const { rows: kept, nextCursor } = page(rows, limit);
    const body = JSON.stringify({ thread, comments: kept.map(publishedView), nextCursor });
    const etag = `W/"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
    c.header("ETag", etag);
    c.header("Cache-Control", "private, no-cache");
    const ifNoneMatch = c.req.header("if-none-match");
    if (ifNoneMatch && ifNoneMatch.split(",").some((t) => t.trim() === etag)) return c.body(null, 304);
    return c.body(body, 200, { "Content-Type": "application/json" });
  });

  return app;
}
