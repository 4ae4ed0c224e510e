/**
 * Akismet benchmark (`npm run bench -- akismet`): comment-check p50/p99 at a fixed offered rate
 * (issue 4's goal: p99 ≤ 50 ms at 200 requests/s), against a raw baseline run alongside: a bare
 * Hono server answering the same form bodies with `false`.
 *
 * Open loop: request i is due at t0 + i/rate and its latency counts from when it was due, so a
 * server that falls behind cannot hide its queueing (no coordinated omission). Bounded (rate ×
 * seconds requests, at most 1,000 in flight), loopback only. The service runs as its own `api`
 * process (`src/main.ts api`), as deployed; the load generator is this process.
 *
 * Environment: BENCH_DATABASE_URL (its server is used; the bench creates a scratch database there
 * and drops it after), BENCH_REDIS_URL (redis://127.0.0.1:6379), BENCH_AKISMET_RATE (200),
 * BENCH_AKISMET_SECONDS (15), BENCH_AKISMET_DB_PREFIX (commentinel_bench_akismet), BENCH_AKISMET_API_NODE_ARGS (extra node flags for the api process),
 * BENCH_AKISMET_PORT (3990 for the raw server, the next one for the api). The api process inherits
 * the environment, so `CAMPAIGNS=off` measures comment-check without its campaign step.
 * `npx tsx bench/akismet.ts raw-server` is the baseline's server.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import http from "node:http";
import os from "node:os";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import postgres from "postgres";
import { ensureDatabase, runMigrations } from "../src/db/migrate.js";
import { syntheticCorpus } from "./classifier-synthetic.js";

const SERVER = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const REDIS = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const RATE = Number(process.env.BENCH_AKISMET_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_AKISMET_SECONDS ?? 15);
/** The raw server's port; the API listens on the next one. */
const RAW_PORT = Number(process.env.BENCH_AKISMET_PORT ?? 3990);
const API_PORT = RAW_PORT + 1;
/** Extra node flags for the api process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it. */
const API_NODE_ARGS = (process.env.BENCH_AKISMET_API_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
/** Past this many outstanding requests the server has clearly fallen behind; the rest are dropped. */
const MAX_IN_FLIGHT = 1000;
const BLOG = "https://blog.example";

export interface LatencyReport {
  requests: number;
  /** Requests that failed (network error or a status other than 200). */
  errors: number;
  /** Requests not sent because MAX_IN_FLIGHT were already outstanding. */
  dropped: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Answers by body (`true`, `false`, `invalid`): shows the model was really asked. */
  answers: Record<string, number>;
  /** Error messages by count. */
  failures: Record<string, number>;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

function postForm(agent: http.Agent, port: number, path: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, host: "127.0.0.1", port, path, method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.once("end", () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`status ${res.statusCode}`))));
      },
    );
    req.once("error", reject);
    req.end(body);
  });
}

/** Offers `rate` requests per second for `seconds` (open loop) and reports latency from due time. */
async function offerLoad(port: number, path: string, bodies: string[], rate: number, seconds: number): Promise<LatencyReport> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  const answers: Record<string, number> = {};
  const failures: Record<string, number> = {};
  let errors = 0;
  let dropped = 0;
  let inFlight = 0;
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    if (inFlight >= MAX_IN_FLIGHT) {
      dropped++;
      continue;
    }
    inFlight++;
    pending.push(
      postForm(agent, port, path, bodies[i % bodies.length] ?? "")
        .then((text) => {
          latencies.push(performance.now() - due);
          answers[text] = (answers[text] ?? 0) + 1;
        })
        .catch((err: unknown) => {
          errors++;
          const msg = err instanceof Error ? err.message : String(err);
          failures[msg] = (failures[msg] ?? 0) + 1;
        })
        .finally(() => void inFlight--),
    );
  }
  await Promise.all(pending);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    requests: total,
    errors,
    dropped,
    p50: round(percentile(latencies, 50)),
    p90: round(percentile(latencies, 90)),
    p99: round(percentile(latencies, 99)),
    max: round(latencies.at(-1) ?? NaN),
    answers,
    failures,
  };
}

interface Child {
  stop(): Promise<void>;
}

