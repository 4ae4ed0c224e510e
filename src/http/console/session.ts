import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import {
  countLoginFailures,
  deleteExpiredSessions,
  deleteSession,
  deleteStaleModeratorSessions,
  findSession,
  insertLoginFailure,
  insertSession,
} from "../../db/queries/console.js";
import type { ConsoleSessionRow, SiteRow } from "../../db/schema.js";
import type { Deps } from "../../deps.js";
import { rateLimitKeyOf } from "../../rate-limit/client-key.js";
import { hashKey } from "../auth.js";

export const SESSION_COOKIE = "commentinel_console";
export const LOGIN_CSRF_COOKIE = "commentinel_login_csrf";
/** A working day: long enough not to interrupt a shift, short enough that a lost laptop's cookie dies. */
export const SESSION_TTL_MS = 12 * 60 * 60_000;
/** Failed sign-ins allowed per client in LOGIN_WINDOW_MS; keys are random, so this only stops noise and guessing. */
export const LOGIN_MAX_FAILURES = 10;
export const LOGIN_WINDOW_MS = 15 * 60_000;

export interface ConsoleSession {
  row: ConsoleSessionRow;
  site: SiteRow | null;
  /** Who decisions are recorded as. */
  actor: "moderator" | "admin";
}

function randomToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Secure cookies when the request came over HTTPS, directly or through a proxy that says so. */
export function isHttps(c: Context): boolean {
  if (new URL(c.req.url).protocol === "https:") return true;
  return (c.req.header("x-forwarded-proto") ?? "").split(",")[0]?.trim().toLowerCase() === "https";
}

function cookieOptions(c: Context, maxAgeSeconds: number) {
  return { path: "/moderate", httpOnly: true, sameSite: "Lax" as const, secure: isHttps(c), maxAge: maxAgeSeconds };
}

export function equalSecrets(a: string, b: string): boolean {
  const x = createHash("sha256").update(a).digest();
  const y = createHash("sha256").update(b).digest();
  return timingSafeEqual(x, y);
}

/**
 * The client for throttling: the socket's peer (a proxy in front should set its own limits too),
 * an IPv6 peer by its /64 like the API's rate limits, or a guesser could rotate addresses past it.
 */
export function clientOf(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return rateLimitKeyOf(env?.incoming?.socket?.remoteAddress) ?? "unknown";
}

export async function loginThrottled(deps: Pick<Deps, "db">, client: string): Promise<boolean> {
  return (await countLoginFailures(deps.db, client, new Date(Date.now() - LOGIN_WINDOW_MS))) >= LOGIN_MAX_FAILURES;
}

export async function recordLoginFailure(deps: Pick<Deps, "db">, client: string): Promise<void> {
  await insertLoginFailure(deps.db, client, new Date(Date.now() - LOGIN_WINDOW_MS));
}

/** A login form's token: a random cookie the form must echo (the form itself changes state: it opens a session). */
export function issueLoginCsrf(c: Context): string {
  const token = randomToken();
  setCookie(c, LOGIN_CSRF_COOKIE, token, cookieOptions(c, 3600));
  return token;
}

export function checkLoginCsrf(c: Context, given: string | undefined): boolean {
  const expected = getCookie(c, LOGIN_CSRF_COOKIE);
  return !!expected && !!given && equalSecrets(expected, given);
}

export async function openSession(
  c: Context,
  deps: Pick<Deps, "db">,
  params: { siteId: string | null; role: "moderator" | "admin"; keyHash: string },
): Promise<void> {
  const token = randomToken();
  await deleteExpiredSessions(deps.db);
  await insertSession(deps.db, {
    tokenHash: hashKey(token),
    siteId: params.siteId,
    role: params.role,
    keyHash: params.keyHash,
    csrfToken: randomToken(),
    expiresAt: new Date(Date.now() + SESSION_TTL_MS),
  });
  setCookie(c, SESSION_COOKIE, token, cookieOptions(c, SESSION_TTL_MS / 1000));
  deleteCookie(c, LOGIN_CSRF_COOKIE, { path: "/moderate" });
}

export type SessionLookup = { ok: true; session: ConsoleSession } | { ok: false; reason: "none" | "ended" };

/**
 * The request's session. A moderator session ends when the site's moderator key no longer hashes to
 * the key that opened it (rotated or revoked); an admin session when ADMIN_TOKEN changed. Ended
 * sessions are deleted, all of that site's stale ones at once.
 */
export async function readSession(c: Context, deps: Pick<Deps, "db" | "config">): Promise<SessionLookup> {
  const token = getCookie(c, SESSION_COOKIE);
  if (!token || token.length > 100) return { ok: false, reason: "none" };
  const found = await findSession(deps.db, hashKey(token));
  if (!found) return { ok: false, reason: "none" };
  const { session, site } = found;
  if (session.role === "moderator") {
    if (!site || site.moderatorKeyHash !== session.keyHash) {
      if (site) await deleteStaleModeratorSessions(deps.db, site.id, site.moderatorKeyHash);
      else await deleteSession(deps.db, session.tokenHash);
      return { ok: false, reason: "ended" };
    }
  } else {
    const admin = deps.config.ADMIN_TOKEN;
    if (!admin || hashKey(admin) !== session.keyHash) {
      await deleteSession(deps.db, session.tokenHash);
      return { ok: false, reason: "ended" };
    }
  }
  return { ok: true, session: { row: session, site, actor: session.role } };
}

export async function closeSession(c: Context, deps: Pick<Deps, "db">, session: ConsoleSession): Promise<void> {
  await deleteSession(deps.db, session.row.tokenHash);
  deleteCookie(c, SESSION_COOKIE, { path: "/moderate", secure: isHttps(c) });
}
