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

/** For `it.skipIf(NO_REDIS)`: tests of Redis itself cannot run on the Postgres backend. */
export const NO_REDIS = TEST_REDIS_URL === undefined;
/** The note a skipped Redis test shows. */
export const NO_REDIS_REASON = `needs Redis itself, and TEST_REDIS_URL (${inject("configuredRedisUrl")}) does not answer`;
