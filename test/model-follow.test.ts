import { spawn, type ChildProcess } from "node:child_process";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenize } from "../src/classifier/index.js";
import { recordDecision } from "../src/comments/decisions.js";
import { storeComment } from "../src/comments/intake.js";
import { createLiveModel, type LiveModel } from "../src/comments/live-model.js";
import { retrain } from "../src/comments/retrain.js";
import { findComment } from "../src/db/queries/comments.js";
import { dumpCounts } from "../src/db/queries/model.js";
import { updateSite } from "../src/db/queries/sites.js";
import type { Listener } from "../src/db/notify.js";
import { createLog } from "../src/log.js";
import { SCORE_QUEUE, scoreJobId } from "../src/queue/score-job.js";
import { TEST_REDIS_URL, testQueueBackend } from "./env.js";
import { openQueue } from "../src/queue/backend.js";
import { ADMIN_TOKEN, createSite, eventually, freshDatabase, harness, uniqueName, type Harness, type TestSite } from "./helpers.js";

/**
 * Checks a follower against Postgres: every total, and every cached count (absent in Postgres
 * means 0/0), equal. Returns how many cached counts were compared.
 */
async function expectExact(h: Harness, model: LiveModel): Promise<number> {
  const { tokens, totals } = await dumpCounts(h.deps.db);
  const inDb = new Map(tokens.map((t) => [`${t.scope}\u0000${t.token}`, { spam: t.spam, ham: t.ham }]));
  const dump = model.dump();
  expect(Object.fromEntries([...dump.totals].filter(([, t]) => t.spam !== 0 || t.ham !== 0))).toEqual(
    Object.fromEntries(totals.map((t) => [t.scope, { spam: t.spam, ham: t.ham }])),
  );
  for (const [k, v] of dump.cached) expect(v, k).toEqual(inDb.get(k) ?? { spam: 0, ham: 0 });
  return dump.cached.size;
}

/** A Listener whose LISTEN never works: only the poll can keep the follower current. */
const deafListener: Listener = { listen: () => Promise.reject(new Error("LISTEN disabled for this test")) };

