/**
 * `npm run chaos`: the fault, fuzz and auth-matrix run behind RELIABILITY.md. A script, not a unit
 * test: it runs a few minutes.
 *
 * It starts its own Postgres cluster (initdb into a temporary folder) and redis-server (no
 * persistence) on free ports, migrates, starts `src/main.ts api` and `worker` as real processes,
 * then runs one fault at a time under a steady stream of unique comments and checks the invariants
 * after each (check.ts); then ≥ 10,000 hostile requests (fuzz.ts) and every route against every
 * wrong key (auth-matrix.ts). It prints one table and exits 1 on any violation. Everything it
 * started is stopped on exit, on failure and on Ctrl-C. It sends only to 127.0.0.1.
 *
 * Environment: CHAOS_RATE (comments/s offered, 100), CHAOS_SECONDS (per fault, 20),
 * CHAOS_SETTLE_MS (sweep window after each load, 20000), CHAOS_FUZZ (hostile requests, 10000),
 * CHAOS_ROOT (the checkout whose src/main.ts is started, default this one), CHAOS_SEED (fuzz, 14),
 * CHAOS_SLOW_CAP_MS (how long a slow client may be held, 45000), CHAOS_ONLY (comma-separated: baseline, redis-kill, worker-kill, pg-restart, api-sigterm, redis-oom,
 * fuzz, auth), CHAOS_KEEP_TMP=1 (keep the logs and cluster).
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import os from "node:os";
import { Redis } from "ioredis";
import postgres from "postgres";
import { runAuthMatrix } from "./auth-matrix.js";
import { AUDIT_SQL, checkScenario, failedForGood, formatTable, jobStates, type CheckDeps, type Row } from "./check.js";
import {
  cleanupAll,
  freePort,
  installCleanupHandlers,
  makeTempDir,
  migrate,
  PORT_RANGES,
  serviceLogPath,
  sleep,
  startPostgres,
  startRedis,
  startService,
  waitFor,
  type Service,
} from "./cluster.js";
import { runFuzz } from "./fuzz.js";
import { isOk, offerComments, request, type Site } from "./load.js";

const RATE = Number(process.env.CHAOS_RATE ?? 100);
const SECONDS = Number(process.env.CHAOS_SECONDS ?? 20);
const SETTLE_MS = Number(process.env.CHAOS_SETTLE_MS ?? 20_000);
const FUZZ = Number(process.env.CHAOS_FUZZ ?? 10_000);
const ONLY = process.env.CHAOS_ONLY?.split(",").filter(Boolean);
/** When the fault strikes, into each load. */
const FAULT_AT_MS = Math.min(6000, (SECONDS * 1000) / 3);
/** The score job's attempts (src/queue/score-queue.ts); a job that used them all failed for good. */
const JOB_ATTEMPTS = 5;
const QUEUE_PREFIX = "chaos";

const log = (msg: string) => process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

