/**
 * CORS for browser posts (issue 11). Off by default: no route answers a cross-origin request. A
 * site that posts comments straight from its pages lists its origins under `settings.cors` and
 * uses its publishable key there (never the secret API key, which a page would publish). Only
 * `POST /v1/comments` takes part: its preflight is answered for origins some site with a live
 * publishable key allows (a preflight carries no key, so it cannot name the site), and the post
 * itself only for an origin that the key's own site allows.
 */
import type { Context } from "hono";
import { z } from "zod";
import { anySiteAllowsOrigin } from "../db/queries/sites.js";
import type { SiteRow } from "../db/schema.js";
import type { Deps } from "../deps.js";
import { ApiError } from "./errors.js";

/** `https://example.org` or `http://localhost:8080`: a scheme, a host and maybe a port; nothing else. */
const ORIGIN = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/;

export const corsSettingsSchema = z.strictObject({
  origins: z
    .array(
      z
        .string()
        .max(300)
        .transform((s) => s.toLowerCase().replace(/\/$/, ""))
        .refine((s) => ORIGIN.test(s), "must be an origin: scheme://host[:port], no path"),
    )
    .max(50)
    .default([]),
});
export type CorsSettings = z.infer<typeof corsSettingsSchema>;

export function corsSettingsOf(site: Pick<SiteRow, "settings">): CorsSettings {
  const parsed = corsSettingsSchema.safeParse(site.settings.cors ?? {});
  return parsed.success ? parsed.data : { origins: [] };
}

/** A browser sends `Origin` exactly; the list is stored lower-case without a trailing slash. */
function originOf(c: Context): string | undefined {
  const origin = c.req.header("origin");
  return origin === undefined || origin === "null" ? undefined : origin.toLowerCase();
}

/** The headers a page may read from the answer: where the comment is, and the limits. */
const EXPOSED = "Location, Retry-After, RateLimit, RateLimit-Policy, X-Request-Id";
/** Browsers cache the preflight this long (Chromium caps it at 2 h). */
const PREFLIGHT_MAX_AGE_S = "600";

/** `OPTIONS /v1/comments`: the CORS headers for an origin some site allows (the route answers 204), else 403. */
export async function preflight(deps: Pick<Deps, "db">, c: Context): Promise<void> {
  const origin = originOf(c);
  c.header("Vary", "Origin");
  if (origin === undefined || !ORIGIN.test(origin) || !(await anySiteAllowsOrigin(deps.db, origin))) {
    throw new ApiError("FORBIDDEN", "Cross-origin requests are not allowed from this origin");
  }
  c.header("Access-Control-Allow-Origin", origin);
  c.header("Access-Control-Allow-Methods", "POST");
  c.header("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-Id");
  c.header("Access-Control-Max-Age", PREFLIGHT_MAX_AGE_S);
}

/**
 * For a post with the publishable key: a browser's `Origin` must be on the key's site's list (the
 * answer then carries the CORS headers, errors included); without `Origin` it is not a browser's
 * cross-origin post, and the key (public anyway) is all that is checked.
 */
export function allowBrowserOrigin(c: Context, site: Pick<SiteRow, "settings">): void {
  const origin = originOf(c);
  if (origin === undefined) return;
  c.header("Vary", "Origin");
  if (!corsSettingsOf(site).origins.includes(origin)) {
    throw new ApiError("FORBIDDEN", "This site does not allow posts from this origin");
  }
  c.header("Access-Control-Allow-Origin", origin);
  c.header("Access-Control-Expose-Headers", EXPOSED);
}
