/**
 * Classifier benchmark: training documents/s, scoring comments/s and model memory at 1k, 20k and
 * 200k training documents (seeded synthetic corpus, plus the YouTube set when present), against
 * natural's BayesClassifier in the same run. natural runs in a worker thread that is stopped after
 * COMMENTINEL_BENCH_NATURAL_CAP_S seconds (default 240) per size, because its training grows with
 * documents × vocabulary. COMMENTINEL_BENCH_SIZES=1000,20000 picks the sizes.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Worker } from "node:worker_threads";
import { DEFAULT_SCORE_OPTIONS, GLOBAL_SCOPE, createMemoryModel, learnSite, score, scoringData, tokenize } from "../src/classifier/index.js";
import { dedupe, loadExamples } from "../src/eval/data.js";
import { YOUTUBE_FOLDER, dataDir } from "../src/eval/paths.js";
import { syntheticCorpus, type SyntheticDoc } from "./classifier-synthetic.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function heapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

interface Figures {
  trainMs: number;
  trainDocs: number;
  scoreMs: number;
  scored: number;
  memoryMb: number;
  accuracy: number;
}

function runOurs(train: readonly SyntheticDoc[], test: readonly SyntheticDoc[]): Figures {
  const before = heapMb();
  const model = createMemoryModel();
  const t0 = performance.now();
  for (const doc of train) learnSite(model, GLOBAL_SCOPE, tokenize({ content: doc.text }), doc.label);
  const trainMs = performance.now() - t0;
  const memoryMb = heapMb() - before;
  let correct = 0;
  const t1 = performance.now();
  for (const doc of test) {
    const tokens = tokenize({ content: doc.text });
    const result = score(tokens, scoringData(model, undefined, tokens), DEFAULT_SCORE_OPTIONS);
    if ((result.probability >= 0.5) === (doc.label === "spam")) correct++;
  }
  const scoreMs = performance.now() - t1;
  return { trainMs, trainDocs: train.length, scoreMs, scored: test.length, memoryMb, accuracy: correct / test.length };
}

// Plain JS for the worker: it loads natural's BayesClassifier module (not the whole package).
const NATURAL_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { createRequire } = require("node:module");
const BayesClassifier = createRequire(workerData.base)("natural/lib/natural/classifiers/bayes_classifier.js");
const heap = () => process.memoryUsage().heapUsed / 1048576;
const before = heap();
const classifier = new BayesClassifier();
const t0 = performance.now();
for (const d of workerData.train) classifier.addDocument(d.text, d.label);
classifier.train();
const trainMs = performance.now() - t0;
const memoryMb = heap() - before;
let correct = 0, scored = 0;
const t1 = performance.now();
for (const d of workerData.test) {
  if (scored > 0 && performance.now() - t1 > workerData.scoreBudgetMs) break;
  if ((classifier.classify(d.text) === "spam") === (d.label === "spam")) correct++;
  scored++;
}
parentPort.postMessage({ trainMs, trainDocs: workerData.train.length, scoreMs: performance.now() - t1, scored, memoryMb, accuracy: correct / scored });
`;

function runNatural(train: readonly SyntheticDoc[], test: readonly SyntheticDoc[], capMs: number): Promise<Figures | "timeout"> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(NATURAL_WORKER, {
      eval: true,
      workerData: { base: import.meta.url, train, test, scoreBudgetMs: 20_000 },
      resourceLimits: { maxOldGenerationSizeMb: 8192 },
    });
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve("timeout");
    }, capMs);
    worker.once("message", (figures: Figures) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve(figures);
    });
    worker.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000).toLocaleString("en-US");

function row(name: string, size: string, f: Figures | "timeout" | "skipped", capS: number): string {
  if (f === "timeout") return `| ${name} | ${size} | did not finish training in ${capS} s | | | |`;
  if (f === "skipped") return `| ${name} | ${size} | not run (the smaller size already hit the cap) | | | |`;
  return `| ${name} | ${size} | ${rate(f.trainDocs, f.trainMs)} (${(f.trainMs / 1000).toFixed(2)} s) | ${rate(f.scored, f.scoreMs)} (${f.scored} scored) | ${f.memoryMb.toFixed(1)} | ${(100 * f.accuracy).toFixed(1)} % |`;
}

export async function run(): Promise<void> {
  const capS = Number(process.env.COMMENTINEL_BENCH_NATURAL_CAP_S ?? 240);
  const sizes = (process.env.COMMENTINEL_BENCH_SIZES ?? "1000,20000,200000").split(",").map(Number);
  console.log(`node ${process.version}, ${(await import("node:os")).cpus().length} CPUs; natural capped at ${capS} s per size`);
  console.log("| model | training docs | train docs/s (time) | score comments/s | model heap MB | accuracy |");
  console.log("|---|---:|---:|---:|---:|---:|");
  const test = syntheticCorpus(2000, 99);
  let naturalDone = true;
  const ratios: string[] = [];
  for (const size of sizes) {
    const train = syntheticCorpus(size, 7);
    const ours = runOurs(train, test);
    console.log(row("commentinel", size.toLocaleString("en-US"), ours, capS));
    const natural = naturalDone ? await runNatural(train, test, capS * 1000) : "skipped";
    if (natural === "timeout" || natural === "skipped") naturalDone = false;
    console.log(row("natural BayesClassifier", size.toLocaleString("en-US"), natural, capS));
    if (typeof natural === "object") {
      ratios.push(`${size}: train ${(natural.trainMs / natural.trainDocs / (ours.trainMs / ours.trainDocs)).toFixed(0)}× faster, score ${(natural.scoreMs / natural.scored / (ours.scoreMs / ours.scored)).toFixed(0)}× faster`);
    } else if (natural === "timeout") {
      ratios.push(`${size}: train > ${(capS * 1000 / ours.trainMs).toFixed(0)}× faster (natural did not finish)`);
    }
  }
  const youtube = join(dataDir(undefined, process.env), YOUTUBE_FOLDER);
  if (existsSync(youtube)) {
    const docs = dedupe(loadExamples([youtube])).examples.map((e) => ({ text: e.text, label: e.label }));
    const ours = runOurs(docs, docs);
    console.log(row("commentinel", `YouTube ${docs.length}`, ours, capS));
    const natural = await runNatural(docs, docs, capS * 1000);
    console.log(row("natural BayesClassifier", `YouTube ${docs.length}`, natural, capS));
    if (typeof natural === "object") ratios.push(`YouTube: train ${(natural.trainMs / ours.trainMs).toFixed(0)}× faster, score ${(natural.scoreMs / natural.scored / (ours.scoreMs / ours.scored)).toFixed(0)}× faster`);
  } else {
    console.log(`(YouTube rows skipped: ${youtube} not found)`);
  }
  console.log("\nratios (commentinel vs natural, per document):");
  for (const r of ratios) console.log(`- ${r}`);
  console.log("(accuracy on the YouTube rows is on the training set itself: a sanity check, not an evaluation)");
}
