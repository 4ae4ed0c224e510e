/**
 * The invariant checker. It reads the run's own database and Redis after each scenario:
 * every comment answered 2xx is stored (lost), none is still `pending` once the sweep window has
 * passed (stuck), each got exactly one verdict or a decision (doubled / unscored), no score job
 * failed for good, and every request's outcome is counted (sent = sum of outcomes).
 *
 * "Exactly one verdict" is read from an audit trigger this script installs on its own database
 * (not part of the product): every write of a verdict appends a row, so a verdict written twice
 * shows even though the second write would carry the same value.
 */
import { readFileSync } from "node:fs";
import { Queue, type Job } from "bullmq";
import { Redis } from "ioredis";
import type postgres from "postgres";
import { SCORE_QUEUE, scoreJobId } from "../../src/queue/score-queue.js";
import { countStatus, isOk, percentile, type Offer } from "./load.js";

export const AUDIT_SQL = `
CREATE TABLE IF NOT EXISTS chaos_verdict_writes (
  comment_id uuid NOT NULL,
  verdict text NOT NULL,
  at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS chaos_verdict_writes_comment_idx ON chaos_verdict_writes (comment_id);
CREATE OR REPLACE FUNCTION chaos_log_verdict() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.verdict IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.scored_at IS DISTINCT FROM NEW.scored_at OR OLD.verdict IS DISTINCT FROM NEW.verdict) THEN
    INSERT INTO chaos_verdict_writes (comment_id, verdict) VALUES (NEW.id, NEW.verdict);
  END IF;
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS chaos_log_verdict ON comments;
CREATE TRIGGER chaos_log_verdict AFTER INSERT OR UPDATE ON comments FOR EACH ROW EXECUTE FUNCTION chaos_log_verdict();
`;

export interface Row {
  scenario: string;
  sent: number;
  ok: number;
  byStatus: Record<string, number>;
  lost: number | null;
  stuck: number | null;
  doubled: number | null;
  p99: number;
  violations: string[];
  notes: string[];
  /** Up to 10 comments still pending after the window, for diagnosis. */
  stuckIds?: string[];
}

export interface CheckDeps {
  sql: postgres.Sql;
  redisUrl: string;
  queuePrefix: string;
  workerLog: string;
}

/**
 * Score jobs that used all their attempts, from the worker's log and from BullMQ's failed set (a
 * build with `removeOnFail: true` keeps none there). Such a job failed *for good* only if its comment
 * is still `pending`: a sweep may retry it, and then the comment settles.
 */
