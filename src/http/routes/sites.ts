import { createRoute, z } from "@hono/zod-openapi";
import { InvalidSettingsError, KEY_KINDS, createSite, revokeSiteKey, rotateSiteKey, scoringSettingsSchema, updateSiteFields } from "../../comments/site-admin.js";
import { adminSiteView as siteView } from "../views.js";
import { findSiteById, listSites } from "../../db/queries/sites.js";
import type { SiteRow } from "../../db/schema.js";
import type { Deps } from "../../deps.js";
import { requireAdmin } from "../auth.js";
import { ApiError } from "../errors.js";
import { ADMIN, BODY_ERRORS, createApi, errors, idParam, json, jsonBody, jsonRequest } from "../openapi.js";
import { SiteSchema } from "../schemas.js";
import { idSchema, parseWith, text } from "../validate.js";

const siteUrl = text(2000).pipe(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }));

const createSchema = z.strictObject({ name: text(200).min(1), url: siteUrl });

// Rebuilt with this module's z (schemas made before @hono/zod-openapi loaded have no `.openapi`).
const patchSchema = z.strictObject({
  name: text(200).min(1).optional(),
  url: siteUrl.optional(),
  settings: z.strictObject(scoringSettingsSchema.shape).optional(),
});
const keyKind = z.enum(KEY_KINDS);

/** The site an admin route names, or a 404 (a malformed id is no site either). */
export async function findSiteOr404(deps: Pick<Deps, "db">, id: string): Promise<SiteRow> {
  const site = idSchema.safeParse(id).success ? await findSiteById(deps.db, id) : undefined;
  if (!site) throw new ApiError("NOT_FOUND", "No such site");
  return site;
}

const SiteParams = z.object({ id: idParam("id", "The site's id") });
const SiteAnswer = z.object({ site: SiteSchema });
const keyParams = z.object({
  id: idParam("id", "The site's id"),
  kind: z.string().openapi({ param: { name: "kind", in: "path" }, enum: ["api", "moderator"], description: "Which key" }),
});
const tags = ["Sites (admin)"];

/** Admin routes (ADMIN_TOKEN): create and list sites, change settings, rotate and revoke keys. */
export function siteRoutes(deps: Deps) {
  const app = createApi();
  // Every path under /v1/sites is admin-only, unknown ones too (401 before 404).
  app.use("*", requireAdmin(deps.config.ADMIN_TOKEN));

  const siteOr404 = (id: string) => findSiteOr404(deps, id);

  return app
    .openapi(
      createRoute({
        method: "post",
        path: "/",
        tags,
        summary: "Create a site",
        description: "The keys are shown once: only their hashes are stored.",
        security: ADMIN,
        middleware: [jsonBody] as const,
        request: { body: jsonRequest(createSchema) },
        responses: {
          201: json(SiteAnswer.extend({ apiKey: z.string(), moderatorKey: z.string() }), "The site and its two keys"),
          ...errors(...BODY_ERRORS),
        },
      }),
      async (c) => {
        const body = c.req.valid("json");
        const { site, apiKey, moderatorKey } = await createSite(deps.db, body);
        return c.json({ site: siteView(site), apiKey, moderatorKey }, 201);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/",
        tags,
        summary: "List sites",
        security: ADMIN,
        responses: { 200: json(z.object({ sites: z.array(SiteSchema) }), "Every site, with its effective settings"), ...errors() },
      }),
      async (c) => c.json({ sites: (await listSites(deps.db)).map(siteView) }, 200),
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}",
        tags,
        summary: "Read a site",
        security: ADMIN,
        request: { params: SiteParams },
        responses: { 200: json(SiteAnswer, "The site"), ...errors("NOT_FOUND") },
      }),
      async (c) => c.json({ site: siteView(await siteOr404(c.req.valid("param").id)) }, 200),
    )
    .openapi(
      createRoute({
        method: "patch",
        path: "/{id}",
        tags,
        summary: "Change a site's name, URL or scoring settings",
        description: "`null` resets a setting to the default.",
        security: ADMIN,
        middleware: [jsonBody] as const,
        request: { params: SiteParams, body: jsonRequest(patchSchema) },
        responses: { 200: json(SiteAnswer, "The changed site"), ...errors(...BODY_ERRORS, "NOT_FOUND") },
      }),
      async (c) => {
        const site = await siteOr404(c.req.valid("param").id);
        const body = c.req.valid("json");
        let updated: SiteRow | undefined;
        try {
          updated = await updateSiteFields(deps.db, site, body);
        } catch (err) {
          if (err instanceof InvalidSettingsError) throw new ApiError("BAD_REQUEST", err.message, err.details);
          throw err;
        }
        deps.keys.clear();
        if (!updated) throw new ApiError("NOT_FOUND", "No such site");
        return c.json({ site: siteView(updated) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/{id}/keys/{kind}/rotate",
        tags,
        summary: "Rotate a key",
        description: "The new key is shown once; the old one stops working at once in this process (within KEY_CACHE_TTL_MS elsewhere).",
        security: ADMIN,
        request: { params: keyParams },
        responses: {
          200: json(SiteAnswer.extend({ apiKey: z.string().optional(), moderatorKey: z.string().optional() }), "The site and the new key"),
          ...errors("BAD_REQUEST", "NOT_FOUND"),
        },
      }),
      async (c) => {
        const params = c.req.valid("param");
        const site = await siteOr404(params.id);
        const kind = parseWith(keyKind, params.kind, "Key kind must be api or moderator");
        const rotated = await rotateSiteKey(deps.db, site.id, kind);
        deps.keys.clear();
        if (!rotated) throw new ApiError("NOT_FOUND", "No such site");
        return c.json({ site: siteView(rotated.site), ...(kind === "api" ? { apiKey: rotated.key } : { moderatorKey: rotated.key }) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/{id}/keys/{kind}/revoke",
        tags,
        summary: "Revoke a key",
        security: ADMIN,
        request: { params: keyParams },
        responses: { 200: json(SiteAnswer, "The site, its key revoked"), ...errors("BAD_REQUEST", "NOT_FOUND") },
      }),
      async (c) => {
        const params = c.req.valid("param");
        const site = await siteOr404(params.id);
        const kind = parseWith(keyKind, params.kind, "Key kind must be api or moderator");
        const updated = await revokeSiteKey(deps.db, site.id, kind);
        deps.keys.clear();
        if (!updated) throw new ApiError("NOT_FOUND", "No such site");
        return c.json({ site: siteView(updated) }, 200);
      },
    );
}
