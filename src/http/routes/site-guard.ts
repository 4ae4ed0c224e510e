import { createRoute, z } from "@hono/zod-openapi";
import { publishingSettingsOf, publishingSettingsSchema } from "../../comments/publishing.js";
import { updateSite } from "../../db/queries/sites.js";
import type { SiteRow } from "../../db/schema.js";
import type { Deps } from "../../deps.js";
import { rateLimitSettingsOf, rateLimitSettingsSchema, siteLimitOf } from "../../rate-limit/settings.js";
import { requireAdmin } from "../auth.js";
import { corsSettingsOf, corsSettingsSchema } from "../cors.js";
import { ApiError } from "../errors.js";
import { ADMIN, BODY_ERRORS, createApi, errors, idParam, json, jsonBody, jsonRequest } from "../openapi.js";
import { CorsSettingsSchema, PublishingSettingsSchema, RateLimitSettingsSchema } from "../schemas.js";
import { findSiteOr404 } from "./sites.js";

const publishingPatch = z.strictObject({
  shadow: z.boolean().optional(),
  trustAfterPublished: z.int().min(1).max(1000).nullable().optional(),
});
const corsPatch = z.strictObject({ origins: corsSettingsSchema.shape.origins.unwrap() });
const rateLimitPatch = z.strictObject({ perMinute: z.int().min(0).max(10_000_000).nullable() });

const Params = z.object({ id: idParam("id", "The site's id") });
const PublishingAnswer = z.object({ publishing: PublishingSettingsSchema });
const CorsAnswer = z.object({ cors: CorsSettingsSchema });
const RateLimitAnswer = z.object({
  rateLimit: z.object({ ...RateLimitSettingsSchema.shape, effectivePerMinute: z.number().int().openapi({ description: "The limit in force (0: none)" }) }),
});
const tags = ["Sites (admin)"];

/**
 * Admin routes (ADMIN_TOKEN) for issue 11's per-site settings, each `GET` and `PATCH`:
 * `/v1/sites/:id/publishing` `{shadow?, trustAfterPublished?}`, `/v1/sites/:id/cors` `{origins}`
 * (replaces the list) and `/v1/sites/:id/rate-limit` `{perMinute}`.
 */
export function siteGuardRoutes(deps: Deps) {
  const admin = requireAdmin(deps.config.ADMIN_TOKEN);

  const save = async (site: SiteRow, key: string, value: unknown): Promise<SiteRow> => {
    const updated = await updateSite(deps.db, site.id, { settings: { ...site.settings, [key]: value } });
    if (!updated) throw new ApiError("NOT_FOUND", "No such site");
    // The cached site carries the settings: this process applies the change at once.
    deps.keys.clear();
    return updated;
  };
  const rateLimitView = (site: SiteRow) => ({ ...rateLimitSettingsOf(site), effectivePerMinute: siteLimitOf(deps.config, site) });

  return createApi()
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}/publishing",
        tags,
        summary: "Read a site's shadow mode and trusted-author rule",
        security: ADMIN,
        middleware: [admin] as const,
        request: { params: Params },
        responses: { 200: json(PublishingAnswer, "The publishing settings in force"), ...errors("NOT_FOUND") },
      }),
      async (c) => c.json({ publishing: publishingSettingsOf(await findSiteOr404(deps, c.req.valid("param").id)) }, 200),
    )
    .openapi(
      createRoute({
        method: "patch",
        path: "/{id}/publishing",
        tags,
        summary: "Change a site's shadow mode or trusted-author rule",
        description: "`shadow: true` publishes every comment whatever its verdict; `trustAfterPublished: n` trusts an author with n comments published on their merits (`null`: off).",
        security: ADMIN,
        middleware: [admin, jsonBody] as const,
        request: { params: Params, body: jsonRequest(publishingPatch) },
        responses: { 200: json(PublishingAnswer, "The changed settings"), ...errors(...BODY_ERRORS, "NOT_FOUND") },
      }),
      async (c) => {
        const site = await findSiteOr404(deps, c.req.valid("param").id);
        const next = publishingSettingsSchema.parse({ ...publishingSettingsOf(site), ...c.req.valid("json") });
        return c.json({ publishing: publishingSettingsOf(await save(site, "publishing", next)) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}/cors",
        tags,
        summary: "Read the origins whose pages may post with the publishable key",
        security: ADMIN,
        middleware: [admin] as const,
        request: { params: Params },
        responses: { 200: json(CorsAnswer, "The allowed origins"), ...errors("NOT_FOUND") },
      }),
      async (c) => c.json({ cors: corsSettingsOf(await findSiteOr404(deps, c.req.valid("param").id)) }, 200),
    )
    .openapi(
      createRoute({
        method: "patch",
        path: "/{id}/cors",
        tags,
        summary: "Replace the origins whose pages may post with the publishable key",
        security: ADMIN,
        middleware: [admin, jsonBody] as const,
        request: { params: Params, body: jsonRequest(corsPatch) },
        responses: { 200: json(CorsAnswer, "The new list"), ...errors(...BODY_ERRORS, "NOT_FOUND") },
      }),
      async (c) => {
        const site = await findSiteOr404(deps, c.req.valid("param").id);
        const next = corsSettingsSchema.parse({ origins: [...new Set(c.req.valid("json").origins)] });
        return c.json({ cors: corsSettingsOf(await save(site, "cors", next)) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}/rate-limit",
        tags,
        summary: "Read a site's rate limit",
        security: ADMIN,
        middleware: [admin] as const,
        request: { params: Params },
        responses: { 200: json(RateLimitAnswer, "The site's own limit and the one in force"), ...errors("NOT_FOUND") },
      }),
      async (c) => c.json({ rateLimit: rateLimitView(await findSiteOr404(deps, c.req.valid("param").id)) }, 200),
    )
    .openapi(
      createRoute({
        method: "patch",
        path: "/{id}/rate-limit",
        tags,
        summary: "Change a site's rate limit",
        description: "Comments and Akismet calls per minute; `null`: the install's RATE_LIMIT_SITE_PER_MINUTE, `0`: none.",
        security: ADMIN,
        middleware: [admin, jsonBody] as const,
        request: { params: Params, body: jsonRequest(rateLimitPatch) },
        responses: { 200: json(RateLimitAnswer, "The changed limit"), ...errors(...BODY_ERRORS, "NOT_FOUND") },
      }),
      async (c) => {
        const site = await findSiteOr404(deps, c.req.valid("param").id);
        return c.json({ rateLimit: rateLimitView(await save(site, "rateLimit", rateLimitSettingsSchema.parse(c.req.valid("json")))) }, 200);
      },
    );
}
