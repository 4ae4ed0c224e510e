/**
 * `npm run eval -- --campaigns`: a prequential replay of a comment stream in which every input file
 * is a site and all sites share one campaign index (issue 12). Each comment is fingerprinted,
 * clustered with what came before (the same `matchCandidates` rules the service uses), scored,
 * and then shown to a simulated moderator, who decides it or not; the model learns the decisions.
 * The same stream runs twice, with and without campaign signals, so the difference is theirs alone.
 *
 * Kept apart from the classifier's own prequential eval (issue 13, `--online`) on purpose: this one
 * only needs enough of a moderator to make "decided spam" mean something.
 */
import {
  DEFAULT_MIN_JACCARD,
  createMemoryModel,
  fingerprint,
  knownWordsOf,
  learnSite,
  matchCandidates,
  scoringData,
  tokenize,
  type CampaignCandidate,
  type CommentFeatures,
  type Fingerprint,
  type Label,
  type ScoreOptions,
} from "../classifier/index.js";
import { featuresOf, scoreTokens } from "../comments/scoring.js";
import type { Example } from "./data.js";
import { seededRandom } from "./folds.js";
import type { Prediction } from "./metrics.js";

/** Same bounds as the service (comments/campaigns.ts): newest candidates per kind, rare domain. */
const PER_KIND = 20;
const RARE_DOMAIN_MAX = 20;

interface Entry {
  id: number;
  site: string;
  fp: Fingerprint;
  /** The label a moderator decided, once one did. */
  decided?: Label;
}

/** An in-memory stand-in for the comment_fingerprints table and its indexes. */
export class MemoryCampaignIndex {
  private entries: Entry[] = [];
  private byHash = new Map<string, Entry[]>();
  private byBand = new Map<string, Entry[]>();
  private byDomain = new Map<string, Entry[]>();
  private parent: number[] = [];
  private members = new Map<number, Entry[]>();

  private root(id: number): number {
    let r = id;
    while (this.parent[r] !== r) r = this.parent[r]!;
    this.parent[id] = r;
    return r;
  }

  private union(a: number, b: number): void {
    let ra = this.root(a);
    let rb = this.root(b);
    if (ra === rb) return;
    const ma = this.members.get(ra)!;
    const mb = this.members.get(rb)!;
    if (ma.length < mb.length) [ra, rb] = [rb, ra];
    this.parent[rb] = ra;
    this.members.get(ra)!.push(...this.members.get(rb)!);
    this.members.delete(rb);
  }

  private campaignOf(e: Entry): number | null {
    const r = this.root(e.id);
    return (this.members.get(r)?.length ?? 0) >= 2 ? r : null;
  }

  private candidate(e: Entry, viaRareDomain = false): CampaignCandidate {
    const campaign = this.campaignOf(e);
    return {
      commentId: String(e.id),
      siteId: e.site,
      campaignId: campaign === null ? null : String(campaign),
      textHash: e.fp.textHash,
      minhash: e.fp.minhash,
      decidedSpam: e.decided === "spam",
      ...(viaRareDomain ? { viaRareDomain } : {}),
    };
  }

  private candidates(fp: Fingerprint, site: string): CampaignCandidate[] {
    const out: CampaignCandidate[] = [];
    const sameText = this.byHash.get(fp.textHash) ?? [];
    for (const e of sameText.slice(-PER_KIND)) out.push(this.candidate(e));
    for (const e of sameText.filter((x) => x.site === site).slice(-PER_KIND)) out.push(this.candidate(e));
    for (const band of fp.bands ?? []) {
      for (const e of (this.byBand.get(band) ?? []).slice(-PER_KIND)) if (e.fp.textHash !== fp.textHash) out.push(this.candidate(e));
    }
    for (const domain of fp.domains) {
      const linking = this.byDomain.get(domain) ?? [];
      const outside = linking.filter((e) => this.campaignOf(e) === null).length;
      if (outside >= RARE_DOMAIN_MAX) continue;
      for (const e of linking) {
        if (e.decided === "spam" && this.campaignOf(e) !== null) {
          out.push(this.candidate(e, true));
          break;
        }
      }
    }
    return out;
  }

