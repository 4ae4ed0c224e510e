import { createRoute, z } from "@hono/zod-openapi";
// The admin view (views.ts) is the CLI's --json shape too: every settings group, defaults filled in.
import { adminSiteView as siteView } from "../views.js";
import { findSiteById, insertSite, listSites, updateSite } from "../../db/queries/sites.js";
import type { SiteRow } from "../../db/schema.js";
import type { Deps } from "../../deps.js";
import { generateApiKey, generateModeratorKey, generatePublishableKey, hashKey, requireAdmin } from "../auth.js";
import { ApiError } from "../errors.js";
import { ADMIN, BODY_ERRORS, createApi, errors, idParam, json, jsonBody, jsonRequest } from "../openapi.js";
import { SiteSchema } from "../schemas.js";
import { idSchema, parseWith, text } from "../validate.js";

const siteUrl = text(2000).pipe(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }));

const createSchema = z.strictObject({ name: text(200).min(1), url: siteUrl });

const probability = z.number().gt(0).lt(1);
const settingsSchema = z.strictObject({
  hamCutoff: probability.nullable().optional(),
  spamCutoff: probability.nullable().optional(),
  minPerLabel: z.int().min(0).max(1_000_000).nullable().optional(),
});
const patchSchema = z.strictObject({ name: text(200).min(1).optional(), url: siteUrl.optional(), settings: settingsSchema.optional() });
const keyKind = z.enum(["api", "moderator", "publishable"]);
type KeyKind = z.infer<typeof keyKind>;

const KEY_COLUMN = { api: "apiKeyHash", moderator: "moderatorKeyHash", publishable: "publishableKeyHash" } as const satisfies Record<KeyKind, keyof SiteRow>;
const KEY_FIELD = { api: "apiKey", moderator: "moderatorKey", publishable: "publishableKey" } as const satisfies Record<KeyKind, string>;
const newKey = (kind: KeyKind) => (kind === "api" ? generateApiKey() : kind === "moderator" ? generateModeratorKey() : generatePublishableKey());

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
  kind: z.string().openapi({ param: { name: "kind", in: "path" }, enum: ["api", "moderator", "publishable"], description: "Which key" }),
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
        const apiKey = generateApiKey();
        const moderatorKey = generateModeratorKey();
        const site = await insertSite(deps.db, { ...body, apiKeyHash: hashKey(apiKey), moderatorKeyHash: hashKey(moderatorKey) });
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
        const s = body.settings ?? {};
        const ham = s.hamCutoff === undefined ? site.hamCutoff : s.hamCutoff;
        const spam = s.spamCutoff === undefined ? site.spamCutoff : s.spamCutoff;
        if (ham != null && spam != null && ham > spam) {
          throw new ApiError("BAD_REQUEST", "hamCutoff must not exceed spamCutoff", [{ path: "settings", message: "hamCutoff > spamCutoff" }]);
        }
        const updated = await updateSite(deps.db, site.id, {
          ...(body.name === undefined ? {} : { name: body.name }),
          ...(body.url === undefined ? {} : { url: body.url }),
          ...(s.hamCutoff === undefined ? {} : { hamCutoff: s.hamCutoff }),
          ...(s.spamCutoff === undefined ? {} : { spamCutoff: s.spamCutoff }),
          ...(s.minPerLabel === undefined ? {} : { minPerLabel: s.minPerLabel }),
        });
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
          200: json(
            SiteAnswer.extend({ apiKey: z.string().optional(), moderatorKey: z.string().optional(), publishableKey: z.string().optional() }),
            "The site and the new key",
          ),
          ...errors("BAD_REQUEST", "NOT_FOUND"),
        },
      }),
      async (c) => {
        const params = c.req.valid("param");
        const site = await siteOr404(params.id);
        const kind = parseWith(keyKind, params.kind, "Key kind must be api, moderator or publishable");
        // A site has no publishable key until the first rotate makes one (browser posts are opt-in).
        const key = newKey(kind);
        const updated = await updateSite(deps.db, site.id, { [KEY_COLUMN[kind]]: hashKey(key) });
        deps.keys.clear();
        if (!updated) throw new ApiError("NOT_FOUND", "No such site");
        return c.json({ site: siteView(updated), [KEY_FIELD[kind]]: key }, 200);
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
        const kind = parseWith(keyKind, params.kind, "Key kind must be api, moderator or publishable");
        const updated = await updateSite(deps.db, site.id, { [KEY_COLUMN[kind]]: null });
        deps.keys.clear();
        if (!updated) throw new ApiError("NOT_FOUND", "No such site");
        return c.json({ site: siteView(updated) }, 200);
      },
    );
}
