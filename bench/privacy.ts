/**
 * Retention and site deletion benchmark (`npm run bench -- privacy`, issue 11): how fast a purge and
 * a site deletion go through BENCH_PRIVACY_COMMENTS (5,000) decided comments, how long their longest
 * transaction holds its locks, and what a moderator's decision waits meanwhile. Raw baseline in the
 * same run: deleting the same number of comments by id batches with no unlearning.
 *
 * Environment: BENCH_DATABASE_URL (server; the bench recreates the database
 * commentinel_privacy_bench[_BENCH_PREFIX] there), BENCH_PRIVACY_COMMENTS.
 */
import os from "node:os";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { recordDecision } from "../src/comments/decisions.js";
import { storeComment } from "../src/comments/intake.js";
import { purgeSite } from "../src/comments/retention.js";
import { deleteSite } from "../src/comments/sites.js";
import { createDb, type Db } from "../src/db/client.js";
import { ensureDatabase, runMigrations } from "../src/db/migrate.js";
import { deleteComments } from "../src/db/queries/privacy.js";
import { insertSite } from "../src/db/queries/sites.js";
import { seededRandom } from "../src/eval/folds.js";

const SERVER = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const COMMENTS = Number(process.env.BENCH_PRIVACY_COMMENTS ?? 5000);
/** BENCH_PREFIX keeps parallel runs on one server apart. */
const DB_NAME = `commentinel_privacy_bench${process.env.BENCH_PREFIX ? `_${process.env.BENCH_PREFIX.replace(/\W/g, "_")}` : ""}`;
const DAY = 86_400_000;

function text(random: () => number, i: number): string {
  const words = ["cheap", "pills", "thanks", "great", "post", "casino", "bonus", "postgres", "index", "lock", "article", "helped", "buy", "now"];
  const n = 8 + Math.floor(random() * 20);
  return Array.from({ length: n }, () => words[Math.floor(random() * words.length)]).join(" ") + ` w${i % 700} https://d${i % 50}.example/p${i}`;
}

async function fill(db: Db, siteId: string, n: number, seed: number): Promise<string[]> {
  const random = seededRandom(seed);
  const ids: string[] = [];
  const work = Array.from({ length: n }, (_, i) => i);
  // Eight writers at once: filling is not what is measured.
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = work.pop(); i !== undefined; i = work.pop()) {
        const { comment } = await storeComment(db, siteId, { thread: `t${i % 20}`, content: text(random, i) }, { truncateIp: false });
        await recordDecision(db, { siteId, commentId: comment.id, label: random() < 0.5 ? "spam" : "ham", actor: "bench" });
        ids.push(comment.id);
      }
    }),
  );
  return ids;
}

/** Times each batch by the gaps between progress callbacks: the longest is the longest transaction (plus a round trip). */
function batchTimer() {
  let last = performance.now();
  let longest = 0;
  return {
    onProgress: () => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    },
    longest: () => longest,
  };
}

/** A moderator deciding comments of another site while `work` runs: the decisions' latencies. */
async function decisionsDuring(db: Db, siteId: string, ids: string[], work: Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  let done = false;
  void work.finally(() => (done = true));
  let i = 0;
  while (!done) {
    const id = ids[i++ % ids.length];
    if (!id) break;
    const t = performance.now();
    await recordDecision(db, { siteId, commentId: id, label: i % 2 === 0 ? "spam" : "ham", actor: "bench" });
    latencies.push(performance.now() - t);
  }
  await work;
  return latencies;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

export async function run(): Promise<void> {
  const admin = postgres(SERVER, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin.end();
  const url = new URL(SERVER);
  url.pathname = `/${DB_NAME}`;
  await ensureDatabase(url.toString());
  await runMigrations(url.toString());
  const { sql: client, db } = createDb(url.toString(), { max: 10, connectTimeoutMs: 5000, statementTimeoutMs: 0 });
  try {
    const newSite = (name: string) => insertSite(db, { name, url: "https://bench.example", apiKeyHash: `${name}-a`, moderatorKeyHash: `${name}-m` });
    const other = await newSite("other");
    const otherIds = await fill(db, other.id, 200, 1);
    const rows: string[][] = [];
    const out = (what: string, n: number, ms: number, longest: string, decisions: string) =>
      rows.push([what, String(n), `${Math.round(ms)} ms`, `${Math.round((n / ms) * 1000)}/s`, longest, decisions]);

    // Raw: the same deletes with no unlearning, 200 ids a statement.
    const raw = await newSite("raw");
    const rawIds = await fill(db, raw.id, COMMENTS, 2);
    let t = performance.now();
    for (let i = 0; i < rawIds.length; i += 200) {
      await deleteComments(db, rawIds.slice(i, i + 200));
    }
    const rawMs = performance.now() - t;
    out("raw DELETE by id (baseline)", COMMENTS, rawMs, "-", "-");

    for (const keep of [false, true]) {
      const site = await newSite(`purge-${keep}`);
      await fill(db, site.id, COMMENTS, keep ? 4 : 3);
      await db.execute(sql`UPDATE sites SET settings = ${JSON.stringify({ retention: { allDays: 1, keepLearnedCounts: keep } })}::jsonb WHERE id = ${site.id}`);
      const timer = batchTimer();
      t = performance.now();
      const work = purgeSite(db, site.id, { now: new Date(Date.now() + 2 * DAY), onProgress: timer.onProgress });
      const lat = await decisionsDuring(db, other.id, otherIds, work);
      const ms = performance.now() - t;
      out(`purgeSite, ${keep ? "keep counts" : "unlearn"}`, COMMENTS, ms, `${Math.round(timer.longest())} ms`, `p50 ${pct(lat, 50).toFixed(1)} / p99 ${pct(lat, 99).toFixed(1)} ms (${lat.length})`);
    }

    const doomed = await newSite("doomed");
    await fill(db, doomed.id, COMMENTS, 5);
    const timer = batchTimer();
    t = performance.now();
    const work = deleteSite(db, doomed.id, "doomed", { onProgress: timer.onProgress });
    const lat = await decisionsDuring(db, other.id, otherIds, work);
    out("deleteSite", COMMENTS, performance.now() - t, `${Math.round(timer.longest())} ms`, `p50 ${pct(lat, 50).toFixed(1)} / p99 ${pct(lat, 99).toFixed(1)} ms (${lat.length})`);

    // Decisions alone, for comparison.
    const t0 = performance.now();
    const alone: number[] = [];
    while (performance.now() - t0 < 3000) {
      const id = otherIds[alone.length % otherIds.length] ?? "";
      const s = performance.now();
      await recordDecision(db, { siteId: other.id, commentId: id, label: alone.length % 2 === 0 ? "spam" : "ham", actor: "bench" });
      alone.push(performance.now() - s);
    }

    process.stdout.write(`machine: ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}; ${COMMENTS} decided comments per run\n\n`);
    process.stdout.write(`| run | comments | time | rate | longest batch | a decision meanwhile |\n|---|---|---|---|---|---|\n`);
    for (const r of rows) process.stdout.write(`| ${r.join(" | ")} |\n`);
    process.stdout.write(`\ndecisions with nothing else running: p50 ${pct(alone, 50).toFixed(1)} / p99 ${pct(alone, 99).toFixed(1)} ms (${alone.length})\n`);
  } finally {
    await client.end({ timeout: 5 });
  }
}
