/**
 * Child of bench/model.ts: starts the service's LiveModel on the bench database (totals only),
 * then scores fresh synthetic comments through the service's own scoreFeatures, 64 at a time as a
 * worker batch would, cold and then warm, and reports time, cache size, hit rate and memory.
 */
import { scoreFeatures } from "../src/comments/scoring.js";
import { createLiveModel, DEFAULT_LIVE_MODEL_OPTIONS } from "../src/comments/live-model.js";
import { createDb } from "../src/db/client.js";
import { createListener } from "../src/db/notify.js";
import { createLog } from "../src/log.js";
import { syntheticCorpus } from "./classifier-synthetic.js";

const mib = (n: number) => n / 2 ** 20;
const SITES = Number(process.env.BENCH_MODEL_SITES ?? 50);
const PROBES = Number(process.env.BENCH_MODEL_PROBES ?? 5000);
const sites = Array.from({ length: SITES }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
const { sql, db } = createDb(process.env.BENCH_MODEL_DATABASE_URL ?? "", { max: 4 });
global.gc?.();
const baselineRssMiB = mib(process.memoryUsage().rss);
const model = createLiveModel({ db, listener: createListener(sql), log: createLog("silent") }, DEFAULT_LIVE_MODEL_OPTIONS);
const started = performance.now();
await model.ready();
const loadMs = performance.now() - started;

/** Scores `docs` 64 at a time; returns comments per second and the hit rate of that pass. */
async function pass(docs: { text: string }[]) {
  const before = model.stats();
  const t = performance.now();
  for (let i = 0; i < docs.length; i += 64) {
    await Promise.all(
      docs.slice(i, i + 64).map((d, j) => scoreFeatures(model, { id: sites[(i + j) % SITES] ?? "", hamCutoff: null, spamCutoff: null, minPerLabel: null }, { content: d.text })),
    );
  }
  const s = model.stats();
  const hits = s.hits - before.hits;
  const misses = s.misses - before.misses;
  return { perSecond: docs.length / ((performance.now() - t) / 1000), hitRate: hits / Math.max(1, hits + misses) };
}
// Comments not in the learned corpus (another seed), seen twice: first cold, then with their counts cached.
const probes = syntheticCorpus(PROBES, 424242);
const cold = await pass(probes);
const warm = await pass(probes);
global.gc?.();
const mem = process.memoryUsage();
process.stdout.write(
  `${JSON.stringify({ loadMs, rssMiB: mib(mem.rss), heapMiB: mib(mem.heapUsed), baselineRssMiB, cached: model.stats().cached, cacheRows: DEFAULT_LIVE_MODEL_OPTIONS.cacheRows, cold, warm })}\n`,
);
await model.close();
await sql.end();
