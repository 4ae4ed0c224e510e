import { createScorer } from "../src/comments/scorer.js";
import type { Deps } from "../src/deps.js";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { recordDecision } from "../src/comments/decisions.js";
import { findComment } from "../src/db/queries/comments.js";
import { processScoreComment } from "../src/worker/score-comment.js";
import { sweepPending } from "../src/worker/sweep.js";
import { SCORE_QUEUE } from "../src/queue/score-queue.js";
import { MAX_JOB_COMMENTS, commentsOf, scoreBatchJobs, type ScoreJob } from "../src/queue/score-job.js";
import { TEST_DATABASE_URL, redisOrSkip } from "./env.js";
import { ADMIN_TOKEN, call, createSite, eventually, harness, removeSite, type Harness, type TestSite } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * The site asks for more learned examples than any test run teaches, so its verdicts stay `unsure`
 * (`held`) whatever other files teach the shared global scope meanwhile.
 */
async function setup(opts: Parameters<typeof harness>[0] = {}): Promise<{ h: Harness; site: TestSite }> {
  const h = harness(opts);
  const site = await createSite(h.app);
  cleanups.push(() => h.close(), () => removeSite(h.deps, site.id));
  const patched = await call(h.app, "PATCH", `/v1/sites/${site.id}`, { key: ADMIN_TOKEN, body: { settings: { minPerLabel: 1_000_000 } } });
  expect(patched.status).toBe(200);
  return { h, site };
}

/** A plain BullMQ queue on the harness's score queue, to plant or look at jobs; closed after the test. */
function rawQueue(h: Harness, redisUrl: string): Queue {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(SCORE_QUEUE, { connection: redis, prefix: h.deps.config.QUEUE_PREFIX });
  cleanups.push(async () => {
    await queue.close();
    redis.disconnect();
  });
  return queue;
}

/** Waits for a planted job to fail, and checks it failed as invalid on its first attempt. */
async function expectFailedAsInvalid(queue: Queue, jobId: string): Promise<void> {
  const job = await eventually(async () => {
    const j = await queue.getJob(jobId);
    return j?.failedReason ? j : undefined;
  });
  expect(job.failedReason).toContain("invalid score-comment payload");
  expect(job.attemptsMade).toBe(1);
}

const comment = { thread: "t1", content: "Hello there, a perfectly normal comment." };

/** A scorer on the harness's deps, as the worker builds one. */
const scorerFor = (deps: Deps) => ({ scorer: createScorer(deps), log: deps.log });

