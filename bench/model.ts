/**
 * Model-in-memory benchmark (`npm run bench -- model`): what it costs a scoring process to hold
 * every count, at 100k and 1M learned decisions over 50 sites (synthetic, seeded). For each size
 * the counts are built exactly as decisions build them (`learnSite` = the `learnDeltas` that
 * `applyLearning` writes), written to the bench database, then a fresh child process loads them
 * with the service's own `createLiveModel` and reports load time, RSS and heap.
 *
 * Environment: BENCH_MODEL_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/commentinel_core_bench_model,
 * created if missing and EMPTIED at every run), BENCH_MODEL_SIZES (100000,1000000), BENCH_MODEL_SITES (50).
 */
import { spawn } from "node:child_process";
import os from "node:os";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import postgres from "postgres";
import { GLOBAL_SCOPE, createMemoryModel, learnSite, tokenize } from "../src/classifier/index.js";
import { ensureDatabase, runMigrations } from "../src/db/migrate.js";
import { syntheticCorpus } from "./classifier-synthetic.js";

const DB = process.env.BENCH_MODEL_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/commentinel_core_bench_model";
const SIZES = (process.env.BENCH_MODEL_SIZES ?? "100000,1000000").split(",").map(Number);
const SITES = Number(process.env.BENCH_MODEL_SITES ?? 50);
/** Documents generated per chunk: the corpus generator holds a chunk at a time, not a million texts. */
const CHUNK = 50_000;

const escapeCopy = (s: string) => s.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");

interface ChildReport {
  loadMs: number;
  rssMiB: number;
  heapMiB: number;
  baselineRssMiB: number;
  cached: number;
  cacheRows: number;
  cold: { perSecond: number; hitRate: number };
  warm: { perSecond: number; hitRate: number };
}

/** Measured with the first design (every count in memory, 100k decisions): RSS per count row. */
const BYTES_PER_ROW_HELD = 145;

function loadInChild(): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "bench/model-child.ts"], { env: { ...process.env, BENCH_MODEL_DATABASE_URL: DB }, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`model child exited ${code}: ${out}`));
      resolve(JSON.parse(out.trim().split("\n").pop() ?? "{}") as ChildReport);
    });
  });
}

export async function run(): Promise<void> {
  await ensureDatabase(DB);
  await runMigrations(DB);
  const sql = postgres(DB, { max: 1, onnotice: () => {} });
  const sites = Array.from({ length: SITES }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
  process.stdout.write(
    `Machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(", ")}.\n\n`,
  );
  process.stdout.write(
    "| decisions (50 sites) | count rows in Postgres | every row held (est.) | start (totals) | scoring, cold: /s, hit rate | warm: /s, hit rate | cached rows (bound) | RSS (empty process) | heap |\n|---|---|---|---|---|---|---|---|---|\n",
  );
  try {
    for (const size of SIZES) {
      const started = performance.now();
      const model = createMemoryModel();
      for (let done = 0; done < size; done += CHUNK) {
        const docs = syntheticCorpus(Math.min(CHUNK, size - done), 1000 + done / CHUNK);
        docs.forEach((d, i) => learnSite(model, sites[(done + i) % SITES] ?? GLOBAL_SCOPE, tokenize({ content: d.text }), d.label));
      }
      await sql`TRUNCATE token_counts, scope_totals, model_changes`;
      let rows = 0;
      for (const [scope, s] of model.scopes) {
        await sql`INSERT INTO scope_totals (scope, spam, ham) VALUES (${scope}, ${s.totals.spam}, ${s.totals.ham})`;
        rows += s.tokens.size;
        const lines = (function* () {
          let batch = "";
          for (const [token, c] of s.tokens) {
            batch += `${escapeCopy(scope)}\t${escapeCopy(token)}\t${c.spam}\t${c.ham}\n`;
            if (batch.length > 1 << 16) {
              yield batch;
              batch = "";
            }
          }
          if (batch) yield batch;
        })();
        await pipeline(Readable.from(lines), await sql`COPY token_counts (scope, token, spam, ham) FROM STDIN`.writable());
      }
      model.scopes.clear();
      const built = performance.now() - started;
      const r = await loadInChild();
      process.stdout.write(
        `| ${size.toLocaleString("en-US")} | ${rows.toLocaleString("en-US")} | ${((rows * BYTES_PER_ROW_HELD) / 2 ** 20).toFixed(0)} MiB | ${r.loadMs.toFixed(0)} ms | ${Math.round(r.cold.perSecond)}/s, ${(r.cold.hitRate * 100).toFixed(0)} % | ${Math.round(r.warm.perSecond)}/s, ${(r.warm.hitRate * 100).toFixed(0)} % | ${r.cached.toLocaleString("en-US")} (${r.cacheRows.toLocaleString("en-US")}) | ${r.rssMiB.toFixed(0)} MiB (${r.baselineRssMiB.toFixed(0)}) | ${r.heapMiB.toFixed(0)} MiB |\n`,
      );
      process.stdout.write(`(built and written in ${(built / 1000).toFixed(0)} s)\n`);
    }
  } finally {
    await sql`TRUNCATE token_counts, scope_totals, model_changes`;
    await sql.end();
  }
}
