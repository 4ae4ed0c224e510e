/**
 * Evaluation CLI: `npm run eval -- [inputs…] [--folds K | --train FILE… --test FILE… | --loo] [options]`.
 * Prints our classifier's figures beside natural's BayesClassifier on the same splits. See --help.
 */
import { writeFileSync } from "node:fs";
import { DEFAULT_SCORE_OPTIONS, calibrate, fitIsotonic, fitPlatt, type LearnOptions, type ScoreOptions } from "../classifier/index.js";
import { dedupe, loadExamples, type Example } from "../eval/data.js";
import { campaignEval, formatCampaignEval, formatSeedSummary, summarizeSeeds } from "../eval/campaigns.js";
import { calibrateCutoffs, runNatural, runOurs, type RunResult } from "../eval/evaluate.js";
import { stratifiedFolds } from "../eval/folds.js";
import { computeMetrics, type Interval, type Metrics, type Prediction } from "../eval/metrics.js";
import { obfuscateSpam } from "../eval/obfuscate.js";
import { OPERATING_RATES, operatingPoint, pooled, tally, thresholdFor, type Tally } from "../eval/operating.js";
import { YOUTUBE_FOLDER, dataDir, resolveInput } from "../eval/paths.js";
import { curveSvg, rocSvg } from "../eval/plot.js";
import { DEFAULT_SITE_CUTOFFS, learningCurve, runOnline, type ModeratorPolicy, type OnlineResult, type StreamFigures } from "../eval/online.js";

const HELP = `Usage: npm run eval -- [inputs…] [options]

Inputs are files or folders (a folder means all its .csv/.tsv/.txt/.jsonl files). Formats: the
YouTube CSV (COMMENT_ID,AUTHOR,DATE,CONTENT,CLASS; DATE is never read), any CSV whose header has a
label and a text column, JSONL {"label":"spam"|"ham","text":…}, and "ham<TAB>text" lines.
A relative path not found from the working directory is looked up in the data folder.
Without inputs: <data>/${YOUTUBE_FOLDER}.

  --data DIR              data folder (default: $COMMENTINEL_DATA_DIR, else ../shared/data from the repo root)
  --folds K               K-fold cross-validation, stratified, seeded, exact duplicates removed first (default 10)
  --seed N                shuffle seed (default 1)
  --train FILE… --test FILE…   train on some files, test on others (test texts also in training are dropped)
  --loo                   leave one input file out: each file is the test set once, the others train
  --json                  print one JSON object instead of the report
  --plot FILE             write the ROC curves (ours and natural) as an SVG
  --no-baseline           skip natural's BayesClassifier
  --no-sites              learn everything into global only (default: each file is a site scope too)
  --threshold T           binary decision threshold for accuracy/precision/recall/F1/MCC (default 0.5)
  --ham-cutoff X --spam-cutoff Y --min-per-label N   override the default score options
  --online                prequential: stream each input file as a new site (time order where every
                          row has a date, else file order); score each comment, then a simulated
                          moderator decides every held one and corrects a published spam or a
                          foldered ham with probability --report-rate; only decisions are learned
  --report-rate R         (--online, --campaigns) chance that a wrong published/foldered verdict is
                          corrected (default 0.5)
  --site-cutoffs          (--online) each site's cutoffs follow those proposed from its own decided
                          comments after every decision (the service's autoApply; target 0.3 %)
  --seeds N               (--campaigns) also run moderator seeds --seed … --seed+N−1 and print the
                          change's mean ± sd over them (held+reported only varies by seed)
  --plant-campaigns S[:H] (--campaigns) a synthetic check of the mechanism: repost each spam with
                          probability S (each ham with H, default 0) 1–4 times on other sites
                          within the next 100 comments, lightly reworded (seeded)
  --moderator POLICY      (--online, --campaigns) held+reported (default; "reported" also accepted)
                          | all: every label learned, the upper bound
  --score-options JSON    merge these score options over the defaults (e.g. '{"combining":"chi2"}'),
                          to re-run the experiments recorded in BENCHMARKS.md
  --learn-options JSON    how documents are weighed when learned (e.g. '{"damping":"none"}' for
                          undamped counts, '{"dampingLength":64}'), for the experiments in BENCHMARKS.md
  --calibration MAP       platt | isotonic: map each split's scores through a monotone calibration
                          fitted on out-of-fold scores of its training part (--inner-folds, default 5)
  --calibrate             also print cutoffs chosen on these out-of-sample scores
  --max-blocked-ham R     calibration target for blocked ham (default 0.01)
  --max-passed-spam R     calibration target for spam passed as ham (default 0.05)
  --inner-folds K         honest operating points: thresholds picked on K-fold out-of-fold scores of
                          each training part, applied to its test part (default 5; 0 skips them)
  --predictions FILE      write every test comment's split, probability, verdict, label and text as
                          JSON Lines (bench/peers.py re-runs scikit-learn peers on the same splits)
  --campaigns             prequential replay of the inputs as one stream (each file a site, files
                          interleaved, one shared campaign index), run with and without campaign
                          signals; exact duplicates are kept (repeats are what campaigns are)
  --obfuscate-spam SEED   disguise the spam rows of every TEST set (look-alike letters, invisible
                          characters, digit swaps, spaced letters; seeded), training data untouched
`;

