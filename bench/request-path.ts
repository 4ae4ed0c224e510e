/**
 * The request path's pieces, one at a time (`npm run bench -- request-path`): small Hono apps served
 * by @hono/node-server on a real socket, each the previous one plus one piece (or one piece done two
 * ways), loaded by a keep-alive client in this process. The figure is this process's CPU per request
 * (server and client together; the client's share is the same for every app, so differences are the
 * piece's cost). Trials are interleaved and the minimum over BENCH_ROUNDS (7) is quoted: on a shared
 * machine other processes only ever add to a trial's time. BENCH_REQUESTS (4000) per trial.
 */
import http from "node:http";
import { Hono } from "hono";
import { secureHeaders as honoSecureHeaders } from "hono/secure-headers";
import { startHttpServer } from "../src/http/server.js";
import { API_SECURE_HEADERS, SECURE_HEADERS, secureHeaders } from "../src/http/secure-headers.js";
import { jsonBody } from "../src/http/openapi.js";
import { createLog } from "../src/log.js";
import { requestContext } from "../src/http/access-log.js";
import type { AppEnv } from "../src/http/types.js";
import { syntheticCorpus } from "./classifier-synthetic.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 4000);
const IN_FLIGHT = 8;

type Build = (app: Hono<AppEnv>) => void;

/** An app with `use` before a POST /c route that reads the body as JSON and answers 202 with a Location. */
function app(use: Build): Hono<AppEnv> {
  const a = new Hono<AppEnv>();
  use(a);
  a.post("/c", async (c) => {
    const body = await c.req.json<{ thread: string }>();
    c.header("Location", "/v1/comments/2b1c1d2e-0000-4000-8000-000000000000");
    return c.json({ id: "2b1c1d2e-0000-4000-8000-000000000000", thread: body.thread, status: "pending" }, 202);
  });
  return a;
}

const nullLog = (level: "info" | "warn") => createLog(level, {}, () => undefined);
const stdoutLog = createLog("info", {}, (line) => process.stderr.write(line + "\n"));

const VARIANTS: Record<string, Hono<AppEnv>> = {
  bare: app(() => {}),
  "hono/secure-headers (overwrite: false)": app((a) => a.use("*", honoSecureHeaders({ overwrite: false }))),
  "ours, all 11 on the node response": app((a) => a.use("*", secureHeaders(SECURE_HEADERS))),
  "ours, the API's 4 on the node response": app((a) => a.use("*", secureHeaders(API_SECURE_HEADERS))),
  "jsonBody, then the validator's c.req.json()": app((a) => a.use("*", jsonBody)),
  "requestContext, log level warn": app((a) => a.use("*", requestContext(nullLog("warn")))),
  "requestContext, log at info to a no-op sink": app((a) => a.use("*", requestContext(nullLog("info")))),
  "requestContext, log at info to stderr": app((a) => a.use("*", requestContext(stdoutLog))),
};

function post(agent: http.Agent, port: number, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, host: "127.0.0.1", port, path: "/c", method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.once("end", () => (res.statusCode === 202 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
      },
    );
    req.once("error", reject);
    req.end(body);
  });
}

export async function run(): Promise<void> {
  const bodies = syntheticCorpus(200, 7).map((d, i) => JSON.stringify({ thread: `post-${i % 50}`, content: d.text, author: { name: `user${i}` }, ip: "192.0.2.1" }));
  const names = Object.keys(VARIANTS);
  const servers = await Promise.all(
    names.map((n) =>
      startHttpServer((req) => (VARIANTS[n] as Hono<AppEnv>).fetch(req), {
        HOST: "127.0.0.1",
        PORT: 0,
        HTTP_HEADERS_TIMEOUT_MS: 60_000,
        HTTP_REQUEST_TIMEOUT_MS: 300_000,
        HTTP_KEEP_ALIVE_TIMEOUT_MS: 5000,
        HTTP_MAX_CONNECTIONS: 1000,
      }),
    ),
  );
  const samples = new Map<string, number[]>(names.map((n) => [n, []]));
  const trial = async (port: number, n: number) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
    let i = 0;
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (i < n) await post(agent, port, bodies[i++ % bodies.length] ?? "{}");
    }));
    agent.destroy();
  };
  for (const s of servers) await trial(s.port, 500);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, name] of names.entries()) {
      const before = process.cpuUsage();
      await trial(servers[k]?.port ?? 0, REQUESTS);
      const used = process.cpuUsage(before);
      samples.get(name)?.push((used.user + used.system) / REQUESTS);
    }
  }
  for (const s of servers) await s.drain(100);
  const bare = Math.min(...(samples.get("bare") ?? [NaN]));
  console.log(`\n| app (${REQUESTS} requests × ${ROUNDS} rounds, ${IN_FLIGHT} in flight) | CPU per request, min (µs) | median (µs) | min − bare (µs) |`);
  console.log("|---|---|---|---|");
  for (const name of names) {
    const xs = [...(samples.get(name) ?? [])].sort((a, b) => a - b);
    const min = xs[0] ?? NaN;
    console.log(`| ${name} | ${min.toFixed(1)} | ${(xs[Math.floor(xs.length / 2)] ?? NaN).toFixed(1)} | ${(min - bare).toFixed(1)} |`);
  }
}