/** Starts `node --import tsx <args>` and resolves once a stdout line matches `ready`. */
function startChild(args: string[], env: Record<string, string>, ready: RegExp, nodeArgs: string[] = []): Promise<Child> {
  return new Promise((resolve, reject) => {
    const proc: ChildProcess = spawn(process.execPath, [...nodeArgs, "--import", "tsx", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
    let buffer = "";
    let started = false;
    proc.stdout?.on("data", (chunk: Buffer) => {
      buffer = (buffer + chunk.toString()).slice(-10_000);
      if (!started && ready.test(buffer)) {
        started = true;
        resolve({
          stop: () =>
            new Promise<void>((done) => {
              if (proc.exitCode !== null) return done();
              proc.once("exit", () => done());
              proc.kill("SIGTERM");
            }),
        });
      }
    });
    proc.once("exit", (code) => {
      if (!started) reject(new Error(`${args.join(" ")} exited with ${code} before it was ready:\n${buffer}`));
    });
  });
}

async function json<T>(port: number, method: string, path: string, token: string, body: unknown): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")} at start`;
}

export async function run(opts: { rate?: number; seconds?: number } = {}): Promise<void> {
  const rate = opts.rate ?? RATE;
  const seconds = opts.seconds ?? SECONDS;
  const dbName = `${process.env.BENCH_AKISMET_DB_PREFIX ?? "commentinel_bench_akismet"}_${randomBytes(4).toString("hex")}`;
  const dbUrl = new URL(SERVER);
  dbUrl.pathname = `/${dbName}`;
  await ensureDatabase(dbUrl.toString());
  await runMigrations(dbUrl.toString());
  const adminToken = randomBytes(16).toString("hex");
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(`Machine: ${machine()}. ${rate} requests/s offered for ${seconds} s (open loop, loopback).`);

  // A site trained the way a switching site would train it: by submit-spam / submit-ham.
  const corpus = syntheticCorpus(2400, 11);
  const form = (apiKey: string, i: number, text: string) =>
    new URLSearchParams({
      api_key: apiKey,
      blog: BLOG,
      user_ip: `192.0.2.${1 + (i % 250)}`,
      user_agent: "Mozilla/5.0 (bench)",
      comment_author: `user${i % 500}`,
      comment_type: "comment",
      permalink: `${BLOG}/post/${i % 50}`,
      comment_content: text,
    }).toString();

  const appEnv = {
    DATABASE_URL: dbUrl.toString(),
    REDIS_URL: REDIS,
    ADMIN_TOKEN: adminToken,
    QUEUE_PREFIX: `bench-${randomBytes(4).toString("hex")}`,
    LOG_LEVEL: "info",
    HOST: "127.0.0.1",
    PORT: String(API_PORT),
    // One site from one address, far past the default rate limits (issue 11).
    RATE_LIMIT_IP_PER_MINUTE: "0",
    RATE_LIMIT_SITE_PER_MINUTE: "0",
  };
  let api: Child | undefined;
  let raw: Child | undefined;
  try {
    raw = await startChild(["bench/akismet.ts", "raw-server"], { PORT: String(RAW_PORT) }, /ready/);
    api = await startChild(["src/main.ts", "api"], appEnv, /listening/, API_NODE_ARGS);
    const { apiKey } = await json<{ apiKey: string }>(API_PORT, "POST", "/v1/sites", adminToken, { name: "bench", url: BLOG });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    for (const [i, doc] of corpus.slice(0, 400).entries()) {
      await postForm(agent, API_PORT, `/1.1/submit-${doc.label}`, form(apiKey, i, doc.text));
    }
    const bodies = corpus.slice(400).map((d, i) => form(apiKey, i, d.text));
    // Warm up connections, JIT and Postgres caches.
    for (let i = 0; i < 200; i++) await postForm(agent, API_PORT, "/1.1/comment-check", bodies[i] ?? "");
    agent.destroy();

    const rawReport = await offerLoad(RAW_PORT, "/1.1/comment-check", bodies, rate, seconds);
    const check = await offerLoad(API_PORT, "/1.1/comment-check", bodies, rate, seconds);
    const line = (name: string, r: LatencyReport) =>
      `| ${name} | ${r.requests} | ${r.errors} / ${r.dropped} | ${r.p50} | ${r.p90} | ${r.p99} | ${r.max} | ${Object.entries(r.answers).map(([k, v]) => `${k} ${v}`).join(", ")} |`;
    say("");
    say(`| at ${rate}/s offered | requests | errors / dropped | p50 ms | p90 ms | p99 ms | max ms | answers |`);
    say("|---|---|---|---|---|---|---|---|");
    say(line("raw: bare Hono, same bodies → `false`", rawReport));
    say(line("POST /1.1/comment-check (api process)", check));
    for (const [what, r] of [["raw", rawReport], ["comment-check", check]] as const) {
      if (r.errors > 0) say(`${what} errors: ${JSON.stringify(r.failures)}`);
    }
    say(`p99 goal ≤ 50 ms: ${check.p99 <= 50 && check.errors + check.dropped === 0 ? "met" : "NOT met"}`);
  } finally {
    await api?.stop();
    await raw?.stop();
    const admin = postgres(SERVER, { max: 1, onnotice: () => {} });
    await admin.unsafe(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  }
}

/** The baseline's server: reads the form body and answers like a check, doing nothing else. */
function rawServer(): void {
  const app = new Hono();
  app.post("/1.1/comment-check", async (c) => {
    new URLSearchParams(await c.req.text());
    return c.text("false");
  });
  serve({ fetch: app.fetch, hostname: "127.0.0.1", port: Number(process.env.PORT ?? 3990) }, () => process.stdout.write("ready\n"));
  process.once("SIGTERM", () => process.exit(0));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv[2] === "raw-server") rawServer();
  else await run();
}
