import { Hono } from "hono";
import { z } from "zod";
import { erasePerson, exportPerson, type PersonMatch } from "../../comments/privacy.js";
import {
  privacySettingsOf,
  privacySettingsSchema,
  retentionSettingsOf,
  retentionSettingsSchema,
} from "../../comments/privacy-settings.js";
import { ConfirmMismatchError, SiteNotFoundError, deleteSite } from "../../comments/sites.js";
import { listErasures } from "../../db/queries/privacy.js";
import { updateSite } from "../../db/queries/sites.js";
import type { SiteRow } from "../../db/schema.js";
import type { Deps } from "../../deps.js";
import { requireAdmin } from "../auth.js";
import { ApiError } from "../errors.js";
import type { AppEnv } from "../types.js";
import { readJson, text } from "../validate.js";
import { findSiteOr404 } from "./sites.js";

const days = z.int().min(1).max(36_500).nullable().optional();
const privacyPatchSchema = z.strictObject({
  truncateIp: z.boolean().optional(),
  hashEmail: z.boolean().optional(),
  retention: z.strictObject({ spamDays: days, allDays: days, keepLearnedCounts: z.boolean().optional() }).optional(),
});

const personSchema = z
  .strictObject({ email: text(320).min(1).optional(), url: text(2000).min(1).optional(), ip: text(100).min(1).optional() })
  .refine((m) => m.email !== undefined || m.url !== undefined || m.ip !== undefined, { message: "give at least one of email, url or ip" });

const confirmSchema = z.strictObject({ confirm: text(200) });

/** A site deleted while the request ran is a 404 like any missing site. */
async function orNotFound<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof SiteNotFoundError) throw new ApiError("NOT_FOUND", "No such site");
    throw err;
  }
}

function privacyView(site: SiteRow) {
  return { ...privacySettingsOf(site), retention: retentionSettingsOf(site) };
}

function personMatch(body: z.infer<typeof personSchema>): PersonMatch {
  return {
    ...(body.email === undefined ? {} : { email: body.email }),
    ...(body.url === undefined ? {} : { url: body.url }),
    ...(body.ip === undefined ? {} : { ip: body.ip }),
  };
}

/**
 * Admin routes (ADMIN_TOKEN) for retention and privacy:
 * `GET|PATCH /v1/sites/:id/privacy` `{truncateIp?, hashEmail?, retention?: {spamDays?, allDays?, keepLearnedCounts?}}`;
 * `POST /v1/sites/:id/people/export` and `/erase` `{email?, url?, ip?}`; `GET /v1/sites/:id/erasures`;
 * `DELETE /v1/sites/:id?confirm=<site name>` (or the body `{"confirm": name}`).
 */
export function privacyRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  app.use("*", requireAdmin(deps.config.ADMIN_TOKEN));

  app.get("/:id/privacy", async (c) => c.json({ privacy: privacyView(await findSiteOr404(deps, c.req.param("id"))) }));

  app.patch("/:id/privacy", async (c) => {
    const site = await findSiteOr404(deps, c.req.param("id"));
    const patch = await readJson(c, privacyPatchSchema);
    const { retention, ...flags } = patch;
    const privacy = privacySettingsSchema.parse({ ...privacySettingsOf(site), ...flags });
    const nextRetention = retentionSettingsSchema.parse({ ...retentionSettingsOf(site), ...retention });
    const updated = await updateSite(deps.db, site.id, { settings: { ...site.settings, privacy, retention: nextRetention } });
    if (!updated) throw new ApiError("NOT_FOUND", "No such site");
    // Intake reads the cached site: this process applies the change at once.
    deps.keys.clear();
    return c.json({ privacy: privacyView(updated) });
  });

  app.post("/:id/people/export", async (c) => {
    const site = await findSiteOr404(deps, c.req.param("id"));
    const body = await readJson(c, personSchema);
    return c.json({ export: await orNotFound(exportPerson(deps.db, site.id, personMatch(body))) });
  });

  app.post("/:id/people/erase", async (c) => {
    const site = await findSiteOr404(deps, c.req.param("id"));
    const body = await readJson(c, personSchema);
    return c.json({ erasure: await orNotFound(erasePerson(deps.db, site.id, personMatch(body), "admin")) });
  });

  app.get("/:id/erasures", async (c) => {
    const site = await findSiteOr404(deps, c.req.param("id"));
    const rows = await listErasures(deps.db, site.id);
    return c.json({
      erasures: rows.map((r) => ({ id: r.id, kind: r.kind, matchedOn: r.matchedOn, actor: r.actor, comments: r.comments, decisions: r.decisions, createdAt: r.createdAt.toISOString() })),
    });
  });

  app.delete("/:id", async (c) => {
    const site = await findSiteOr404(deps, c.req.param("id"));
    // The name comes in the query, or in a JSON body for clients that send one with DELETE.
    const confirm = c.req.header("content-type") !== undefined ? (await readJson(c, confirmSchema)).confirm : c.req.query("confirm");
    if (confirm === undefined || confirm === "") {
      throw new ApiError("BAD_REQUEST", "Deleting a site needs its name: DELETE /v1/sites/:id?confirm=<site name>", [
        { path: "confirm", message: "is required" },
      ]);
    }
    try {
      const removed = await orNotFound(deleteSite(deps.db, site.id, confirm));
      deps.keys.clear();
      return c.json({ deleted: { id: site.id, ...removed } });
    } catch (err) {
      if (err instanceof ConfirmMismatchError) {
        throw new ApiError("BAD_REQUEST", "confirm does not match the site's name; nothing was deleted", [{ path: "confirm", message: "must be the site's exact name" }]);
      }
      throw err;
    }
  });

  return app;
}
