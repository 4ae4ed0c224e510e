import { DEFAULT_SCORE_OPTIONS, TOKENIZER_VERSION, knownWordsIn, score, tokenize } from "../classifier/index.js";
import type { CommentFeatures, ScopeSlice, ScoreOptions, ScoreResult, TokenCounts, Verdict } from "../classifier/index.js";
import type { Db } from "../db/client.js";
import { findComment, findCommentWithSite, writeVerdict } from "../db/queries/comments.js";
import { fetchScopeSlices } from "../db/queries/model.js";
import type { CommentRow, CommentStatus, SiteRow } from "../db/schema.js";
import { DEFAULT_CAMPAIGN_OPTIONS, assignCampaigns, type CampaignOptions } from "./campaigns.js";
import { campaignSettingsOf } from "./campaign-settings.js";

/** ham → shown, unsure → waits for a moderator, spam → hidden. */
export const statusForVerdict: Record<Verdict, Exclude<CommentStatus, "pending">> = {
  ham: "published",
  unsure: "held",
  spam: "spam",
};

export function featuresOf(row: CommentRow): CommentFeatures {
  return {
    content: row.content,
    ...(row.authorName == null ? {} : { authorName: row.authorName }),
    ...(row.authorEmail == null ? {} : { authorEmail: row.authorEmail }),
    ...(row.authorUrl == null ? {} : { authorUrl: row.authorUrl }),
    ...(row.ip == null ? {} : { ip: row.ip }),
    ...(row.userAgent == null ? {} : { userAgent: row.userAgent }),
    ...(row.honeypotFilled == null ? {} : { honeypotFilled: row.honeypotFilled }),
    ...(row.timeToSubmitMs == null ? {} : { timeToSubmitMs: row.timeToSubmitMs }),
    // Campaign and repeat facts as they stood when the comment was scored (issue 12).
    ...(row.signals?.seenBefore === true ? { seenBefore: true } : {}),
    ...(row.signals?.campaign
      ? {
          campaign: {
            size: row.signals.campaign.size,
            sites: row.signals.campaign.sites,
            decidedSpam: row.signals.campaign.decidedSpam,
            decidedHam: row.signals.campaign.decidedHam,
          },
        }
      : {}),
  };
}

/** The site's cutoffs and minimum training, each falling back to the classifier's default. */
export function scoreOptionsFor(site: Pick<SiteRow, "hamCutoff" | "spamCutoff" | "minPerLabel">): ScoreOptions {
  return {
    ...DEFAULT_SCORE_OPTIONS,
    hamCutoff: site.hamCutoff ?? DEFAULT_SCORE_OPTIONS.hamCutoff,
    spamCutoff: site.spamCutoff ?? DEFAULT_SCORE_OPTIONS.spamCutoff,
    minPerLabel: site.minPerLabel ?? DEFAULT_SCORE_OPTIONS.minPerLabel,
  };
}

export interface Scored {
  tokens: string[];
  result: ScoreResult;
  /** Tokenizer and the counts the verdict was made with, e.g. `tok1/g12s+30h/s4s+9h`. */
  modelVersion: string;
}

/**
 * Scores features against the counts in Postgres as they are now (site scope leaning on global).
 * Reads only; the Akismet `is_test` path and the worker both start here.
 */
export async function scoreFeatures(db: Db, site: SiteRow, features: CommentFeatures): Promise<Scored> {
  const { tokens, slices } = await tokenizeAgainstModel(db, site.id, features);
  const result = score(tokens, slices, scoreOptionsFor(site));
  const g = slices.global.totals;
  const s = slices.site.totals;
  return { tokens, result, modelVersion: `tok${TOKENIZER_VERSION}/g${g.spam}s+${g.ham}h/s${s.spam}s+${s.ham}h` };
}

/**
 * Tokenizes for scoring, undoing digit swaps and spaced letters into words the model knows (issue
 * 5), and fetches the counts those tokens need. An ordinary comment asks about no word and costs one
 * tokenize and one round trip; a disguised one asks once more for the tokens its repaired words
 * produced (pairs and pieces that were not in the first fetch). Learning never passes a vocabulary,
 * so what a decision learns depends on the text alone and unlearn stays its exact inverse.
 */
async function tokenizeAgainstModel(
  db: Db,
  siteId: string,
  features: CommentFeatures,
): Promise<{ tokens: string[]; slices: { global: ScopeSlice; site: ScopeSlice } }> {
  const asked = new Set<string>();
  const draft = tokenize(features, {
    isKnownWord: (word) => {
      asked.add(word);
      return false;
    },
  });
  if (asked.size === 0) return { tokens: draft, slices: await fetchScopeSlices(db, siteId, draft) };

  const fetched = new Set([...draft, ...asked]);
  const slices = await fetchScopeSlices(db, siteId, [...fetched]);
  const tokens = tokenize(features, { isKnownWord: knownWordsIn(slices) });
  const missing = tokens.filter((token) => !fetched.has(token));
  if (missing.length > 0) {
    const extra = await fetchScopeSlices(db, siteId, missing);
    for (const scope of ["global", "site"] as const) {
      const into = slices[scope].tokens as Map<string, TokenCounts>;
      for (const [token, counts] of extra[scope].tokens) into.set(token, counts);
    }
  }
  return { tokens, slices };
}

export type ScoreOutcome =
  | { outcome: "scored"; comment: CommentRow; scored: Scored }
  /** Already has a verdict or a decision (a job run twice, or a moderator was first). */
  | { outcome: "settled"; comment: CommentRow }
  | { outcome: "missing" };

/**
 * Scores one stored comment and writes its verdict if it is still `pending`. The worker runs this
 * for every job; the Akismet routes call it directly to answer synchronously. Idempotent.
 */
export async function scoreStoredComment(
  db: Db,
  commentId: string,
  options: { campaigns?: CampaignOptions } = {},
): Promise<ScoreOutcome> {
  // Round trips: the comment with its site, its campaign (a short transaction), the counts, the guarded write.
  const found = await findCommentWithSite(db, commentId);
  if (!found) return { outcome: "missing" };
  const { site } = found;
  let { comment } = found;
  if (comment.status !== "pending") return { outcome: "settled", comment };
  const crossSite = campaignSettingsOf(site.settings).crossSite;
  const signals = await assignCampaigns(db, [{ ...comment, crossSite }], options.campaigns ?? DEFAULT_CAMPAIGN_OPTIONS);
  comment = { ...comment, signals: signals.get(comment.id) ?? null };
  const scored = await scoreFeatures(db, site, featuresOf(comment));
  const { result } = scored;
  const verdict = {
    status: statusForVerdict[result.verdict],
    verdict: result.verdict,
    score: result.probability,
    reasons: result.reasons,
    insufficientTraining: result.insufficientTraining ?? null,
    modelVersion: scored.modelVersion,
  };
  const scoredAt = await writeVerdict(db, comment.id, verdict);
  if (scoredAt) return { outcome: "scored", comment: { ...comment, ...verdict, scoredAt, updatedAt: scoredAt }, scored };
  // Someone else settled it meanwhile (a duplicate job, or a moderator): report what stands.
  const now = await findComment(db, comment.id);
  return now ? { outcome: "settled", comment: now } : { outcome: "missing" };
}
