import { ensureDatabase, runMigrations } from "../src/db/migrate.js";
import { TEST_DATABASE_URL } from "./env.js";

/**
 * Creates the shared test database when missing and migrates it once per run. runMigrations holds
 * an advisory lock, so concurrent runs (or other suites sharing the database) do not collide.
 */
export default async function setup(): Promise<void> {
  await ensureDatabase(TEST_DATABASE_URL);
  await runMigrations(TEST_DATABASE_URL);
}
