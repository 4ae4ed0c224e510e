import { spawn } from "node:child_process";
import { once } from "node:events";
import { Queue, UnrecoverableError, Worker } from "bullmq";
import { Redis } from "ioredis";
import postgres from "postgres";
import { afterEach, describe, expect, it } from "vitest";
import { findComment } from "../src/db/queries/comments.js";
import { SCORE_QUEUE, commentsOf, scoreJobId, type ScoreJob } from "../src/queue/score-queue.js";
import { sweepPending } from "../src/worker/sweep.js";
import { TEST_DATABASE_URL, redisOrSkip } from "./env.js";
import { call, createSite, eventually, harness, removeSite, uniqueName, type Harness, type TestSite } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

// These tests drive BullMQ's Redis lock and stalled check themselves.
async function setup(redisUrl: string): Promise<{ h: Harness; site: TestSite; queue: Queue }> {
  const h = harness({ queueBackend: { kind: "redis", url: redisUrl } });
  const site = await createSite(h.app);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(SCORE_QUEUE, { connection: redis, prefix: h.deps.config.QUEUE_PREFIX });
  cleanups.push(
    () => h.close(),
    () => removeSite(h.deps, site.id),
    async () => {
      await queue.close();
      redis.disconnect();
    },
  );
  return { h, site, queue };
}

async function post(h: Harness, site: TestSite, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await call(h.app, "POST", "/v1/comments", { key: site.apiKey, body: { thread: "t", content: `comment ${i} ${uniqueName("c")}` } });
    expect(res.status).toBe(202);
    ids.push(res.body.id as string);
  }
  return ids;
}

const allScored = (h: Harness, ids: string[]) => async () => {
  const rows = await Promise.all(ids.map((id) => findComment(h.deps.db, id)));
  return rows.every((r) => r && r.status !== "pending") ? rows : undefined;
};

describe("a worker SIGKILLed with jobs in flight", () => {
  it("has its jobs scored by another worker within 15 s", async (ctx) => {
    const redisUrl = redisOrSkip(ctx);
    const { h, site, queue } = await setup(redisUrl);
    const ids = await post(h, site, 5);
    // Hold the rows so the doomed worker's verdict writes block: its jobs stay active until the kill.
    const locker = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
    const lock = await locker.reserve();
    cleanups.push(async () => {
      lock.release();
      await locker.end();
    });
    await lock`BEGIN`;
    await lock`SELECT id FROM comments WHERE id IN ${lock(ids)} FOR UPDATE`;

    const appName = uniqueName("doomed-worker");
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "worker"], {
      env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: redisUrl, QUEUE_PREFIX: h.deps.config.QUEUE_PREFIX, LOG_LEVEL: "warn", PGAPPNAME: appName, SWEEP_INTERVAL_MS: "3600000" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      return Promise.resolve();
    });
    await eventually(async () => ((await queue.getActiveCount()) === ids.length ? true : undefined), 20_000);
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;
    // Postgres would otherwise run the dead worker's blocked UPDATEs once the lock goes, and the test
    // would pass without any recovery: end its sessions as a crashed host's would end.
    await lock`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ${appName}`;
    await lock`ROLLBACK`;
    expect((await Promise.all(ids.map((id) => findComment(h.deps.db, id)))).map((r) => r?.status)).toEqual(ids.map(() => "pending"));

    const killedAt = performance.now();
    h.startWorker();
    await eventually(allScored(h, ids), 15_000);
    const recoveredMs = performance.now() - killedAt;
    expect(recoveredMs).toBeLessThan(15_000);
  });
});

describe("a job that failed for good", () => {
  it("stays in the failed list, bounded in count and age, and the sweep retries it", async (ctx) => {
    const redisUrl = redisOrSkip(ctx);
    const { h, site, queue } = await setup(redisUrl);
    const [id] = await post(h, site, 1);
    // A stand-in consumer that fails the real job for good (as a long Postgres outage would).
    const failingRedis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const failing = new Worker(SCORE_QUEUE, () => Promise.reject(new UnrecoverableError("postgres was down for every attempt")), {
      connection: failingRedis,
      prefix: h.deps.config.QUEUE_PREFIX,
    });
    const failed = await eventually(async () => {
      const job = await queue.getJob(scoreJobId(id!));
      // Read as one: a job fetched just before it failed, asked isFailed() just after, has no failedReason yet.
      return job?.failedReason && (await job.isFailed()) ? job : undefined;
    });
    await failing.close();
    failingRedis.disconnect();
    expect(failed.failedReason).toBe("postgres was down for every attempt");
    expect(failed.opts.removeOnFail).toEqual({ count: 1000, age: 7 * 24 * 3600 });
    expect(await queue.getFailedCount()).toBe(1);

    // The comment is still pending; the sweep hands it to a working worker again.
    h.startWorker();
    expect(await sweepPending(h.deps, { olderThanMs: 0, siteId: site.id })).toBe(1);
    const [row] = await eventually(allScored(h, [id!]));
    expect(row?.verdict).not.toBeNull();
  });
});

describe("a batch job that failed for good", () => {
  it("leaves its comments pending, and the sweep queues each of them again", async (ctx) => {
    const redisUrl = redisOrSkip(ctx);
    const { h, site, queue } = await setup(redisUrl);
    const failingRedis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const failing = new Worker(SCORE_QUEUE, () => Promise.reject(new UnrecoverableError("postgres was down for every attempt")), {
      connection: failingRedis,
      prefix: h.deps.config.QUEUE_PREFIX,
    });
    // Sent together, stored in one intake batch: one job for all of them.
    const sent = await Promise.all([1, 2, 3, 4].map((i) => call(h.app, "POST", "/v1/comments", { key: site.apiKey, body: { thread: "t", content: `batch ${i} ${uniqueName("c")}` } })));
    const ids = sent.map((r) => r.body.id as string);
    const failed = await eventually(async () => {
      const jobs = await queue.getFailed();
      const held = jobs.flatMap((j) => commentsOf(j.data as ScoreJob).map((c) => c.id));
      return held.length === ids.length ? jobs : undefined;
    });
    await failing.close();
    failingRedis.disconnect();
    expect(failed.some((j) => "comments" in j.data)).toBe(true);
    for (const id of ids) expect((await findComment(h.deps.db, id))?.status).toBe("pending");

    h.startWorker();
    expect(await sweepPending(h.deps, { olderThanMs: 0, siteId: site.id })).toBe(ids.length);
    const rows = await eventually(allScored(h, ids));
    expect(rows.every((r) => r?.verdict !== null)).toBe(true);
  });
});
