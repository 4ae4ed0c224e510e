/**
 * Prequential ("test, then train") evaluation: the way a site really uses the filter. Each comment
 * is scored with what was learned before it, then a simulated moderator acts as real ones do, and
 * only what the moderator decides is learned. Each input file is a new site that leans on the
 * global scope learned from the files streamed before it.
 */
import {
  DEFAULT_CUTOFF_TARGETS,
  DEFAULT_SCORE_OPTIONS,
  createMemoryModel,
  proposeCutoffs,
  knownWordsOf,
  learnSite,
  scoringData,
  tokenize,
  type CutoffTargets,
  type DecidedScore,
  type Label,
  type LearnOptions,
  type ScoreOptions,
  type Verdict,
} from "../classifier/index.js";
import { featuresOf, scoreTokens } from "../comments/scoring.js";
import type { Example } from "./data.js";
import { seededRandom } from "./folds.js";

/**
 * `reported`: every held comment is decided, and a published spam or a spam-foldered ham is found
 * and corrected with probability `reportRate`; correct verdicts teach nothing. `all`: every label
 * is learned (the upper bound).
 */
export type ModeratorPolicy = "reported" | "all";

export interface OnlineOptions {
  scoreOptions: ScoreOptions;
  policy: ModeratorPolicy;
  reportRate: number;
  seed: number;
  /** Score and learn under a site scope per file (default); false: global scope only. */
  sites: boolean;
  /** How documents are weighed when learned (default: the service's). */
  learnOptions?: LearnOptions;
  /**
   * When set, each site's cutoffs follow `proposeCutoffs` over its last `window` decided comments
   * (the service's `autoApply`), re-computed after every decision, once it has a proposal.
   */
  siteCutoffs?: { targets: CutoffTargets; window: number };
}

export const DEFAULT_ONLINE_OPTIONS: OnlineOptions = { scoreOptions: DEFAULT_SCORE_OPTIONS, policy: "reported", reportRate: 0.5, seed: 1, sites: true };

/** The service's defaults for `autoApply` (see src/comments/site-rules.ts). */
export const DEFAULT_SITE_CUTOFFS = { targets: DEFAULT_CUTOFF_TARGETS, window: 1000 };

/** One comment of the stream: what the filter said and whether the moderator taught the model. */
export interface StreamStep {
  source: string;
  label: Label;
  probability: number;
  verdict: Verdict;
  learned: boolean;
}

export interface StreamFigures {
  count: number;
  ham: number;
  spam: number;
  /** Ham whose verdict was `spam`, over the ham. */
  blockedHam: number;
  /** Spam whose verdict was `ham` (published), over the spam. */
  spamPublished: number;
  /** Comments held (`unsure`) for a moderator, over all: the moderator's workload. */
  held: number;
  /** Decisions the moderator made (every one is learned). */
  decisions: number;
}

export interface OnlineResult {
  steps: StreamStep[];
  /** Per input file (site), in stream order: the whole stream and its second half. */
  sites: Array<{ source: string; order: "time" | "file"; whole: StreamFigures; secondHalf: StreamFigures }>;
  whole: StreamFigures;
  secondHalf: StreamFigures;
}

/**
 * The stream order of one file's comments: by date when every row has a parseable one, else as
 * the file lists them (a stable sort keeps file order among equal dates).
 */
export function streamOrder(examples: readonly Example[]): { ordered: Example[]; order: "time" | "file" } {
  const times = examples.map((e) => (e.date === undefined ? NaN : Date.parse(e.date)));
  if (examples.length === 0 || times.some((t) => Number.isNaN(t))) return { ordered: [...examples], order: "file" };
  const indexed = examples.map((e, i) => ({ e, t: times[i] ?? 0, i }));
  indexed.sort((a, b) => a.t - b.t || a.i - b.i);
  return { ordered: indexed.map((x) => x.e), order: "time" };
}

export function figuresOf(steps: readonly StreamStep[]): StreamFigures {
  let ham = 0;
  let spam = 0;
  let blocked = 0;
  let published = 0;
  let held = 0;
  let decisions = 0;
  for (const s of steps) {
    if (s.label === "ham") {
      ham++;
      if (s.verdict === "spam") blocked++;
    } else {
      spam++;
      if (s.verdict === "ham") published++;
    }
    if (s.verdict === "unsure") held++;
    if (s.learned) decisions++;
  }
  const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
  return { count: steps.length, ham, spam, blockedHam: ratio(blocked, ham), spamPublished: ratio(published, spam), held: ratio(held, steps.length), decisions };
}

/** Whether the simulated moderator decides (and so teaches) this comment. */
function moderatorDecides(label: Label, verdict: Verdict, options: OnlineOptions, random: () => number): boolean {
  if (options.policy === "all") return true;
  if (verdict === "unsure") return true;
  const wrong = (label === "spam" && verdict === "ham") || (label === "ham" && verdict === "spam");
  return wrong && random() < options.reportRate;
}

/** Streams the files one after another (each a new site), scoring then learning what is decided. */
export function runOnline(examples: readonly Example[], options: OnlineOptions = DEFAULT_ONLINE_OPTIONS): OnlineResult {
  const model = createMemoryModel();
  const isKnownWord = knownWordsOf(model);
  const random = seededRandom(options.seed);
  const sources = [...new Set(examples.map((e) => e.source))];
  const steps: StreamStep[] = [];
  const secondHalves: StreamStep[] = [];
  const sites: OnlineResult["sites"] = [];
  for (const source of sources) {
    const { ordered, order } = streamOrder(examples.filter((e) => e.source === source));
    const siteSteps: StreamStep[] = [];
    const decided: DecidedScore[] = [];
    let siteOptions = options.scoreOptions;
    for (const example of ordered) {
      const features = featuresOf({ content: example.text });
      const tokens = tokenize(features, { isKnownWord });
      const result = scoreTokens(tokens, scoringData(model, options.sites ? source : undefined, tokens), siteOptions, features);
      const learned = moderatorDecides(example.label, result.verdict, options, random);
      if (learned && options.siteCutoffs) {
        decided.push({ probability: result.probability, label: example.label });
        const proposal = proposeCutoffs(decided.slice(-options.siteCutoffs.window), options.siteCutoffs.targets);
        if (proposal.ok) siteOptions = { ...options.scoreOptions, hamCutoff: proposal.hamCutoff, spamCutoff: proposal.spamCutoff };
      }
      // Learning reads the text alone (no vocabulary), as the service's decisions do.
      if (learned) learnSite(model, options.sites ? source : "global", tokenize(features), example.label, options.learnOptions);
      siteSteps.push({ source, label: example.label, probability: result.probability, verdict: result.verdict, learned });
    }
    const half = siteSteps.slice(Math.floor(siteSteps.length / 2));
    steps.push(...siteSteps);
    secondHalves.push(...half);
    sites.push({ source, order, whole: figuresOf(siteSteps), secondHalf: figuresOf(half) });
  }
  return { steps, sites, whole: figuresOf(steps), secondHalf: figuresOf(secondHalves) };
}

/** Rolling rates over the last `window` comments of the stream, for the learning-curve picture. */
export function learningCurve(steps: readonly StreamStep[], window: number): Array<{ at: number; held: number; spamPublished: number; blockedHam: number }> {
  const out: Array<{ at: number; held: number; spamPublished: number; blockedHam: number }> = [];
  for (let end = window; end <= steps.length; end += Math.max(1, Math.floor(window / 10))) {
    const f = figuresOf(steps.slice(end - window, end));
    out.push({ at: end, held: f.held, spamPublished: f.spamPublished, blockedHam: f.blockedHam });
  }
  return out;
}
