/**
 * The HTTP side of the rate limits (src/rate-limit/): which address a request comes from, the
 * `RateLimit` headers, and the 429s. Headers follow draft-ietf-httpapi-ratelimit-headers-10
 * (https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/): one `RateLimit-Policy`
 * item per limit the request was counted against (`"ip";q=1200;w=60`) and one `RateLimit` item
 * with what is left of it (`"ip";r=1187;t=42`: remaining requests, seconds to the reset).
 */
import { isIP } from "node:net";
import type { IncomingMessage } from "node:http";
import type { Context, MiddlewareHandler } from "hono";
import type { Deps } from "../deps.js";
import { rateLimitKeyOf } from "../rate-limit/client-key.js";
import { WINDOW_S, type RateLimitDecision } from "../rate-limit/limiter.js";
import { ApiError } from "./errors.js";
import type { AppEnv } from "./types.js";

/** `::ffff:203.0.113.5` is the IPv4 address: one client, one bucket. */
function normalizeIp(raw: string | undefined): string | undefined {
  const ip = raw?.trim();
  if (!ip || isIP(ip) === 0) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped ? mapped[1] : ip.toLowerCase();
}

/**
 * An X-Forwarded-For entry without the port some proxies add (`203.0.113.5:51234`,
 * `[2001:db8::1]:443`, `[2001:db8::1]`): skipped as malformed, every client behind such a proxy
 * counted as the proxy, and all of them shared one bucket.
 */
function withoutPort(entry: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(entry);
  if (bracketed) return bracketed[1]!;
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(entry);
  return v4 ? v4[1]! : entry;
}

/**
 * The client's address. With `hops` trusted proxies in front, the address `hops` entries back from
 * the socket in X-Forwarded-For (each proxy appends the address it saw); entries further left were
 * written by the client and prove nothing. Without a socket (a test's `app.request`), undefined.
 */
export function clientIp(c: Context, hops: number): string | undefined {
  const socket = normalizeIp((c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket.remoteAddress);
  if (hops === 0 || socket === undefined) return socket;
  const forwarded = (c.req.header("x-forwarded-for") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  // Nearest first: [socket, the last proxy's client, ...]; the hops-th is the client.
  const chain = [socket, ...forwarded.reverse()];
  for (let i = Math.min(hops, chain.length - 1); i >= 0; i--) {
    const ip = normalizeIp(i === 0 ? chain[i] : withoutPort(chain[i]!));
    // A malformed entry is skipped toward the socket: never trust past what we can read.
    if (ip !== undefined) return ip;
  }
  return socket;
}

/**
 * What the client's requests count against: its address for IPv4, its /64 for IPv6 (see
 * rate-limit/client-key.ts). Undefined when there is no address to count by.
 */
export function clientKey(c: Context, hops: number): string | undefined {
  return rateLimitKeyOf(clientIp(c, hops));
}

/** Adds this limit's items to the response's RateLimit-Policy and RateLimit headers. */
function setHeaders(c: Context, name: string, d: RateLimitDecision): void {
  c.header("RateLimit-Policy", `"${name}";q=${d.limit};w=${WINDOW_S}`, { append: true });
  c.header("RateLimit", `"${name}";r=${d.remaining};t=${d.resetS}`, { append: true });
}

/**
 * Counts the request against one limit (`limit` per minute; 0: none) and sets its headers.
 * Returns the decision, or undefined when there is no limit or no key to count by.
 */
export async function countRequest(
  deps: Pick<Deps, "rateLimiter">,
  c: Context,
  name: string,
  key: string | undefined,
  limit: number,
): Promise<RateLimitDecision | undefined> {
  if (limit === 0 || key === undefined) return undefined;
  const d = await deps.rateLimiter.consume(name, key, limit);
  if (!d.failedOpen) setHeaders(c, name, d);
  return d;
}

/** A 429 in the /v1 envelope, with Retry-After. */
export function rateLimited(c: Context, name: string, d: RateLimitDecision): never {
  c.header("Retry-After", String(d.resetS));
  throw new ApiError("RATE_LIMITED", `Rate limit exceeded (${name}: ${d.limit} per minute); retry in ${d.resetS} s`);
}

/** /v1: counts the client (address or /64) before the key is looked up, so a flood of bad keys costs no query. */
export function limitByIp(deps: Pick<Deps, "rateLimiter" | "config">): MiddlewareHandler<AppEnv> {
  // With the limit off (0), the address is not even worked out.
  if (deps.config.RATE_LIMIT_IP_PER_MINUTE === 0) return (_c, next) => next();
  return async (c, next) => {
    const d = await countRequest(deps, c, "ip", clientKey(c, deps.config.TRUST_PROXY_HOPS), deps.config.RATE_LIMIT_IP_PER_MINUTE);
    if (d && !d.allowed) rateLimited(c, "ip", d);
    await next();
  };
}

/**
 * Akismet's 429: plain text like its other answers. Akismet clients treat any non-2xx as a
 * transport failure and fall back on their own setting (WordPress holds the comment for
 * moderation and retries the check later).
 */
export function akismetRateLimited(d: RateLimitDecision, requestId: string): Response {
  return new Response(`Rate limit exceeded; retry in ${d.resetS} s (request ${requestId}).`, {
    status: 429,
    headers: { "Content-Type": "text/plain; charset=UTF-8", "Retry-After": String(d.resetS) },
  });
}