  /** Adds a comment and returns what the service would store as its signals. */
  add(site: string, fp: Fingerprint, minJaccard: number): { entry: Entry; seenBefore: boolean; campaign?: CommentFeatures["campaign"] } {
    const { matches, seenBefore } = matchCandidates(fp, site, this.candidates(fp, site), minJaccard);
    const entry: Entry = { id: this.entries.length, site, fp };
    this.entries.push(entry);
    this.parent.push(entry.id);
    this.members.set(entry.id, [entry]);
    const push = (map: Map<string, Entry[]>, key: string) => {
      const list = map.get(key);
      if (list) list.push(entry);
      else map.set(key, [entry]);
    };
    push(this.byHash, fp.textHash);
    for (const band of fp.bands ?? []) push(this.byBand, band);
    for (const domain of fp.domains) push(this.byDomain, domain);
    for (const m of matches) this.union(entry.id, Number(m.commentId));
    const group = this.members.get(this.root(entry.id))!;
    if (group.length < 2) return { entry, seenBefore };
    return {
      entry,
      seenBefore,
      campaign: {
        size: group.length,
        sites: new Set(group.map((e) => e.site)).size,
        decidedSpam: group.filter((e) => e.decided === "spam").length,
        decidedHam: group.filter((e) => e.decided === "ham").length,
      },
    };
  }

  /** Comments in campaigns of two or more, and how many campaigns. */
  stats(): { campaigns: number; members: number } {
    let campaigns = 0;
    let members = 0;
    for (const group of this.members.values()) {
      if (group.length < 2) continue;
      campaigns++;
      members += group.length;
    }
    return { campaigns, members };
  }
}

/**
 * The files' comments as one stream: each file spread evenly over the same span, as if the sites
 * received comments at the same time (the files' dates are not read: one file's give the label away).
 */
export function interleave(examples: readonly Example[]): Example[] {
  const bySource = new Map<string, Example[]>();
  for (const e of examples) {
    const list = bySource.get(e.source);
    if (list) list.push(e);
    else bySource.set(e.source, [e]);
  }
  const timed: { at: number; order: number; example: Example }[] = [];
  let order = 0;
  for (const list of bySource.values()) list.forEach((example, i) => timed.push({ at: (i + 0.5) / list.length, order: order++, example }));
  return timed.sort((a, b) => a.at - b.at || a.order - b.order).map((t) => t.example);
}

export type ModeratorPolicy = "all" | "held+reported";

export interface ReplayOptions {
  scoreOptions: ScoreOptions;
  /** Campaign signals on (the comparison run turns them off on the same stream). */
  campaigns: boolean;
  minJaccard?: number;
  /** `all`: every label learned (the upper bound); `held+reported`: held comments, plus wrong verdicts with probability `reportRate`. */
  moderator: ModeratorPolicy;
  reportRate: number;
  seed: number;
}

export interface ReplayResult {
  predictions: Prediction[];
  decisions: number;
  campaigns: { campaigns: number; members: number };
  /** Comments scored as campaign members. */
  scoredInCampaign: number;
}

/** Scores each comment of the stream before anything is learned from it (prequential). */
export function replayStream(stream: readonly Example[], options: ReplayOptions): ReplayResult {
  const model = createMemoryModel();
  const index = new MemoryCampaignIndex();
  const random = seededRandom(options.seed);
  const predictions: Prediction[] = [];
  let decisions = 0;
  let scoredInCampaign = 0;
  for (const example of stream) {
    const fp = fingerprint(example.text);
    const added = index.add(example.source, fp, options.minJaccard ?? DEFAULT_MIN_JACCARD);
    const features: CommentFeatures = featuresOf({ content: example.text });
    if (options.campaigns) {
      if (added.seenBefore) features.seenBefore = true;
      if (added.campaign) {
        features.campaign = added.campaign;
        scoredInCampaign++;
      }
    }
    const tokens = tokenize(features, { isKnownWord: knownWordsOf(model) });
    const result = scoreTokens(tokens, scoringData(model, example.source, tokens), options.scoreOptions, features);
    predictions.push({ label: example.label, probability: result.probability, verdict: result.verdict });

    const wrong = (result.verdict === "ham" && example.label === "spam") || (result.verdict === "spam" && example.label === "ham");
    const decide = options.moderator === "all" || result.verdict === "unsure" || (wrong && random() < options.reportRate);
    if (decide) {
      learnSite(model, example.source, tokenize(features), example.label);
      added.entry.decided = example.label;
      decisions++;
    }
  }
  return { predictions, decisions, campaigns: index.stats(), scoredInCampaign };
}

/**
 * Spam caught at the strictest threshold that blocks at most `maxBlockedHam` of the ham, taken from
 * the scores themselves: a comment is blocked when its score is above the threshold.
 */
