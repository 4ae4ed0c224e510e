import { readFileSync } from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { MIGRATIONS_FOLDER, MigrationDriftError, runMigrations } from "../src/db/migrate.js";
import { freshDatabase } from "./helpers.js";

describe("migrations", () => {
  it("are stamped in journal order, so a database migrated by the last release applies every new one", () => {
    const journal = JSON.parse(readFileSync(path.join(MIGRATIONS_FOLDER, "meta/_journal.json"), "utf8")) as { entries: { tag: string; when: number }[] };
    const stamps = journal.entries.map((e) => e.when);
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    expect(new Set(stamps).size).toBe(stamps.length);
  });

  it("refuse a database that another build migrated, instead of skipping what it lacks", async () => {
    const db = await freshDatabase();
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      await sql`INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('from-another-branch', ${Date.now()})`;
      await expect(runMigrations(db.url)).rejects.toBeInstanceOf(MigrationDriftError);
    } finally {
      await sql.end();
      await db.drop();
    }
  });
});
