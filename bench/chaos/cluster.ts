/**
 * The chaos run's own machinery: a Postgres cluster (initdb into a temporary folder) and a
 * redis-server on free ports, the api and worker as real processes, and a cleanup that stops all of
 * it on every way out (normal end, failure, Ctrl-C). Nothing here touches the machine's shared
 * Postgres (5432) or Redis (6379).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, type WriteStream } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

/** The checkout whose `src/main.ts` runs; CHAOS_ROOT points the run at another one (with its node_modules). */
const ROOT = path.resolve(process.env.CHAOS_ROOT ?? path.join(import.meta.dirname, "../.."));

/** Port ranges this run may use (given to the chaos helper; other helpers use other ranges). */
export const PORT_RANGES = {
  http: [3700, 3799],
  postgres: [55700, 55799],
  redis: [6700, 6799],
} as const;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** The first port in the range nobody listens on and we have not handed out yet. */
const taken = new Set<number>();
export async function freePort([from, to]: readonly [number, number]): Promise<number> {
  for (let p = from; p <= to; p++) {
    if (taken.has(p)) continue;
    if (await portFree(p)) {
      taken.add(p);
      return p;
    }
  }
  throw new Error(`no free port in ${from}-${to}`);
}

// ---------------------------------------------------------------------------------------------
// Cleanup: every resource registers how to stop it; run once, newest first.

const cleanups: { name: string; run: () => void }[] = [];
let cleaned = false;

export function onCleanup(name: string, run: () => void): void {
  cleanups.push({ name, run });
}

/** Synchronous on purpose: it also runs from `process.on("exit")`, where nothing async finishes. */
export function cleanupAll(): void {
  if (cleaned) return;
  cleaned = true;
  for (const { name, run } of [...cleanups].reverse()) {
    try {
      run();
    } catch (err) {
      process.stderr.write(`cleanup ${name} failed: ${(err as Error).message}\n`);
    }
  }
}

