import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { sql } from "drizzle-orm";
import { ADMIN_TOKEN, call, createSite, eventually, harness, removeSite, uniqueName, type Harness, type TestSite } from "./helpers.js";
import { TEST_DATABASE_URL, TEST_REDIS_URL } from "./env.js";
import { onFreePort } from "./helpers/ports.js";

let h: Harness;
let site: TestSite;
beforeAll(async () => {
  h = harness();
  site = await createSite(h.app);
});
afterAll(async () => {
  await removeSite(h.deps, site.id);
  await h.close();
});

describe("the `all` role", () => {
  it("finishes a request in flight on SIGTERM, then exits 0", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "all"], {
      env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: TEST_REDIS_URL ?? "", ADMIN_TOKEN, PORT: "0", HOST: "127.0.0.1", QUEUE_PREFIX: uniqueName("shutdown"), LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    // Whatever the outcome, the child must not outlive the test (it would hold the test database).
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    let output = "";
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        const m = /"port":(\d+)/.exec(output);
        if (m) resolve(Number(m[1]));
      });
      child.once("exit", (code) => reject(new Error(`exited ${code} before listening:\n${output}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    // Ready once Postgres and the queue have answered a ping (on a loaded machine, not at once).
    await eventually(async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined));

    // A request that waits for its verdict is in flight when SIGTERM arrives.
    const externalId = uniqueName("in-flight");
    const inFlight = fetch(`${base}/v1/comments?wait=1500`, {
      method: "POST",
      headers: { authorization: `Bearer ${site.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ thread: "t", content: "sent just before shutdown", externalId }),
    });
    // SIGTERM only once the server has accepted the request: a fixed sleep raced a busy machine.
    await eventually(async () => {
      const rows = await h.deps.db.execute<{ id: string }>(
        sql`SELECT id FROM comments WHERE site_id = ${site.id} AND external_id = ${externalId}`,
      );
      return rows[0];
    });
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const res = await inFlight;
    expect([200, 202]).toContain(res.status);
    const body = (await res.json()) as { id: string };
    const [code] = (await exited) as [number | null];
    expect(code, output).toBe(0);
    expect(output).toContain('"msg":"shutdown complete"');
    // The comment it accepted is stored.
    expect((await call(h.app, "GET", `/v1/comments/${body.id}`, { key: site.apiKey })).status).toBe(200);
  });
});

/** Starts `src/main.ts all` on a port of this suite's range; resolves once it listens. */
async function startAll(env: Record<string, string>): Promise<{ child: ChildProcessWithoutNullStreams; port: number; output: () => string }> {
  return onFreePort(async (port) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "all"], {
      env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: TEST_REDIS_URL, ADMIN_TOKEN, PORT: String(port), HOST: "127.0.0.1", QUEUE_PREFIX: uniqueName("shutdown"), ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const onData = () => {
        if (output.includes('"port":')) resolve();
        if (output.includes("EADDRINUSE")) reject(Object.assign(new Error("port taken"), { code: "EADDRINUSE" }));
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.once("exit", (code) => reject(Object.assign(new Error(`exited ${code} before listening:\n${output}`), { code: output.includes("EADDRINUSE") ? "EADDRINUSE" : "EXITED" })));
    });
    return { child, port, output: () => output };
  });
}

