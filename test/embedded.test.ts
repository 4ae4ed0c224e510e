import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN } from "./helpers.js";

/**
 * The zero-setup default as a new user meets it: `src/main.ts` as a real process on an embedded
 * Postgres in its own DATA_DIR, stopped with the terminal's Ctrl-C (SIGINT to the whole process
 * group) or killed outright.
 */

interface Instance {
  child: ChildProcess;
  output(): string;
  /** Resolves with the HTTP port once it listens (role all). */
  listening: Promise<number>;
  exited: Promise<number | null>;
}

const started: ChildProcess[] = [];
let dataDir: string;
let pgPort: number;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== "object" || !address) throw new Error("no port");
  return address.port;
}

function run(role: string, ...args: string[]): Instance {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), PORT: "0", ADMIN_TOKEN, LOG_LEVEL: "info" };
  delete env.DATABASE_URL;
  delete env.HOST;
  delete env.REDIS_URL;
  // Its own process group, as a shell gives a job: a "Ctrl-C" is then SIGINT to -pid.
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", role, ...args], { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  started.push(child);
  let output = "";
  child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const listening = new Promise<number>((resolve, reject) => {
    const check = () => {
      const m = /listening on http:\/\/[^"]*?:(\d+)/.exec(output);
      if (m) resolve(Number(m[1]));
    };
    child.stdout?.on("data", check);
    void exited.then((code) => reject(new Error(`${role} exited ${code} before listening:\n${output}`)));
  });
  listening.catch(() => {});
  return { child, output: () => output, listening, exited };
}

function ctrlC(instance: Instance) {
  process.kill(-(instance.child.pid ?? 0), "SIGINT");
}

function postmasterPid(): number | undefined {
  const file = path.join(dataDir, "pg", "postmaster.pid");
  return existsSync(file) ? Number(readFileSync(file, "utf8").split("\n")[0]) : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A reaped-later zombie still answers kill(0).
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

async function gone(pid: number, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** What a user must never see on Ctrl-C. */
const NOISE = /"stack"|\n\s+at |uncaught|terminating connection/i;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "commentinel-embedded-test-"));
  // As root the embedded Postgres runs as user `postgres`, which must reach DATA_DIR/pg.
  chmodSync(dataDir, 0o755);
  pgPort = await freePort();
});

afterAll(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  const pid = postmasterPid();
  if (pid && alive(pid)) {
    process.kill(pid, "SIGINT");
    await gone(pid);
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe("the embedded Postgres default", { timeout: 120_000 }, () => {
  it("stops on Ctrl-C with exit 0, no stack trace, and no postgres left running", async () => {
    const a = run("all");
    const httpPort = await a.listening;
    // The embedded default is a developer's machine: loopback only, and a URL to click on.
    expect(a.output()).toContain(`listening on http://localhost:${httpPort}`);
    expect(a.output()).toContain('"host":"127.0.0.1"');
    const pg = postmasterPid();
    expect(pg).toBeDefined();
    ctrlC(a);
    expect(await a.exited, a.output()).toBe(0);
    expect(a.output()).toContain('"msg":"shutdown complete"');
    expect(a.output()).not.toMatch(NOISE);
    expect(await gone(pg ?? 0)).toBe(true);
    expect(existsSync(path.join(dataDir, "instance.json"))).toBe(false);
  });

  it("after a kill -9 of node, the next start stops the postgres left behind and starts", async () => {
    const a = run("all");
    await a.listening;
    const orphan = postmasterPid() ?? 0;
    a.child.kill("SIGKILL");
    await a.exited;
    // The fact this guards against: the postgres child outlives a SIGKILLed parent.
    expect(alive(orphan)).toBe(true);

    const b = run("all");
    await b.listening;
    expect(b.output()).toContain("left running by an earlier run");
    expect(alive(orphan)).toBe(false);
    const pg = postmasterPid() ?? 0;
    ctrlC(b);
    expect(await b.exited, b.output()).toBe(0);
    expect(await gone(pg)).toBe(true);
  });

  it("a second start names the running instance, while retrain and migrate use its postgres", async () => {
    const a = run("all");
    const httpPort = await a.listening;

    // All three at once: none of them may start a second Postgres on this folder.
    const [b, retrain, migrate] = [run("all"), run("retrain"), run("migrate")];
    expect(await b.exited).toBe(1);
    expect(b.output()).toContain(`is in use by a running commentinel instance: pid ${a.child.pid} (all), API on http://localhost:${httpPort}, its Postgres on 127.0.0.1:${pgPort}`);
    expect(b.output()).not.toMatch(/\n\s+at /);

    expect(await retrain.exited, retrain.output()).toBe(0);
    expect(retrain.output()).toMatch(/^retrained on \d+ comments/m);
    expect(await migrate.exited, migrate.output()).toBe(0);
    expect(migrate.output()).toContain('"msg":"migrations applied"');

    // An operator verb writes into the running instance's database: its API sees the new site.
    const create = run("sites", "create", "--name", "beside", "--url", "https://beside.example", "--json");
    expect(await create.exited, create.output()).toBe(0);
    const { site } = JSON.parse(create.output()) as { site: { id: string } };
    const listed = (await (await fetch(`http://127.0.0.1:${httpPort}/v1/sites/${site.id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { site?: { name: string } };
    expect(listed.site?.name).toBe("beside");

    // The instance they used is untouched.
    expect((await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status).toBe(200);
    const pg = postmasterPid() ?? 0;
    ctrlC(a);
    expect(await a.exited, a.output()).toBe(0);
    expect(a.output()).not.toMatch(NOISE);
    expect(await gone(pg)).toBe(true);
  });
});
