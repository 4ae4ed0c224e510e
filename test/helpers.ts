import { randomBytes } from "node:crypto";
import { sql as postgresSql } from "drizzle-orm";
import { Redis } from "ioredis";
import postgres from "postgres";
import { expect } from "vitest";
import { unlearnSite } from "../src/comments/decisions.js";
import { loadConfig, type Config } from "../src/config.js";
import { ensureDatabase, runMigrations } from "../src/db/migrate.js";
import { createDeps, type Deps } from "../src/deps.js";
import { createApp, type App } from "../src/http/app.js";
import { createLog } from "../src/log.js";
import type { QueueBackendConfig } from "../src/queue/score-queue.js";
import { startWorker } from "../src/worker/index.js";
import { TEST_DATABASE_URL, TEST_REDIS_URL, testQueueBackend } from "./env.js";

export const ADMIN_TOKEN = "test-admin-token-0123456789";

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString("hex")}`;
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    ADMIN_TOKEN,
    // Unset without Redis: the service then uses BullMQ's Postgres backend, as in production.
    REDIS_URL: TEST_REDIS_URL ?? "",
    QUEUE_PREFIX: uniqueName("test"),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    WORKER_CONCURRENCY: "4",
    // The sweep is driven explicitly by the tests that need it.
    SWEEP_INTERVAL_MS: "3600000",
    // Off unless a test is about them (test/rate-limit.test.ts): suites post in bursts.
    RATE_LIMIT_IP_PER_MINUTE: "0",
    RATE_LIMIT_SITE_PER_MINUTE: "0",
    RATE_LIMIT_BROWSER_PER_MINUTE: "0",
    ...overrides,
  });
}

export interface Harness {
  deps: Deps;
  app: App;
  /** Starts a worker on this harness's queue prefix; stopped by close(). */
  startWorker(): void;
  close(): Promise<void>;
}

/** Isolated deps for one test: its own queue prefix, the shared test database unless told otherwise. */
export function harness(opts: { databaseUrl?: string; queueBackend?: QueueBackendConfig; config?: Record<string, string> } = {}): Harness {
  const config = testConfig(opts.config);
  const deps = createDeps(config, createLog(config.LOG_LEVEL), {
    databaseUrl: opts.databaseUrl ?? TEST_DATABASE_URL,
    queueBackend: opts.queueBackend ?? testQueueBackend(opts.databaseUrl),
  });
  const workers: { close(): Promise<void> }[] = [];
  return {
    deps,
    app: createApp(deps),
    startWorker: () => void workers.push(startWorker(deps)),
    async close() {
      for (const w of workers) await w.close();
      await deps.close();
      if (deps.queueBackend.kind === "redis") await dropRedisPrefix(config.QUEUE_PREFIX);
    },
  };
}

async function dropRedisPrefix(prefix: string): Promise<void> {
  if (!TEST_REDIS_URL) return;
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

/** A fresh, migrated database for tests that need the whole model to themselves; dropped by `drop`. */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = uniqueName("commentinel_t").replaceAll("-", "_");
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  await ensureDatabase(url.toString());
  await runMigrations(url.toString());
  return {
    url: url.toString(),
    async drop() {
      const admin = new URL(TEST_DATABASE_URL);
      admin.pathname = "/postgres";
      const sql = postgres(admin.toString(), { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await sql.end();
      }
    },
  };
}

export interface IsolatedSuite {
  h: Harness;
  site: TestSite;
  /** The suite's own database, for a second harness or process on it. */
  databaseUrl: string;
  close(): Promise<void>;
}

/**
 * A harness with a worker on a fresh database of its own, and one site: for suites whose verdicts or
 * counts must not depend on what other files teach the shared global scope.
 */
export async function isolatedSuite(): Promise<IsolatedSuite> {
  const db = await freshDatabase();
  const h = harness({ databaseUrl: db.url });
  const close = async () => {
    await h.close();
    await db.drop();
  };
  try {
    h.startWorker();
    return { h, site: await createSite(h.app), databaseUrl: db.url, close };
  } catch (err) {
    await close();
    throw err;
  }
}

type Json = Record<string, unknown>;

export async function call(
  app: App,
  method: string,
  path: string,
  opts: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Json; headers: Headers }> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers["content-type"] ??= "application/json";
    body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
  }
  const res = await app.request(path, { method, headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {}, headers: res.headers };
}

export interface TestSite {
  id: string;
  apiKey: string;
  moderatorKey: string;
}

export async function createSite(app: App, name = uniqueName("site")): Promise<TestSite> {
  const res = await call(app, "POST", "/v1/sites", { key: ADMIN_TOKEN, body: { name, url: "https://example.test" } });
  expect(res.status).toBe(201);
  const site = res.body.site as { id: string };
  return { id: site.id, apiKey: res.body.apiKey as string, moderatorKey: res.body.moderatorKey as string };
}

/**
 * Removes a test site and what it taught the shared global scope (through the change log, like any
 * decision), so the shared test database does not drift from run to run.
 */
export async function removeSite(deps: Deps, siteId: string): Promise<void> {
  await unlearnSite(deps.db, siteId);
  await deps.db.execute(postgresSql`DELETE FROM token_counts WHERE scope = ${siteId}`);
  await deps.db.execute(postgresSql`DELETE FROM scope_totals WHERE scope = ${siteId}`);
  await deps.db.execute(postgresSql`DELETE FROM sites WHERE id = ${siteId}`);
}

/** Polls until `check` returns a value (the worker runs asynchronously), or fails after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
