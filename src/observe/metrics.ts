/**
 * Prometheus metrics (prom-client), in a registry of our own rather than prom-client's global one,
 * so nothing a dependency registers ends up in our scrape.
 *
 * Two kinds live here:
 *   - events (requests, verdicts, decisions, scoring time, sweep re-enqueues, enqueue failures,
 *     webhook deliveries) are counted where they happen, by one-line calls to the functions below,
 *     into this module's registry: a process serves one installation, so the events are the
 *     process's, and instrumented code needs no extra dependency passed in;
 *   - state (queue depth, pool, model size and lag) is read at scrape time from one `Deps`
 *     (src/observe/collect.ts), into a registry per deps, and `renderMetrics` joins both.
 *
 * Label values are bounded: route templates, not URLs; fixed sets of verdicts, labels, actors and
 * outcomes. Site ids appear only on the `*_by_site_total` counters, and only with METRICS_PER_SITE=1.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export const registry = new Registry();
// Process CPU, memory, event loop lag, GC: once per process (they describe the process, not a deps).
collectDefaultMetrics({ register: registry });

let perSite = false;
/** METRICS_PER_SITE: whether the by-site counters are filled (one series per site and label). */
export function setPerSiteMetrics(on: boolean): void {
  perSite = on;
}

/**
 * Seconds. From 2.5 ms (an intake answered from memory) to 10 s (past REQUEST_DEADLINE_MS's default
 * of 5 s, so a deadline 503 lands in a bucket of its own).
 */
const HTTP_BUCKETS = [0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const httpDuration = new Histogram({
  name: "commentinel_http_request_duration_seconds",
  help: "HTTP requests by route template (the matched route, never the raw URL), method and status.",
  labelNames: ["method", "route", "status"] as const,
  buckets: HTTP_BUCKETS,
  registers: [registry],
});

export type VerdictLabel = "ham" | "unsure" | "spam";
/** Where a verdict was reached: the worker's job, or an Akismet comment-check scoring in the request. */
export type VerdictSource = "worker" | "akismet";

const verdicts = new Counter({
  name: "commentinel_verdicts_total",
  help: "Verdicts reached by the model (ham, unsure, spam), by where they were reached.",
  labelNames: ["verdict", "source"] as const,
  registers: [registry],
});
const verdictsBySite = new Counter({
  name: "commentinel_verdicts_by_site_total",
  help: "Verdicts per site (filled only with METRICS_PER_SITE=1).",
  labelNames: ["verdict", "site"] as const,
  registers: [registry],
});

export function countVerdict(verdict: VerdictLabel, source: VerdictSource, siteId: string): void {
  verdicts.inc({ verdict, source });
  if (perSite) verdictsBySite.inc({ verdict, site: siteId });
}

const ACTOR_KINDS = new Set(["moderator", "admin", "akismet", "import"]);
const decisions = new Counter({
  name: "commentinel_decisions_total",
  help: "Human decisions recorded (each one teaches the model), by label and kind of actor.",
  labelNames: ["label", "actor"] as const,
  registers: [registry],
});
const decisionsBySite = new Counter({
  name: "commentinel_decisions_by_site_total",
  help: "Decisions per site (filled only with METRICS_PER_SITE=1).",
  labelNames: ["label", "site"] as const,
  registers: [registry],
});

/** `actor` is reduced to a known kind ("other" otherwise), so a new caller cannot add series at will. */
export function countDecision(label: "spam" | "ham", actor: string, siteId: string): void {
  decisions.inc({ label, actor: ACTOR_KINDS.has(actor) ? actor : "other" });
  if (perSite) decisionsBySite.inc({ label, site: siteId });
}

/** Seconds. A job is a few milliseconds of CPU plus its batch's round trips; a slow Postgres makes seconds. */
export const scoringDuration = new Histogram({
  name: "commentinel_scoring_duration_seconds",
  help: "Time to score one comment: a score-comment job from start to verdict written, or an Akismet check's scoring.",
  labelNames: ["source"] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

/** Starts timing one scoring; call the result when it is done. */
export function timeScoring(source: VerdictSource): () => void {
  const end = scoringDuration.startTimer({ source });
  return () => void end();
}

const sweepReenqueued = new Counter({
  name: "commentinel_sweep_reenqueued_total",
  help: "Comments the sweep found still pending and enqueued again (their job was lost or never added).",
  registers: [registry],
});
export const countSweepReenqueued = (n: number) => sweepReenqueued.inc(n);

const enqueueFailures = new Counter({
  name: "commentinel_enqueue_failures_total",
  help: "Comments whose scoring job could not be added (queue down or slow); the sweep adds them later.",
  registers: [registry],
});
export const countEnqueueFailures = (n: number) => enqueueFailures.inc(n);

/**
 * A webhook delivery attempt's outcome: `delivered` (2xx), `retrying` (failed, another attempt is
 * scheduled), `failed` (gave up: out of attempts or a 4xx that stops retries), `disabled` (a 410
 * turned the endpoint off), `blocked` (the SSRF guard refused the address).
 */
export type WebhookOutcome = "delivered" | "retrying" | "failed" | "disabled" | "blocked";
const webhookDeliveries = new Counter({
  name: "commentinel_webhook_deliveries_total",
  help: "Webhook delivery attempts by outcome.",
  labelNames: ["outcome"] as const,
  registers: [registry],
});
for (const outcome of ["delivered", "retrying", "failed", "disabled", "blocked"] as const) webhookDeliveries.inc({ outcome }, 0);

export function countWebhookDelivery(outcome: WebhookOutcome): void {
  webhookDeliveries.inc({ outcome });
}

// Series that should exist from the start (at 0), so rate() and alerts see them before the first event.
for (const verdict of ["ham", "unsure", "spam"] as const) for (const source of ["worker", "akismet"] as const) verdicts.inc({ verdict, source }, 0);
for (const label of ["spam", "ham"] as const) for (const actor of ["moderator", "admin", "akismet"] as const) decisions.inc({ label, actor }, 0);
sweepReenqueued.inc(0);
enqueueFailures.inc(0);

/** The event registry's text followed by each state registry's, in Prometheus's text format. */
export async function renderMetrics(state: readonly Registry[]): Promise<string> {
  const parts = [await registry.metrics()];
  for (const r of state) parts.push(await r.metrics());
  return parts.join("\n");
}

export const METRICS_CONTENT_TYPE = registry.contentType;
