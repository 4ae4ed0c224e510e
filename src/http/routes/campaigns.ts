import { Hono } from "hono";
import { z } from "zod";
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
import type { AppEnv } from "../types.js";
import { idSchema, parseWith, readJson, text } from "../validate.js";
import { findSiteOr404 } from "./sites.js";

const decisionSchema = z.strictObject({ label: z.enum(["spam", "ham"]), note: text(2000).nullish() });
const undoSchema = z.strictObject({ actionId: z.uuid() });
const listSchema = z.object({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, "an integer from 1 to 100")
    .transform(Number)
    .pipe(z.number().int().min(1, "an integer from 1 to 100").max(100, "an integer from 1 to 100"))
    .optional(),
  before: z.iso.datetime({ offset: true }).optional(),
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

/** Moderator routes: the site's campaigns, their members on this site, and deciding them as one. */
export function campaignRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  app.use("*", requireKey(deps, ["moderator"]));

  const campaignOr404 = async (site: AppEnv["Variables"]["auth"]["site"], raw: string) => {
    const facts = idSchema.safeParse(raw).success ? await siteCampaign(deps.db, site, raw) : undefined;
    if (!facts) throw new ApiError("NOT_FOUND", "No such campaign");
    return facts;
  };

  app.get("/", async (c) => {
    const q = parseWith(listSchema, c.req.query(), "Invalid query parameters");
    const limit = q.limit ?? 50;
    const list = await listSiteCampaigns(deps.db, c.var.auth.site, { limit, ...(q.before ? { beforeSeen: new Date(q.before) } : {}) });
    const last = list[list.length - 1];
    return c.json({ campaigns: list.map(campaignView), nextBefore: list.length === limit && last ? last.lastSeen : null });
  });

  app.get("/:id", async (c) => {
    const site = c.var.auth.site;
    const facts = await campaignOr404(site, c.req.param("id"));
    const members = await siteMembers(deps.db, site.id, facts.id, 200);
    return c.json({ campaign: campaignView(facts), members: members.map((m) => commentView(m)) });
  });

  app.post("/:id/decision", async (c) => {
    const site = c.var.auth.site;
    const facts = await campaignOr404(site, c.req.param("id"));
    const body = await readJson(c, decisionSchema);
    const result = await decideCampaign(deps.db, { siteId: site.id, campaignId: facts.id, label: body.label, note: body.note ?? null, actor: "moderator" });
    if (!result) throw new ApiError("NOT_FOUND", "No such campaign");
    const after = (await siteCampaign(deps.db, site, facts.id)) ?? facts;
    return c.json({
      campaign: campaignView(after),
      action: { id: result.action.id, label: result.action.label, decided: result.decided, limit: MAX_ACTION_MEMBERS, createdAt: result.action.createdAt.toISOString() },
    });
  });

  app.post("/:id/decision/undo", async (c) => {
    const site = c.var.auth.site;
    const facts = await campaignOr404(site, c.req.param("id"));
    const body = await readJson(c, undoSchema);
    const out = await undoCampaignAction(deps.db, { siteId: site.id, campaignId: facts.id, actionId: body.actionId });
    if (out.outcome === "missing") throw new ApiError("NOT_FOUND", "No such action on this campaign");
    if (out.outcome === "already-undone") throw new ApiError("CONFLICT", "This action was already undone");
    if (out.outcome === "expired") throw new ApiError("CONFLICT", "This action is too old to undo (10 minutes)");
    const after = (await siteCampaign(deps.db, site, facts.id)) ?? facts;
    return c.json({ campaign: campaignView(after), undo: { reverted: out.reverted, skipped: out.skipped } });
  });

  return app;
}

/** Admin routes for a site's campaign settings (ADMIN_TOKEN), beside /v1/sites. */
export function campaignSettingsRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  app.use("/:id/campaigns", requireAdmin(deps.config.ADMIN_TOKEN));

  app.get("/:id/campaigns", async (c) => {
    const site = await findSiteOr404(deps, c.req.param("id"));
    return c.json({ campaigns: campaignSettingsOf(site.settings) });
  });

  app.patch("/:id/campaigns", async (c) => {
    const site = await findSiteOr404(deps, c.req.param("id"));
    const patch = await readJson(c, campaignSettingsSchema.partial());
    const next = campaignSettingsSchema.parse({ ...campaignSettingsOf(site.settings), ...patch });
    const updated = await updateSite(deps.db, site.id, { settings: { ...site.settings, campaigns: next } });
    deps.keys.clear();
    if (!updated) throw new ApiError("NOT_FOUND", "No such site");
    return c.json({ campaigns: campaignSettingsOf(updated.settings) });
  });

  return app;
}
