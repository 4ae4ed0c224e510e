import { ServerResponse } from "node:http";
import type { Context, MiddlewareHandler } from "hono";

type HeaderList = readonly (readonly [string, string])[];

/**
 * hono/secure-headers' defaults, as one fixed list (test/secure-headers.test.ts checks it against
 * hono's own middleware, so an upgrade that changes them shows up). Pages get all of them.
 */
export const SECURE_HEADERS: HeaderList = [
  ["Cross-Origin-Resource-Policy", "same-origin"],
  ["Cross-Origin-Opener-Policy", "same-origin"],
  ["Origin-Agent-Cluster", "?1"],
  ["Referrer-Policy", "no-referrer"],
  ["Strict-Transport-Security", "max-age=15552000; includeSubDomains"],
  ["X-Content-Type-Options", "nosniff"],
  ["X-DNS-Prefetch-Control", "off"],
  ["X-Download-Options", "noopen"],
  ["X-Frame-Options", "SAMEORIGIN"],
  ["X-Permitted-Cross-Domain-Policies", "none"],
  ["X-XSS-Protection", "0"],
];

/**
 * What an API answer (JSON, Akismet's plain text, the form script) needs, after OWASP's REST
 * Security Cheat Sheet ("Security headers": HSTS, nosniff, a frame policy for a response that a
 * browser might render) plus CORP, which keeps other origins' pages from loading the answer with
 * `<script>`/`<img>`. The rest only act on documents (COOP, Origin-Agent-Cluster, Referrer-Policy,
 * DNS prefetch) or on IE8 and Flash (X-Download-Options, X-Permitted-Cross-Domain-Policies,
 * X-XSS-Protection): on a JSON answer they are bytes. Each header costs the request path ~1–2 µs
 * in Node's `setHeader` and `writeHead` (BENCHMARKS.md, "Intake: the request path's CPU").
 */
const API_HEADER_NAMES = new Set(["Cross-Origin-Resource-Policy", "Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options"]);
export const API_SECURE_HEADERS: HeaderList = SECURE_HEADERS.filter(([name]) => API_HEADER_NAMES.has(name));

/** The Node response under a request served by @hono/node-server; undefined under `app.request`. */
export function nodeResponse(c: Context): ServerResponse | undefined {
  const outgoing = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
  return outgoing instanceof ServerResponse ? outgoing : undefined;
}

/**
 * Puts the headers `pick` chooses for the request's path on its answer, never over a header the
 * answer set itself (hono/secure-headers with `overwrite: false`).
 *
 * Under Node they go on the `ServerResponse` before the handler runs: @hono/node-server's
 * `writeHead(status, headers)` then merges the answer's own headers over them, which is the
 * `overwrite: false` rule without reading the answer's headers. Setting them on the web `Response`
 * instead costs a `has` and a `set` into undici's validating `Headers` per header. Without a Node
 * response (`app.request` in tests) they are set on the `Response`. A later use of this middleware
 * on a narrower path wins over an earlier one (the form script's `Cross-Origin-Resource-Policy`).
 * Unlike hono's, it does not delete `X-Powered-By`: neither Node, Hono nor any route of ours sets it.
 */
export function secureHeaders(pick: HeaderList | ((path: string) => HeaderList)): MiddlewareHandler {
  return async (c, next) => {
    const headers = typeof pick === "function" ? pick(c.req.path) : pick;
    const outgoing = nodeResponse(c);
    if (outgoing) for (const [name, value] of headers) outgoing.setHeader(name, value);
    await next();
    if (!outgoing) for (const [name, value] of headers) if (!c.res.headers.has(name)) c.res.headers.set(name, value);
  };
}

/** `list` with one header's value replaced. */
export function withHeader(list: HeaderList, name: string, value: string): HeaderList {
  return list.map(([n, v]) => [n, n === name ? value : v] as const);
}
