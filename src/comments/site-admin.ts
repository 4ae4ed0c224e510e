/**
 * What an admin does to a site, for both entry points that do it: the admin routes
 * (`/v1/sites`, ADMIN_TOKEN) and the operator CLI (`commentinel sites|keys|settings`).
 */
import { z } from "zod";
import { akismetSettingsOf, akismetSettingsSchema } from "../akismet/settings.js";
import type { Executor } from "../db/client.js";
import { findSiteById, insertSite, listSites, updateSite } from "../db/queries/sites.js";
import type { SiteRow } from "../db/schema.js";
import { corsSettingsOf, corsSettingsSchema } from "../http/cors.js";
import { rateLimitSettingsOf, rateLimitSettingsSchema } from "../rate-limit/settings.js";
import { campaignSettingsOf, campaignSettingsSchema } from "./campaign-settings.js";
import { publishingSettingsOf, publishingSettingsSchema } from "./publishing.js";
import { generateApiKey, generateModeratorKey, hashKey } from "./keys.js";
import { privacySettingsOf, privacySettingsSchema, retentionSettingsOf, retentionSettingsSchema } from "./privacy-settings.js";
import { scoreOptionsFor } from "./scoring.js";
import { cutoffSettingsOf, cutoffSettingsSchema, signalSettingsOf, signalSettingsSchema, updateCutoffSettings } from "./site-rules.js";

/** A settings change that breaks a rule: the route answers 400 with these details, the CLI exits 2. */
export class InvalidSettingsError extends Error {
  constructor(
    message: string,
    readonly details: { path: string; message: string }[],
  ) {
    super(message);
  }
}

export type KeyKind = "api" | "moderator";
export const KEY_KINDS = ["api", "moderator"] as const satisfies readonly KeyKind[];

/** Creates a site with fresh keys. The keys are returned once: only their hashes are stored. */
export async function createSite(db: Executor, params: { name: string; url: string }): Promise<{ site: SiteRow; apiKey: string; moderatorKey: string }> {
  const apiKey = generateApiKey();
  const moderatorKey = generateModeratorKey();
  const site = await insertSite(db, { ...params, apiKeyHash: hashKey(apiKey), moderatorKeyHash: hashKey(moderatorKey) });
  return { site, apiKey, moderatorKey };
}

export { findSiteById as findSite, listSites };

const probability = z.number().gt(0).lt(1);
/** The scoring settings kept in the site's own columns (null: the classifier's default). */
export const scoringSettingsSchema = z.strictObject({
  hamCutoff: probability.nullable().optional(),
  spamCutoff: probability.nullable().optional(),
  minPerLabel: z.int().min(0).max(1_000_000).nullable().optional(),
});
export type ScoringSettingsPatch = z.infer<typeof scoringSettingsSchema>;

/** Renames a site or changes its scoring settings. Throws InvalidSettingsError when hamCutoff > spamCutoff. */
export async function updateSiteFields(
  db: Executor,
  site: SiteRow,
  patch: { name?: string; url?: string; settings?: ScoringSettingsPatch },
): Promise<SiteRow | undefined> {
  const s = patch.settings ?? {};
  const ham = s.hamCutoff === undefined ? site.hamCutoff : s.hamCutoff;
  const spam = s.spamCutoff === undefined ? site.spamCutoff : s.spamCutoff;
  if (ham != null && spam != null && ham > spam) {
    throw new InvalidSettingsError("hamCutoff must not exceed spamCutoff", [{ path: "settings", message: "hamCutoff > spamCutoff" }]);
  }
  return updateSite(db, site.id, {
    ...(patch.name === undefined ? {} : { name: patch.name }),
    ...(patch.url === undefined ? {} : { url: patch.url }),
    ...(s.hamCutoff === undefined ? {} : { hamCutoff: s.hamCutoff }),
    ...(s.spamCutoff === undefined ? {} : { spamCutoff: s.spamCutoff }),
    ...(s.minPerLabel === undefined ? {} : { minPerLabel: s.minPerLabel }),
  });
}

/** Replaces one of the site's keys; the new key is returned once. Undefined when the site is gone. */
export async function rotateSiteKey(db: Executor, siteId: string, kind: KeyKind): Promise<{ site: SiteRow; key: string } | undefined> {
  const key = kind === "api" ? generateApiKey() : generateModeratorKey();
  const site = await updateSite(db, siteId, kind === "api" ? { apiKeyHash: hashKey(key) } : { moderatorKeyHash: hashKey(key) });
  return site && { site, key };
}

/** Revokes one of the site's keys until the next rotate. */
export function revokeSiteKey(db: Executor, siteId: string, kind: KeyKind): Promise<SiteRow | undefined> {
  return updateSite(db, siteId, kind === "api" ? { apiKeyHash: null } : { moderatorKeyHash: null });
}

/**
 * The settings stored under a key of the site's `settings` column, each with its schema (defaults
 * filled in) and how it is changed. A new group adds a line here and `settings get|set` know it.
 */
