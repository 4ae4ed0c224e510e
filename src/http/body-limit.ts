import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "./types.js";

/**
 * hono/body-limit with a fast path. It reads `c.req.raw.body`, which makes @hono/node-server build a
 * full web Request (undici Request, AbortSignal, ReadableStream) for every request: the largest CPU
 * item in intake profiles, and ~6 % of an Akismet comment-check's (BENCHMARKS.md, "Intake: the
 * request path's CPU"). A declared Content-Length is checked from the header alone (Node's parser
 * never delivers more than it declares); chunked bodies still go through body-limit, which answers
 * 413 for those too. GET and HEAD carry no body.
 */
export function limitBody(maxSize: number, onError: (c: Context<AppEnv>) => Response | Promise<Response>): MiddlewareHandler<AppEnv> {
  const streamed: MiddlewareHandler<AppEnv> = bodyLimit({ maxSize, onError: (c) => onError(c as Context<AppEnv>) });
  return async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const length = c.req.header("content-length");
    if (length !== undefined && /^\d+$/.test(length) && c.req.header("transfer-encoding") === undefined) {
      if (Number(length) > maxSize) return onError(c);
      return next();
    }
    return streamed(c, next);
  };
}
