import { createRoute, z } from "@hono/zod-openapi";
import { campaignSettingsOf, campaignSettingsSchema } from "../../comments/campaign-settings.js";
import {
  MAX_ACTION_MEMBERS,
  decideCampaign,
  explainCampaign,
  listSiteCampaigns,
  siteCampaign,
  siteMembers,
  undoCampaignAction,
} from "../../comments/campaigns.js";
import { commentView } from "../views.js";
import { updateSite } from "../../db/queries/sites.js";
import type { CampaignFacts } from "../../db/schema.js";
import type { Deps } from "../../deps.js";
import { requireAdmin, requireKey } from "../auth.js";
import { ApiError } from "../errors.js";
import { ADMIN, BODY_ERRORS, createApi, errors, idParam, json, jsonBody, jsonRequest, MODERATOR_KEY } from "../openapi.js";
import { CommentSchema } from "../schemas.js";
import type { AppEnv } from "../types.js";
import { idSchema, text } from "../validate.js";
import { findSiteOr404 } from "./sites.js";

const decisionSchema = z.strictObject({ label: z.enum(["spam", "ham"]), note: text(2000).nullish() });
const undoSchema = z.strictObject({ actionId: z.uuid() });
const listSchema = z.object({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, "an integer from 1 to 100")
    .transform(Number)
    .pipe(z.number().int().min(1, "an integer from 1 to 100").max(100, "an integer from 1 to 100"))
    .optional()
    .openapi({ param: { name: "limit", in: "query" }, description: "1 to 100, default 50" }),
  before: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ param: { name: "before", in: "query" }, description: "`nextBefore` of the previous page" }),
});

/**
 * A campaign as a site sees it: counts, never another site's text or ids. `otherSites` is how many
 * other sites carry it, which is all a site learns about them.
 */
export function campaignView(facts: CampaignFacts) {
  return {
    id: facts.id,
    size: facts.size,
    sites: facts.sites,
    otherSites: facts.otherSites,
    threads: facts.threads,
    firstSeen: facts.firstSeen,
    lastSeen: facts.lastSeen,
    decided: { spam: facts.decidedSpam, ham: facts.decidedHam },
    explanation: explainCampaign(facts),
  };
}

const CampaignSchema = z
  .object({
    id: z.string(),
    size: z.number().int(),
    sites: z.number().int(),
    otherSites: z.number().int(),
    threads: z.number().int(),
    firstSeen: z.string(),
    lastSeen: z.string(),
    decided: z.object({ spam: z.number().int(), ham: z.number().int() }),
    explanation: z.string(),
  })
  .openapi("Campaign");
const CampaignParams = z.object({ id: idParam("id", "The campaign's id") });
const SiteParams = z.object({ id: idParam("id", "The site's id") });
const tags = ["Campaigns"];

