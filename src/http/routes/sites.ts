import { Hono } from "hono";
import { z } from "zod";
import { InvalidSettingsError, KEY_KINDS, createSite, revokeSiteKey, rotateSiteKey, scoringSettingsSchema, updateSiteFields } from "../../comments/site-admin.js";
import { adminSiteView as siteView } from "../views.js";
import { findSiteById, listSites } from "../../db/queries/sites.js";
import type { SiteRow } from "../../db/schema.js";
import type { Deps } from "../../deps.js";
import { requireAdmin } from "../auth.js";
import { ApiError } from "../errors.js";
import type { AppEnv } from "../types.js";
import { idSchema, parseWith, readJson, text } from "../validate.js";

const siteUrl = text(2000).pipe(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }));

const createSchema = z.strictObject({ name: text(200).min(1), url: siteUrl });

const patchSchema = z.strictObject({ name: text(200).min(1).optional(), url: siteUrl.optional(), settings: scoringSettingsSchema.optional() });
const keyKind = z.enum(KEY_KINDS);

/** The site an admin route names, or a 404 (a malformed id is no site either). */
export async function findSiteOr404(deps: Pick<Deps, "db">, id: string): Promise<SiteRow> {
  const site = idSchema.safeParse(id).success ? await findSiteById(deps.db, id) : undefined;
  if (!site) throw new ApiError("NOT_FOUND", "No such site");
  return site;
}

/** Admin routes (ADMIN_TOKEN): create and list sites, change settings, rotate and revoke keys. */
export function siteRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  app.use("*", requireAdmin(deps.config.ADMIN_TOKEN));

  const siteOr404 = (id: string) => findSiteOr404(deps, id);

  app.post("/", async (c) => {
    const body = await readJson(c, createSchema);
    const { site, apiKey, moderatorKey } = await createSite(deps.db, body);
    // The keys are shown once: only their hashes are stored.
    return c.json({ site: siteView(site), apiKey, moderatorKey }, 201);
  });

  app.get("/", async (c) => c.json({ sites: (await listSites(deps.db)).map(siteView) }));

  app.get("/:id", async (c) => c.json({ site: siteView(await siteOr404(c.req.param("id"))) }));

  app.patch("/:id", async (c) => {
    const site = await siteOr404(c.req.param("id"));
    const body = await readJson(c, patchSchema);
    let updated: SiteRow | undefined;
    try {
      updated = await updateSiteFields(deps.db, site, body);
    } catch (err) {
      if (err instanceof InvalidSettingsError) throw new ApiError("BAD_REQUEST", err.message, err.details);
      throw err;
    }
    deps.keys.clear();
    if (!updated) throw new ApiError("NOT_FOUND", "No such site");
    return c.json({ site: siteView(updated) });
  });

  app.post("/:id/keys/:kind/rotate", async (c) => {
    const site = await siteOr404(c.req.param("id"));
    const kind = parseWith(keyKind, c.req.param("kind"), "Key kind must be api or moderator");
    const rotated = await rotateSiteKey(deps.db, site.id, kind);
    deps.keys.clear();
    if (!rotated) throw new ApiError("NOT_FOUND", "No such site");
    return c.json({ site: siteView(rotated.site), ...(kind === "api" ? { apiKey: rotated.key } : { moderatorKey: rotated.key }) });
  });

  app.post("/:id/keys/:kind/revoke", async (c) => {
    const site = await siteOr404(c.req.param("id"));
    const kind = parseWith(keyKind, c.req.param("kind"), "Key kind must be api or moderator");
    const updated = await revokeSiteKey(deps.db, site.id, kind);
    deps.keys.clear();
    if (!updated) throw new ApiError("NOT_FOUND", "No such site");
    return c.json({ site: siteView(updated) });
  });

  return app;
}
