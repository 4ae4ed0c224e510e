import { Hono } from "hono";
import { z } from "zod";
import { publishingSettingsOf, publishingSettingsSchema } from "../../comments/publishing.js";
import { updateSite } from "../../db/queries/sites.js";
import type { SiteRow } from "../../db/schema.js";
import type { Deps } from "../../deps.js";
import { rateLimitSettingsOf, rateLimitSettingsSchema, siteLimitOf } from "../../rate-limit/settings.js";
import { requireAdmin } from "../auth.js";
import { corsSettingsOf, corsSettingsSchema } from "../cors.js";
import { ApiError } from "../errors.js";
import type { AppEnv } from "../types.js";
import { readJson } from "../validate.js";
import { findSiteOr404 } from "./sites.js";

const publishingPatch = z.strictObject({
  shadow: z.boolean().optional(),
  trustAfterPublished: z.int().min(1).max(1000).nullable().optional(),
});
const corsPatch = z.strictObject({ origins: corsSettingsSchema.shape.origins.unwrap() });
const rateLimitPatch = z.strictObject({ perMinute: z.int().min(0).max(10_000_000).nullable() });

/**
 * Admin routes (ADMIN_TOKEN) for issue 11's per-site settings, each `GET` and `PATCH`:
 * `/v1/sites/:id/publishing` `{shadow?, trustAfterPublished?}`, `/v1/sites/:id/cors` `{origins}`
 * (replaces the list) and `/v1/sites/:id/rate-limit` `{perMinute}`.
 */
export function siteGuardRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  app.use("*", requireAdmin(deps.config.ADMIN_TOKEN));

  const save = async (site: SiteRow, key: string, value: unknown): Promise<SiteRow> => {
    const updated = await updateSite(deps.db, site.id, { settings: { ...site.settings, [key]: value } });
    if (!updated) throw new ApiError("NOT_FOUND", "No such site");
    // The cached site carries the settings: this process applies the change at once.
    deps.keys.clear();
    return updated;
  };

  app.get("/:id/publishing", async (c) => c.json({ publishing: publishingSettingsOf(await findSiteOr404(deps, c.req.param("id"))) }));
  app.patch("/:id/publishing", async (c) => {
    const site = await findSiteOr404(deps, c.req.param("id"));
    const patch = await readJson(c, publishingPatch);
    const next = publishingSettingsSchema.parse({ ...publishingSettingsOf(site), ...patch });
    return c.json({ publishing: publishingSettingsOf(await save(site, "publishing", next)) });
  });

  app.get("/:id/cors", async (c) => c.json({ cors: corsSettingsOf(await findSiteOr404(deps, c.req.param("id"))) }));
  app.patch("/:id/cors", async (c) => {
    const site = await findSiteOr404(deps, c.req.param("id"));
    const patch = await readJson(c, corsPatch);
    const next = corsSettingsSchema.parse({ origins: [...new Set(patch.origins)] });
    return c.json({ cors: corsSettingsOf(await save(site, "cors", next)) });
  });

  const rateLimitView = (site: SiteRow) => ({ ...rateLimitSettingsOf(site), effectivePerMinute: siteLimitOf(deps.config, site) });
  app.get("/:id/rate-limit", async (c) => c.json({ rateLimit: rateLimitView(await findSiteOr404(deps, c.req.param("id"))) }));
  app.patch("/:id/rate-limit", async (c) => {
    const site = await findSiteOr404(deps, c.req.param("id"));
    const patch = await readJson(c, rateLimitPatch);
    return c.json({ rateLimit: rateLimitView(await save(site, "rateLimit", rateLimitSettingsSchema.parse(patch))) });
  });

  return app;
}