describe("POST /v1/comments", () => {
  it("answers 202 pending at once and the worker lands a verdict", async () => {
    const { h, site } = await setup();
    h.startWorker();
    const res = await call(h.app, "POST", "/v1/comments", { key: site.apiKey, body: comment });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: "pending", thread: "t1", content: comment.content });
    expect(res.headers.get("location")).toBe(`/v1/comments/${res.body.id as string}`);
    const scored = await eventually(async () => {
      const row = await findComment(h.deps.db, res.body.id as string);
      return row?.status === "pending" ? undefined : row;
    });
    expect(scored.status).toBe("held");
    expect(scored.modelVersion).toMatch(/^tok\d+\//);
  });

  it("returns the same comment for the same externalId instead of a second one", async () => {
    const { h, site } = await setup();
    const body = { ...comment, externalId: "wp-comment-42" };
    const first = await call(h.app, "POST", "/v1/comments", { key: site.apiKey, body });
    const second = await call(h.app, "POST", "/v1/comments", { key: site.apiKey, body: { ...body, content: "a retry with other text" } });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.content).toBe(comment.content);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    // Another site may use the same externalId for its own comment.
    const other = await createSite(h.app);
    cleanups.push(() => removeSite(h.deps, other.id));
    const third = await call(h.app, "POST", "/v1/comments", { key: other.apiKey, body });
    expect(third.status).toBe(202);
    expect(third.body.id).not.toBe(first.body.id);
  });

  it("stores concurrent comments in one batch, and one comment for an externalId sent twice in that batch", async () => {
    const { h, site } = await setup();
    const sent = await Promise.all([
      ...Array.from({ length: 8 }, (_, i) => call(h.app, "POST", "/v1/comments", { key: site.apiKey, body: { ...comment, content: `batch ${i}` } })),
      call(h.app, "POST", "/v1/comments", { key: site.apiKey, body: { ...comment, externalId: "twice-in-a-batch" } }),
      call(h.app, "POST", "/v1/comments", { key: site.apiKey, body: { ...comment, externalId: "twice-in-a-batch", content: "the retry" } }),
    ]);
    expect(sent.map((r) => r.status)).toEqual(Array(10).fill(202));
    const ids = sent.map((r) => r.body.id as string);
    expect(new Set(ids.slice(0, 8)).size).toBe(8);
    expect(ids[9]).toBe(ids[8]);
    expect(sent.filter((r) => r.headers.get("idempotent-replayed") === "true")).toHaveLength(1);
    for (const [i, id] of ids.slice(0, 8).entries()) expect((await findComment(h.deps.db, id))?.content).toBe(`batch ${i}`);
  });

  it("gives one verdict when the same job is delivered twice, even concurrently", async () => {
    const { h, site } = await setup();
    const res = await call(h.app, "POST", "/v1/comments", { key: site.apiKey, body: comment });
    const id = res.body.id as string;
    const job = { commentId: id };
    const outcomes = await Promise.all([processScoreComment(scorerFor(h.deps), job), processScoreComment(scorerFor(h.deps), job)]);
    expect(outcomes.map(([o]) => o?.outcome).sort()).toEqual(["scored", "settled"]);
    const scoredAt = (await findComment(h.deps.db, id))?.scoredAt;
    const [again] = await processScoreComment(scorerFor(h.deps), job);
    expect(again?.outcome).toBe("settled");
    expect((await findComment(h.deps.db, id))?.scoredAt).toEqual(scoredAt);
  });

  it("never lets a verdict that lands after a moderator's decision overwrite it", async () => {
    const { h, site } = await setup();
    const res = await call(h.app, "POST", "/v1/comments", { key: site.apiKey, body: comment });
    const id = res.body.id as string;
    await recordDecision(h.deps.db, { siteId: site.id, commentId: id, label: "spam", actor: "moderator" });
    const [out] = await processScoreComment(scorerFor(h.deps), { commentId: id });
    expect(out?.outcome).toBe("settled");
    const row = await findComment(h.deps.db, id);
    expect(row).toMatchObject({ status: "spam", verdict: null, score: null });
  });

  it("accepts a comment while Redis is unreachable, and scores it after the sweep", async () => {
    // The API's producer points at a closed port: the enqueue fails fast, the row stays pending.
    const down = await setup({ queueBackend: { kind: "redis", url: "redis://127.0.0.1:1" } });
    const started = performance.now();
    const res = await call(down.h.app, "POST", "/v1/comments?wait=300", { key: down.site.apiKey, body: comment });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(res.status).toBe(202);
    expect(res.body.status).toBe("pending");
    const id = res.body.id as string;
    expect(await sweepPending(down.h.deps, { olderThanMs: 0, siteId: down.site.id })).toBe(0);

    // Redis "is back": a worker process with a working connection sweeps and scores it.
    const up = harness();
    cleanups.push(() => up.close());
    up.startWorker();
    expect(await sweepPending(up.deps, { olderThanMs: 0, siteId: down.site.id })).toBe(1);
    const row = await eventually(async () => {
      const r = await findComment(up.deps.db, id);
      return r?.status === "pending" ? undefined : r;
    });
    expect(row.status).toBe("held");
    // A second sweep finds nothing left to do.
    expect(await sweepPending(up.deps, { olderThanMs: 0, siteId: down.site.id })).toBe(0);
  });

  it("waits for the verdict with ?wait and answers 200 with it", async () => {
    const { h, site } = await setup();
    h.startWorker();
    const res = await call(h.app, "POST", "/v1/comments?wait=2000", { key: site.apiKey, body: comment });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "held", verdict: "unsure" });
    expect(typeof res.body.score).toBe("number");
  });

  it("answers 202 when ?wait runs out before a verdict", async () => {
    const { h, site } = await setup();
    // No worker on this prefix: nothing will score it.
    const res = await call(h.app, "POST", "/v1/comments?wait=100", { key: site.apiKey, body: comment });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe("pending");
  });

  it("scores on BullMQ's PostgreSQL backend when there is no Redis", async () => {
    const { h, site } = await setup({ queueBackend: { kind: "postgres", url: TEST_DATABASE_URL } });
    h.startWorker();
    const res = await call(h.app, "POST", "/v1/comments?wait=2000", { key: site.apiKey, body: comment });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("held");
  });

  it("fails a job with an invalid payload at once instead of retrying it", async (ctx) => {
    // It plants the bad job with a raw Redis-backed BullMQ queue.
    const redisUrl = redisOrSkip(ctx);
    const { h } = await setup({ queueBackend: { kind: "redis", url: redisUrl } });
    const queue = rawQueue(h, redisUrl);
    await queue.add(SCORE_QUEUE, { commentId: "not-a-uuid" }, { jobId: "bad-payload", attempts: 5 });
    h.startWorker();
    await expectFailedAsInvalid(queue, "bad-payload");
  });

  it("fails a batch job of more than MAX_JOB_COMMENTS comments at once, as invalid", async (ctx) => {
    const redisUrl = redisOrSkip(ctx);
    const { h } = await setup({ queueBackend: { kind: "redis", url: redisUrl } });
    const queue = rawQueue(h, redisUrl);
    const comments = Array.from({ length: MAX_JOB_COMMENTS + 1 }, () => ({ id: crypto.randomUUID() }));
    await queue.add(SCORE_QUEUE, { comments }, { jobId: "too-many", attempts: 5 });
    h.startWorker();
    await expectFailedAsInvalid(queue, "too-many");
  });
});

