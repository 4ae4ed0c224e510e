/**
 * When a comment belongs to a campaign (issue 12), as pure rules over fingerprints, and the model
 * tokens a campaign gives. The service (comments/campaigns.ts, candidates from Postgres) and the eval
 * (an in-memory index) both decide with `matchCandidates`, so they cluster the same way.
 */
import type { CampaignSignal } from "./contract.js";
import { estimateJaccard, type Fingerprint } from "./fingerprint.js";

/** Every campaign token starts with this (the scorer adds their evidence apart from the text's: see `score`). */
export const CAMPAIGN_PREFIX = "campaign:";
/** The tokens of how a campaign's members were decided (`campaign:decided-spam|ham`). */
export const CAMPAIGN_DECIDED_PREFIX = `${CAMPAIGN_PREFIX}decided-`;

/** Estimated Jaccard similarity at or above which two texts are near-duplicates (issue 12 default). */
export const DEFAULT_MIN_JACCARD = 0.7;

/** A stored comment that an index lookup returned for a new one. */
export interface CampaignCandidate {
  commentId: string;
  siteId: string;
  campaignId: string | null;
  textHash: string;
  minhash: readonly number[] | null;
  /** The candidate was decided spam (by its own site's moderator). */
  decidedSpam: boolean;
  /**
   * Found by a linked domain that a decided-spam campaign member shares and that few other comments
   * link (the lookup checked both).
   */
  viaRareDomain?: boolean;
}

export interface CandidateMatch {
  /** Candidates the comment clusters with. */
  matches: CampaignCandidate[];
  /** The same normalized text is already stored on the comment's own site. */
  seenBefore: boolean;
}

/**
 * A text that may start or join a campaign by its text alone: long enough to carry a MinHash, or
 * carrying a link. "nice video" and "thanks!" repeat innocently everywhere.
 */
export function campaignEligible(fp: Pick<Fingerprint, "short" | "domains">): boolean {
  return !fp.short || fp.domains.length > 0;
}

/**
 * Which candidates a comment clusters with: the same normalized text (an eligible one, or a short
 * one only where its own site decided a copy spam), a MinHash estimate ≥ `minJaccard`, or a rare
 * linked domain shared with a decided-spam campaign.
 */
export function matchCandidates(
  fp: Fingerprint,
  siteId: string,
  candidates: readonly CampaignCandidate[],
  minJaccard: number = DEFAULT_MIN_JACCARD,
): CandidateMatch {
  const eligible = campaignEligible(fp);
  const matches: CampaignCandidate[] = [];
  let seenBefore = false;
  const taken = new Set<string>();
  for (const c of candidates) {
    if (taken.has(c.commentId)) continue;
    const sameText = c.textHash === fp.textHash;
    if (sameText && c.siteId === siteId) seenBefore = true;
    let match = false;
    if (sameText) match = eligible || (c.siteId === siteId && c.decidedSpam);
    else if (fp.minhash && c.minhash) match = estimateJaccard(fp.minhash, c.minhash) >= minJaccard;
    if (!match && c.viaRareDomain === true) match = fp.domains.length > 0;
    if (match) {
      matches.push(c);
      taken.add(c.commentId);
    }
  }
  return { matches, seenBefore };
}

/**
 * Model tokens for a campaign: one size bucket, one site-count bucket (only when it spans sites)
 * and how its members were decided. One token per fact, not a ladder of thresholds, so the model
 * does not count the same evidence several times.
 */
export function campaignTokens(campaign: CampaignSignal | undefined): string[] {
  if (!campaign || campaign.size < 2) return [];
  const out = [`${CAMPAIGN_PREFIX}size=${campaign.size >= 20 ? "20+" : campaign.size >= 5 ? "5+" : "2+"}`];
  if (campaign.sites >= 3) out.push(`${CAMPAIGN_PREFIX}sites=3+`);
  else if (campaign.sites === 2) out.push(`${CAMPAIGN_PREFIX}sites=2`);
  if (campaign.decidedSpam > 0 && campaign.decidedSpam >= campaign.decidedHam) out.push(`${CAMPAIGN_DECIDED_PREFIX}spam`);
  else if (campaign.decidedHam > 0) out.push(`${CAMPAIGN_DECIDED_PREFIX}ham`);
  return out;
}
