/**
 * Evaluation CLI: `npm run eval -- [inputs…] [--folds K | --train FILE… --test FILE… | --loo] [options]`.
 * Prints our classifier's figures beside natural's BayesClassifier on the same splits. See --help.
 */
import { writeFileSync } from "node:fs";
import { DEFAULT_SCORE_OPTIONS, type ScoreOptions } from "../classifier/index.js";
import { dedupe, loadExamples, type Example } from "../eval/data.js";
import { campaignEval, formatCampaignEval } from "../eval/campaigns.js";
import { calibrateCutoffs, runNatural, runOurs, type RunResult } from "../eval/evaluate.js";
import { stratifiedFolds } from "../eval/folds.js";
import { computeMetrics, type Interval, type Metrics, type Prediction } from "../eval/metrics.js";
import { obfuscateSpam } from "../eval/obfuscate.js";
import { YOUTUBE_FOLDER, dataDir, resolveInput } from "../eval/paths.js";
import { rocSvg } from "../eval/plot.js";

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
  --calibrate             also print cutoffs chosen on these out-of-sample scores
  --max-blocked-ham R     calibration target for blocked ham (default 0.01)
  --max-passed-spam R     calibration target for spam passed as ham (default 0.05)
  --campaigns             prequential replay of the inputs as one stream (each file a site, files
                          interleaved, one shared campaign index), run with and without campaign
                          signals; exact duplicates are kept (repeats are what campaigns are)
  --moderator P           with --campaigns: all | held+reported (default held+reported)
  --report-rate R         with --campaigns: chance a wrong verdict is reported and learned (default 0.5)
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
  const valued = new Set(["data", "folds", "seed", "plot", "threshold", "ham-cutoff", "spam-cutoff", "min-per-label", "max-blocked-ham", "max-passed-spam", "obfuscate-spam", "moderator", "report-rate"]);
  const known = new Set([...valued, "train", "test", "json", "loo", "no-baseline", "no-sites", "calibrate", "help", "campaigns"]);
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

async function evaluate(splits: readonly Split[], run: (train: Example[], test: Example[]) => RunResult | Promise<RunResult>, threshold: number) {
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
  if (scoreOptions.hamCutoff > scoreOptions.spamCutoff) throw new Error("--ham-cutoff must not exceed --spam-cutoff");
  const runOptions = { scoreOptions, sites: !args.flags.has("no-sites") };
  const json = args.flags.has("json");
  const log = (line: string) => {
    if (!json) process.stdout.write(`${line}\n`);
  };

  if (args.flags.has("campaigns")) {
    const inputs = (args.inputs.length > 0 ? args.inputs : [YOUTUBE_FOLDER]).map((p) => resolveInput(p, data));
    const examples = loadExamples(inputs);
    if (examples.length === 0) throw new Error("no labeled examples found in the inputs");
    const moderator = args.flags.get("moderator") ?? "held+reported";
    if (moderator !== "all" && moderator !== "held+reported") throw new Error(`--moderator: bad value ${String(moderator)} (all | held+reported)`);
    const reportRate = numberFlag(args, "report-rate", 0.5, (n) => n >= 0 && n <= 1);
    const seed = numberFlag(args, "seed", 1, Number.isInteger);
    const result = campaignEval(examples, { scoreOptions, moderator: moderator, reportRate, seed });
    if (json) process.stdout.write(`${JSON.stringify({ ...result, scoreOptions })}\n`);
    else log(formatCampaignEval(result));
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
  const ours = await evaluate(splits, (train, test) => runOurs(train, test, runOptions), threshold);
  const natural = args.flags.has("no-baseline") ? undefined : await evaluate(splits, runNatural, threshold);

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
      description,
      scoreOptions,
      perSplit: ours.perSplit.map((s) => ({ name: s.name, ...strip(s.report) })),
      ...(natural ? { natural: { ...strip(natural.total), perSplit: natural.perSplit.map((s) => ({ name: s.name, ...strip(s.report) })) } } : {}),
      ...(calibrated ? { calibrated: { ...calibrated, maxBlockedHam, maxPassedSpam } } : {}),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return 0;
  }
  log(`binary figures at threshold ${threshold}; three-way at the score options' cutoffs\n`);
  log(report(ours.total.metrics, natural?.total.metrics, scoreOptions));
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
