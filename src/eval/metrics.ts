import type { Label, Verdict } from "../classifier/index.js";
import { seededRandom } from "./folds.js";

/** One scored test comment. */
export interface Prediction {
  label: Label;
  /** Spam probability (or any score where higher means spammier). */
  probability: number;
  /** Three-way verdict at the chosen cutoffs, when the model has one. */
  verdict?: Verdict;
}

export interface Interval {
  low: number;
  high: number;
}

export interface Metrics {
  count: number;
  spam: number;
  ham: number;
  /** The binary decision is spam iff probability ≥ threshold. */
  threshold: number;
  accuracy: number;
  precision: number;
  /** Spam caught. */
  recall: number;
  /** Blocked ham (false-positive rate) of the binary decision. */
  fpr: number;
  f1: number;
  mcc: number;
  auc: number;
  /** Blocked ham when the threshold is set to catch 95 % / 99 % of spam. */
  fprAtRecall95: number;
  fprAtRecall99: number;
  /** Share of all comments whose three-way verdict is `unsure` (0 without verdicts). */
  unsure: number;
  /** Three-way rates per true label, at the cutoffs. */
  threeWay?: { ham: Record<Verdict, number>; spam: Record<Verdict, number> };
  ci: {
    accuracy: Interval;
    precision: Interval;
    recall: Interval;
    fpr: Interval;
    f1: Interval;
    mcc: Interval;
    auc: Interval;
    unsure: Interval;
    blockedHam?: Interval;
  };
}

/** Wilson score interval for a proportion at 95 % (z = 1.96): sound near 0 and 1, unlike the normal one. */
export function wilson(successes: number, trials: number, z = 1.96): Interval {
  if (trials === 0) return { low: 0, high: 1 };
  const p = successes / trials;
  const denominator = 1 + (z * z) / trials;
  const centre = (p + (z * z) / (2 * trials)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + (z * z) / (4 * trials * trials))) / denominator;
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

function confusion(predictions: readonly Prediction[], threshold: number): Confusion {
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (const p of predictions) {
    const saysSpam = p.probability >= threshold;
    if (p.label === "spam") {
      if (saysSpam) c.tp++;
      else c.fn++;
    } else if (saysSpam) c.fp++;
    else c.tn++;
  }
  return c;
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

function f1Of(c: Confusion): number {
  return ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn);
}

function mccOf(c: Confusion): number {
  const d = Math.sqrt((c.tp + c.fp) * (c.tp + c.fn) * (c.tn + c.fp) * (c.tn + c.fn));
  return d === 0 ? 0 : (c.tp * c.tn - c.fp * c.fn) / d;
}

/** ROC AUC as the Mann–Whitney statistic, ties counted half. */
export function rocAuc(predictions: readonly Prediction[]): number {
  const sorted = [...predictions].sort((a, b) => a.probability - b.probability);
  let spam = 0;
  let ham = 0;
  let rankSumSpam = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && sorted[j]?.probability === sorted[i]?.probability) j++;
    const averageRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) {
      if (sorted[k]?.label === "spam") {
        spam++;
        rankSumSpam += averageRank;
      } else ham++;
    }
    i = j;
  }
  if (spam === 0 || ham === 0) return 0.5;
  return (rankSumSpam - (spam * (spam + 1)) / 2) / (spam * ham);
}

/** Blocked ham at the highest threshold that still catches `recall` of the spam. */
export function fprAtRecall(predictions: readonly Prediction[], recall: number): number {
  const spamScores = predictions.filter((p) => p.label === "spam").map((p) => p.probability).sort((a, b) => a - b);
  const hams = predictions.filter((p) => p.label === "ham");
  if (spamScores.length === 0 || hams.length === 0) return 0;
  const needed = Math.ceil(recall * spamScores.length);
  const threshold = spamScores[spamScores.length - needed] ?? 0;
  return hams.filter((p) => p.probability >= threshold).length / hams.length;
}

/** ROC curve points (fpr, tpr) from the highest threshold down. */
export function rocCurve(predictions: readonly Prediction[]): Array<{ fpr: number; tpr: number }> {
  const sorted = [...predictions].sort((a, b) => b.probability - a.probability);
  const spam = sorted.filter((p) => p.label === "spam").length;
  const ham = sorted.length - spam;
  const points = [{ fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && sorted[j]?.probability === sorted[i]?.probability) {
      if (sorted[j]?.label === "spam") tp++;
      else fp++;
      j++;
    }
    points.push({ fpr: ratio(fp, ham), tpr: ratio(tp, spam) });
    i = j;
  }
  return points;
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))] ?? 0;
}

/** Percentile bootstrap (seeded) for statistics that are not simple proportions. */
function bootstrap(predictions: readonly Prediction[], statistic: (sample: Prediction[]) => number, rounds: number, seed: number): Interval {
  const random = seededRandom(seed);
  const values: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const sample: Prediction[] = [];
    for (let i = 0; i < predictions.length; i++) sample.push(predictions[Math.floor(random() * predictions.length)] as Prediction);
    values.push(statistic(sample));
  }
  values.sort((a, b) => a - b);
  return { low: percentile(values, 0.025), high: percentile(values, 0.975) };
}

/** Every figure the eval prints, with 95 % intervals (Wilson for proportions, bootstrap otherwise). */
export function computeMetrics(predictions: readonly Prediction[], threshold = 0.5, bootstrapRounds = 500): Metrics {
  const c = confusion(predictions, threshold);
  const spam = c.tp + c.fn;
  const ham = c.tn + c.fp;
  const count = predictions.length;
  const withVerdicts = predictions.filter((p) => p.verdict !== undefined);
  const unsureCount = withVerdicts.filter((p) => p.verdict === "unsure").length;
  const metrics: Metrics = {
    count,
    spam,
    ham,
    threshold,
    accuracy: ratio(c.tp + c.tn, count),
    precision: ratio(c.tp, c.tp + c.fp),
    recall: ratio(c.tp, spam),
    fpr: ratio(c.fp, ham),
    f1: f1Of(c),
    mcc: mccOf(c),
    auc: rocAuc(predictions),
    fprAtRecall95: fprAtRecall(predictions, 0.95),
    fprAtRecall99: fprAtRecall(predictions, 0.99),
    unsure: ratio(unsureCount, count),
    ci: {
      accuracy: wilson(c.tp + c.tn, count),
      precision: wilson(c.tp, c.tp + c.fp),
      recall: wilson(c.tp, spam),
      fpr: wilson(c.fp, ham),
      f1: bootstrap(predictions, (s) => f1Of(confusion(s, threshold)), bootstrapRounds, 1),
      mcc: bootstrap(predictions, (s) => mccOf(confusion(s, threshold)), bootstrapRounds, 2),
      auc: bootstrap(predictions, rocAuc, bootstrapRounds, 3),
      unsure: wilson(unsureCount, count),
    },
  };
  if (withVerdicts.length === count && count > 0) {
    const rates = (label: Label): Record<Verdict, number> => {
      const of = predictions.filter((p) => p.label === label);
      const share = (v: Verdict) => ratio(of.filter((p) => p.verdict === v).length, of.length);
      return { ham: share("ham"), unsure: share("unsure"), spam: share("spam") };
    };
    metrics.threeWay = { ham: rates("ham"), spam: rates("spam") };
    metrics.ci.blockedHam = wilson(predictions.filter((p) => p.label === "ham" && p.verdict === "spam").length, ham);
  }
  return metrics;
}
