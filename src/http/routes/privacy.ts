import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
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
import { ADMIN, BODY_ERRORS, createApi, errors, idParam, json, jsonBody, jsonRequest } from "../openapi.js";
import { ErasureResultSchema, ErasureSchema, PersonExportSchema, SitePrivacySchema } from "../schemas.js";
import type { AppEnv } from "../types.js";
import { text } from "../validate.js";
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

/** DELETE takes its confirmation in the query or, with a Content-Type, in a JSON body. */
const optionalJsonBody: MiddlewareHandler<AppEnv> = (c, next) => (c.req.header("content-type") === undefined ? next() : jsonBody(c, next));

const SiteParams = z.object({ id: idParam("id", "The site's id") });
const PrivacyAnswer = z.object({ privacy: SitePrivacySchema });
const tags = ["Sites (admin)"];

/**
 * Admin routes (ADMIN_TOKEN) for retention and privacy:
 * `GET|PATCH /v1/sites/:id/privacy` `{truncateIp?, hashEmail?, retention?: {spamDays?, allDays?, keepLearnedCounts?}}`;
 * `POST /v1/sites/:id/people/export` and `/erase` `{email?, url?, ip?}`; `GET /v1/sites/:id/erasures`;
 * `DELETE /v1/sites/:id?confirm=<site name>` (or the body `{"confirm": name}`).
 */
export function privacyRoutes(deps: Deps) {
  const app = createApi();
  app.use("*", requireAdmin(deps.config.ADMIN_TOKEN));

  return app
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}/privacy",
        tags,
        summary: "Read a site's privacy and retention settings",
        security: ADMIN,
        request: { params: SiteParams },
        responses: { 200: json(PrivacyAnswer, "The settings in force, defaults filled in"), ...errors("NOT_FOUND") },
      }),
      async (c) => c.json({ privacy: privacyView(await findSiteOr404(deps, c.req.valid("param").id)) }, 200),
    )
    .openapi(
      createRoute({
        method: "patch",
        path: "/{id}/privacy",
        tags,
        summary: "Change IP truncation, e-mail hashing and retention",
        description: "The flags apply to comments stored from now on. `null` retention days keep comments forever.",
        security: ADMIN,
        middleware: [jsonBody] as const,
        request: { params: SiteParams, body: jsonRequest(privacyPatchSchema) },
        responses: { 200: json(PrivacyAnswer, "The changed settings"), ...errors(...BODY_ERRORS, "NOT_FOUND") },
      }),
      async (c) => {
        const site = await findSiteOr404(deps, c.req.valid("param").id);
        const { retention, ...flags } = c.req.valid("json");
        const privacy = privacySettingsSchema.parse({ ...privacySettingsOf(site), ...flags });
        const nextRetention = retentionSettingsSchema.parse({ ...retentionSettingsOf(site), ...retention });
        const updated = await updateSite(deps.db, site.id, { settings: { ...site.settings, privacy, retention: nextRetention } });
        if (!updated) throw new ApiError("NOT_FOUND", "No such site");
        // Intake reads the cached site: this process applies the change at once.
        deps.keys.clear();
        return c.json({ privacy: privacyView(updated) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/{id}/people/export",
        tags,
        summary: "Export everything stored about a person",
        description: "Matched by e-mail (as given or hashed), URL or IP; every comment with its verdict, decisions and Akismet check.",
        security: ADMIN,
        middleware: [jsonBody] as const,
        request: { params: SiteParams, body: jsonRequest(personSchema) },
        responses: { 200: json(z.object({ export: PersonExportSchema }), "The person's data on this site"), ...errors(...BODY_ERRORS, "NOT_FOUND") },
      }),
      async (c) => {
        const site = await findSiteOr404(deps, c.req.valid("param").id);
        const body = c.req.valid("json");
        return c.json({ export: await orNotFound(exportPerson(deps.db, site.id, personMatch(body))) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/{id}/people/erase",
        tags,
        summary: "Erase a person's comments and unlearn them",
        description: "Recorded in the site's erasures (which fields matched, never their values).",
        security: ADMIN,
        middleware: [jsonBody] as const,
        request: { params: SiteParams, body: jsonRequest(personSchema) },
        responses: { 200: json(z.object({ erasure: ErasureResultSchema }), "What was removed"), ...errors(...BODY_ERRORS, "NOT_FOUND") },
      }),
      async (c) => {
        const site = await findSiteOr404(deps, c.req.valid("param").id);
        const body = c.req.valid("json");
        return c.json({ erasure: await orNotFound(erasePerson(deps.db, site.id, personMatch(body), "admin")) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}/erasures",
        tags,
        summary: "List a site's erasures, newest first",
        security: ADMIN,
        request: { params: SiteParams },
        responses: { 200: json(z.object({ erasures: z.array(ErasureSchema) }), "The site's erasures"), ...errors("NOT_FOUND") },
      }),
      async (c) => {
        const site = await findSiteOr404(deps, c.req.valid("param").id);
        const rows = await listErasures(deps.db, site.id);
        return c.json(
          {
            erasures: rows.map((r) => ({
              id: r.id,
              kind: r.kind,
              matchedOn: r.matchedOn as ("email" | "url" | "ip")[],
              actor: r.actor,
              comments: r.comments,
              decisions: r.decisions,
              createdAt: r.createdAt.toISOString(),
            })),
          },
          200,
        );
      },
    )
    .openapi(
      createRoute({
        method: "delete",
        path: "/{id}",
        tags,
        summary: "Delete a site and everything it taught the model",
        description:
          "Needs the site's exact name, as `?confirm=` or the body `{\"confirm\": name}`. Revokes both keys, then removes and unlearns the comments in batches; a site too large for REQUEST_DEADLINE_MS gets a 503 while the deletion goes on (the CLI's `sites delete` has no deadline).",
        security: ADMIN,
        middleware: [optionalJsonBody] as const,
        request: {
          params: SiteParams,
          query: z.object({ confirm: z.string().optional().openapi({ description: "The site's exact name" }) }),
          body: { required: false, content: { "application/json": { schema: confirmSchema } } },
        },
        responses: {
          200: json(z.object({ deleted: z.object({ id: z.uuid(), comments: z.number().int(), decisions: z.number().int() }) }), "What was removed"),
          ...errors(...BODY_ERRORS, "NOT_FOUND"),
        },
      }),
      async (c) => {
        const site = await findSiteOr404(deps, c.req.valid("param").id);
        const confirm = c.req.header("content-type") !== undefined ? c.req.valid("json").confirm : c.req.valid("query").confirm;
        if (confirm === undefined || confirm === "") {
          throw new ApiError("BAD_REQUEST", "Deleting a site needs its name: DELETE /v1/sites/:id?confirm=<site name>", [
            { path: "confirm", message: "is required" },
          ]);
        }
        try {
          const removed = await orNotFound(deleteSite(deps.db, site.id, confirm));
          deps.keys.clear();
          return c.json({ deleted: { id: site.id, ...removed } }, 200);
        } catch (err) {
          if (err instanceof ConfirmMismatchError) {
            throw new ApiError("BAD_REQUEST", "confirm does not match the site's name; nothing was deleted", [{ path: "confirm", message: "must be the site's exact name" }]);
          }
          throw err;
        }
      },
    );
}
