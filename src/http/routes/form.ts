import { createHash } from "node:crypto";
import { createRoute, z } from "@hono/zod-openapi";
import { FORM_SCRIPT } from "../form/script.js";
import { createApi } from "../openapi.js";

const ETAG = `"${createHash("sha256").update(FORM_SCRIPT).digest("base64url").slice(0, 22)}"`;

/** `GET /v1/form.js`: public and cacheable, loaded by the site's pages from another origin. */
export function formRoutes() {
  return createApi().openapi(
    createRoute({
      method: "get",
      path: "/form.js",
      tags: ["Form helper"],
      summary: "The form helper script (public)",
      description:
        "Add it to the comment form (`<form data-commentinel>` and `<script src=\".../v1/form.js\" defer>`): it adds the honeypot field `cmt_homepage` and the hidden field `cmt_time_ms` (render to submit, in ms). Pass them on as `honeypot` and `timeToSubmitMs`.",
      responses: {
        200: { description: "The script (≤ 2 KB gzipped)", content: { "text/javascript": { schema: z.string() } } },
        304: { description: "Unchanged since the `If-None-Match` ETag" },
      },
    }),
    (c) => {
      // A day of caching; the ETag makes the revalidation after it cheap.
      c.header("Cache-Control", "public, max-age=86400");
      c.header("ETag", ETAG);
      // Loaded by <script> from the site's origin: say so, whatever CORP a later middleware sets.
      c.header("Cross-Origin-Resource-Policy", "cross-origin");
      if (c.req.header("if-none-match")?.split(",").some((t) => t.trim() === ETAG)) return c.body(null, 304);
      return c.body(FORM_SCRIPT, 200, { "Content-Type": "text/javascript; charset=utf-8" });
    },
  );
}
