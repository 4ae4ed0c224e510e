import { z } from "zod";
import type { Config } from "../config.js";
import type { CampaignOptions } from "./campaigns.js";

/**
 * Per-site campaign settings, under `settings.campaigns` on the site, changed through
 * `PATCH /v1/sites/:id/campaigns` (admin).
 */
export const campaignSettingsSchema = z.strictObject({
  /**
   * Cross-site signals: this site's comments cluster with other sites' comments and its campaign
   * counts include them. Off, the site neither sees other sites' comments nor is seen by them.
   */
  crossSite: z.boolean().default(true),
});

export type CampaignSettings = z.infer<typeof campaignSettingsSchema>;

export function campaignSettingsOf(siteSettings: Record<string, unknown>): CampaignSettings {
  const parsed = campaignSettingsSchema.safeParse(siteSettings.campaigns ?? {});
  return parsed.success ? parsed.data : { crossSite: true };
}

/** The installation's campaign options, or false when `CAMPAIGNS=off` (no clustering, no signals). */
export function campaignOptionsOf(config: Pick<Config, "CAMPAIGNS" | "CAMPAIGN_MIN_JACCARD" | "CAMPAIGN_WINDOW_DAYS">): CampaignOptions | false {
  if (config.CAMPAIGNS === "off") return false;
  return { minJaccard: config.CAMPAIGN_MIN_JACCARD, windowDays: config.CAMPAIGN_WINDOW_DAYS };
}
