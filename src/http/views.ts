import type { CommentRow, DecisionRow, SiteRow } from "../db/schema.js";
import { explainCampaign } from "../comments/campaigns.js";
import { scoreOptionsFor, statusForVerdict } from "../comments/scoring.js";
import { akismetSettingsOf } from "../akismet/settings.js";
import { cutoffSettingsOf, signalSettingsOf } from "../comments/site-rules.js";
import { privacySettingsOf, retentionSettingsOf } from "../comments/privacy-settings.js";
import { publishingSettingsOf } from "../comments/publishing.js";
import { rateLimitSettingsOf } from "../rate-limit/settings.js";
import { corsSettingsOf } from "./cors.js";

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
    /** What the site shows: the verdict's status, a moderator's, or an override's (below). */
    status: row.status,
    verdict: row.verdict,
    /** What the verdict alone would have done (`statusForVerdict`): shadow mode's "would have". */
    verdictStatus: row.verdict === null ? null : statusForVerdict[row.verdict],
    /** Published by the site's shadow mode whatever the verdict (issue 11). */
    shadow: row.statusOverride === "shadow",
    /** The author was trusted at intake: published without waiting, scored after. */
    trusted: row.statusOverride === "trusted",
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

/**
 * What a browser post (publishable key) gets back: no scores, and spam answered as `held`, so a
 * page can say "awaiting moderation" without telling a spammer that the filter saw it.
 */
export function browserView(row: CommentRow) {
  return {
    id: row.id,
    thread: row.thread,
    status: row.status === "spam" ? "held" : row.status,
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
    keys: {
      api: site.apiKeyHash ? ("active" as const) : ("revoked" as const),
      moderator: site.moderatorKeyHash ? ("active" as const) : ("revoked" as const),
      // "none" until the first rotate: browser posts are opt-in (issue 11).
      publishable: site.publishableKeyHash ? ("active" as const) : ("none" as const),
    },
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
      publishing: publishingSettingsOf(site),
      cors: corsSettingsOf(site),
      rateLimit: rateLimitSettingsOf(site),
      privacy: privacySettingsOf(site),
      retention: retentionSettingsOf(site),
    },
  };
}
