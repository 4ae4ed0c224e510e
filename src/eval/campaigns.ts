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
  estimateJaccard,
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

  /**
   * The candidates the service's statement returns (db/queries/campaigns.ts, `candidatesSql`),
   * with its limits and its skips: the newest copies of the text installation-wide, the site's own
   * copies only when those filled the limit and can still tell something, near-duplicates only
   * when no copy of the text is a campaign member yet, and decided-spam members sharing a rare domain.
   */
  private candidates(fp: Fingerprint, site: string): CampaignCandidate[] {
    const out: CampaignCandidate[] = [];
    const sameText = this.byHash.get(fp.textHash) ?? [];
    const same = sameText.slice(-PER_KIND);
    for (const e of same) out.push(this.candidate(e));
    if (same.length >= PER_KIND && ((fp.short && fp.domains.length === 0) || !same.some((e) => e.site === site))) {
      for (const e of sameText.filter((x) => x.site === site).slice(-PER_KIND)) out.push(this.candidate(e));
    }
    if (!same.some((e) => this.campaignOf(e) !== null)) {
      const near = new Set<Entry>();
      for (const band of fp.bands ?? []) for (const e of this.byBand.get(band) ?? []) if (e.fp.textHash !== fp.textHash) near.add(e);
      for (const e of [...near].sort((a, b) => a.id - b.id).slice(-PER_KIND)) out.push(this.candidate(e));
    }
    for (const domain of fp.domains) {
      const linking = this.byDomain.get(domain) ?? [];
      const decidedSpamMembers = linking.filter((e) => e.decided === "spam" && this.campaignOf(e) !== null).slice(-PER_KIND);
      if (decidedSpamMembers.length === 0) continue;
      if (linking.filter((e) => this.campaignOf(e) === null).length >= RARE_DOMAIN_MAX) continue;
      for (const e of decidedSpamMembers) out.push(this.candidate(e, true));
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

/** How `plantCampaigns` reposts comments: the share of spam and of ham that gets copies. */
export interface PlantOptions {
  spam: number;
  ham: number;
  seed: number;
}

/**
 * A copy as a campaign posts it: one word of a long text dropped (a light rewording), and every
 * link's path given another tracking parameter; a short text is posted as it is.
 */
export function rewordCopy(text: string, random: () => number): string {
  const tagged = text.replace(/https?:\/\/[^\s"'<>]+/g, (url) => `${url}${url.includes("?") ? "&" : "?"}ref=${Math.floor(random() * 1e6)}`);
  const words = tagged.split(/\s+/).filter((w) => w.length > 0);
  const plain = words.map((w, i) => (/^https?:/.test(w) ? -1 : i)).filter((i) => i >= 0);
  if (words.length < 8 || plain.length === 0) return tagged;
  const drop = plain[Math.floor(random() * plain.length)]!;
  return words.filter((_, i) => i !== drop).join(" ");
}

/**
 * A synthetic check of the mechanism, not a measurement of real campaigns: the stream with copies
 * planted. Each comment is reposted, with probability `spam` or `ham` by its label, 1–4 times on
 * other sites within the next 100 comments, each copy lightly reworded (`rewordCopy`). The copies
 * keep the original's label.
 */
export function plantCampaigns(stream: readonly Example[], options: PlantOptions): Example[] {
  const random = seededRandom(options.seed);
  const sites = [...new Set(stream.map((e) => e.source))];
  const keyed = stream.map((example, i) => ({ key: i, example }));
  if (sites.length < 2) return [...stream];
  stream.forEach((example, i) => {
    if (random() >= (example.label === "spam" ? options.spam : options.ham)) return;
    const copies = 1 + Math.floor(random() * 4);
    const others = sites.filter((s) => s !== example.source);
    for (let c = 0; c < copies; c++) {
      const source = others[Math.floor(random() * others.length)]!;
      keyed.push({ key: i + 1 + Math.floor(random() * 100) + 0.5 + c / 10, example: { ...example, source, text: rewordCopy(example.text, random) } });
    }
  });
  return keyed.sort((a, b) => a.key - b.key).map((k) => k.example);
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
  /** Per comment of the stream: scored as a campaign member (always false without campaign signals). */
  inCampaign: boolean[];
}

/** Scores each comment of the stream before anything is learned from it (prequential). */
export function replayStream(stream: readonly Example[], options: ReplayOptions): ReplayResult {
  const model = createMemoryModel();
  const index = new MemoryCampaignIndex();
  const random = seededRandom(options.seed);
  const predictions: Prediction[] = [];
  let decisions = 0;
  const inCampaign: boolean[] = [];
  for (const example of stream) {
    const fp = fingerprint(example.text);
    const added = index.add(example.source, fp, options.minJaccard ?? DEFAULT_MIN_JACCARD);
    const features: CommentFeatures = featuresOf({ content: example.text });
    if (options.campaigns) {
      if (added.seenBefore) features.seenBefore = true;
      if (added.campaign) features.campaign = added.campaign;
    }
    inCampaign.push(options.campaigns && added.campaign !== undefined);
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
  return { predictions, decisions, campaigns: index.stats(), scoredInCampaign: inCampaign.filter(Boolean).length, inCampaign };
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

/**
 * Per comment of the stream: an earlier comment (any site, any length) has the same normalized
 * text, or a MinHash estimate ≥ `minJaccard` with it. The widest "seen before" any repeat-based
 * signal could use, short texts included (which the campaign rules leave out on purpose).
 */
export function repeatsOf(stream: readonly Example[], minJaccard: number = DEFAULT_MIN_JACCARD): boolean[] {
  const texts = new Set<string>();
  const byBand = new Map<string, number[][]>();
  return stream.map((example) => {
    const fp = fingerprint(example.text);
    let repeat = texts.has(fp.textHash);
    texts.add(fp.textHash);
    if (fp.minhash && fp.bands) {
      for (const band of fp.bands) {
        const list = byBand.get(band);
        if (!repeat && list) repeat = list.some((other) => estimateJaccard(fp.minhash!, other) >= minJaccard);
        if (list) list.push(fp.minhash);
        else byBand.set(band, [fp.minhash]);
      }
    }
    return repeat;
  });
}

/** The plain run's scores with the marked comments scored perfectly (spam 1, ham 0). */
function scoredPerfectly(predictions: readonly Prediction[], marked: readonly boolean[]): Prediction[] {
  return predictions.map((p, i) => (marked[i] ? { ...p, probability: p.label === "spam" ? 1 : 0 } : p));
}

type Summary = ReturnType<typeof summarize>;

export interface CampaignEvalReport {
  stream: number;
  sites: number;
  moderator: ModeratorPolicy;
  reportRate: number;
  seed: number;
  runs: Record<"plain" | "campaigns", {
    whole: Summary;
    secondHalf: Summary;
    decisions: number;
    scoredInCampaign: number;
    campaigns: { campaigns: number; members: number };
  }>;
  /**
   * What the same stream's plain run would reach if some comments were scored perfectly: upper
   * bounds on what campaign signals can add. `members`: the comments the campaign run scored as
   * campaign members; `repeats`: every comment with an earlier copy or near-copy (`repeatsOf`).
   */
  ceilings: Record<"members" | "repeats", { whole: number; secondHalf: number; comments: number }>;
}

function summarize(predictions: readonly Prediction[]) {
  const at = spamCaughtAtBlockedHam(predictions, 0.003);
  return { comments: predictions.length, spamCaughtAtBlockedHam03: at.spamCaught, blockedHamAtThatThreshold: at.blockedHam, ...verdictShares(predictions) };
}

/** Both runs over one stream, and the ceilings. With `plant`, over the stream with planted copies. */
export function campaignEval(examples: readonly Example[], options: Omit<ReplayOptions, "campaigns"> & { plant?: PlantOptions }): CampaignEvalReport {
  const stream = options.plant ? plantCampaigns(interleave(examples), options.plant) : interleave(examples);
  const half = Math.floor(stream.length / 2);
  const plain = replayStream(stream, { ...options, campaigns: false });
  const withCampaigns = replayStream(stream, { ...options, campaigns: true });
  const run = (r: ReplayResult) => ({
    whole: summarize(r.predictions),
    secondHalf: summarize(r.predictions.slice(half)),
    decisions: r.decisions,
    scoredInCampaign: r.scoredInCampaign,
    campaigns: r.campaigns,
  });
  const ceiling = (marked: readonly boolean[]) => {
    const perfect = scoredPerfectly(plain.predictions, marked);
    return {
      whole: spamCaughtAtBlockedHam(perfect, 0.003).spamCaught,
      secondHalf: spamCaughtAtBlockedHam(perfect.slice(half), 0.003).spamCaught,
      comments: marked.filter(Boolean).length,
    };
  };
  return {
    stream: stream.length,
    sites: new Set(stream.map((e) => e.source)).size,
    moderator: options.moderator,
    reportRate: options.reportRate,
    seed: options.seed,
    runs: { plain: run(plain), campaigns: run(withCampaigns) },
    ceilings: { members: ceiling(withCampaigns.inCampaign), repeats: ceiling(repeatsOf(stream, options.minJaccard)) },
  };
}

export interface SeedSummary {
  seeds: number[];
  /** Per part: the change in SC@BH ≤ 0.3 % with campaign signals, over the seeds. */
  change: Record<"whole" | "secondHalf", { mean: number; sd: number; min: number; max: number }>;
  /** The change in blocked ham (verdict spam) over the whole stream, mean over the seeds. */
  blockedHamChange: number;
}

/**
 * The same comparison under several moderator seeds (which held comment a `held+reported`
 * moderator corrects differs by seed, and so what is learned): SC@BH at 0.3 % of a few hundred
 * ham turns on the two or three highest ham scores, so one seed's difference is mostly chance.
 */
export function summarizeSeeds(reports: readonly CampaignEvalReport[]): SeedSummary {
  const stats = (xs: number[]) => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
    return { mean, sd, min: Math.min(...xs), max: Math.max(...xs) };
  };
  const delta = (r: CampaignEvalReport, part: "whole" | "secondHalf") => r.runs.campaigns[part].spamCaughtAtBlockedHam03 - r.runs.plain[part].spamCaughtAtBlockedHam03;
  return {
    seeds: reports.map((r) => r.seed),
    change: { whole: stats(reports.map((r) => delta(r, "whole"))), secondHalf: stats(reports.map((r) => delta(r, "secondHalf"))) },
    blockedHamChange: reports.reduce((a, r) => a + r.runs.campaigns.whole.blockedHam - r.runs.plain.whole.blockedHam, 0) / reports.length,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
/** A difference of two shares, in percentage points with its sign. */
const points = (x: number) => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(2)}`;

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
  const base = r.runs.plain;
  lines.push("ceiling, the plain run with some comments scored perfectly (SC@BH ≤ 0.3 %, whole / second half, points over plain):");
  for (const [name, key] of [["the campaign run's members", "members"], ["every repeat or near-repeat", "repeats"]] as const) {
    const x = r.ceilings[key];
    lines.push(`  ${`${name} (${x.comments})`.padEnd(42)}${points(x.whole - base.whole.spamCaughtAtBlockedHam03)} / ${points(x.secondHalf - base.secondHalf.spamCaughtAtBlockedHam03)}`);
  }
  return lines.join("\n");
}

export function formatSeedSummary(summary: SeedSummary): string {
  const part = (x: SeedSummary["change"]["whole"]) => `${points(x.mean)} ± ${(100 * x.sd).toFixed(2)} (${points(x.min)} to ${points(x.max)})`;
  return [
    `over ${summary.seeds.length} moderator seeds (${summary.seeds[0]}–${summary.seeds.at(-1)}), SC@BH ≤ 0.3 % with campaigns minus without, points, mean ± sd (min to max):`,
    `  whole stream  ${part(summary.change.whole)}`,
    `  second half   ${part(summary.change.secondHalf)}`,
    `  blocked ham (verdict spam), whole stream: ${points(summary.blockedHamChange)} points on average`,
  ].join("\n");
}
