import { createRoute, z } from "@hono/zod-openapi";
import { scoreOptionsFor } from "../../comments/scoring.js";
import { cutoffSettingsOf, cutoffSettingsSchema, proposeSiteCutoffs, signalSettingsOf, signalSettingsSchema, updateCutoffSettings } from "../../comments/site-rules.js";
import { updateSite } from "../../db/queries/sites.js";
import type { Deps } from "../../deps.js";
import { requireAdmin } from "../auth.js";
import { ApiError } from "../errors.js";
import { ADMIN, BODY_ERRORS, createApi, errors, idParam, json, jsonBody, jsonRequest } from "../openapi.js";
import { CutoffSettingsSchema, SignalSettingsSchema } from "../schemas.js";
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

const SiteParams = z.object({ id: idParam("id", "The site's id") });
const SignalsAnswer = z.object({ signals: SignalSettingsSchema });
const Current = z.object({ hamCutoff: z.number(), spamCutoff: z.number() });
const Proposal = z
  .union([
    z.object({
      ok: z.literal(true),
      hamCutoff: z.number(),
      spamCutoff: z.number(),
      blockedHam: z.number(),
      passedSpam: z.number(),
      held: z.number(),
      spam: z.number(),
      ham: z.number(),
    }),
    z.object({ ok: z.literal(false), reason: z.literal("insufficient"), spam: z.number().int(), ham: z.number().int(), required: z.number().int() }),
  ])
  .openapi("CutoffProposal");
const tags = ["Sites (admin)"];

/**
 * Admin routes (ADMIN_TOKEN) for a site's hard signal rules and calibrated cutoffs:
 * `GET|PATCH /v1/sites/:id/signals` `{honeypot?, tooFast?, minSubmitMs?}`;
 * `GET /v1/sites/:id/cutoffs` (the proposal from the site's recent decisions, beside the cutoffs in
 * force) and `PATCH /v1/sites/:id/cutoffs` `{targetBlockedHam?, maxPassedSpam?, window?, autoApply?}`.
 */
export function siteRuleRoutes(deps: Deps) {
  const app = createApi();
  app.use("*", requireAdmin(deps.config.ADMIN_TOKEN));

  return app
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}/signals",
        tags,
        summary: "The site's hard signal rules (honeypot, too fast)",
        security: ADMIN,
        request: { params: SiteParams },
        responses: { 200: json(SignalsAnswer, "The rules in force"), ...errors("NOT_FOUND") },
      }),
      async (c) => {
        const site = await findSiteOr404(deps, c.req.valid("param").id);
        return c.json({ signals: signalSettingsOf(site) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "patch",
        path: "/{id}/signals",
        tags,
        summary: "Change the site's hard signal rules",
        security: ADMIN,
        middleware: [jsonBody] as const,
        request: { params: SiteParams, body: jsonRequest(signalsPatchSchema) },
        responses: { 200: json(SignalsAnswer, "The rules now in force"), ...errors(...BODY_ERRORS, "NOT_FOUND") },
      }),
      async (c) => {
        const site = await findSiteOr404(deps, c.req.valid("param").id);
        const patch = c.req.valid("json");
        const next = signalSettingsSchema.parse({ ...signalSettingsOf(site), ...patch });
        const updated = await updateSite(deps.db, site.id, { settings: { ...site.settings, signals: next } });
        if (!updated) throw new ApiError("NOT_FOUND", "No such site");
        // The cached site carries the settings: this process applies the change at once.
        deps.keys.clear();
        return c.json({ signals: signalSettingsOf(updated) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}/cutoffs",
        tags,
        summary: "The cutoffs in force, and those the site's recent decisions propose",
        security: ADMIN,
        request: { params: SiteParams },
        responses: {
          200: json(z.object({ settings: CutoffSettingsSchema, current: Current, proposed: Proposal }), "Settings, cutoffs and proposal"),
          ...errors("NOT_FOUND"),
        },
      }),
      async (c) => {
        const site = await findSiteOr404(deps, c.req.valid("param").id);
        const options = scoreOptionsFor(site);
        const proposal = await proposeSiteCutoffs(deps.db, site);
        return c.json({ settings: cutoffSettingsOf(site), current: { hamCutoff: options.hamCutoff, spamCutoff: options.spamCutoff }, proposed: proposal }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "patch",
        path: "/{id}/cutoffs",
        tags,
        summary: "Change the cutoff targets; `autoApply` makes the cutoffs follow the proposal",
        security: ADMIN,
        middleware: [jsonBody] as const,
        request: { params: SiteParams, body: jsonRequest(cutoffsPatchSchema) },
        responses: {
          200: json(z.object({ settings: CutoffSettingsSchema, current: Current }), "Settings and cutoffs now in force"),
          ...errors(...BODY_ERRORS, "NOT_FOUND"),
        },
      }),
      async (c) => {
        const site = await findSiteOr404(deps, c.req.valid("param").id);
        const patch = c.req.valid("json");
        const next = cutoffSettingsSchema.parse({ ...cutoffSettingsOf(site), ...patch });
        // Switching autoApply on applies the current proposal now rather than at the next decision.
        const updated = await updateCutoffSettings(deps.db, site, next);
        if (!updated) throw new ApiError("NOT_FOUND", "No such site");
        deps.keys.clear();
        const options = scoreOptionsFor(updated);
        return c.json({ settings: cutoffSettingsOf(updated), current: { hamCutoff: options.hamCutoff, spamCutoff: options.spamCutoff } }, 200);
      },
    );
}
