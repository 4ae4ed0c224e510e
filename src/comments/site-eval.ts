/**
 * `commentinel eval --site ID`: how the classifier does on one site's own decided comments, in the
 * order they were posted. Rolling-origin evaluation (Tashman 2000, "Out-of-sample tests of
 * forecasting accuracy"): train on everything before a window, test on the window, then add it to
 * the training and move on, so no comment is ever scored by a model that learned from the future.
 */
import { createMemoryModel, knownWordsOf, learnSite, score, scoringData, tokenize, type Label, type Verdict } from "../classifier/index.js";
import type { Executor } from "../db/client.js";
import { listDecidedInTimeOrder, type DecidedComment } from "../db/queries/imports.js";
import type { SiteRow } from "../db/schema.js";
import { computeMetrics, type Metrics, type Prediction } from "../eval/metrics.js";
import { featuresOf, scoreOptionsFor } from "./scoring.js";

const PAGE = 1000;
const DAY_MS = 86_400_000;

export interface EvalWindow {
  from: string;
  to: string;
  /** Comments of the window, scored by a model that learned every earlier window. */
  count: number;
  spam: number;
  ham: number;
  /** Share of the window's spam whose verdict was spam. */
  spamCaught: number;
  /** Share of the window's ham whose verdict was spam. */
  blockedHam: number;
  /** Share of the window's comments left unsure (held). */
  held: number;
  /** What the model had learned when the window began. */
  trainedOn: number;
}

export interface SiteEvalReport {
  siteId: string;
  windowDays: number;
  /** Decided comments read. */
  comments: number;
  /** Comments in the first window: training only, never scored. */
  warmup: number;
  windows: EvalWindow[];
  /** Over every scored comment (undefined when no window after the first had any). */
  metrics: Metrics | undefined;
}

function windowFigures(predictions: readonly Prediction[]) {
  const of = (label: Label) => predictions.filter((p) => p.label === label);
  const share = (rows: readonly Prediction[], v: Verdict) => (rows.length === 0 ? 0 : rows.filter((p) => p.verdict === v).length / rows.length);
  const spam = of("spam");
  const ham = of("ham");
  return { count: predictions.length, spam: spam.length, ham: ham.length, spamCaught: share(spam, "spam"), blockedHam: share(ham, "spam"), held: share(predictions, "unsure") };
}

/**
 * Replays the site's decided comments (the label each one teaches now) in posting order with the
 * site's own cutoffs and minimum training, in memory: the stored counts are not touched.
 */
export async function evaluateSite(
  db: Executor,
  site: SiteRow,
  opts: { windowDays?: number; onProgress?: (done: number) => void; bootstrapRounds?: number } = {},
): Promise<SiteEvalReport> {
  const windowDays = opts.windowDays ?? 7;
  const windowMs = windowDays * DAY_MS;
  const options = scoreOptionsFor(site);
  const model = createMemoryModel();
  const isKnownWord = knownWordsOf(model);
  const all: Prediction[] = [];
  const windows: EvalWindow[] = [];
  let start: number | undefined;
  let current = -1;
  let pending: { tokens: string[]; label: Label }[] = [];
  let predictions: Prediction[] = [];
  let learned = 0;
  let warmup = 0;
  let read = 0;
  const close = () => {
    if (current > 0 && start !== undefined && predictions.length > 0) {
      windows.push({
        from: new Date(start + current * windowMs).toISOString(),
        to: new Date(start + (current + 1) * windowMs).toISOString(),
        ...windowFigures(predictions),
        trainedOn: learned,
      });
    }
    for (const p of pending) learnSite(model, site.id, p.tokens, p.label);
    learned += pending.length;
    pending = [];
    predictions = [];
  };
  let after: { createdAt: Date; id: string } | undefined;
  for (;;) {
    const page: DecidedComment[] = await listDecidedInTimeOrder(db, { siteId: site.id, limit: PAGE, ...(after ? { after } : {}) });
    if (page.length === 0) break;
    for (const c of page) {
      const label = c.learnedLabel;
      if (!label) continue;
      const at = c.createdAt.getTime();
      start ??= at;
      const index = Math.floor((at - start) / windowMs);
      if (index !== current) {
        close();
        current = index;
      }
      const features = featuresOf(c);
      if (index === 0) warmup++;
      else {
        // Scoring may undo obfuscation into words the model knows, as the worker does.
        const tokens = tokenize(features, { isKnownWord });
        const result = score(tokens, scoringData(model, site.id, tokens), options);
        const p = { label, probability: result.probability, verdict: result.verdict };
        predictions.push(p);
        all.push(p);
      }
      pending.push({ tokens: tokenize(features), label });
    }
    read += page.length;
    opts.onProgress?.(read);
    const last = page[page.length - 1];
    if (!last) break;
    after = { createdAt: last.createdAt, id: last.id };
  }
  close();
  return {
    siteId: site.id,
    windowDays,
    comments: read,
    warmup,
    windows,
    metrics: all.length > 0 ? computeMetrics(all, 0.5, opts.bootstrapRounds ?? 200) : undefined,
  };
}
