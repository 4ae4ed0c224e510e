import { DEFAULT_HARD_RULES, DEFAULT_SCORE_OPTIONS, TOKENIZER_VERSION, applyHardRules, knownWordsIn, score, tokenize } from "../classifier/index.js";
import type { CommentFeatures, HardRules, ScoreOptions, ScoreResult, ScoringData, Verdict } from "../classifier/index.js";
import type { NewComment, VerdictWrite } from "../db/queries/comments.js";
import type { CommentStatus, SiteRow } from "../db/schema.js";
import type { LiveModel } from "./live-model.js";
import { overrideOf, VERDICT_ONLY, type PublishPolicy } from "./publishing.js";
import { hardRulesFor } from "./site-rules.js";

/** ham → shown, unsure → waits for a moderator, spam → hidden. */
export const statusForVerdict: Record<Verdict, Exclude<CommentStatus, "pending">> = {
  ham: "published",
  unsure: "held",
  spam: "spam",
};

/** The stored (or about to be stored) comment fields scoring reads. */
export type FeatureFields = Pick<NewComment, "content" | "authorName" | "authorEmail" | "authorUrl" | "ip" | "userAgent" | "honeypotFilled" | "timeToSubmitMs" | "signals">;

/**
 * The one place a comment becomes CommentFeatures: the worker, the Akismet check (on the row it
 * is about to store), decisions and retrain all read it from here.
 */
export function featuresOf(row: FeatureFields): CommentFeatures {
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
 * Scores features against the model's counts (site scope leaning on global): the worker and the
 * Akismet check both call it. Undoes digit swaps and spaced letters into words the model knows
 * (issue 5): the words the tokenizer asks about are prefetched with the comment's tokens, so an
 * ordinary comment costs one prefetch (shared with the other comments scored at that moment, and
 * none at all when its counts are cached); a disguised one may need one more for the tokens its
 * repaired words produced. Learning never passes a vocabulary, so what a decision learns depends
 * on the text alone and unlearn stays its exact inverse.
 */
export async function scoreFeatures(
  model: LiveModel,
  // Without `settings` the hard rules run with their defaults.
  site: Pick<SiteRow, "id" | "hamCutoff" | "spamCutoff" | "minPerLabel"> & Partial<Pick<SiteRow, "settings">>,
  features: CommentFeatures,
): Promise<Scored> {
  const asked = new Set<string>();
  const draft = tokenize(features, {
    isKnownWord: (word) => {
      asked.add(word);
      return false;
    },
  });
  let overlay = await model.prefetch(site.id, asked.size === 0 ? draft : [...draft, ...asked]);
  let tokens = draft;
  if (asked.size > 0) {
    const known = knownWordsIn(model.scoringData(site.id, [...asked], overlay));
    tokens = tokenize(features, { isKnownWord: known });
    const missing = tokens.filter((t) => !model.has(site.id, t, overlay));
    if (missing.length > 0) {
      const extra = await model.prefetch(site.id, missing);
      if (extra.size > 0) overlay = new Map([...overlay, ...extra]);
    }
  }
  const data = model.scoringData(site.id, tokens, overlay);
  const result = scoreTokens(tokens, data, scoreOptionsFor(site), features, hardRulesFor({ settings: site.settings ?? {} }));
  const g = data.global.totals;
  const s = data.site.totals;
  return { tokens, result, modelVersion: `tok${TOKENIZER_VERSION}/g${g.spam}s+${g.ham}h/s${s.spam}s+${s.ham}h` };
}

/**
 * The status a verdict gives under the site's publishing policy: shadow mode and trusted authors
 * publish whatever the verdict (issue 11), and say so in `statusOverride`.
 */
export function statusUnder(verdict: Verdict, policy: PublishPolicy): Pick<VerdictWrite, "status" | "statusOverride"> {
  const statusOverride = overrideOf(policy);
  return { status: statusOverride === null ? statusForVerdict[verdict] : "published", statusOverride };
}

/**
 * The step every scorer shares once a comment's tokens and their counts are at hand: the service
 * (scoreFeatures, counts from the live model) and the eval (counts from its in-memory model). The
 * model's score, then the site's hard rules (honeypot, too fast), which override it; see
 * site-rules.ts.
 */
export function scoreTokens(
  tokens: readonly string[],
  data: ScoringData,
  options: ScoreOptions,
  features: Pick<CommentFeatures, "honeypotFilled" | "timeToSubmitMs">,
  rules: HardRules = DEFAULT_HARD_RULES,
): ScoreResult {
  return applyHardRules(score(tokens, data, options), features, rules);
}

/** The one mapping from a score to the verdict stored with the comment. */
export function verdictWrite(scored: Pick<Scored, "result" | "modelVersion">, policy: PublishPolicy = VERDICT_ONLY): VerdictWrite {
  const { result } = scored;
  return {
    ...statusUnder(result.verdict, policy),
    verdict: result.verdict,
    score: result.probability,
    reasons: result.reasons,
    insufficientTraining: result.insufficientTraining ?? null,
    modelVersion: scored.modelVersion,
  };
}
