/**
 * The raw baselines `bench/service.ts` compares the service with, run as child processes:
 *   server: bare Hono, JSON body, one INSERT, one BullMQ add (what intake does, minus everything else)
 *   worker: a BullMQ worker doing one SELECT and one UPDATE per job (what scoring costs at least)
 * Environment: BENCH_DATABASE_URL, BENCH_REDIS_URL, BENCH_PREFIX, PORT, CONCURRENCY.
 */
import { serve } from "@hono/node-server";
import { Queue, Worker } from "bullmq";
import { Hono } from "hono";
import { Redis } from "ioredis";
import postgres from "postgres";

const mode = process.argv[2];
const sql = postgres(process.env.BENCH_DATABASE_URL ?? "", { max: 10, onnotice: () => {} });
const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = process.env.BENCH_PREFIX ?? "bench-raw";

if (mode === "server") {
  const redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  await new Promise((r) => redis.once("ready", r));
  const queue = new Queue("raw", { connection: redis, prefix });
  const app = new Hono();
  app.post("/raw", async (c) => {
    const body = await c.req.json<{ thread: string; content: string }>();
    const [row] = await sql<{ id: string }[]>`INSERT INTO bench_raw (thread, content) VALUES (${body.thread}, ${body.content}) RETURNING id`;
    await queue.add("raw", { id: row?.id }, { jobId: `raw-${row?.id}`, removeOnComplete: true });
    return c.json({ id: row?.id, status: "pending" }, 202);
  });
  serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: "127.0.0.1" }, () => process.stdout.write("ready\n"));
} else if (mode === "worker") {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const worker = new Worker(
    "raw",
    async (job) => {
      const id = (job.data as { id: string }).id;
      await sql`SELECT id, thread, content FROM bench_raw WHERE id = ${id}`;
      await sql`UPDATE bench_raw SET status = 'done' WHERE id = ${id} AND status = 'pending'`;
    },
    { connection: redis, prefix, concurrency: Number(process.env.CONCURRENCY ?? 16) },
  );
  worker.on("error", () => {});
  await worker.waitUntilReady();
  process.stdout.write("ready\n");
  process.on("SIGTERM", () => void worker.close().then(() => process.exit(0)));
} else {
  throw new Error("usage: service-raw.ts server|worker");
}
