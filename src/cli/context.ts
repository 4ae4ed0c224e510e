import { loadConfig, type Config } from "../config.js";
import { createDb, type Db } from "../db/client.js";
import { runMigrations } from "../db/migrate.js";
import { resolveDatabase } from "../db/resolve.js";
import { createLog, type Log } from "../log.js";
import { createShutdown } from "../shutdown.js";

export interface VerbContext {
  config: Config;
  db: Db;
  /** Logs go to stderr: stdout is the verb's result (a table, JSON, a key). */
  log: Log;
}

/**
 * Runs an operator verb against the database the service uses: DATABASE_URL, else the embedded
 * Postgres in DATA_DIR (the running `npm start`'s, or started for the length of the verb, migrated
 * as `npm start` would). Ctrl-C rolls back the transaction in flight and closes in order.
 */
export async function withDatabase<T>(verb: string, run: (ctx: VerbContext) => Promise<T>): Promise<T> {
  const config = loadConfig();
  // Info lines ("using the embedded postgres of the running instance") are noise around a
  // result: a verb shows warnings and errors, everything only at LOG_LEVEL=debug.
  const level = config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL;
  const log = createLog(level, { role: verb }, (line) => process.stderr.write(line + "\n"));
  const shutdown = createShutdown(log, config.SHUTDOWN_TIMEOUT_MS);
  shutdown.installSignalHandlers((code) => process.exit(code === 0 ? 130 : code));
  try {
    const database = await resolveDatabase(config, verb, log, shutdown);
    if (database.embedded) await runMigrations(database.url);
    const { sql, db } = createDb(database.url, { max: 2, connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS });
    shutdown.add("postgres", () => sql.end({ timeout: 5 }));
    return await run({ config, db, log });
  } finally {
    await shutdown.run("done");
  }
}