describe("the model in memory follows the change log", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let h: Harness;
  let site: TestSite;
  const workers: ChildProcess[] = [];
  const prefixes = [uniqueName("follow-a"), uniqueName("follow-b")];

  const teach = async (content: string, label: "spam" | "ham") => {
    const { comment } = await storeComment(h.deps.db, site.id, { thread: "t", content });
    await recordDecision(h.deps.db, { siteId: site.id, commentId: comment.id, label, actor: "moderator" });
    return comment.id;
  };

  beforeAll(async () => {
    db = await freshDatabase();
    h = harness({ databaseUrl: db.url });
    site = await createSite(h.app);
    await updateSite(h.deps.db, site.id, { minPerLabel: 1 });
    await teach("cheap pills casino bonus click now", "spam");
    await teach("lovely harbour photos thanks for sharing", "ham");
  });
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill("SIGKILL");
    if (TEST_REDIS_URL) {
      const redis = new Redis(TEST_REDIS_URL);
      for (const p of prefixes) {
        const keys = await redis.keys(`${p}:*`);
        if (keys.length > 0) await redis.del(...keys);
      }
      redis.disconnect();
    }
    await h?.close();
    await db?.drop();
  });

  it("a correction changes the next score on each of two worker processes within 1 s (NOTIFY, the poll set to a minute)", async () => {
    for (const prefix of prefixes) {
      const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "worker"], {
        env: { ...process.env, DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL ?? "", ADMIN_TOKEN, QUEUE_PREFIX: prefix, LOG_LEVEL: "info", MODEL_POLL_MS: "60000", SWEEP_INTERVAL_MS: "3600000" },
        stdio: ["ignore", "pipe", "inherit"],
      });
      workers.push(child);
      await new Promise<void>((resolve, reject) => {
        let out = "";
        child.stdout?.on("data", (c: Buffer) => {
          out += c.toString();
          if (out.includes('"msg":"model loaded"')) resolve();
        });
        child.once("exit", (code) => reject(new Error(`worker exited ${code}:\n${out}`)));
      });
    }
    // One queue per worker (its own prefix), on Redis or on BullMQ's Postgres backend, as the workers use.
    const queues = prefixes.map((prefix) => openQueue(testQueueBackend(db.url), SCORE_QUEUE, { prefix, log: createLog("silent") }));
    await eventually(() => Promise.resolve(queues.every((q) => q.isReady()) ? true : undefined));
    /** Scores `content` on every worker (one queue each) and returns their probabilities. */
    const scoreOnEach = async (content: string) =>
      Promise.all(
        queues.map(async (queue) => {
          const { comment } = await storeComment(h.deps.db, site.id, { thread: "probe", content });
          await queue.add(SCORE_QUEUE, { commentId: comment.id }, { jobId: scoreJobId(comment.id) });
          const row = await eventually(async () => {
            const r = await findComment(h.deps.db, comment.id);
            return r?.status === "pending" ? undefined : r;
          });
          return row.score ?? NaN;
        }),
      );
    const probe = "zorblax quintessa offer";
    const before = await scoreOnEach(probe);
    expect(before[0]).toBeCloseTo(before[1] ?? NaN, 10);

    const wrongly = await teach("zorblax quintessa offer for you", "ham");
    // The moderator corrects it: unlearn ham, learn spam. Committed when recordDecision returns.
    await recordDecision(h.deps.db, { siteId: site.id, commentId: wrongly, label: "spam", actor: "moderator" });
    const corrected = performance.now();
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (performance.now() - corrected))));
    const after = await scoreOnEach(probe);
    for (const [i, p] of after.entries()) expect(p, `worker ${i}`).toBeGreaterThan((before[i] ?? 1) + 0.1);
    await Promise.all(queues.map((q) => q.close()));
  }, 60_000);

  it("follows by polling when LISTEN fails, and its cached counts match Postgres exactly after learn, unlearn and retrain", async () => {
    const model = createLiveModel({ db: h.deps.db, listener: deafListener, log: createLog("silent") }, { pollMs: 100, reloadBehind: 1_000, cacheRows: 100_000 });
    try {
      await model.ready();
      // Cached before the changes, so the deltas (not a re-fetch) must keep them right.
      await model.prefetch(site.id, tokenize({ content: "brand new words arrive here" }));
      const arrive = () => model.scoringData(site.id, ["arrive"]).global.tokens.get("arrive");
      expect(arrive()).toBeUndefined();
      const id = await teach("brand new words arrive here", "spam");
      await recordDecision(h.deps.db, { siteId: site.id, commentId: id, label: "ham", actor: "moderator" });
      // Both changes (learned as spam, corrected to ham) arrive by the poll alone.
      // Counts are in COUNT_SCALE units, damped by the comment's length: one document's worth, not 1.
      await eventually(() => Promise.resolve((arrive()?.ham ?? 0) > 0 ? true : undefined), 2_000);
      expect(arrive()).toEqual({ spam: 0, ham: expect.any(Number) as number });
      expect(await expectExact(h, model)).toBeGreaterThan(10);
      const loads = model.stats().loads;
      await retrain(h.deps.db);
      await eventually(() => Promise.resolve(model.stats().loads > loads ? true : undefined), 2_000);
      await model.prefetch(site.id, tokenize({ content: "brand new words arrive here" }));
      expect(await expectExact(h, model)).toBeGreaterThan(10);
    } finally {
      await model.close();
    }
  });

  it("reloads instead of replaying when it has fallen further behind than reloadBehind, and stays within cacheRows", async () => {
    const model = createLiveModel({ db: h.deps.db, listener: deafListener, log: createLog("silent") }, { pollMs: 60_000, reloadBehind: 2, cacheRows: 1_000 });
    try {
      await model.ready();
      const loads = model.stats().loads;
      for (const text of ["one more spam text", "two more spam text", "three more spam text"]) await teach(text, "spam");
      await model.sync();
      expect(model.stats().loads).toBe(loads + 1);
      await model.prefetch(site.id, tokenize({ content: "one more spam text and four" }));
      await teach("four more spam text", "spam");
      await model.sync();
      expect(model.stats().loads).toBe(loads + 1);
      expect(model.scoringData(site.id, ["four"]).site.tokens.get("four")).toEqual({ spam: expect.any(Number) as number, ham: 0 });
      expect(model.scoringData(site.id, ["four"]).site.tokens.get("four")?.spam).toBeGreaterThan(0);
      await expectExact(h, model);
    } finally {
      await model.close();
    }
    const small = createLiveModel({ db: h.deps.db, listener: deafListener, log: createLog("silent") }, { pollMs: 60_000, reloadBehind: 2, cacheRows: 40 });
    try {
      await small.ready();
      await small.prefetch(site.id, tokenize({ content: "many other words to push the cache past its bound of forty rows in all" }));
      expect(small.stats().cached).toBeLessThanOrEqual(40);
      await expectExact(h, small);
    } finally {
      await small.close();
    }
  });
});
