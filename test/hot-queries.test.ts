import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { sql as drizzleSql } from "drizzle-orm";
import { createDb } from "../src/db/client.js";
import { HOT_QUERIES, hotQuery } from "../src/db/hot.js";
// Every module that defines hot queries, so that each registers itself before the test reads them.
import "../src/db/queries/akismet.js";
import "../src/db/queries/comments.js";
import "../src/db/queries/imports.js";
import "../src/db/queries/model-changes.js";
import "../src/db/queries/webhooks.js";
import { comments } from "../src/db/schema.js";
import { TEST_DATABASE_URL } from "./env.js";

const sql = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
afterAll(() => sql.end());

describe("hot queries and the schema", () => {
  it("every hot query is one Postgres can prepare against the migrated schema", async () => {
    expect([...HOT_QUERIES.keys()].sort()).toEqual(
      ["all_scope_totals", "append_model_changes", "fetch_token_counts", "comments_with_sites", "import_comments", "import_decisions", "insert_checked_comment", "settle_checked_comment", "insert_comment", "insert_comments", "newest_model_change", "site_comment", "write_verdicts", "insert_scored_webhooks", "insert_decided_webhooks"].sort(),
    );
    for (const q of HOT_QUERIES.values()) {
      // describe() parses and plans the statement without running it: a column the migrations do
      // not have (schema.ts renamed without a migration, or a name typed by hand) fails here.
      await expect(sql.unsafe(q.text).describe(), q.name).resolves.toBeDefined();
    }
  });

  it("catches a hot query whose column is not in the database", async () => {
    const drifted = hotQuery("test_drifted", (n) => `SELECT ${n(comments.id)}, "contnet" FROM ${n(comments)}`);
    HOT_QUERIES.delete(drifted.name);
    await expect(sql.unsafe(drifted.text).describe()).rejects.toThrow(/contnet/);
  });
});

describe("db/client.ts makes drizzle's queries prepared statements", () => {
  it("runs a drizzle query as a named prepared statement on its connection", async () => {
    const { sql: client, db } = createDb(TEST_DATABASE_URL, { max: 1 });
    try {
      const marker = `prepared_probe_${Date.now()}`;
      await db.execute(drizzleSql`SELECT ${marker}::text AS probe`);
      await db.execute(drizzleSql`SELECT ${marker}::text AS probe`);
      // Same (only) connection: its session lists the statements prepared on it. If drizzle stops
      // calling `unsafe` (or the Proxy stops seeing it), this statement is no longer here.
      const rows = await client<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement LIKE ${"%::text AS probe%"}`;
      expect(rows[0]?.n).toBe(1);
    } finally {
      await client.end();
    }
  });
});
