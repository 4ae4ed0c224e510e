import { createRequire } from "node:module";
import {
  DEFAULT_SCORE_OPTIONS,
  GLOBAL_SCOPE,
  createMemoryModel,
  knownWordsOf,
  learnSite,
  scoringData,
  tokenize,
  type LearnOptions,
  type ScoreOptions,
} from "../classifier/index.js";
import { featuresOf, scoreTokens } from "../comments/scoring.js";
import type { Example } from "./data.js";
import type { Prediction } from "./metrics.js";

export interface RunOptions {
  scoreOptions: ScoreOptions;
  /** Learn and score each example under a site scope named after its source file (plus global). */
  sites: boolean;
  /** How documents are weighed when learned (default: the service's). */
  learnOptions?: LearnOptions;
}

export const DEFAULT_RUN_OPTIONS: RunOptions = { scoreOptions: DEFAULT_SCORE_OPTIONS, sites: true };

export interface RunResult {
  predictions: Prediction[];
  trainMs: number;
  scoreMs: number;
}

/** An example as the service would see it: the one mapping from a stored comment to features. */
function featuresOfExample(example: Example) {
  return featuresOf({ content: example.text });
}

/** Trains a fresh in-memory model on `train` and scores every example of `test`. */
export function runOurs(train: readonly Example[], test: readonly Example[], options: RunOptions = DEFAULT_RUN_OPTIONS): RunResult {
  const model = createMemoryModel();
  const trainStart = performance.now();
  for (const example of train) learnSite(model, options.sites ? example.source : GLOBAL_SCOPE, tokenize(featuresOfExample(example)), example.label, options.learnOptions);
  const trainMs = performance.now() - trainStart;
  const scoreStart = performance.now();
  const isKnownWord = knownWordsOf(model);
  const predictions: Prediction[] = [];
  for (const example of test) {
    // Scoring may undo digit swaps and spaced letters into words the model knows (issue 5).
    const features = featuresOfExample(example);
    const tokens = tokenize(features, { isKnownWord });
    const result = scoreTokens(tokens, scoringData(model, options.sites ? example.source : undefined, tokens), options.scoreOptions, features);
    predictions.push({ label: example.label, probability: result.probability, verdict: result.verdict });
  }
  return { predictions, trainMs, scoreMs: performance.now() - scoreStart };
}

interface NaturalBayes {
  addDocument(text: string, label: string): void;
  train(): void;
  getClassifications(text: string): Array<{ label: string; value: number }>;
}

type NaturalBayesClass = new () => NaturalBayes;
let naturalBayes: NaturalBayesClass | undefined;

/**
 * natural's BayesClassifier class, loaded lazily from its own module: the package entry point costs
 * about a second and 100 MB, pulls in database clients and prints dotenv notices on stdout (which
 * would corrupt `--json`). The class is the same one `require("natural").BayesClassifier` returns.
 */
export function loadNaturalBayes(): NaturalBayesClass {
  naturalBayes ??= createRequire(import.meta.url)("natural/lib/natural/classifiers/bayes_classifier.js") as NaturalBayesClass;
  return naturalBayes;
}

/** natural's BayesClassifier with its default tokenizer and Porter stemmer, as the baseline. */
export function runNatural(train: readonly Example[], test: readonly Example[]): RunResult {
  const NaturalBayesClassifier = loadNaturalBayes();
  const classifier = new NaturalBayesClassifier();
  const trainStart = performance.now();
  for (const example of train) classifier.addDocument(example.text, example.label);
  classifier.train();
  const trainMs = performance.now() - trainStart;
  const scoreStart = performance.now();
  const predictions: Prediction[] = [];
  for (const example of test) {
    const classes = classifier.getClassifications(example.text);
    const spam = classes.find((c) => c.label === "spam")?.value ?? 0;
    const ham = classes.find((c) => c.label === "ham")?.value ?? 0;
    // Its values are unnormalised P(c)·ΠP(w|c); normalising gives a score for the ROC curve.
    predictions.push({ label: example.label, probability: spam + ham > 0 ? spam / (spam + ham) : 0.5 });
  }
  return { predictions, trainMs, scoreMs: performance.now() - scoreStart };
}

export interface Cutoffs {
  hamCutoff: number;
  spamCutoff: number;
}

/**
 * Cutoffs from out-of-sample scores: the spam cutoff is the lowest (on a 0.005 grid) that blocks at
 * most `maxBlockedHam` of the ham; the ham cutoff the highest below it that lets at most
 * `maxPassedSpam` of the spam through as ham. Everything between is held for a moderator.
 */
export function calibrateCutoffs(predictions: readonly Prediction[], maxBlockedHam: number, maxPassedSpam: number): Cutoffs {
  const hams = predictions.filter((p) => p.label === "ham").map((p) => p.probability);
  const spams = predictions.filter((p) => p.label === "spam").map((p) => p.probability);
  const grid = Array.from({ length: 201 }, (_, i) => i / 200);
  let spamCutoff = 1;
  for (const t of grid) {
    if (hams.filter((p) => p >= t).length <= maxBlockedHam * hams.length) {
      spamCutoff = t;
      break;
    }
  }
  let hamCutoff = 0;
  for (const t of grid) {
    if (t > spamCutoff) break;
    if (spams.filter((p) => p < t).length <= maxPassedSpam * spams.length) hamCutoff = t;
  }
  return { hamCutoff, spamCutoff };
}