export async function failedForGood(deps: CheckDeps, attempts: number): Promise<{ exhausted: number; inQueue: number | null; forGood: number }> {
  const ids = new Set<string>();
  let exhausted = 0;
  try {
    for (const line of readFileSync(deps.workerLog, "utf8").split("\n")) {
      if (!line.includes("score job failed")) continue;
      try {
        const entry = JSON.parse(line) as { attempt?: number; jobId?: string };
        if ((entry.attempt ?? 0) < attempts) continue;
        exhausted++;
        if (entry.jobId?.startsWith("comment-")) ids.add(entry.jobId.slice("comment-".length));
      } catch {
        // A line cut by a SIGKILL is not JSON; it is not a failure record either.
      }
    }
  } catch {
    exhausted = 0;
  }
  let inQueue: number | null = null;
  const redis = new Redis(deps.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
  redis.on("error", () => {});
  try {
    await redis.connect();
    const queue = new Queue<{ commentId?: string }>(SCORE_QUEUE, { connection: redis, prefix: deps.queuePrefix });
    const failed = await queue.getFailed(0, 9999);
    inQueue = failed.length;
    for (const job of failed) if (job.data.commentId) ids.add(job.data.commentId);
    await queue.close();
  } catch {
    inQueue = null;
  }
  redis.disconnect();
  const list = [...ids].filter((id) => /^[0-9a-f-]{36}$/.test(id));
  const pending = list.length
    ? await deps.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM comments WHERE id = ANY(${list}::uuid[]) AND status = 'pending'`
    : [{ n: 0 }];
  return { exhausted, inQueue, forGood: pending[0]?.n ?? 0 };
}

interface Stored {
  id: string;
  status: string;
  verdict: string | null;
  writes: number;
  decisions: number;
}

async function readStored(sql: postgres.Sql, ids: string[]): Promise<Map<string, Stored>> {
  const out = new Map<string, Stored>();
  for (let i = 0; i < ids.length; i += 2000) {
    const batch = ids.slice(i, i + 2000);
    const rows = await sql<Stored[]>`
      SELECT c.id, c.status, c.verdict,
        (SELECT count(*)::int FROM chaos_verdict_writes w WHERE w.comment_id = c.id) AS writes,
        (SELECT count(*)::int FROM decisions d WHERE d.comment_id = c.id) AS decisions
      FROM comments c WHERE c.id = ANY(${batch}::uuid[])`;
    for (const r of rows) out.set(r.id, r);
  }
  return out;
}

/** Polls until no accepted comment is pending or the window closes; returns the stored rows. */
export async function settle(sql: postgres.Sql, ids: string[], windowMs: number): Promise<Map<string, Stored>> {
  const deadline = performance.now() + windowMs;
  for (;;) {
    const stored = await readStored(sql, ids);
    const pending = [...stored.values()].filter((r) => r.status === "pending").length;
    if (pending === 0 || performance.now() > deadline) return stored;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Classifies each answer; Akismet's 200 `invalid` is counted apart from its real answers. */
export function outcomes(offers: Offer[]): { byStatus: Record<string, number>; violations: string[]; notes: string[] } {
  const byStatus: Record<string, number> = {};
  const violations: string[] = [];
  const notes: string[] = [];
  let internal = 0;
  let akismetInternal = 0;
  let noRetryAfter = 0;
  let timeouts = 0;
  for (const o of offers) {
    const s = o.reply.status;
    if (o.kind === "akismet" && s === 200 && o.reply.body === "invalid") {
      countStatus(byStatus, "200:invalid");
      const help = String(o.reply.headers["x-akismet-debug-help"] ?? "");
      // The Akismet routes turn an unexpected error into `invalid`, which clients read as a bad key.
      if (/internal error/i.test(help)) akismetInternal++;
      continue;
    }
    countStatus(byStatus, s);
    if (typeof s === "number" && s >= 500 && s !== 503) internal++;
    if (s === 503 && o.reply.headers["retry-after"] === undefined) noRetryAfter++;
    if (s === "timeout") timeouts++;
  }
  if (internal) violations.push(`${internal} answers were 5xx other than 503`);
  if (akismetInternal) violations.push(`${akismetInternal} Akismet checks answered \`invalid\` for an internal error (a client reads that as a bad key)`);
  if (noRetryAfter) violations.push(`${noRetryAfter} answers were 503 without Retry-After`);
  if (timeouts) violations.push(`${timeouts} requests hung past the client's 10 s timeout`);
  const counted = Object.values(byStatus).reduce((a, b) => a + b, 0);
  if (counted !== offers.length) violations.push(`outcomes counted ${counted} of ${offers.length} sent`);
  if (byStatus.reset) notes.push(`${byStatus.reset} connections reset mid-request`);
  // When the bad answers were sent tells a fault's effect from a starved machine's.
  for (const [what, bad] of [
    ["timeouts", (o: Offer) => o.reply.status === "timeout"],
    ["5xx", (o: Offer) => typeof o.reply.status === "number" && o.reply.status >= 500],
  ] as const) {
    const at = offers.filter(bad).map((o) => o.sentAt / 1000);
    if (at.length) notes.push(`${what} sent at ${Math.min(...at).toFixed(1)}–${Math.max(...at).toFixed(1)} s`);
  }
  return { byStatus, violations, notes };
}

