import { createHash, timingSafeEqual } from "node:crypto";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { HonoAdapter } from "@bull-board/hono";
import { serveStatic } from "@hono/node-server/serve-static";
import type { Queue } from "bullmq";
import { Hono, type MiddlewareHandler } from "hono";
import type { Deps } from "../../deps.js";
import { SCORE_QUEUE } from "../../queue/score-job.js";
import { ApiError } from "../errors.js";
import type { AppEnv } from "../types.js";

export const QUEUES_PATH = "/admin/queues";

/**
 * The admin token as a Bearer token (curl, scripts) or as the password of HTTP Basic auth (any
 * user name): a browser asks for Basic credentials itself and resends them with the dashboard's
 * own API calls, which a Bearer header cannot do.
 */
export function requireAdminOrBasic(adminToken: string | undefined): MiddlewareHandler<AppEnv> {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  const expected = adminToken ? digest(adminToken) : undefined;
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    let given: string | undefined = /^Bearer\s+(\S{1,200})\s*$/i.exec(header)?.[1];
    const basic = /^Basic\s+([A-Za-z0-9+/=]{1,400})\s*$/i.exec(header)?.[1];
    if (basic) {
      const decoded = Buffer.from(basic, "base64").toString("utf8");
      given = decoded.slice(decoded.indexOf(":") + 1);
    }
    if (!expected || !given || !timingSafeEqual(digest(given), expected)) {
      c.header("WWW-Authenticate", 'Basic realm="commentinel admin", charset="UTF-8"');
      throw new ApiError("UNAUTHORIZED", "The queue dashboard needs the admin token: Authorization: Bearer <ADMIN_TOKEN>, or as the Basic auth password");
    }
    await next();
  };
}

/**
 * Basic credentials are sent by the browser with any request to this origin, a forged one from
 * another site included: the dashboard's actions (retry, clean, remove jobs) must come from its
 * own pages. Browsers send Origin on every cross-site POST/PUT/PATCH/DELETE.
 */
const sameOriginWrites: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.method !== "GET" && c.req.method !== "HEAD") {
    const origin = c.req.header("origin");
    const host = c.req.header("x-forwarded-host") ?? c.req.header("host");
    if (origin !== undefined && (origin === "null" || new URL(origin).host !== host)) {
      throw new ApiError("FORBIDDEN", "Dashboard actions must come from the dashboard's own pages");
    }
  }
  await next();
};

/**
 * bull-board's page asks Google Fonts for its typeface; nothing here loads from another host (the
 * stylesheet falls back to the system's sans-serif). Its scripts and styles come from the package.
 */
const FONT_LINK = /<link[^>]+fonts\.googleapis\.com[^>]*>\s*/g;
const noThirdParties: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  if (!(c.res.headers.get("content-type") ?? "").startsWith("text/html")) return;
  const html = (await c.res.text()).replace(FONT_LINK, "");
  c.res = new Response(html, { status: c.res.status, headers: c.res.headers });
  c.res.headers.delete("content-length");
  // Inline styles are bull-board's own (its loading screen); the JSON config block is not a script.
  c.res.headers.set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
};

/**
 * The queue dashboard (@bull-board) at /admin/queues, behind the admin token, on either backend:
 * bull-board 9 reads BullMQ 6's Postgres-backed queues as well as Redis ones. Beside it,
 * GET /admin/queues/counts answers the job counts per state as JSON (what /metrics exports too).
 */
export function queueRoutes(deps: Pick<Deps, "config" | "scoreQueue">) {
  const app = new Hono<AppEnv>();
  app.use("*", requireAdminOrBasic(deps.config.ADMIN_TOKEN));
  app.get("/counts", async (c) => {
    // A Redis Queue whose connection is not ready would wait for it: answer 503 at once instead.
    if (!deps.scoreQueue.queue.isReady()) throw new ApiError("SERVICE_UNAVAILABLE", "The queue backend is unreachable; retry shortly");
    const counts = await deps.scoreQueue.queue.getJobCounts("waiting", "active", "delayed", "prioritized", "failed", "completed", "waiting-children");
    return c.json({ backend: deps.scoreQueue.kind, queues: [{ name: SCORE_QUEUE, counts }] });
  });

  const adapter = new HonoAdapter(serveStatic);
  adapter.setBasePath(QUEUES_PATH);
  createBullBoard({
    queues: [new BullMQAdapter(deps.scoreQueue.queue.bullQueue as Queue)],
    serverAdapter: adapter,
    // The page and its static files come from @bull-board/ui in node_modules, never a CDN.
    options: { uiConfig: { boardTitle: "Commentinel queues" } },
  });
  app.use("*", sameOriginWrites, noThirdParties);
  app.route("/", adapter.registerPlugin());
  return app;
}
