import { Hono } from "hono";
import { z } from "zod";
import { scoreOptionsFor } from "../../comments/scoring.js";
import { cutoffSettingsOf, cutoffSettingsSchema, proposeSiteCutoffs, signalSettingsOf, signalSettingsSchema, updateCutoffSettings } from "../../comments/site-rules.js";
import { updateSite } from "../../db/queries/sites.js";
import type { Deps } from "../../deps.js";
import { requireAdmin } from "../auth.js";
import { ApiError } from "../errors.js";
import type { AppEnv } from "../types.js";
import { readJson } from "../validate.js";
import { findSiteOr404 } from "./sites.js";

const signalsPatchSchema = z.strictObject({
  honeypot: z.boolean().optional(),
  tooFast: z.boolean().optional(),
  minSubmitMs: z.int().min(0).max(600_000).optional(),
});

const cutoffsPatchSchema = z.strictObject({
  targetBlockedHam: z.number().gt(0).lt(1).optional(),
  maxPassedSpam: z.number().gt(0).lt(1).optional(),
  window: z.int().min(50).max(10_000).optional(),
  autoApply: z.boolean().optional(),
});

/**
 * Admin routes (ADMIN_TOKEN) for a site's hard signal rules and calibrated cutoffs:
 * `GET|PATCH /v1/sites/:id/signals` `{honeypot?, tooFast?, minSubmitMs?}`;
 * `GET /v1/sites/:id/cutoffs` (the proposal from the site's recent decisions, beside the cutoffs in
 * force) and `PATCH /v1/sites/:id/cutoffs` `{targetBlockedHam?, maxPassedSpam?, window?, autoApply?}`.
 */
export function siteRuleRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  app.use("*", requireAdmin(deps.config.ADMIN_TOKEN));

  app.get("/:id/signals", async (c) => {
    const site = await findSiteOr404(deps, c.req.param("id"));
    return c.json({ signals: signalSettingsOf(site) });
  });

  app.patch("/:id/signals", async (c) => {
    const site = await findSiteOr404(deps, c.req.param("id"));
    const patch = await readJson(c, signalsPatchSchema);
    const next = signalSettingsSchema.parse({ ...signalSettingsOf(site), ...patch });
    const updated = await updateSite(deps.db, site.id, { settings: { ...site.settings, signals: next } });
    if (!updated) throw new ApiError("NOT_FOUND", "No such site");
    // The cached site carries the settings: this process applies the change at once.
    deps.keys.clear();
    return c.json({ signals: signalSettingsOf(updated) });
  });

  app.get("/:id/cutoffs", async (c) => {
    const site = await findSiteOr404(deps, c.req.param("id"));
    const options = scoreOptionsFor(site);
    const proposal = await proposeSiteCutoffs(deps.db, site);
    return c.json({ settings: cutoffSettingsOf(site), current: { hamCutoff: options.hamCutoff, spamCutoff: options.spamCutoff }, proposed: proposal });
  });

  app.patch("/:id/cutoffs", async (c) => {
    const site = await findSiteOr404(deps, c.req.param("id"));
    const patch = await readJson(c, cutoffsPatchSchema);
    const next = cutoffSettingsSchema.parse({ ...cutoffSettingsOf(site), ...patch });
    const updated = await updateCutoffSettings(deps.db, site, next);
    if (!updated) throw new ApiError("NOT_FOUND", "No such site");
    deps.keys.clear();
    const options = scoreOptionsFor(updated);
    return c.json({ settings: cutoffSettingsOf(updated), current: { hamCutoff: options.hamCutoff, spamCutoff: options.spamCutoff } });
  });

  return app;
}
