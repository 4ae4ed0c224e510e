import path from "node:path";
import { ConfigError, type Config } from "../config.js";
import type { Log } from "../log.js";
import type { Shutdown } from "../shutdown.js";

export function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}

export interface ResolvedDatabase {
  url: string;
  description: string;
  embedded: boolean;
  announce(http: string): void;
}

/**
 * The database to use: DATABASE_URL, or the embedded Postgres in DATA_DIR. Operator verbs beside a
 * running instance connect to its Postgres instead of starting a second one on the same folder;
 * with none running they start it for the length of the verb.
 */
export async function resolveDatabase(config: Config, role: string, log: Log, shutdown: Shutdown): Promise<ResolvedDatabase> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, description: `postgres ${redact(config.DATABASE_URL)}`, embedded: false, announce: () => {} };
  if (role === "api" || role === "worker") {
    throw new ConfigError(`DATABASE_URL is required for role ${role}: the embedded Postgres serves a single process (role all, or an operator verb).`);
  }
  // Imported lazily: the container image runs with DATABASE_URL and may leave these binaries out.
  const { openEmbeddedPostgres } = await import("./embedded.js");
  const db = await openEmbeddedPostgres({ dataDir: config.DATA_DIR, port: config.EMBEDDED_PG_PORT, role, attach: role !== "all", log });
  // Registered first, so it closes last: after every client of it has.
  if (db.owned) shutdown.add("embedded postgres", () => db.stop());
  const where = `127.0.0.1:${db.port} (data in ${path.resolve(config.DATA_DIR, "pg")})`;
  return {
    url: db.url,
    description: db.owned ? `embedded postgres on ${where}` : `the running instance's embedded postgres on ${where}`,
    embedded: true,
    announce: (http: string) => db.announce(http),
  };
}
