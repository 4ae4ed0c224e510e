import type { CommentRow, DecisionRow, SiteRow } from "../db/schema.js";
import { explainCampaign } from "../comments/campaigns.js";
import { scoreOptionsFor } from "../comments/scoring.js";
import { akismetSettingsOf } from "../akismet/settings.js";
import { cutoffSettingsOf, signalSettingsOf } from "../comments/site-rules.js";
import { privacySettingsOf, retentionSettingsOf } from "../comments/privacy-settings.js";

/** The public JSON shape of a comment for the site's servers and moderators. */
export function commentView(row: CommentRow, decisions?: DecisionRow[]) {
  return {
    id: row.id,
    thread: row.thread,
    parentId: row.parentId,
    externalId: row.externalId,
    content: row.content,
    author: { name: row.authorName, email: row.authorEmail, url: row.authorUrl },
    ip: row.ip,
    userAgent: row.userAgent,
    referrer: row.referrer,
    source: row.source,
    status: row.status,
    verdict: row.verdict,
    score: row.score,
    reasons: row.reasons ?? [],
    /** Why a verdict is `unsure` regardless of the score: too few labeled examples learned yet. */
    insufficientTraining: row.insufficientTraining ?? null,
    modelVersion: row.modelVersion,
    /** The same text stored on this site in the last days (issue 13), as the scorer saw it. */
    seenBefore: row.signals?.seenBefore === true,
    /** The campaign it belonged to when scored: counts only (issue 12). */
    campaign: row.signals?.campaign
      ? {
          id: row.signals.campaign.id,
          size: row.signals.campaign.size,
          sites: row.signals.campaign.sites,
          otherSites: row.signals.campaign.otherSites,
          explanation: explainCampaign(row.signals.campaign),
        }
      : null,
    createdAt: row.createdAt.toISOString(),
    scoredAt: row.scoredAt?.toISOString() ?? null,
    decidedAt: row.decidedAt?.toISOString() ?? null,
    ...(decisions ? { decisions: decisions.map(decisionView) } : {}),
  };
}

/** What a site shows publicly in a thread: no email, IP or scoring internals. */
export function publishedView(row: CommentRow) {
  return {
    id: row.id,
    thread: row.thread,
    parentId: row.parentId,
    externalId: row.externalId,
    content: row.content,
    author: { name: row.authorName, url: row.authorUrl },
    createdAt: row.createdAt.toISOString(),
  };
}

export function decisionView(d: DecisionRow) {
  return { id: d.id, label: d.label, note: d.note, actor: d.actor, createdAt: d.createdAt.toISOString() };
}

/** A site with its effective settings (its own value, else the classifier's default). */
export function siteView(site: SiteRow) {
  const options = scoreOptionsFor(site);
  return {
    id: site.id,
    name: site.name,
    url: site.url,
    keys: { api: site.apiKeyHash ? ("active" as const) : ("revoked" as const), moderator: site.moderatorKeyHash ? ("active" as const) : ("revoked" as const) },
    settings: { ...site.settings, hamCutoff: options.hamCutoff, spamCutoff: options.spamCutoff, minPerLabel: options.minPerLabel },
    createdAt: site.createdAt.toISOString(),
    updatedAt: site.updatedAt.toISOString(),
  };
}

/**
 * A site as admins see it (the admin routes and the CLI's `sites show --json`): every setting
 * effective, the Akismet, signal-rule and cutoff ones too (defaults filled in, as scoring applies
 * them), whether or not any was ever set.
 */
export function adminSiteView(site: SiteRow) {
  const view = siteView(site);
  return {
    ...view,
    settings: {
      ...view.settings,
      akismet: akismetSettingsOf(site.settings),
      signals: signalSettingsOf(site),
      cutoffs: cutoffSettingsOf(site),
      privacy: privacySettingsOf(site),
      retention: retentionSettingsOf(site),
    },
  };
}