interface Args {
  inputs: string[];
  train: string[];
  test: string[];
  flags: Map<string, string | true>;
}

/** `--train a b --test c` takes several values per flag, which node:util's parseArgs does not. */
function parseArgs(argv: readonly string[]): Args {
  const args: Args = { inputs: [], train: [], test: [], flags: new Map() };
  const valued = new Set(["data", "folds", "seed", "plot", "threshold", "ham-cutoff", "spam-cutoff", "min-per-label", "max-blocked-ham", "max-passed-spam", "obfuscate-spam", "inner-folds", "predictions", "score-options", "learn-options", "calibration", "report-rate", "moderator", "seeds", "plant-campaigns"]);
  const known = new Set([...valued, "train", "test", "json", "loo", "no-baseline", "no-sites", "calibrate", "online", "site-cutoffs", "help", "campaigns"]);
  let list: string[] = args.inputs;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (!arg.startsWith("--")) {
      list.push(arg);
      continue;
    }
    const [name = "", inline] = arg.slice(2).split("=", 2);
    if (!known.has(name)) throw new Error(`unknown option --${name} (see --help)`);
    if (name === "train" || name === "test") {
      list = name === "train" ? args.train : args.test;
      if (inline !== undefined) list.push(inline);
      continue;
    }
    list = args.inputs;
    if (valued.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new Error(`--${name} needs a value`);
      args.flags.set(name, value);
    } else args.flags.set(name, true);
  }
  return args;
}

function numberFlag(args: Args, name: string, fallback: number, check: (n: number) => boolean): number {
  const raw = args.flags.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw === true || !Number.isFinite(value) || !check(value)) throw new Error(`--${name}: bad value ${String(raw)}`);
  return value;
}

/** `--plant-campaigns S[:H]`: the share of spam (and of ham, default 0) reposted as planted copies. */
function plantFlag(args: Args): { spam: number; ham: number; seed: number } | undefined {
  const raw = args.flags.get("plant-campaigns");
  if (raw === undefined) return undefined;
  const [spam, ham = 0, ...rest] = String(raw).split(":").map(Number);
  const share = (x: number | undefined) => x !== undefined && Number.isFinite(x) && x >= 0 && x <= 1;
  if (raw === true || rest.length > 0 || !share(spam) || !share(ham)) throw new Error(`--plant-campaigns: bad value ${String(raw)} (S or S:H, shares in 0..1)`);
  return { spam: spam!, ham, seed: 1 };
}

/** A flag whose value is a JSON object (empty when absent). */
function jsonFlag(args: Args, name: string): Record<string, unknown> {
  const raw = args.flags.get(name);
  if (typeof raw !== "string") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`--${name}: not JSON`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error(`--${name}: expected a JSON object`);
  return parsed as Record<string, unknown>;
}

interface Split {
  name: string;
  train: Example[];
  test: Example[];
}

interface ModelReport {
  metrics: Metrics;
  trainMs: number;
  scoreMs: number;
  predictions: Prediction[];
}

type Runner = (train: Example[], test: Example[]) => RunResult | Promise<RunResult>;

