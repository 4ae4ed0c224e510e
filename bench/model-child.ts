/** Child of bench/model.ts: loads the bench database's counts with the service's LiveModel and reports. */
import { createLiveModel } from "../src/comments/live-model.js";
import { createDb } from "../src/db/client.js";
import { createListener } from "../src/db/notify.js";
import { createLog } from "../src/log.js";

const mib = (n: number) => n / 2 ** 20;
const { sql, db } = createDb(process.env.BENCH_MODEL_DATABASE_URL ?? "", { max: 2 });
global.gc?.();
const baselineRssMiB = mib(process.memoryUsage().rss);
const model = createLiveModel({ db, listener: createListener(sql), log: createLog("silent") });
await model.ready();
const stats = model.stats();
global.gc?.();
const mem = process.memoryUsage();
process.stdout.write(
  `${JSON.stringify({ loadMs: stats.lastLoadMs, rssMiB: mib(mem.rss), heapMiB: mib(mem.heapUsed), baselineRssMiB, cached: stats.cached })}\n`,
);
await model.close();
await sql.end();