describe("SIGTERM under keep-alive load", () => {
  it("drains: readiness off first, Connection: close, exit 0 within a few seconds, every 2xx stored", async () => {
    const { child, port, output } = await startAll({ LOG_LEVEL: "debug", SHUTDOWN_TIMEOUT_MS: "8000" });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    onTestFinished(() => agent.destroy());
    const accepted: string[] = [];
    const statuses = new Map<string, number>();
    let closeHeaders = 0;
    /** Starts a POST of `body` on `via`: the caller sends the body; `done` settles with its answer. */
    const start = (body: string, via: http.Agent) => {
      let req!: http.ClientRequest;
      const done = new Promise<void>((resolve) => {
        req = http.request(
          { host: "127.0.0.1", port, path: "/v1/comments", method: "POST", agent: via, headers: { authorization: `Bearer ${site.apiKey}`, "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
          (res) => {
            let text = "";
            res.on("data", (d: Buffer) => (text += d.toString()));
            res.on("end", () => {
              statuses.set(String(res.statusCode), (statuses.get(String(res.statusCode)) ?? 0) + 1);
              if (res.headers.connection === "close") closeHeaders++;
              if (res.statusCode && res.statusCode < 300) accepted.push((JSON.parse(text) as { id: string }).id);
              resolve();
            });
          },
        );
        // After the listener closes, new connections are refused: that is the client's cue to go
        // elsewhere, and counted apart from answers.
        req.on("error", (err: NodeJS.ErrnoException) => {
          statuses.set(err.code ?? "error", (statuses.get(err.code ?? "error") ?? 0) + 1);
          resolve();
        });
      });
      return { req, done };
    };
    const post = (n: number) => {
      const body = JSON.stringify({ thread: "drain", content: `keep-alive load comment ${n} ${uniqueName("c")}` });
      const { req, done } = start(body, agent);
      req.end(body);
      return done;
    };

    // 200 requests a second, bounded in count and time: 2 s before the signal, up to 3 s after.
    const inFlight: Promise<void>[] = [];
    const exited = once(child, "exit") as Promise<[number | null]>;
    let signalledAt = 0;
    let exitedAt = 0;
    void exited.then(() => (exitedAt = performance.now()));
    const started = performance.now();
    // One request is surely in flight when the signal lands: its body is half sent before and the
    // rest after (at 200/s on a fast machine every socket can happen to be idle at that instant).
    const slowBody = JSON.stringify({ thread: "drain", content: `slow keep-alive comment ${uniqueName("c")}` });
    const slowAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    onTestFinished(() => slowAgent.destroy());
    const { req: slowRequest, done: slow } = start(slowBody, slowAgent);
    let slowStarted = false;
    for (let n = 0; n < 1200; n++) {
      const now = performance.now();
      if (!slowStarted && now - started > 1900) {
        slowStarted = true;
        slowRequest.write(slowBody.slice(0, 10));
      }
      if (!signalledAt && now - started > 2000) {
        signalledAt = now;
        child.kill("SIGTERM");
        setTimeout(() => slowRequest.end(slowBody.slice(10)), 100);
      }
      if (exitedAt || (signalledAt && now - signalledAt > 3000)) break;
      inFlight.push(post(n));
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all([...inFlight, slow]);
    const [code] = await exited;
    const tookMs = exitedAt - signalledAt;
    const summary = { code, tookMs: Math.round(tookMs), statuses: Object.fromEntries(statuses), closeHeaders };
    expect(code, `${JSON.stringify(summary)}\n${output().slice(-3000)}`).toBe(0);
    expect(tookMs, JSON.stringify(summary)).toBeLessThan(4000);
    expect(output()).not.toContain("shutdown deadline passed");
    // Kept-alive sockets that were busy when draining began were told to close.
    expect(closeHeaders, JSON.stringify(summary)).toBeGreaterThan(0);
    expect(accepted.length, JSON.stringify(summary)).toBeGreaterThan(20);
    // No 5xx answers: requests were either served or refused at connect.
    for (const status of statuses.keys()) expect(status, JSON.stringify(summary)).not.toMatch(/^5/);
    // Every accepted comment is stored.
    const stored = await h.deps.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM comments WHERE id IN ${sql.raw(`('${accepted.join("','")}')`)}`);
    expect(stored[0]?.n).toBe(accepted.length);
    // Readiness flips before the listener closes (closers run last-registered first).
    const closedOrder = output()
      .split("\n")
      .filter((l) => l.includes('"msg":"closed"'))
      .map((l) => (JSON.parse(l) as { name?: string }).name);
    expect(closedOrder.indexOf("mark not ready"), closedOrder.join(", ")).toBeGreaterThanOrEqual(0);
    expect(closedOrder.indexOf("mark not ready")).toBeLessThan(closedOrder.indexOf("http server"));
  });
});

describe("SIGTERM with SHUTDOWN_READY_DELAY_MS", () => {
  it("answers /readyz 503 while still serving, before the listener closes", async () => {
    const { child, port, output } = await startAll({ LOG_LEVEL: "info", SHUTDOWN_READY_DELAY_MS: "1500" });
    const base = `http://127.0.0.1:${port}`;
    // Ready once its first pings answer (slow on a loaded machine).
    await eventually(async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined), 5000);
    const exited = once(child, "exit") as Promise<[number | null]>;
    child.kill("SIGTERM");
    // Readiness is off at once, on new connections too, and requests are still served.
    const ready = await eventually(async () => {
      const res = await fetch(`${base}/readyz`);
      return res.status === 503 ? ((await res.json()) as { shuttingDown: boolean }) : undefined;
    }, 1000);
    expect(ready.shuttingDown).toBe(true);
    const res = await fetch(`${base}/v1/comments`, {
      method: "POST",
      headers: { authorization: `Bearer ${site.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ thread: "t", content: "sent while the load balancer catches up" }),
    });
    expect(res.status).toBe(202);
    const [code] = await exited;
    expect(code, output()).toBe(0);
  });
});