/** Out-of-fold scores of `examples` from a K-fold split of them alone (nothing else is seen). */
async function outOfFold(examples: readonly Example[], run: Runner, k: number, seed: number): Promise<Prediction[]> {
  const fold = stratifiedFolds(examples, k, seed, (e) => e.label);
  const out: Prediction[] = [];
  for (let f = 0; f < k; f++) {
    const result = await run(examples.filter((_, i) => fold[i] !== f), examples.filter((_, i) => fold[i] === f));
    out.push(...result.predictions);
  }
  return out;
}

/**
 * A runner whose test scores go through a calibration map fitted on out-of-fold scores of its own
 * training part (nothing of the test part is seen); verdicts follow the cutoffs on the new scale.
 */
function calibratedRunner(run: Runner, kind: "platt" | "isotonic", k: number, seed: number, options: ScoreOptions): Runner {
  return async (train, test) => {
    const inner = await outOfFold(train, run, Math.min(k, train.length), seed);
    const map = kind === "platt" ? fitPlatt(inner) : fitIsotonic(inner);
    const result = await run(train, test);
    const predictions = result.predictions.map((p): Prediction => {
      const probability = calibrate(map, p.probability);
      if (p.verdict === undefined) return { ...p, probability };
      return { ...p, probability, verdict: probability >= options.spamCutoff ? "spam" : probability < options.hamCutoff ? "ham" : "unsure" };
    });
    return { ...result, predictions };
  };
}

interface OperatingReport {
  maxBlockedHam: number;
  oracle: { threshold: number; spamCaught: number; blockedHam: number };
  /** Thresholds chosen on each training part's out-of-fold scores, pooled over the test parts. */
  honest?: { spamCaught: number; blockedHam: number };
}

/**
 * Spam caught at each blocked-ham allowance: oracle (threshold chosen on the pooled test scores)
 * and, with `innerFolds` ≥ 2, honest (nested: each split's threshold from its training part only).
 */
async function operatingPoints(splits: readonly Split[], perSplit: readonly Prediction[][], all: readonly Prediction[], run: Runner, innerFolds: number, seed: number): Promise<OperatingReport[]> {
  const tallies: Tally[][] = OPERATING_RATES.map(() => []);
  if (innerFolds >= 2) {
    for (const [index, split] of splits.entries()) {
      const k = Math.min(innerFolds, split.train.length);
      const inner = await outOfFold(split.train, run, k, seed);
      OPERATING_RATES.forEach((rate, r) => tallies[r]?.push(tally(perSplit[index] ?? [], thresholdFor(inner, rate))));
    }
  }
  return OPERATING_RATES.map((rate, r) => {
    const oracle = operatingPoint(all, rate);
    const report: OperatingReport = { maxBlockedHam: rate, oracle: { threshold: oracle.threshold, spamCaught: oracle.spamCaught, blockedHam: oracle.blockedHam } };
    if (innerFolds >= 2) report.honest = pooled(tallies[r] ?? []);
    return report;
  });
}

function operatingLines(name: string, points: readonly OperatingReport[]): string[] {
  const lines = [`spam caught at blocked ham ≤ allowance (${name}; oracle: threshold on the test scores; honest: nested out-of-fold thresholds):`];
  for (const p of points) {
    const honest = p.honest ? `   honest ${pct(p.honest.spamCaught)} (blocked ham ${pct(p.honest.blockedHam)})` : "";
    lines.push(`  ≤ ${pct(p.maxBlockedHam).padEnd(8)} oracle ${pct(p.oracle.spamCaught)} (threshold ${p.oracle.threshold.toPrecision(6)})${honest}`);
  }
  return lines;
}

