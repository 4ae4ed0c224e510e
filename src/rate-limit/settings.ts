import { z } from "zod";
import type { Config } from "../config.js";
import type { SiteRow } from "../db/schema.js";

/**
 * A site's own rate limit, under `settings.rateLimit`, changed through
 * `PATCH /v1/sites/:id/rate-limit` (admin).
 */
export const rateLimitSettingsSchema = z.strictObject({
  /** Comments and Akismet calls per minute; null: the install's RATE_LIMIT_SITE_PER_MINUTE; 0: none. */
  perMinute: z.int().min(0).max(10_000_000).nullable().default(null),
});
export type RateLimitSettings = z.infer<typeof rateLimitSettingsSchema>;

export function rateLimitSettingsOf(site: Pick<SiteRow, "settings">): RateLimitSettings {
  const parsed = rateLimitSettingsSchema.safeParse(site.settings.rateLimit ?? {});
  return parsed.success ? parsed.data : { perMinute: null };
}

/** The per-minute limit in force for the site (0: none). */
export function siteLimitOf(config: Pick<Config, "RATE_LIMIT_SITE_PER_MINUTE">, site: Pick<SiteRow, "settings">): number {
  return rateLimitSettingsOf(site).perMinute ?? config.RATE_LIMIT_SITE_PER_MINUTE;
}