export function installCleanupHandlers(): void {
  process.on("exit", cleanupAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nchaos: ${signal}, cleaning up\n`);
      cleanupAll();
      process.exit(130);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Postgres: initdb refuses to run as root, so the cluster belongs to the `postgres` system user.

function pgBinDir(): string {
  const base = "/usr/lib/postgresql";
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(path.join(base, v, "bin", "initdb"))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`no initdb under ${base}/*/bin: install Debian's postgresql package`);
  return path.join(base, newest, "bin");
}

function pgUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("postgres:"));
  const [, , uid, gid] = line?.split(":") ?? [];
  if (!uid || !gid) throw new Error("running as root needs a `postgres` system user to own the temporary cluster");
  return { uid: Number(uid), gid: Number(gid) };
}

export interface PgCluster {
  port: number;
  url(database: string): string;
  /** `pg_ctl restart -m fast`: terminates every session, checkpoints, starts again; resolves to ms taken. */
  restartFast(): Promise<number>;
  dataDir: string;
}

export async function startPostgres(tmp: string): Promise<PgCluster> {
  const bin = pgBinDir();
  const user = pgUser();
  const dataDir = path.join(tmp, "pg");
  const logFile = path.join(tmp, "postgres.log");
  const port = await freePort(PORT_RANGES.postgres);
  if (user) chownSync(tmp, user.uid, user.gid);
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(path.join(bin, cmd), args, { ...(user ?? {}), cwd: tmp, encoding: "utf8", timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr || r.stdout}`);
    return r;
  };
  run("initdb", ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"]);
  const opts = `-p ${port} -k ${tmp} -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=64MB`;
  run("pg_ctl", ["-D", dataDir, "-l", logFile, "-o", opts, "-w", "-t", "30", "start"]);
  onCleanup("postgres", () => {
    spawnSync(path.join(bin, "pg_ctl"), ["-D", dataDir, "-m", "immediate", "-w", "-t", "10", "stop"], { ...(user ?? {}), stdio: "ignore", timeout: 20_000 });
  });
  return {
    port,
    dataDir,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    // Asynchronous, so the load generator's event loop keeps sending while Postgres restarts.
    restartFast() {
      const t = performance.now();
      return new Promise((resolve, reject) => {
        const p = spawn(path.join(bin, "pg_ctl"), ["-D", dataDir, "-l", logFile, "-o", opts, "-m", "fast", "-w", "-t", "30", "restart"], { ...(user ?? {}), cwd: tmp, stdio: "ignore" });
        p.once("error", reject);
        p.once("exit", (code) => (code === 0 ? resolve(performance.now() - t) : reject(new Error(`pg_ctl restart exited ${code}`))));
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Redis: no persistence at all, as on these machines (a restart loses every queued job).

export interface RedisServer {
  port: number;
  url: string;
  kill(): Promise<void>;
  start(): Promise<void>;
}

export async function startRedis(tmp: string): Promise<RedisServer> {
  const port = await freePort(PORT_RANGES.redis);
  let proc: ChildProcess | undefined;
  const start = async () => {
    proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", tmp, "--loglevel", "warning"], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    await waitFor(() => portFree(port).then((free) => !free), 10_000, `redis-server on ${port}`);
  };
  const kill = async () => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once("exit", () => resolve());
      p.kill("SIGKILL");
    });
  };
  onCleanup("redis-server", () => {
    if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  });
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, kill, start };
}

// ---------------------------------------------------------------------------------------------
// The service's own processes: `node --import tsx src/main.ts <role>`, so a signal reaches the
// process that handles it (no npm or tsx wrapper in between).

export interface Service {
  role: "api" | "worker";
  proc: ChildProcess;
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

const logs = new Map<string, WriteStream>();

export function serviceLogPath(tmp: string, role: string): string {
  return path.join(tmp, `${role}.log`);
}

export function startService(tmp: string, role: "api" | "worker", env: Record<string, string>, timeoutMs = 30_000): Promise<Service> {
  const file = serviceLogPath(tmp, role);
  let log = logs.get(file);
  if (!log) {
    log = createWriteStream(file, { flags: "a" });
    logs.set(file, log);
  }
  const out = log;
  const ready = role === "api" ? /listening on/ : /worker started/;
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "src/main.ts"), role], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((done) => {
      proc.once("exit", (code, signal) => done({ code, signal, at: performance.now() }));
    });
    let buffer = "";
    let started = false;
    const timer = setTimeout(() => {
      if (!started) {
        proc.kill("SIGKILL");
        reject(new Error(`${role} not ready after ${timeoutMs} ms:\n${buffer.slice(-2000)}`));
      }
    }, timeoutMs);
    proc.stdout?.on("data", (chunk: Buffer) => {
      out.write(chunk);
      if (started) return;
      buffer += chunk.toString();
      if (ready.test(buffer)) {
        started = true;
        clearTimeout(timer);
        resolve({ role, proc, pid: proc.pid ?? -1, exited });
      }
    });
    proc.stderr?.on("data", (chunk: Buffer) => {
      out.write(chunk);
      if (!started) buffer += chunk.toString();
    });
    void exited.then(({ code, signal }) => {
      if (!started) {
        clearTimeout(timer);
        reject(new Error(`${role} exited (${code ?? signal}) before it was ready:\n${buffer.slice(-2000)}`));
      }
    });
    onCleanup(`${role} ${proc.pid}`, () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    });
  });
}

/** Runs `tsx src/main.ts migrate` against the run's own database. */
export function migrate(env: Record<string, string>): void {
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "src/main.ts"), "migrate"], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`migrate failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
}

/**
 * In /dev/shm when there is one: the faults under test are process faults, and on a shared disk
 * other programs' fsyncs would show up as this run's latency.
 */
export function makeTempDir(): string {
  const base = process.env.CHAOS_TMP ?? (existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir());
  const dir = mkdtempSync(path.join(base, "commentinel-chaos-"));
  onCleanup("temp dir", () => {
    if (!process.env.CHAOS_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** VmRSS of a process in KiB, from /proc (Linux only). */
export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