describe("one score job per intake batch", () => {
  it("queues comments stored together as one job, and the worker scores each of them", async (ctx) => {
    const redisUrl = redisOrSkip(ctx);
    const { h, site } = await setup({ queueBackend: { kind: "redis", url: redisUrl } });
    const queue = rawQueue(h, redisUrl);
    const sent = await Promise.all(Array.from({ length: 12 }, (_, i) => call(h.app, "POST", "/v1/comments", { key: site.apiKey, body: { ...comment, content: `together ${i}` } })));
    const ids = sent.map((r) => r.body.id as string);
    // No worker yet: what intake queued is still there to look at.
    const waiting = await queue.getWaiting();
    const queued = waiting.flatMap((j) => commentsOf(j.data as ScoreJob).map((c) => c.id));
    expect(queued.sort()).toEqual([...ids].sort());
    expect(waiting.length).toBeLessThan(ids.length);
    h.startWorker();
    for (const id of ids) {
      const row = await eventually(async () => {
        const r = await findComment(h.deps.db, id);
        return r?.status === "pending" ? undefined : r;
      });
      expect(row).toMatchObject({ status: "held", verdict: "unsure" });
    }
  });

  it("scores the rest of a batch when a moderator decided one of its comments first", async () => {
    const { h, site } = await setup();
    const sent = await Promise.all([1, 2, 3].map((i) => call(h.app, "POST", "/v1/comments", { key: site.apiKey, body: { ...comment, content: `mixed ${i}` } })));
    const [decided, ...rest] = sent.map((r) => r.body.id as string);
    await recordDecision(h.deps.db, { siteId: site.id, commentId: decided!, label: "spam", actor: "moderator" });
    const [job] = scoreBatchJobs([decided!, ...rest]);
    const outcomes = await processScoreComment(scorerFor(h.deps), job!.data);
    expect(outcomes.map((o) => o.outcome)).toEqual(["settled", "scored", "scored"]);
    expect(await findComment(h.deps.db, decided!)).toMatchObject({ status: "spam", verdict: null });
  });

  it("splits a batch into jobs of at most MAX_JOB_COMMENTS, and leaves a lone comment its own job id", () => {
    const ids = Array.from({ length: MAX_JOB_COMMENTS * 2 + 1 }, () => crypto.randomUUID());
    const jobs = scoreBatchJobs(ids);
    expect(jobs.map((j) => ("comments" in j.data ? j.data.comments.length : 1))).toEqual([MAX_JOB_COMMENTS, MAX_JOB_COMMENTS, 1]);
    expect(jobs[2]?.opts.jobId).toBe(`comment-${ids[ids.length - 1]}`);
    expect(new Set(jobs.map((j) => j.opts.jobId)).size).toBe(3);
  });

  it("scores a batch job on BullMQ's PostgreSQL backend too", async () => {
    const { h, site } = await setup({ queueBackend: { kind: "postgres", url: TEST_DATABASE_URL } });
    h.startWorker();
    const sent = await Promise.all(Array.from({ length: 6 }, (_, i) => call(h.app, "POST", "/v1/comments?wait=2000", { key: site.apiKey, body: { ...comment, content: `pg ${i}` } })));
    expect(sent.map((r) => [r.status, r.body.status])).toEqual(Array(6).fill([200, "held"]));
  });
});
