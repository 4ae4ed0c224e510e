import { Hono } from "hono";
import { z } from "zod";
import { akismetSettingsOf } from "../../akismet/settings.js";
import { cutoffSettingsOf, signalSettingsOf } from "../../comments/site-rules.js";
import { publishingSettingsOf } from "../../comments/publishing.js";
import { rateLimitSettingsOf } from "../../rate-limit/settings.js";
import { corsSettingsOf } from "../cors.js";
import { siteView as baseSiteView } from "../views.js";
import { findSiteById, insertSite, listSites, updateSite } from "../../db/queries/sites.js";
import type { SiteRow } from "../../db/schema.js";
import type { Deps } from "../../deps.js";
import { generateApiKey, generateModeratorKey, generatePublishableKey, hashKey, requireAdmin } from "../auth.js";
import { ApiError } from "../errors.js";
import type { AppEnv } from "../types.js";
import { idSchema, parseWith, readJson, text } from "../validate.js";

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

/**
 * A site as admins see it: every setting effective, the Akismet, signal-rule and cutoff ones too
 * (defaults filled in, as scoring applies them), whether or not any was ever set.
 */
function siteView(site: SiteRow) {
  const view = baseSiteView(site);
  return {
    ...view,
    settings: {
      ...view.settings,
      akismet: akismetSettingsOf(site.settings),
      signals: signalSettingsOf(site),
      cutoffs: cutoffSettingsOf(site),
      publishing: publishingSettingsOf(site),
      cors: corsSettingsOf(site),
      rateLimit: rateLimitSettingsOf(site),
    },
  };
}

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
    const apiKey = generateApiKey();
    const moderatorKey = generateModeratorKey();
    const site = await insertSite(deps.db, { ...body, apiKeyHash: hashKey(apiKey), moderatorKeyHash: hashKey(moderatorKey) });
    // The keys are shown once: only their hashes are stored.
    return c.json({ site: siteView(site), apiKey, moderatorKey }, 201);
  });

  app.get("/", async (c) => c.json({ sites: (await listSites(deps.db)).map(siteView) }));

  app.get("/:id", async (c) => c.json({ site: siteView(await siteOr404(c.req.param("id"))) }));

  app.patch("/:id", async (c) => {
    const site = await siteOr404(c.req.param("id"));
    const body = await readJson(c, patchSchema);
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
    return c.json({ site: siteView(updated) });
  });

  app.post("/:id/keys/:kind/rotate", async (c) => {
    const site = await siteOr404(c.req.param("id"));
    const kind = parseWith(keyKind, c.req.param("kind"), "Key kind must be api, moderator or publishable");
    // A site has no publishable key until the first rotate makes one (browser posts are opt-in).
    const key = newKey(kind);
    const updated = await updateSite(deps.db, site.id, { [KEY_COLUMN[kind]]: hashKey(key) });
    deps.keys.clear();
    if (!updated) throw new ApiError("NOT_FOUND", "No such site");
    return c.json({ site: siteView(updated), [KEY_FIELD[kind]]: key });
  });

  app.post("/:id/keys/:kind/revoke", async (c) => {
    const site = await siteOr404(c.req.param("id"));
    const kind = parseWith(keyKind, c.req.param("kind"), "Key kind must be api, moderator or publishable");
    const updated = await updateSite(deps.db, site.id, { [KEY_COLUMN[kind]]: null });
    deps.keys.clear();
    if (!updated) throw new ApiError("NOT_FOUND", "No such site");
    return c.json({ site: siteView(updated) });
  });

  return app;
}