/** Moderator routes: the site's campaigns, their members on this site, and deciding them as one. */
export function campaignRoutes(deps: Deps) {
  const app = createApi();
  app.use("*", requireKey(deps, ["moderator"]));

  const campaignOr404 = async (site: AppEnv["Variables"]["auth"]["site"], raw: string) => {
    const facts = idSchema.safeParse(raw).success ? await siteCampaign(deps.db, site, raw) : undefined;
    if (!facts) throw new ApiError("NOT_FOUND", "No such campaign");
    return facts;
  };

  return app
    .openapi(
      createRoute({
        method: "get",
        path: "/",
        tags,
        summary: "The campaigns with members on this site, most recently active first",
        security: MODERATOR_KEY,
        request: { query: listSchema },
        responses: {
          200: json(z.object({ campaigns: z.array(CampaignSchema), nextBefore: z.string().nullable() }), "A page of campaigns"),
          ...errors("BAD_REQUEST", "FORBIDDEN"),
        },
      }),
      async (c) => {
        const q = c.req.valid("query");
        const limit = q.limit ?? 50;
        const list = await listSiteCampaigns(deps.db, c.var.auth.site, { limit, ...(q.before ? { beforeSeen: new Date(q.before) } : {}) });
        const last = list[list.length - 1];
        return c.json({ campaigns: list.map(campaignView), nextBefore: list.length === limit && last ? last.lastSeen : null }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}",
        tags,
        summary: "A campaign's counts and this site's members (never another site's)",
        security: MODERATOR_KEY,
        request: { params: CampaignParams },
        responses: {
          200: json(z.object({ campaign: CampaignSchema, members: z.array(CommentSchema) }), "The campaign"),
          ...errors("FORBIDDEN", "NOT_FOUND"),
        },
      }),
      async (c) => {
        const site = c.var.auth.site;
        const facts = await campaignOr404(site, c.req.valid("param").id);
        const members = await siteMembers(deps.db, site.id, facts.id, 200);
        return c.json({ campaign: campaignView(facts), members: members.map((m) => commentView(m)) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/{id}/decision",
        tags,
        summary: "Decide every member on this site (up to 500 per action)",
        security: MODERATOR_KEY,
        middleware: [jsonBody] as const,
        request: { params: CampaignParams, body: jsonRequest(decisionSchema) },
        responses: {
          200: json(
            z.object({
              campaign: CampaignSchema,
              action: z.object({ id: z.string(), label: z.enum(["spam", "ham"]), decided: z.number().int(), limit: z.number().int(), createdAt: z.string() }),
            }),
            "The campaign after, and the action's id (for undo)",
          ),
          ...errors(...BODY_ERRORS, "FORBIDDEN", "NOT_FOUND"),
        },
      }),
      async (c) => {
        const site = c.var.auth.site;
        const facts = await campaignOr404(site, c.req.valid("param").id);
        const body = c.req.valid("json");
        const result = await decideCampaign(deps.db, { siteId: site.id, campaignId: facts.id, label: body.label, note: body.note ?? null, actor: "moderator" });
        if (!result) throw new ApiError("NOT_FOUND", "No such campaign");
        const after = (await siteCampaign(deps.db, site, facts.id)) ?? facts;
        return c.json(
          {
            campaign: campaignView(after),
            action: { id: result.action.id, label: result.action.label, decided: result.decided, limit: MAX_ACTION_MEMBERS, createdAt: result.action.createdAt.toISOString() },
          },
          200,
        );
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/{id}/decision/undo",
        tags,
        summary: "Undo a campaign action, member by member",
        security: MODERATOR_KEY,
        middleware: [jsonBody] as const,
        request: { params: CampaignParams, body: jsonRequest(undoSchema) },
        responses: {
          200: json(z.object({ campaign: CampaignSchema, undo: z.object({ reverted: z.number().int(), skipped: z.number().int() }) }), "The campaign after"),
          ...errors(...BODY_ERRORS, "FORBIDDEN", "NOT_FOUND", "CONFLICT"),
        },
      }),
      async (c) => {
        const site = c.var.auth.site;
        const facts = await campaignOr404(site, c.req.valid("param").id);
        const body = c.req.valid("json");
        const out = await undoCampaignAction(deps.db, { siteId: site.id, campaignId: facts.id, actionId: body.actionId });
        if (out.outcome === "missing") throw new ApiError("NOT_FOUND", "No such action on this campaign");
        if (out.outcome === "already-undone") throw new ApiError("CONFLICT", "This action was already undone");
        if (out.outcome === "expired") throw new ApiError("CONFLICT", "This action is too old to undo (10 minutes)");
        const after = (await siteCampaign(deps.db, site, facts.id)) ?? facts;
        return c.json({ campaign: campaignView(after), undo: { reverted: out.reverted, skipped: out.skipped } }, 200);
      },
    );
}

const CampaignSettingsSchema = z.strictObject(campaignSettingsSchema.shape).openapi("CampaignSettings");

/** Admin routes for a site's campaign settings (ADMIN_TOKEN), beside /v1/sites. */
export function campaignSettingsRoutes(deps: Deps) {
  const app = createApi();
  app.use("/:id/campaigns", requireAdmin(deps.config.ADMIN_TOKEN));

  return app
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}/campaigns",
        tags: ["Sites (admin)"],
        summary: "The site's campaign settings",
        security: ADMIN,
        request: { params: SiteParams },
        responses: { 200: json(z.object({ campaigns: CampaignSettingsSchema }), "The settings in force"), ...errors("NOT_FOUND") },
      }),
      async (c) => {
        const site = await findSiteOr404(deps, c.req.valid("param").id);
        return c.json({ campaigns: campaignSettingsOf(site.settings) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "patch",
        path: "/{id}/campaigns",
        tags: ["Sites (admin)"],
        summary: "Change the site's campaign settings",
        security: ADMIN,
        middleware: [jsonBody] as const,
        request: { params: SiteParams, body: jsonRequest(CampaignSettingsSchema.partial()) },
        responses: { 200: json(z.object({ campaigns: CampaignSettingsSchema }), "The settings now in force"), ...errors(...BODY_ERRORS, "NOT_FOUND") },
      }),
      async (c) => {
        const site = await findSiteOr404(deps, c.req.valid("param").id);
        const patch = c.req.valid("json");
        const next = campaignSettingsSchema.parse({ ...campaignSettingsOf(site.settings), ...patch });
        const updated = await updateSite(deps.db, site.id, { settings: { ...site.settings, campaigns: next } });
        deps.keys.clear();
        if (!updated) throw new ApiError("NOT_FOUND", "No such site");
        return c.json({ campaigns: campaignSettingsOf(updated.settings) }, 200);
      },
    );
}