async function evaluate(splits: readonly Split[], run: Runner, threshold: number) {
  const all: Prediction[] = [];
  const perSplit: Array<{ name: string; report: ModelReport }> = [];
  let trainMs = 0;
  let scoreMs = 0;
  for (const split of splits) {
    const result = await run(split.train, split.test);
    all.push(...result.predictions);
    trainMs += result.trainMs;
    scoreMs += result.scoreMs;
    perSplit.push({ name: split.name, report: { metrics: computeMetrics(result.predictions, threshold, 200), ...result } });
  }
  const total: ModelReport = { metrics: computeMetrics(all, threshold), trainMs, scoreMs, predictions: all };
  return { total, perSplit };
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
const ci = (i: Interval) => `[${(100 * i.low).toFixed(1)}, ${(100 * i.high).toFixed(1)}]`;
const num = (x: number) => x.toFixed(4);
const numCi = (i: Interval) => `[${i.low.toFixed(3)}, ${i.high.toFixed(3)}]`;

function report(ours: Metrics, natural: Metrics | undefined, options: ScoreOptions): string {
  const rows: Array<[string, (m: Metrics) => string]> = [
    ["accuracy", (m) => `${pct(m.accuracy)} ${ci(m.ci.accuracy)}`],
    ["precision", (m) => `${pct(m.precision)} ${ci(m.ci.precision)}`],
    ["spam caught (recall)", (m) => `${pct(m.recall)} ${ci(m.ci.recall)}`],
    ["blocked ham (FPR)", (m) => `${pct(m.fpr)} ${ci(m.ci.fpr)}`],
    ["F1", (m) => `${num(m.f1)} ${numCi(m.ci.f1)}`],
    ["MCC", (m) => `${num(m.mcc)} ${numCi(m.ci.mcc)}`],
    ["ROC AUC", (m) => `${num(m.auc)} ${numCi(m.ci.auc)}`],
    ["FPR at 95 % recall", (m) => pct(m.fprAtRecall95)],
    ["FPR at 99 % recall", (m) => pct(m.fprAtRecall99)],
  ];
  const lines = [`${"metric (95 % CI)".padEnd(24)}${"commentinel".padEnd(30)}natural BayesClassifier`];
  for (const [name, f] of rows) lines.push(`${name.padEnd(24)}${f(ours).padEnd(30)}${natural ? f(natural) : "-"}`);
  if (ours.threeWay) {
    const t = ours.threeWay;
    lines.push("");
    lines.push(`three-way at cutoffs ham < ${options.hamCutoff} ≤ unsure < ${options.spamCutoff} ≤ spam (commentinel):`);
    lines.push(`  ham  → ham ${pct(t.ham.ham)}, unsure ${pct(t.ham.unsure)}, spam ${pct(t.ham.spam)} (blocked ham ${ours.ci.blockedHam ? ci(ours.ci.blockedHam) : ""})`);
    lines.push(`  spam → spam ${pct(t.spam.spam)}, unsure ${pct(t.spam.unsure)}, ham ${pct(t.spam.ham)}`);
    lines.push(`  unsure overall ${pct(ours.unsure)} ${ci(ours.ci.unsure)}`);
  }
  return lines.join("\n");
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.flags.has("help")) {
    process.stdout.write(HELP);
    return 0;
  }
  const dataFlag = args.flags.get("data");
  const data = dataDir(typeof dataFlag === "string" ? dataFlag : undefined, process.env);
  const threshold = numberFlag(args, "threshold", 0.5, (n) => n >= 0 && n <= 1);
  const scoreOptions: ScoreOptions = {
    ...DEFAULT_SCORE_OPTIONS,
    hamCutoff: numberFlag(args, "ham-cutoff", DEFAULT_SCORE_OPTIONS.hamCutoff, (n) => n >= 0 && n <= 1),
    spamCutoff: numberFlag(args, "spam-cutoff", DEFAULT_SCORE_OPTIONS.spamCutoff, (n) => n >= 0 && n <= 1),
    minPerLabel: numberFlag(args, "min-per-label", DEFAULT_SCORE_OPTIONS.minPerLabel, (n) => Number.isInteger(n) && n >= 0),
  };
  Object.assign(scoreOptions, jsonFlag(args, "score-options"));
  if (scoreOptions.hamCutoff > scoreOptions.spamCutoff) throw new Error("--ham-cutoff must not exceed --spam-cutoff");
  const learnOptions = jsonFlag(args, "learn-options") as LearnOptions;
  const runOptions = { scoreOptions, learnOptions, sites: !args.flags.has("no-sites") };
  const json = args.flags.has("json");
  const log = (line: string) => {
    if (!json) process.stdout.write(`${line}\n`);
  };

  if (args.flags.has("online")) return online(args, data, scoreOptions, learnOptions, json, log);
  if (args.flags.has("campaigns")) {
    const inputs = (args.inputs.length > 0 ? args.inputs : [YOUTUBE_FOLDER]).map((p) => resolveInput(p, data));
    const examples = loadExamples(inputs);
    if (examples.length === 0) throw new Error("no labeled examples found in the inputs");
    const moderator = args.flags.get("moderator") ?? "held+reported";
    if (moderator !== "all" && moderator !== "held+reported") throw new Error(`--moderator: bad value ${String(moderator)} (all | held+reported)`);
    const reportRate = numberFlag(args, "report-rate", 0.5, (n) => n >= 0 && n <= 1);
    const seed = numberFlag(args, "seed", 1, Number.isInteger);
    const seeds = numberFlag(args, "seeds", 1, (n) => Number.isInteger(n) && n >= 1 && n <= 1000);
    const plant = plantFlag(args);
    const reports = Array.from({ length: seeds }, (_, i) => campaignEval(examples, { scoreOptions, moderator, reportRate, seed: seed + i, ...(plant ? { plant } : {}) }));
    const first = reports[0]!;
    const summary = seeds > 1 ? summarizeSeeds(reports) : undefined;
    if (json) process.stdout.write(`${JSON.stringify({ ...first, scoreOptions, ...(summary ? { overSeeds: summary, perSeed: reports.map((r) => ({ seed: r.seed, runs: r.runs })) } : {}) })}\n`);
    else {
      log(formatCampaignEval(first));
      if (summary) log(formatSeedSummary(summary));
    }
    return 0;
  }

  let splits: Split[];
  let description: string;
  if (args.train.length > 0 || args.test.length > 0) {
    if (args.train.length === 0 || args.test.length === 0) throw new Error("--train and --test go together");
    const train = dedupe(loadExamples(args.train.map((p) => resolveInput(p, data)))).examples;
    const inTrain = new Set(train.map((e) => e.text));
    const testAll = dedupe(loadExamples(args.test.map((p) => resolveInput(p, data)))).examples;
    const test = testAll.filter((e) => !inTrain.has(e.text));
    description = `train ${args.train.join(" ")} (${train.length}) → test ${args.test.join(" ")} (${test.length}; ${testAll.length - test.length} also in training dropped)`;
    splits = [{ name: args.test.join("+"), train, test }];
  } else {
    const inputs = (args.inputs.length > 0 ? args.inputs : [YOUTUBE_FOLDER]).map((p) => resolveInput(p, data));
    const loaded = dedupe(loadExamples(inputs));
    const examples = loaded.examples;
    if (examples.length === 0) throw new Error("no labeled examples found in the inputs");
    if (args.flags.has("loo")) {
      const sources = [...new Set(examples.map((e) => e.source))];
      if (sources.length < 2) throw new Error("--loo needs at least two input files");
      splits = sources.map((source) => ({ name: source, train: examples.filter((e) => e.source !== source), test: examples.filter((e) => e.source === source) }));
      description = `leave one file out over ${sources.length} files, ${examples.length} examples (${loaded.dropped} exact duplicates removed first)`;
    } else {
      const k = numberFlag(args, "folds", 10, (n) => Number.isInteger(n) && n >= 2 && n <= examples.length);
      const seed = numberFlag(args, "seed", 1, Number.isInteger);
      const fold = stratifiedFolds(examples, k, seed, (e) => e.label);
      splits = Array.from({ length: k }, (_, f) => ({
        name: `fold ${f + 1}`,
        train: examples.filter((_, i) => fold[i] !== f),
        test: examples.filter((_, i) => fold[i] === f),
      }));
      description = `${k}-fold cross-validation (seed ${seed}, stratified), ${examples.length} examples (${loaded.dropped} exact duplicates removed before splitting; ${loaded.conflicts} with conflicting labels)`;
    }
  }

  if (args.flags.has("obfuscate-spam")) {
    const obfuscationSeed = numberFlag(args, "obfuscate-spam", 0, Number.isInteger);
    // Test sets only: the model learns from plain spam, as it would before spammers adapt.
    splits = splits.map((split) => ({ ...split, test: obfuscateSpam(split.test, obfuscationSeed) }));
    description += `; spam in the test sets disguised with seed ${obfuscationSeed}`;
  }

  log(description);
  const innerK = numberFlag(args, "inner-folds", 5, (n) => Number.isInteger(n) && (n === 0 || n >= 2));
  const calibration = args.flags.get("calibration");
  if (calibration !== undefined && calibration !== "platt" && calibration !== "isotonic") throw new Error("--calibration: platt or isotonic");
  const plain: Runner = (train, test) => runOurs(train, test, runOptions);
  const runOursWith: Runner = calibration === undefined ? plain : calibratedRunner(plain, calibration, Math.max(2, innerK), numberFlag(args, "seed", 1, Number.isInteger), scoreOptions);
  const ours = await evaluate(splits, runOursWith, threshold);
  const natural = args.flags.has("no-baseline") ? undefined : await evaluate(splits, runNatural, threshold);
  const innerFolds = numberFlag(args, "inner-folds", 5, (n) => Number.isInteger(n) && (n === 0 || n >= 2));
  const seed = numberFlag(args, "seed", 1, Number.isInteger);
  const oursPoints = await operatingPoints(splits, ours.perSplit.map((s) => s.report.predictions), ours.total.predictions, runOursWith, innerFolds, seed);
  const naturalPoints = natural ? await operatingPoints(splits, [], natural.total.predictions, runNatural, 0, seed) : undefined;

  const predictionsFile = args.flags.get("predictions");
  if (typeof predictionsFile === "string") {
    const rows = splits.flatMap((split, i) =>
      (ours.perSplit[i]?.report.predictions ?? []).map((p, j) => JSON.stringify({ split: split.name, source: split.test[j]?.source, label: p.label, probability: p.probability, verdict: p.verdict, text: split.test[j]?.text })),
    );
    writeFileSync(predictionsFile, rows.join("\n") + (rows.length > 0 ? "\n" : ""));
  }

  const maxBlockedHam = numberFlag(args, "max-blocked-ham", 0.01, (n) => n >= 0 && n <= 1);
  const maxPassedSpam = numberFlag(args, "max-passed-spam", 0.05, (n) => n >= 0 && n <= 1);
  const calibrated = args.flags.has("calibrate") ? calibrateCutoffs(ours.total.predictions, maxBlockedHam, maxPassedSpam) : undefined;

  const plot = args.flags.get("plot");
  if (typeof plot === "string") {
    const series = [{ name: "commentinel", predictions: ours.total.predictions, colour: "#d62728" }];
    if (natural) series.push({ name: "natural Bayes", predictions: natural.total.predictions, colour: "#1f77b4" });
    writeFileSync(plot, rocSvg(`ROC: ${description.slice(0, 80)}`, series));
  }

  if (json) {
    const strip = (r: ModelReport) => ({ ...r.metrics, trainMs: r.trainMs, scoreMs: r.scoreMs });
    const out = {
      ...strip(ours.total),
      operatingPoints: oursPoints,
      description,
      scoreOptions,
      perSplit: ours.perSplit.map((s) => ({ name: s.name, ...strip(s.report) })),
      ...(natural ? { natural: { ...strip(natural.total), operatingPoints: naturalPoints, perSplit: natural.perSplit.map((s) => ({ name: s.name, ...strip(s.report) })) } } : {}),
      ...(calibrated ? { calibrated: { ...calibrated, maxBlockedHam, maxPassedSpam } } : {}),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return 0;
  }
  log(`binary figures at threshold ${threshold}; three-way at the score options' cutoffs\n`);
  log(report(ours.total.metrics, natural?.total.metrics, scoreOptions));
  log("");
  for (const line of operatingLines("commentinel", oursPoints)) log(line);
  if (naturalPoints) for (const line of operatingLines("natural", naturalPoints)) log(line);
  if (splits.length > 1) {
    log("\nper split (accuracy / blocked ham at the threshold):");
    ours.perSplit.forEach((s, i) => {
      const n = natural?.perSplit[i]?.report.metrics;
      log(`  ${s.name.padEnd(26)} commentinel ${pct(s.report.metrics.accuracy)} / ${pct(s.report.metrics.fpr)}${n ? `   natural ${pct(n.accuracy)} / ${pct(n.fpr)}` : ""}`);
    });
  }
  log(`\ntime: commentinel train ${ours.total.trainMs.toFixed(0)} ms, score ${ours.total.scoreMs.toFixed(0)} ms` + (natural ? `; natural train ${natural.total.trainMs.toFixed(0)} ms, score ${natural.total.scoreMs.toFixed(0)} ms` : ""));
  if (calibrated) log(`calibrated cutoffs (blocked ham ≤ ${pct(maxBlockedHam)}, spam passed ≤ ${pct(maxPassedSpam)}): ham < ${calibrated.hamCutoff}, spam ≥ ${calibrated.spamCutoff}`);
  if (typeof plot === "string") log(`ROC curve written to ${plot}`);
  return 0;
}

const figureLine = (f: StreamFigures) =>
  `n ${String(f.count).padStart(4)}  blocked ham ${pct(f.blockedHam).padStart(8)}  spam published ${pct(f.spamPublished).padStart(8)}  held ${pct(f.held).padStart(8)}  decisions ${f.decisions}`;

/** `--online`: the prequential run (see src/eval/online.ts). */
function online(args: Args, data: string, scoreOptions: ScoreOptions, learnOptions: LearnOptions, json: boolean, log: (line: string) => void): number {
  const raw = args.flags.get("moderator") ?? "held+reported";
  if (raw !== "held+reported" && raw !== "reported" && raw !== "all") throw new Error("--moderator: held+reported or all");
  const policy: ModeratorPolicy = raw === "all" ? "all" : "reported";
  const reportRate = numberFlag(args, "report-rate", 0.5, (n) => n >= 0 && n <= 1);
  const seed = numberFlag(args, "seed", 1, Number.isInteger);
  const inputs = (args.inputs.length > 0 ? args.inputs : [YOUTUBE_FOLDER]).map((p) => resolveInput(p, data));
  const loaded = dedupe(loadExamples(inputs));
  if (loaded.examples.length === 0) throw new Error("no labeled examples found in the inputs");
  const options = { scoreOptions, learnOptions, policy, reportRate, seed, sites: !args.flags.has("no-sites"), ...(args.flags.has("site-cutoffs") ? { siteCutoffs: DEFAULT_SITE_CUTOFFS } : {}) };
  const result: OnlineResult = runOnline(loaded.examples, options);
  const description = `prequential over ${result.sites.length} sites, ${loaded.examples.length} comments (${loaded.dropped} exact duplicates removed), moderator ${policy}${policy === "reported" ? `, report rate ${reportRate}, seed ${seed}` : ""}${options.siteCutoffs ? ", site cutoffs from its decisions" : ""}`;
  const plot = args.flags.get("plot");
  if (typeof plot === "string") {
    const window = Math.max(20, Math.min(200, Math.floor(result.steps.length / 10)));
    const curve = learningCurve(result.steps, window);
    let at = 0;
    const marks = result.sites.map((s) => {
      const mark = { x: at, label: s.source.replace(/\.[a-z]+$/i, "") };
      at += s.whole.count;
      return mark;
    });
    writeFileSync(
      plot,
      curveSvg(`Learning curve (rolling ${window}): ${description.slice(0, 70)}`, "comments streamed", [
        { name: "held", colour: "#ff7f0e", points: curve.map((p) => ({ x: p.at, y: p.held })) },
        { name: "spam published", colour: "#d62728", points: curve.map((p) => ({ x: p.at, y: p.spamPublished })) },
        { name: "blocked ham", colour: "#1f77b4", points: curve.map((p) => ({ x: p.at, y: p.blockedHam })) },
      ], marks),
    );
  }
  if (json) {
    process.stdout.write(`${JSON.stringify({ description, policy, reportRate, seed, scoreOptions, whole: result.whole, secondHalf: result.secondHalf, sites: result.sites })}\n`);
    return 0;
  }
  log(description);
  for (const s of result.sites) {
    log(`\n${s.source} (${s.order} order)`);
    log(`  whole stream  ${figureLine(s.whole)}`);
    log(`  second half   ${figureLine(s.secondHalf)}`);
  }
  log(`\nall sites`);
  log(`  whole streams ${figureLine(result.whole)}`);
  log(`  second halves ${figureLine(result.secondHalf)}`);
  if (typeof plot === "string") log(`learning curve written to ${plot}`);
  return 0;
}

// `npm run eval -- --json | head` closes the pipe early: that is not an error worth a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`eval: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