export async function checkScenario(deps: CheckDeps, scenario: string, offers: Offer[], windowMs: number): Promise<Row> {
  const { byStatus, violations, notes } = outcomes(offers);
  const accepted = offers.filter((o) => isOk(o.reply.status) && o.id !== undefined);
  const okWithoutId = offers.filter((o) => isOk(o.reply.status) && o.id === undefined && !(o.kind === "akismet" && o.reply.body === "invalid")).length;
  if (okWithoutId) violations.push(`${okWithoutId} 2xx answers carried no comment id`);
  const ids = accepted.map((o) => o.id as string);
  const started = performance.now();
  const stored = await settle(deps.sql, ids, windowMs);
  const settledMs = performance.now() - started;
  const lost = ids.filter((id) => !stored.has(id)).length;
  const rows = [...stored.values()];
  const stuck = rows.filter((r) => r.status === "pending").length;
  const doubled = rows.filter((r) => r.writes > 1).length;
  const unscored = rows.filter((r) => r.status !== "pending" && r.writes === 0 && r.decisions === 0).length;
  if (lost) violations.push(`${lost} comments answered 2xx are not stored`);
  if (stuck) violations.push(`${stuck} comments still pending ${(windowMs / 1000).toFixed(0)} s after the load ended`);
  if (doubled) violations.push(`${doubled} comments got more than one verdict write`);
  if (unscored) violations.push(`${unscored} comments left pending with neither a verdict nor a decision`);
  if (!stuck) notes.push(`all settled ${(settledMs / 1000).toFixed(1)} s after the load`);
  return {
    scenario,
    sent: offers.length,
    ok: offers.filter((o) => isOk(o.reply.status)).length,
    byStatus,
    lost,
    stuck,
    doubled,
    p99: percentile(offers.map((o) => o.reply.ms), 99),
    violations,
    notes,
    stuckIds: rows.filter((r) => r.status === "pending").slice(0, 10).map((r) => r.id),
  };
}

/** Where BullMQ has the jobs of comments still pending: a state that never moves explains a stuck one. */
export async function jobStates(deps: CheckDeps, commentIds: string[]): Promise<string> {
  const redis = new Redis(deps.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
  redis.on("error", () => {});
  try {
    await redis.connect();
    const queue = new Queue(SCORE_QUEUE, { connection: redis, prefix: deps.queuePrefix });
    const states: Record<string, number> = {};
    // A comment stored in an intake batch is in that batch's job (data.comments), not `comment-<id>`.
    const inBatches = new Map<string, Job>();
    for (const job of await queue.getJobs(["waiting", "active", "delayed", "failed", "completed", "prioritized"], 0, 20_000)) {
      const comments = (job.data as { comments?: { id: string }[] }).comments;
      for (const c of comments ?? []) inBatches.set(c.id, job);
    }
    for (const id of commentIds) {
      const job = (await queue.getJob(scoreJobId(id))) ?? inBatches.get(id);
      const state = job ? `${await job.getState()} (attempts ${job.attemptsMade}${inBatches.get(id) === job ? ", batch job" : ""})` : "no job";
      states[state] = (states[state] ?? 0) + 1;
    }
    await queue.close();
    return Object.entries(states).map(([k, v]) => `${v} ${k}`).join(", ");
  } catch (err) {
    return `unreadable (${(err as Error).message})`;
  } finally {
    redis.disconnect();
  }
}

export function formatTable(rows: Row[]): string {
  const cell = (v: number | null) => (v === null ? "–" : String(v));
  const by = (b: Record<string, number>) =>
    Object.entries(b)
      .sort(([a], [c]) => a.localeCompare(c))
      .map(([k, v]) => `${k}: ${v}`)
      .join(", ");
  const lines = [
    "| scenario | sent | 2xx | by status | lost | stuck | doubled | p99 | result |",
    "|---|---:|---:|---|---:|---:|---:|---:|---|",
    ...rows.map((r) =>
      `| ${r.scenario} | ${r.sent} | ${r.ok} | ${by(r.byStatus)} | ${cell(r.lost)} | ${cell(r.stuck)} | ${cell(r.doubled)} | ${Number.isFinite(r.p99) ? `${r.p99.toFixed(0)} ms` : "–"} | ${r.violations.length ? "**FAIL**" : "pass"} |`,
    ),
  ];
  return lines.join("\n");
}
