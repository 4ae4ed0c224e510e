import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { MigrationDriftError, ensureDatabase, runMigrations } from "../src/db/migrate.js";
import { createLog } from "../src/log.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The Postgres every test file uses (read it through test/env.ts). */
    testDatabaseUrl: string;
    /** The Redis for queue tests, or "" when TEST_REDIS_URL did not answer. */
    testRedisUrl: string;
    /** TEST_REDIS_URL as configured, for the skip messages. */
    configuredRedisUrl: string;
  }
}

const CONFIGURED_DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/commentinel_test";
const CONFIGURED_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** Connection failures mean "nothing there"; anything else (a wrong password, say) is the user's to fix. */
const UNREACHABLE = new Set(["ECONNREFUSED", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "CONNECT_TIMEOUT", "ETIMEDOUT"]);

async function postgresAnswers(url: string): Promise<boolean> {
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const sql = postgres(admin.toString(), { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`SELECT 1`;
    return true;
  } catch (err) {
    const codes = [(err as { code?: string }).code, ...((err as { errors?: { code?: string }[] }).errors ?? []).map((e) => e.code)];
    if (codes.some((c) => c && UNREACHABLE.has(c))) return false;
    throw err;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

async function redisAnswers(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  redis.on("error", () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== "object" || !address) throw new Error("no free port");
  return address.port;
}

/**
 * Finds the services the tests run on, so `npm ci && npm test` works on a machine with only Node:
 * - Postgres: TEST_DATABASE_URL when it answers, else an embedded Postgres in a temporary folder
 *   (the same binaries `npm start` uses), stopped and removed at the end of the run;
 * - Redis: TEST_REDIS_URL when it answers, else the queue tests run on BullMQ's Postgres backend
 *   and the few that need Redis itself skip, saying so.
 * The test database is created when missing and migrated once per run; runMigrations holds an
 * advisory lock, so concurrent runs (or other suites sharing the database) do not collide.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let databaseUrl = CONFIGURED_DATABASE_URL;
  let teardown = () => Promise.resolve();
  if (!(await postgresAnswers(databaseUrl))) {
    const dataDir = mkdtempSync(path.join(tmpdir(), "commentinel-test-pg-"));
    // As root the embedded Postgres runs as user `postgres`, which must reach dataDir/pg.
    chmodSync(dataDir, 0o755);
    const { openEmbeddedPostgres } = await import("../src/db/embedded.js");
    const port = await freePort();
    const db = await openEmbeddedPostgres({ dataDir, port, role: "test", attach: false, log: createLog("warn") });
    databaseUrl = db.url;
    teardown = async () => {
      await db.stop();
      rmSync(dataDir, { recursive: true, force: true });
    };
    console.log(`TEST_DATABASE_URL ${redact(CONFIGURED_DATABASE_URL)} does not answer: the tests run on an embedded Postgres on 127.0.0.1:${port} (in ${dataDir}, removed at the end).`);
  }
  await ensureDatabase(databaseUrl);
  try {
    await runMigrations(databaseUrl);
  } catch (err) {
    // The test database is disposable: one a branch's build migrated differently is made anew.
    if (!(err instanceof MigrationDriftError)) throw err;
    console.log(`${redact(databaseUrl)} was migrated by another build: dropping and recreating it.`);
    await dropDatabase(databaseUrl);
    await ensureDatabase(databaseUrl);
    await runMigrations(databaseUrl);
  }

  const redisUp = await redisAnswers(CONFIGURED_REDIS_URL);
  if (!redisUp) {
    console.log(`TEST_REDIS_URL ${redact(CONFIGURED_REDIS_URL)} does not answer: the queue tests run on BullMQ's PostgreSQL backend; the few that need Redis itself are skipped.`);
  }
  project.provide("testDatabaseUrl", databaseUrl);
  project.provide("testRedisUrl", redisUp ? CONFIGURED_REDIS_URL : "");
  project.provide("configuredRedisUrl", CONFIGURED_REDIS_URL);
  return teardown;
}

async function dropDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ""));
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const sql = postgres(admin.toString(), { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '""')}" WITH (FORCE)`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}
