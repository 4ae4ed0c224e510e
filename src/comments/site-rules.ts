/**
 * Per-site settings of the hard signal rules and of the calibrated cutoffs (issue 13), stored under
 * `settings.signals` and `settings.cutoffs` in the site's free-form settings column, and the service
 * steps that use them. Changed through `PATCH /v1/sites/:id/signals` and `/cutoffs` (admin).
 */
import { z } from "zod";
import { DEFAULT_CUTOFF_TARGETS, DEFAULT_HARD_RULES, proposeCutoffs, type CutoffProposal, type HardRules } from "../classifier/index.js";
import type { Executor } from "../db/client.js";
import { recentDecidedScores } from "../db/queries/cutoffs.js";
import { findSiteById, updateSite } from "../db/queries/sites.js";
import type { SiteRow } from "../db/schema.js";

export const signalSettingsSchema = z.strictObject({
  /** A filled honeypot field makes the verdict `spam` (reason `honeypot`). */
  honeypot: z.boolean().default(DEFAULT_HARD_RULES.honeypot),
  /** A time-to-submit under `minSubmitMs` makes it at least `unsure` (reason `too-fast`). */
  tooFast: z.boolean().default(true),
  minSubmitMs: z
    .int()
    .min(0)
    .max(600_000)
    .default(DEFAULT_HARD_RULES.minSubmitMs ?? 2000),
});
export type SignalSettings = z.infer<typeof signalSettingsSchema>;

export const cutoffSettingsSchema = z.strictObject({
  /** The blocked-ham rate the proposed cutoffs aim for (0.3 % by default). */
  targetBlockedHam: z.number().gt(0).lt(1).default(DEFAULT_CUTOFF_TARGETS.maxBlockedHam),
  /** The share of decided spam the proposed ham cutoff may publish. */
  maxPassedSpam: z.number().gt(0).lt(1).default(DEFAULT_CUTOFF_TARGETS.maxPassedSpam),
  /** How many of the most recently decided comments the proposal reads. */
  window: z.int().min(50).max(10_000).default(1000),
  /** When true, every decision re-computes the proposal and the site's cutoffs follow it. */
  autoApply: z.boolean().default(false),
});
export type CutoffSettings = z.infer<typeof cutoffSettingsSchema>;

function parsedOr<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value ?? {});
  return parsed.success ? parsed.data : schema.parse({});
}

/** The site's signal settings, or the defaults where none (or a malformed value) is stored. */
export function signalSettingsOf(site: Pick<SiteRow, "settings">): SignalSettings {
  return parsedOr(signalSettingsSchema, site.settings.signals);
}

export function cutoffSettingsOf(site: Pick<SiteRow, "settings">): CutoffSettings {
  return parsedOr(cutoffSettingsSchema, site.settings.cutoffs);
}

/** The hard rules scoring applies for this site. */
export function hardRulesFor(site: Pick<SiteRow, "settings">): HardRules {
  const s = signalSettingsOf(site);
  return { honeypot: s.honeypot, minSubmitMs: s.tooFast ? s.minSubmitMs : null };
}

/** Cutoffs meeting the site's target on its own recent decided comments (see `proposeCutoffs`). */
export async function proposeSiteCutoffs(db: Executor, site: SiteRow): Promise<CutoffProposal> {
  const settings = cutoffSettingsOf(site);
  const decided = await recentDecidedScores(db, site.id, settings.window);
  return proposeCutoffs(decided, { ...DEFAULT_CUTOFF_TARGETS, maxBlockedHam: settings.targetBlockedHam, maxPassedSpam: settings.maxPassedSpam });
}

/**
 * After a decision: a site with `autoApply` gets the proposed cutoffs as its own (when there is a
 * proposal). Other API processes see them once their key cache expires (a few seconds).
 */
export async function followProposedCutoffs(db: Executor, siteId: string): Promise<void> {
  const site = await findSiteById(db, siteId);
  if (!site || !cutoffSettingsOf(site).autoApply) return;
  const proposal = await proposeSiteCutoffs(db, site);
  if (!proposal.ok) return;
  if (site.hamCutoff === proposal.hamCutoff && site.spamCutoff === proposal.spamCutoff) return;
  await updateSite(db, site.id, { hamCutoff: proposal.hamCutoff, spamCutoff: proposal.spamCutoff });
}

/**
 * Stores the site's cutoff settings. Switching `autoApply` on applies the current proposal now
 * rather than at the next decision.
 */
export async function updateCutoffSettings(db: Executor, site: SiteRow, next: CutoffSettings): Promise<SiteRow | undefined> {
  const updated = await updateSite(db, site.id, { settings: { ...site.settings, cutoffs: next } });
  if (!updated || !next.autoApply) return updated;
  const proposal = await proposeSiteCutoffs(db, updated);
  if (!proposal.ok) return updated;
  return (await updateSite(db, site.id, { hamCutoff: proposal.hamCutoff, spamCutoff: proposal.spamCutoff })) ?? updated;
}