async function main(): Promise<number> {
  installCleanupHandlers();
  const tmp = makeTempDir();
  log(`temporary folder ${tmp}`);
  const pg = await startPostgres(tmp);
  log(`postgres on 127.0.0.1:${pg.port}`);
  const redis = await startRedis(tmp);
  log(`redis-server on 127.0.0.1:${redis.port} (no RDB, no AOF)`);

  const admin = postgres(pg.url("postgres"), { max: 1, onnotice: () => {} });
  await admin.unsafe("CREATE DATABASE commentinel_chaos");
  await admin.end();
  const databaseUrl = pg.url("commentinel_chaos");
  const adminToken = randomBytes(24).toString("hex");
  const apiPort = await freePort(PORT_RANGES.http);
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redis.url,
    HOST: "127.0.0.1",
    PORT: String(apiPort),
    ADMIN_TOKEN: adminToken,
    QUEUE_PREFIX,
    LOG_LEVEL: "info",
    // Short sweep settings, so "none pending after the sweep window" is checkable in seconds.
    SWEEP_INTERVAL_MS: "1000",
    SWEEP_MIN_AGE_MS: "3000",
    // The load is one site from one address at CHAOS_RATE/s: past the default rate limits.
    RATE_LIMIT_IP_PER_MINUTE: "0",
    RATE_LIMIT_SITE_PER_MINUTE: "0",
  };
  migrate(env);
  const sql = postgres(databaseUrl, { max: 4, onnotice: () => {}, connect_timeout: 5 });
  await sql.unsafe(AUDIT_SQL);
  log("migrated; verdict audit trigger installed");

  let api: Service = await startService(tmp, "api", env);
  let worker: Service = await startService(tmp, "worker", env);
  log(`api pid ${api.pid} on 127.0.0.1:${apiPort}, worker pid ${worker.pid}`);

  const admin_ = { authorization: `Bearer ${adminToken}`, "content-type": "application/json" };
  const createSite = async (name: string): Promise<Site> => {
    const url = `https://${name}.chaos.example`;
    const r = await request({ port: apiPort, method: "POST", path: "/v1/sites", headers: admin_, body: JSON.stringify({ name, url }) });
    if (r.status !== 201) throw new Error(`creating site ${name}: ${r.status} ${r.body}`);
    const b = JSON.parse(r.body) as { site: { id: string }; apiKey: string; moderatorKey: string };
    return { id: b.site.id, apiKey: b.apiKey, moderatorKey: b.moderatorKey, url };
  };
  const load = await createSite("load");

  const checkDeps: CheckDeps = { sql, redisUrl: redis.url, queuePrefix: QUEUE_PREFIX, workerLog: serviceLogPath(tmp, "worker") };
  const rows: Row[] = [];
  let failedBefore = 0;
  let exhaustedBefore = 0;

  const ready = async (timeoutMs: number) => {
    try {
      await waitFor(async () => (await request({ port: apiPort, method: "GET", path: "/readyz", timeoutMs: 2000 })).status === 200, timeoutMs, "/readyz 200");
      return true;
    } catch {
      return false;
    }
  };

  const scenario = async (id: string, name: string, fault: (agent: http.Agent, row: { violations: string[]; notes: string[] }) => Promise<void>) => {
    if (ONLY && !ONLY.includes(id)) return;
    // Warm-up, not recorded: the first requests of a fresh process (the api restarted by the
    // previous fault) pay for module loading and JIT, which is not this scenario's fault.
    // Rounds of 3 s at half the rate until one answers every request within 1 s (at most 5 rounds).
    const warm = new http.Agent({ keepAlive: true, maxSockets: 64 });
    for (let round = 0; round < 5; round++) {
      const offers = await offerComments({ port: () => apiPort, apiKey: load.apiKey, blog: load.url, ratePerSecond: RATE / 2, seconds: 3, scenario: `warmup-${id}-${round}`, akismetEvery: 10, agent: warm });
      if (offers.every((o) => isOk(o.reply.status) && o.reply.ms < 1000)) break;
    }
    warm.destroy();
    log(`${name}: ${RATE}/s for ${SECONDS} s`);
    const loadAverage = os.loadavg()[0] ?? NaN;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
    const extra = { violations: [] as string[], notes: [] as string[] };
    const loadDone = offerComments({ port: () => apiPort, apiKey: load.apiKey, blog: load.url, ratePerSecond: RATE, seconds: SECONDS, scenario: name, akismetEvery: 10, agent });
    const faultDone = fault(agent, extra).catch((err: unknown) => {
      extra.violations.push(`the fault itself failed: ${(err as Error).message}`);
    });
    const [offers] = await Promise.all([loadDone, faultDone]);
    agent.destroy();
    const row = await checkScenario(checkDeps, name, offers, SETTLE_MS);
    if (row.stuckIds?.length) row.notes.push(`jobs of stuck comments: ${await jobStates(checkDeps, row.stuckIds)}`);
    row.violations.push(...extra.violations);
    row.notes.push(...extra.notes);
    row.notes.unshift(`fault at ${(FAULT_AT_MS / 1000).toFixed(1)} s; machine load average ${loadAverage.toFixed(1)} before`);
    const failed = await failedForGood(checkDeps, JOB_ATTEMPTS);
    if (failed.forGood > failedBefore) row.violations.push(`${failed.forGood - failedBefore} score jobs failed for good (all attempts used, comment still pending)`);
    failedBefore = failed.forGood;
    if (failed.exhausted > exhaustedBefore) row.notes.push(`${failed.exhausted - exhaustedBefore} jobs used all ${JOB_ATTEMPTS} attempts (worker log)`);
    exhaustedBefore = failed.exhausted;
    row.notes.push(failed.inQueue === null ? "BullMQ failed set unreadable" : `BullMQ failed set: ${failed.inQueue} jobs`);
    if (!(await ready(15_000))) row.violations.push("/readyz not 200 within 15 s after the scenario");
    rows.push(row);
    log(`${name}: ${row.violations.length ? `FAIL: ${row.violations.join("; ")}` : "pass"}${row.notes.length ? ` (${row.notes.join("; ")})` : ""}`);
  };

  const at = (ms: number) => sleep(ms);


  await scenario("baseline", "baseline (no fault)", async () => {});

  await scenario("redis-kill", "redis SIGKILL + restart, no AOF", async (_agent, row) => {
    await at(FAULT_AT_MS);
    await redis.kill();
    await sleep(3000);
    await redis.start();
    row.notes.push("redis down 3 s, came back empty");
  });

  await scenario("worker-kill", "worker SIGKILL with jobs in flight", async (_agent, row) => {
    await at(FAULT_AT_MS);
    const inFlight = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM comments WHERE status = 'pending'`;
    const r = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    // BullMQ keeps the jobs a worker holds in the `active` list.
    const active = await r.llen(`${QUEUE_PREFIX}:score-comment:active`).catch(() => -1);
    r.disconnect();
    worker.proc.kill("SIGKILL");
    await worker.exited;
    row.notes.push(`killed with ${inFlight[0]?.n ?? "?"} pending, ${active} active jobs`);
    worker = await startService(tmp, "worker", env);
  });

  await scenario("pg-restart", "postgres restart -m fast", async (_agent, row) => {
    await at(FAULT_AT_MS);
    const ms = await pg.restartFast();
    row.notes.push(`pg_ctl restart took ${(ms / 1000).toFixed(1)} s`);
  });

  await scenario("api-sigterm", "api SIGTERM under keep-alive load", async (agent, row) => {
    await at(FAULT_AT_MS);
    const signalled = performance.now();
    api.proc.kill("SIGTERM");
    // A load balancer polls readiness on its kept-alive sockets: once draining, it must say 503.
    await sleep(200);
    let readyWhileDraining = 0;
    let polls = 0;
    const exited = api.exited;
    let gone = false;
    void exited.then(() => (gone = true));
    while (!gone && performance.now() - signalled < 15_000) {
      const r = await request({ port: apiPort, method: "GET", path: "/readyz", agent, timeoutMs: 2000 });
      polls++;
      if (r.status === 200) readyWhileDraining++;
      await sleep(100);
    }
    const { code, signal, at: exitAt } = await exited;
    const drainMs = exitAt - signalled;
    row.notes.push(`api exited ${code ?? signal} ${(drainMs / 1000).toFixed(1)} s after SIGTERM`);
    if (code !== 0) row.violations.push(`api exited ${code ?? signal} after SIGTERM, not 0 (${(drainMs / 1000).toFixed(1)} s: the drain hit its deadline)`);
    if (readyWhileDraining) row.violations.push(`/readyz answered 200 ${readyWhileDraining} of ${polls} times while draining`);
    api = await startService(tmp, "api", env);
  });

  await scenario("redis-oom", "redis tiny maxmemory, noeviction", async (_agent, row) => {
    await at(FAULT_AT_MS);
    const r = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    const info = await r.info("memory");
    const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
    const cap = used + 128 * 1024;
    await r.config("SET", "maxmemory-policy", "noeviction");
    await r.config("SET", "maxmemory", String(cap));
    row.notes.push(`maxmemory ${Math.round(cap / 1024)} KiB (used ${Math.round(used / 1024)} KiB) for 8 s`);
    await sleep(8000);
    await r.config("SET", "maxmemory", "0");
    r.disconnect();
  });

  if (!ONLY || ONLY.includes("fuzz")) {
    log(`fuzz: ${FUZZ} hostile requests`);
    const fuzzSite = await createSite("fuzz");
    rows.push(await runFuzz({ port: apiPort, apiPid: api.pid, adminToken, site: fuzzSite, other: load, count: FUZZ, log }));
    log(`fuzz: ${rows.at(-1)?.violations.join("; ") || "pass"}`);
  }

  if (!ONLY || ONLY.includes("auth")) {
    log("auth matrix");
    rows.push(await runAuthMatrix({ port: apiPort, adminToken, createSite, log }));
    log(`auth: ${rows.at(-1)?.violations.join("; ") || "pass"}`);
  }

  // The service must still be whole at the end: alive, ready, and taking comments.
  const end: Row = { scenario: "after all (alive)", sent: 0, ok: 0, byStatus: {}, lost: null, stuck: null, doubled: null, p99: NaN, violations: [], notes: [] };
  if (!(await ready(15_000))) end.violations.push("/readyz not 200 at the end");
  const last = await request({
    port: apiPort,
    method: "POST",
    path: "/v1/comments?wait=2000",
    headers: { authorization: `Bearer ${load.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ thread: "end", content: "Still here? A last comment after the chaos run." }),
  });
  end.sent = 1;
  end.ok = isOk(last.status) ? 1 : 0;
  end.byStatus[String(last.status)] = 1;
  if (!isOk(last.status)) end.violations.push(`a plain comment at the end got ${last.status}`);
  rows.push(end);

  await sql.end({ timeout: 5 });
  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}, Node ${process.version}`;
  const violations = rows.flatMap((r) => r.violations.map((v) => `${r.scenario}: ${v}`));
  const out = [
    "",
    `npm run chaos (CHAOS_RATE=${RATE} CHAOS_SECONDS=${SECONDS} CHAOS_SETTLE_MS=${SETTLE_MS} CHAOS_FUZZ=${FUZZ})`,
    `machine: ${machine}`,
    "",
    formatTable(rows),
    "",
    ...rows.filter((r) => r.notes.length).map((r) => `- ${r.scenario}: ${r.notes.join("; ")}`),
    "",
    violations.length ? `VIOLATIONS (${violations.length}):\n${violations.map((v) => `- ${v}`).join("\n")}` : "no violations",
    "",
  ];
  process.stdout.write(out.join("\n"));
  return violations.length ? 1 : 0;
}

main()
  .then((code) => {
    cleanupAll();
    process.exit(code);
  })
  .catch((err: unknown) => {
    process.stderr.write(`chaos run failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    cleanupAll();
    process.exit(2);
  });
