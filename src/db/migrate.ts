import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/postgres-js";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";

/** From src/db or dist/db, the committed migrations sit two levels up. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../migrations", import.meta.url));

/** Any fixed number; every process that migrates this database takes the same lock. */
const MIGRATION_LOCK_KEY = 7_326_011;

/**
 * The database has a migration this build does not know, or lacks one it should have had:
 * drizzle applies only migrations stamped later than the last one applied, so one merged in with an
 * older stamp (or a database migrated by another branch's build) is skipped without a word.
 */
export class MigrationDriftError extends Error {}

/**
 * Applies the committed migrations. drizzle's `migrate()` takes no lock, so several processes
 * starting at once (api and worker containers) serialize on a session advisory lock.
 */
export async function runMigrations(url: string): Promise<void> {
  // One connection: the advisory lock belongs to the session that runs the migration.
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    try {
      await migrate(drizzle(sql), { migrationsFolder: MIGRATIONS_FOLDER });
      await checkApplied(sql);
    } finally {
      await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function checkApplied(sql: postgres.Sql): Promise<void> {
  const applied = new Set((await sql<{ hash: string }[]>`SELECT hash FROM drizzle.__drizzle_migrations`).map((r) => r.hash));
  const files = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
  const known = new Set(files.map((f) => f.hash));
  const skipped = files.filter((f) => !applied.has(f.hash)).length;
  const foreign = [...applied].filter((h) => !known.has(h)).length;
  if (skipped > 0 || foreign > 0) {
    throw new MigrationDriftError(
      `The database's migrations do not match this build's: ${skipped} of ${files.length} not applied, ${foreign} applied that this build does not have. ` +
        "It was migrated by another version of Commentinel; restore it from that version's backup or migrate it with that version.",
    );
  }
}

/** Creates the database named in `url` when missing (connecting to `postgres` to do so). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ""));
  if (!name) return;
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const sql = postgres(admin.toString(), { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`SELECT 1 FROM pg_database WHERE datname = ${name}`;
    if (rows.length === 0) {
      try {
        await sql.unsafe(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
      } catch (err) {
        // Another process created it between our check and our CREATE.
        if ((err as { code?: string }).code !== "42P04") throw err;
      }
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}
