import { inject } from "vitest";
import type { QueueBackendConfig } from "../src/queue/score-queue.js";

/**
 * Where the tests find the real services, as test/global-setup.ts resolved them: TEST_DATABASE_URL,
 * or the embedded Postgres it started when that did not answer.
 */
export const TEST_DATABASE_URL = inject("testDatabaseUrl");
/** TEST_REDIS_URL when it answered; undefined means the queue tests use BullMQ's Postgres backend. */
export const TEST_REDIS_URL: string | undefined = inject("testRedisUrl") || undefined;

/** The queue backend a test harness uses by default: Redis when there is one. */
export function testQueueBackend(databaseUrl = TEST_DATABASE_URL): QueueBackendConfig {
  return TEST_REDIS_URL ? { kind: "redis", url: TEST_REDIS_URL } : { kind: "postgres", url: databaseUrl };
}

/** TEST_REDIS_URL as configured, for the skip message. */
const CONFIGURED_REDIS_URL = inject("configuredRedisUrl");

/**
 * For the few tests of Redis itself: returns its URL, or skips the test with a line saying why
 * (BullMQ's Postgres backend runs every other queue test).
 */
export function redisOrSkip(ctx: { skip(note?: string): never; task: { name: string } }): string {
  if (TEST_REDIS_URL) return TEST_REDIS_URL;
  const reason = `needs Redis itself, and TEST_REDIS_URL (${CONFIGURED_REDIS_URL}) does not answer`;
  console.warn(`skipped "${ctx.task.name}": ${reason}`);
  return ctx.skip(reason);
}
