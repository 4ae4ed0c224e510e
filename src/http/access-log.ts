import { randomUUID } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { withLogContext, type Log } from "../log.js";
import { httpDuration } from "../observe/metrics.js";
import { nodeResponse } from "./secure-headers.js";
import type { AppEnv } from "./types.js";

/** A client-chosen X-Request-Id is kept when it is short and printable, so logs can be joined. */
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The route label of requests no route matched: one series, whatever the URL. */
export const UNMATCHED_ROUTE = "(unmatched)";

/**
 * The template of the route that answered (`/v1/comments/:id`), never the raw URL: a label per
 * distinct URL would be a series per comment id. The last matched route that is not middleware
 * (`app.use` registers method ALL) is the handler's, also when a middleware before it answered
 * (a 401 from auth is still `/v1/comments/:id`).
 */
export function routeTemplate(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const r = routes[i];
    if (r && r.method !== "ALL") return r.path;
  }
  return UNMATCHED_ROUTE;
}

/**
 * First middleware: picks the request id (a sane incoming X-Request-Id, else a new UUID), puts it on
 * `c.var`, on every response, and on every log line written while the request runs; then, once
 * answered, writes the access log line and the duration histogram.
 */
export function requestContext(log: Log): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const given = c.req.header("x-request-id");
    const requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
    c.set("requestId", requestId);
    // Under Node on the ServerResponse, where it reaches every answer, also a Response a handler
    // built itself, without a call into undici's Headers (see secure-headers.ts).
    const outgoing = nodeResponse(c);
    if (outgoing) outgoing.setHeader("X-Request-Id", requestId);
    else c.header("X-Request-Id", requestId);
    const start = performance.now();
    await withLogContext({ requestId }, () => next());
    // A handler that built its own Response (Akismet's plain answers, a deadline 503) may lack it.
    if (!outgoing && !c.res.headers.has("X-Request-Id")) {
      try {
        c.res.headers.set("X-Request-Id", requestId);
      } catch {
        c.res = new Response(c.res.body, c.res);
        c.res.headers.set("X-Request-Id", requestId);
      }
    }
    const seconds = (performance.now() - start) / 1000;
    const route = routeTemplate(c);
    const status = c.res.status;
    httpDuration.observe({ method: c.req.method, route, status: String(status) }, seconds);
    log.info("request", {
      requestId,
      method: c.req.method,
      route,
      status,
      ms: Math.round(seconds * 10_000) / 10,
      siteId: c.get("auth")?.site.id,
    });
  };
}