export function spamCaughtAtBlockedHam(predictions: readonly Prediction[], maxBlockedHam: number): { spamCaught: number; blockedHam: number; threshold: number } {
  const ham = predictions.filter((p) => p.label === "ham").map((p) => p.probability).sort((a, b) => b - a);
  const spam = predictions.filter((p) => p.label === "spam").map((p) => p.probability);
  const allowed = Math.floor(maxBlockedHam * ham.length);
  // Block only scores strictly above the (allowed + 1)-th highest ham score.
  const threshold = ham[allowed] ?? -Infinity;
  const blocked = ham.filter((s) => s > threshold).length;
  return {
    spamCaught: spam.length === 0 ? 0 : spam.filter((s) => s > threshold).length / spam.length,
    blockedHam: ham.length === 0 ? 0 : blocked / ham.length,
    threshold,
  };
}

/** Blocked ham (verdict spam), spam published (verdict ham) and held share, at the score options' cutoffs. */
export function verdictShares(predictions: readonly Prediction[]): { blockedHam: number; spamPublished: number; held: number } {
  const ham = predictions.filter((p) => p.label === "ham");
  const spam = predictions.filter((p) => p.label === "spam");
  return {
    blockedHam: ham.length === 0 ? 0 : ham.filter((p) => p.verdict === "spam").length / ham.length,
    spamPublished: spam.length === 0 ? 0 : spam.filter((p) => p.verdict === "ham").length / spam.length,
    held: predictions.length === 0 ? 0 : predictions.filter((p) => p.verdict === "unsure").length / predictions.length,
  };
}

export interface CampaignEvalReport {
  stream: number;
  sites: number;
  moderator: ModeratorPolicy;
  reportRate: number;
  runs: Record<"plain" | "campaigns", {
    whole: ReturnType<typeof summarize>;
    secondHalf: ReturnType<typeof summarize>;
    decisions: number;
    scoredInCampaign: number;
    campaigns: { campaigns: number; members: number };
  }>;
}

function summarize(predictions: readonly Prediction[]) {
  const at = spamCaughtAtBlockedHam(predictions, 0.003);
  return { comments: predictions.length, spamCaughtAtBlockedHam03: at.spamCaught, blockedHamAtThatThreshold: at.blockedHam, ...verdictShares(predictions) };
}

/** Both runs over one stream. */
export function campaignEval(examples: readonly Example[], options: Omit<ReplayOptions, "campaigns">): CampaignEvalReport {
  const stream = interleave(examples);
  const run = (campaigns: boolean) => {
    const r = replayStream(stream, { ...options, campaigns });
    const half = Math.floor(r.predictions.length / 2);
    return {
      whole: summarize(r.predictions),
      secondHalf: summarize(r.predictions.slice(half)),
      decisions: r.decisions,
      scoredInCampaign: r.scoredInCampaign,
      campaigns: r.campaigns,
    };
  };
  return {
    stream: stream.length,
    sites: new Set(stream.map((e) => e.source)).size,
    moderator: options.moderator,
    reportRate: options.reportRate,
    runs: { plain: run(false), campaigns: run(true) },
  };
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;

export function formatCampaignEval(r: CampaignEvalReport): string {
  const lines = [
    `prequential replay: ${r.stream} comments from ${r.sites} sites interleaved, moderator ${r.moderator}${r.moderator === "all" ? "" : ` (report rate ${r.reportRate})`}`,
    `${"".padEnd(44)}${"without campaigns".padEnd(22)}with campaigns`,
  ];
  const row = (name: string, f: (run: CampaignEvalReport["runs"]["plain"]) => string) =>
    lines.push(`${name.padEnd(44)}${f(r.runs.plain).padEnd(22)}${f(r.runs.campaigns)}`);
  for (const [part, key] of [["whole stream", "whole"], ["second half", "secondHalf"]] as const) {
    row(`${part}: SC@BH ≤ 0.3 %`, (x) => pct(x[key].spamCaughtAtBlockedHam03));
    row(`${part}: blocked ham (verdict spam)`, (x) => pct(x[key].blockedHam));
    row(`${part}: spam published (verdict ham)`, (x) => pct(x[key].spamPublished));
    row(`${part}: held`, (x) => pct(x[key].held));
  }
  row("decisions learned", (x) => String(x.decisions));
  row("scored as campaign members", (x) => String(x.scoredInCampaign));
  const c = r.runs.campaigns.campaigns;
  lines.push(`campaigns found: ${c.campaigns}, holding ${c.members} comments`);
  return lines.join("\n");
}