interface SettingsGroup {
  schema: z.ZodType<Record<string, unknown>>;
  of(site: SiteRow): Record<string, unknown>;
  /** Stores `next` (already valid); returns the site as it now is. */
  update(db: Executor, site: SiteRow, next: Record<string, unknown>): Promise<SiteRow | undefined>;
}

const stored = (key: string) => (db: Executor, site: SiteRow, next: Record<string, unknown>) => updateSite(db, site.id, { settings: { ...site.settings, [key]: next } });

export const SETTINGS_GROUPS: Record<string, SettingsGroup> = {
  akismet: { schema: akismetSettingsSchema, of: (s) => akismetSettingsOf(s.settings), update: stored("akismet") },
  signals: { schema: signalSettingsSchema, of: signalSettingsOf, update: stored("signals") },
  cutoffs: { schema: cutoffSettingsSchema, of: cutoffSettingsOf, update: (db, site, next) => updateCutoffSettings(db, site, cutoffSettingsSchema.parse(next)) },
  campaigns: { schema: campaignSettingsSchema, of: (s) => campaignSettingsOf(s.settings), update: stored("campaigns") },
  publishing: { schema: publishingSettingsSchema, of: publishingSettingsOf, update: stored("publishing") },
  cors: { schema: corsSettingsSchema, of: corsSettingsOf, update: stored("cors") },
  rateLimit: { schema: rateLimitSettingsSchema, of: rateLimitSettingsOf, update: stored("rateLimit") },
  privacy: { schema: privacySettingsSchema, of: privacySettingsOf, update: stored("privacy") },
  retention: { schema: retentionSettingsSchema, of: retentionSettingsOf, update: stored("retention") },
};

/** Every setting of the site as scoring applies it, keyed `hamCutoff`, `akismet.unsureAnswer`, …. */
export function effectiveSettings(site: SiteRow): Record<string, unknown> {
  const options = scoreOptionsFor(site);
  const out: Record<string, unknown> = { hamCutoff: options.hamCutoff, spamCutoff: options.spamCutoff, minPerLabel: options.minPerLabel };
  for (const [group, g] of Object.entries(SETTINGS_GROUPS)) {
    for (const [k, v] of Object.entries(g.of(site))) out[`${group}.${k}`] = v;
  }
  return out;
}

/** The keys `setSettings` accepts. */
export function settingKeys(site: SiteRow): string[] {
  return Object.keys(effectiveSettings(site));
}

/**
 * Changes several settings at once, as the admin routes would one group at a time. Every value is
 * validated before anything is stored; `null` on a scoring column returns it to the default.
 */
export async function setSettings(db: Executor, site: SiteRow, values: Record<string, unknown>): Promise<SiteRow> {
  const scoring: Record<string, unknown> = {};
  const groups = new Map<string, Record<string, unknown>>();
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    const dot = key.indexOf(".");
    if (dot < 0) {
      if (key in scoringSettingsSchema.shape) scoring[key] = value;
      else unknown.push(key);
      continue;
    }
    const group = key.slice(0, dot);
    if (!(group in SETTINGS_GROUPS)) {
      unknown.push(key);
      continue;
    }
    groups.set(group, { ...groups.get(group), [key.slice(dot + 1)]: value });
  }
  if (unknown.length > 0) {
    throw new InvalidSettingsError(`unknown setting ${unknown.join(", ")} (known: ${settingKeys(site).join(", ")})`, unknown.map((k) => ({ path: k, message: "unknown setting" })));
  }
  const problems = (prefix: string, error: z.ZodError) => error.issues.map((i) => ({ path: [prefix, ...i.path.map(String)].filter(Boolean).join("."), message: i.message }));
  const parsedScoring = scoringSettingsSchema.safeParse(scoring);
  if (!parsedScoring.success) throw invalid(problems("", parsedScoring.error));
  const nexts: [SettingsGroup, Record<string, unknown>][] = [];
  for (const [name, patch] of groups) {
    const group = SETTINGS_GROUPS[name];
    if (!group) continue;
    const parsed = group.schema.safeParse({ ...group.of(site), ...patch });
    if (!parsed.success) throw invalid(problems(name, parsed.error));
    nexts.push([group, parsed.data]);
  }
  let current = site;
  if (Object.keys(parsedScoring.data).length > 0) current = (await updateSiteFields(db, current, { settings: parsedScoring.data })) ?? gone();
  for (const [group, next] of nexts) current = (await group.update(db, current, next)) ?? gone();
  return current;
}

function invalid(details: { path: string; message: string }[]): InvalidSettingsError {
  return new InvalidSettingsError(details.map((d) => `${d.path}: ${d.message}`).join("; "), details);
}

function gone(): never {
  throw new InvalidSettingsError("the site was deleted meanwhile", [{ path: "site", message: "deleted" }]);
}
