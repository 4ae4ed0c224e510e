import { z } from "zod";

/**
 * Per-site Akismet settings, stored under `settings.akismet` on the site (the service's free-form
 * settings column) and changed through `PATCH /v1/sites/:id/akismet` (admin).
 */
export const akismetSettingsSchema = z.strictObject({
  /**
   * What comment-check answers for an unsure (`held`) verdict. Default `ham`: Akismet's `false`
   * hands the comment to the site's own moderation rules (WordPress then publishes or holds it as
   * the blog is set up), which is what "unsure" means; `true` would file it as spam on the site,
   * and while the model is still below its minimum training every comment is unsure, so a site
   * that just switched would see all its comments vanish into the spam folder.
   */
  unsureAnswer: z.enum(["ham", "spam"]).default("ham"),
  /**
   * Spam whose probability is at least this answers `X-akismet-pro-tip: discard`, which tells
   * WordPress to drop it without storing it. A discarded false positive is never seen by anyone, so
   * the default sits well past the service's spam cutoff (0.9): 0.99. `null` never discards.
   */
  discardCutoff: z.number().min(0).max(1).nullable().default(0.99),
});

export type AkismetSettings = z.infer<typeof akismetSettingsSchema>;

export const DEFAULT_AKISMET_SETTINGS: AkismetSettings = akismetSettingsSchema.parse({});

/** The site's settings, or the defaults where none (or a malformed value) is stored. */
export function akismetSettingsOf(siteSettings: Record<string, unknown>): AkismetSettings {
  const parsed = akismetSettingsSchema.safeParse(siteSettings.akismet ?? {});
  return parsed.success ? parsed.data : DEFAULT_AKISMET_SETTINGS;
}

/** Whether comment-check answers `true`, from the verdict and the site's unsure policy. */
export function answersSpam(verdict: "ham" | "unsure" | "spam", settings: AkismetSettings): boolean {
  if (verdict === "unsure") return settings.unsureAnswer === "spam";
  return verdict === "spam";
}

/** Whether spam is blatant enough to tell the client it may discard it. */
export function shouldDiscard(verdict: "ham" | "unsure" | "spam", probability: number, settings: AkismetSettings): boolean {
  return verdict === "spam" && settings.discardCutoff !== null && probability >= settings.discardCutoff;
}
