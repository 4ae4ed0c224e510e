import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createDb, type DbClient } from "../src/db/client.js";
import postgres from "postgres";
import { TEST_DATABASE_URL } from "./env.js";
import { startPgProxy, type PgProxy } from "./helpers/pg-proxy.js";

// A transaction whose connection dies (a Postgres restart) must fail cleanly: with postgres.js 3.4.9
// alone, its body's next query or the ROLLBACK sent after it was written to a null socket from a
// setImmediate, an uncaught TypeError that shut the worker down (bench/chaos pg-restart).
let proxy: PgProxy;
let client: DbClient;
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

beforeAll(async () => {
  proxy = await startPgProxy();
  client = createDb(proxy.url, { max: 2, connectTimeoutMs: 1000 });
  process.on("uncaughtException", onUncaught);
});

afterAll(async () => {
  process.off("uncaughtException", onUncaught);
  await client.sql.end({ timeout: 1 });
  await proxy.close();
});

const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

async function cutWhile(run: () => Promise<unknown>): Promise<unknown> {
  const outcome = run().then(
    () => "committed",
    (err: unknown) => err,
  );
  await settle();
  await proxy.setMode("refuse");
  const result = await outcome;
  await settle();
  await proxy.setMode("forward");
  return result;
}

it("rejects a transaction whose backend Postgres ends mid-statement, and its rollback never reaches the dead connection", async () => {
  // What `pg_ctl restart -m fast` does to each connection: a FATAL error, then the socket closes.
  const marker = `hang-${Math.random().toString(36).slice(2)}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    const outcome = client.db.transaction(async (tx) => tx.execute(sql.raw(`select pg_sleep(5) /* ${marker} */`))).then(
      () => "committed",
      (err: unknown) => err,
    );
    await settle();
    const [ended] = await admin`select count(pg_terminate_backend(pid))::int AS n from pg_stat_activity where query like ${`%${marker}%`} and pid <> pg_backend_pid()`;
    expect(ended?.n).toBe(1);
    expect(await outcome).toBeInstanceOf(Error);
    await settle();
    expect(uncaught).toEqual([]);
  } finally {
    await admin.end();
  }
});

it("rejects a transaction cut between statements, and its next statement throws instead of being sent", async () => {
  let next: unknown = "not run";
  const result = await cutWhile(() =>
    client.db.transaction(async (tx) => {
      await tx.execute(sql`select 1`);
      await new Promise((resolve) => setTimeout(resolve, 600));
      next = await tx.execute(sql`select 2`).catch((err: unknown) => err);
      throw next;
    }),
  );
  expect(result).toBeInstanceOf(Error);
  // The body's own await settles a little later than `begin`.
  await new Promise((resolve) => setTimeout(resolve, 700));
  expect(next).toBeInstanceOf(Error);
  expect(uncaught).toEqual([]);
});

it("the same pool runs transactions again once Postgres is back", async () => {
  // postgres.js 3.4.9 may hand the first query on a reconnected connection the old backend's FATAL
  // ("terminating connection due to administrator command"): a job fails once and is retried.
  const run = () => client.db.transaction(async (tx) => tx.execute(sql`select 41 + 1 AS n`));
  const rows = await run().catch(run);
  expect(rows[0]).toEqual({ n: 42 });
  expect(uncaught).toEqual([]);
});
