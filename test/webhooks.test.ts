import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { insertEndpoint } from "../src/db/queries/webhooks.js";
import { RETRY_AFTER_MAX_MS, RETRY_JITTER, parseRetryAfter, retryDelay } from "../src/queue/webhook-job.js";
import { createWebhookQueue } from "../src/queue/webhook-queue.js";
import { createScoredEmitter } from "../src/webhooks/emit.js";
import { retryAfterOf } from "../src/worker/deliver-webhook.js";
import { startWorker } from "../src/worker/index.js";
import type { QueueBackendConfig } from "../src/queue/backend.js";
import { generateSecret } from "../src/webhooks/sign.js";
import { TEST_DATABASE_URL, TEST_REDIS_URL } from "./env.js";
import { ADMIN_TOKEN, call, createSite, eventually, harness, removeSite, type Harness, type TestSite } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** When the request had arrived (Date.now()). */
  at: number;
}

/** One answer of a receiver's script: a status, or a status with headers. */
type Answer = number | { status: number; headers: Record<string, string> };

/** The receiving site: a local HTTP server (the only double the tests use) answering a script of statuses. */
async function receiver(script: Answer[] = [], opts: { delayMs?: number } = {}): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  let i = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() });
      const answer = script[Math.min(i++, script.length - 1)] ?? 200;
      const { status, headers } = typeof answer === "number" ? { status: answer, headers: {} } : answer;
      setTimeout(() => res.writeHead(status, { "content-type": "text/plain", ...headers }).end(status < 300 ? "ok" : `status ${status} from the receiver`), opts.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/commentinel`, received, server };
}

/** Resolves once the receiver has had `n` requests. */
const gotAtLeast = (r: { received: Received[] }, n: number) => eventually(() => Promise.resolve(r.received.length >= n ? true : undefined));

/** Retries 50 ms apart (the schedule's shape is the same, only its unit shrinks), 3 attempts. */
const FAST = { WEBHOOKS_ALLOW_PRIVATE: "1", WEBHOOK_RETRY_DELAY_MS: "50", WEBHOOK_MAX_ATTEMPTS: "3", KEY_CACHE_TTL_MS: "0" };

async function setup(opts: { config?: Record<string, string>; queueBackend?: QueueBackendConfig } = {}): Promise<{ h: Harness; site: TestSite }> {
  const h = harness({ config: { ...FAST, ...opts.config }, ...(opts.queueBackend ? { queueBackend: opts.queueBackend } : {}) });
  const site = await createSite(h.app);
  cleanups.push(() => h.close(), () => removeSite(h.deps, site.id));
  // Verdicts stay `held` whatever other files teach the shared global scope.
  const patched = await call(h.app, "PATCH", `/v1/sites/${site.id}`, { key: ADMIN_TOKEN, body: { settings: { minPerLabel: 1_000_000 } } });
  expect(patched.status).toBe(200);
  return { h, site };
}

type Json = Record<string, unknown>;

async function createEndpoint(h: Harness, siteId: string, body: Json): Promise<{ id: string; secret: string; endpoint: Json }> {
  const res = await call(h.app, "POST", `/v1/sites/${siteId}/webhooks`, { key: ADMIN_TOKEN, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const endpoint = res.body.endpoint as Json;
  return { id: endpoint.id as string, secret: res.body.secret as string, endpoint };
}

const comment = { thread: "t1", content: "Hello there, a perfectly normal comment." };

async function postComment(h: Harness, site: TestSite): Promise<string> {
  const res = await call(h.app, "POST", "/v1/comments", { key: site.apiKey, body: comment });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

async function deliveries(h: Harness, siteId: string, endpointId: string): Promise<Json[]> {
  const res = await call(h.app, "GET", `/v1/sites/${siteId}/webhooks/${endpointId}/deliveries`, { key: ADMIN_TOKEN });
  expect(res.status).toBe(200);
  return res.body.deliveries as Json[];
}

async function attempts(h: Harness, siteId: string, endpointId: string): Promise<Json[]> {
  const res = await call(h.app, "GET", `/v1/sites/${siteId}/webhooks/${endpointId}/attempts`, { key: ADMIN_TOKEN });
  expect(res.status).toBe(200);
  return res.body.attempts as Json[];
}

/**
 * The endpoint's only delivery once its first attempt failed and it waits for the next, that first
 * attempt, and how long after the attempt started the next one is planned (its nextAttemptAt).
 */
async function firstRetry(h: Harness, siteId: string, endpointId: string): Promise<{ waiting: Json; first: Json; planned: number }> {
  const waiting = await eventually(async () => {
    const [row] = await deliveries(h, siteId, endpointId);
    return row?.status === "pending" && row.attempts === 1 ? row : undefined;
  });
  const [first] = await attempts(h, siteId, endpointId);
  return { waiting, first: first!, planned: Date.parse(waiting.nextAttemptAt as string) - Date.parse(first!.createdAt as string) };
}

/** The endpoint's only delivery once it is no longer pending. */
const settled = (h: Harness, siteId: string, endpointId: string) =>
  eventually(async () => {
    const [d] = await deliveries(h, siteId, endpointId);
    return d && d.status !== "pending" ? d : undefined;
  });

const headersOf = (r: Received) => ({
  "webhook-id": String(r.headers["webhook-id"]),
  "webhook-timestamp": String(r.headers["webhook-timestamp"]),
  "webhook-signature": String(r.headers["webhook-signature"]),
});

const backends: [string, () => QueueBackendConfig | undefined][] = [
  ["the default backend", () => undefined],
  ["BullMQ's PostgreSQL backend", () => ({ kind: "postgres", url: TEST_DATABASE_URL })],
];
// Without Redis the default is the Postgres backend already: run that once.
const backendCases = TEST_REDIS_URL ? backends : backends.slice(0, 1);

describe.each(backendCases)("webhook delivery on %s", (_name, backend) => {
  it("delivers comment.scored signed per Standard Webhooks, and the package's verifier accepts it", async () => {
    const { h, site } = await setup({ ...(backend() ? { queueBackend: backend()! } : {}) });
    const r = await receiver([200]);
    const ep = await createEndpoint(h, site.id, { url: r.url, events: ["comment.scored"] });
    expect(ep.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    h.startWorker();
    const commentId = await postComment(h, site);
    await gotAtLeast(r, 1);
    const [got] = r.received;
    const payload = new Webhook(ep.secret).verify(got!.body, headersOf(got!)) as Json;
    expect(payload).toMatchObject({ type: "comment.scored", data: { comment: { id: commentId, siteId: site.id, thread: "t1", status: "held", verdict: "unsure" } } });
    expect(got!.headers["webhook-id"]).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(got!.headers["content-type"]).toBe("application/json");
    // A wrong secret does not verify.
    expect(() => new Webhook(generateSecret()).verify(got!.body, headersOf(got!))).toThrow(WebhookVerificationError);

    const d = await settled(h, site.id, ep.id);
    expect(d).toMatchObject({ status: "delivered", attempts: 1, lastStatusCode: 200, eventType: "comment.scored", messageId: got!.headers["webhook-id"] });
    const [a] = await attempts(h, site.id, ep.id);
    expect(a).toMatchObject({ attempt: 1, trigger: "queue", outcome: "delivered", statusCode: 200, responseExcerpt: "ok", error: null });
    expect(a!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("retries after a 500 with the same webhook-id, and records both attempts", async () => {
    const { h, site } = await setup({ ...(backend() ? { queueBackend: backend()! } : {}) });
    const r = await receiver([500, 200]);
    const ep = await createEndpoint(h, site.id, { url: r.url, events: ["comment.scored"] });
    h.startWorker();
    await postComment(h, site);
    const d = await eventually(async () => {
      const [row] = await deliveries(h, site.id, ep.id);
      return row?.status === "delivered" ? row : undefined;
    });
    expect(d).toMatchObject({ attempts: 2, lastStatusCode: 200 });
    expect(r.received).toHaveLength(2);
    expect(r.received[1]!.headers["webhook-id"]).toBe(r.received[0]!.headers["webhook-id"]);
    for (const got of r.received) expect(() => new Webhook(ep.secret).verify(got.body, headersOf(got))).not.toThrow();
    const list = await attempts(h, site.id, ep.id);
    // Newest first.
    expect(list.map((a) => [a.attempt, a.outcome, a.statusCode])).toEqual([
      [2, "delivered", 200],
      [1, "retrying", 500],
    ]);
    expect(list[1]!.responseExcerpt).toBe("status 500 from the receiver");
  });

  it("waits at least a 503's Retry-After (seconds) before the next attempt, and shows it as nextAttemptAt", async () => {
    const { h, site } = await setup({ ...(backend() ? { queueBackend: backend()! } : {}) });
    // The schedule alone would retry after 50 ms.
    const r = await receiver([{ status: 503, headers: { "retry-after": "1" } }, 200]);
    const ep = await createEndpoint(h, site.id, { url: r.url, events: ["comment.scored"] });
    h.startWorker();
    await postComment(h, site);
    const { waiting, first, planned } = await firstRetry(h, site.id, ep.id);
    expect(first).toMatchObject({ attempt: 1, outcome: "retrying", statusCode: 503 });
    // From the answer: at least 1 s after the attempt started, and not much more than its duration on top.
    expect(planned).toBeGreaterThanOrEqual(1000);
    expect(planned).toBeLessThan(1000 + (first.durationMs as number) + 200);
    const d = await settled(h, site.id, ep.id);
    expect(d).toMatchObject({ status: "delivered", attempts: 2, nextAttemptAt: null });
    expect(r.received).toHaveLength(2);
    expect(r.received[1]!.at - r.received[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(r.received[1]!.at).toBeGreaterThanOrEqual(Date.parse(waiting.nextAttemptAt as string));
  });
});

describe("webhook delivery outcomes", () => {
  it("waits until a 429's Retry-After date, then counts it as one more attempt", async () => {
    const { h, site } = await setup();
    // HTTP-dates have whole seconds: this one is 1 to 2 s away.
    const until = new Date(Date.now() + 2000).toUTCString();
    const r = await receiver([{ status: 429, headers: { "retry-after": until } }, 200]);
    const ep = await createEndpoint(h, site.id, { url: r.url, events: ["comment.scored"] });
    h.startWorker();
    await postComment(h, site);
    const d = await settled(h, site.id, ep.id);
    expect(d).toMatchObject({ status: "delivered", attempts: 2 });
    expect(r.received[1]!.at).toBeGreaterThanOrEqual(Date.parse(until));
    expect((await attempts(h, site.id, ep.id)).map((a) => [a.attempt, a.outcome, a.statusCode])).toEqual([
      [2, "delivered", 200],
      [1, "retrying", 429],
    ]);
  });

  it("caps a huge Retry-After at an hour", async () => {
    const { h, site } = await setup();
    const r = await receiver([{ status: 503, headers: { "retry-after": "99999999999" } }, 200]);
    const ep = await createEndpoint(h, site.id, { url: r.url, events: ["comment.scored"] });
    h.startWorker();
    await postComment(h, site);
    const { first, planned } = await firstRetry(h, site.id, ep.id);
    expect(planned).toBeGreaterThanOrEqual(RETRY_AFTER_MAX_MS);
    expect(planned).toBeLessThan(RETRY_AFTER_MAX_MS + (first.durationMs as number) + 200);
    // The queue holds it back too (the schedule alone would have retried after 50 ms).
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(r.received).toHaveLength(1);
  });

  it("ignores a malformed Retry-After and keeps to the schedule", async () => {
    const { h, site } = await setup();
    const r = await receiver([{ status: 503, headers: { "retry-after": "soon" } }, { status: 503, headers: { "retry-after": "1.5" } }, 200]);
    const ep = await createEndpoint(h, site.id, { url: r.url, events: ["comment.scored"] });
    h.startWorker();
    await postComment(h, site);
    const d = await settled(h, site.id, ep.id);
    expect(d).toMatchObject({ status: "delivered", attempts: 3 });
    // 50 and 100 ms by the schedule, far from the second a misread "1.5" or a date would give.
    expect(r.received[2]!.at - r.received[0]!.at).toBeLessThan(900);
  });

  it("gives up after a 400 without retrying", async () => {
    const { h, site } = await setup();
    const r = await receiver([400, 200]);
    const ep = await createEndpoint(h, site.id, { url: r.url, events: ["comment.scored"] });
    h.startWorker();
    await postComment(h, site);
    const d = await settled(h, site.id, ep.id);
    expect(d).toMatchObject({ status: "failed", attempts: 1, lastStatusCode: 400 });
    // Three retry delays (50, 100 ms) would have passed by now.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(r.received).toHaveLength(1);
    expect((await attempts(h, site.id, ep.id)).map((a) => a.outcome)).toEqual(["gave_up"]);
  });

  it("gives up after the last attempt when the receiver keeps failing", async () => {
    const { h, site } = await setup();
    const r = await receiver([503]);
    const ep = await createEndpoint(h, site.id, { url: r.url, events: ["comment.scored"] });
    h.startWorker();
    await postComment(h, site);
    const d = await settled(h, site.id, ep.id);
    expect(d).toMatchObject({ status: "failed", attempts: 3, lastStatusCode: 503 });
    expect(r.received).toHaveLength(3);
    expect((await attempts(h, site.id, ep.id)).map((a) => a.outcome)).toEqual(["gave_up", "retrying", "retrying"]);
    // Pages of 2, newest first.
    const base = `/v1/sites/${site.id}/webhooks/${ep.id}/attempts`;
    const first = await call(h.app, "GET", `${base}?limit=2`, { key: ADMIN_TOKEN });
    expect((first.body.attempts as Json[]).map((a) => a.attempt)).toEqual([3, 2]);
    const second = await call(h.app, "GET", `${base}?limit=2&cursor=${first.body.nextCursor as string}`, { key: ADMIN_TOKEN });
    expect(second.body).toMatchObject({ attempts: [{ attempt: 1, statusCode: 503 }], nextCursor: null });
    const bad = await call(h.app, "GET", `${base}?limit=0`, { key: ADMIN_TOKEN });
    expect(bad.status).toBe(400);
    const failed = await call(h.app, "GET", `/v1/sites/${site.id}/webhooks/${ep.id}/deliveries?status=pending`, { key: ADMIN_TOKEN });
    expect(failed.body).toMatchObject({ deliveries: [], nextCursor: null });
  });

  it("disables the endpoint on a 410, and later events are not sent to it", async () => {
    const { h, site } = await setup();
    const r = await receiver([410]);
    const ep = await createEndpoint(h, site.id, { url: r.url, events: ["comment.scored"] });
    h.startWorker();
    await postComment(h, site);
    const d = await settled(h, site.id, ep.id);
    expect(d).toMatchObject({ status: "failed", attempts: 1, lastStatusCode: 410 });
    const got = await call(h.app, "GET", `/v1/sites/${site.id}/webhooks/${ep.id}`, { key: ADMIN_TOKEN });
    expect(got.body.endpoint).toMatchObject({ enabled: false });
    expect((got.body.endpoint as Json).disabledReason).toMatch(/^410 Gone from the receiver/);
    expect((await attempts(h, site.id, ep.id))[0]).toMatchObject({ outcome: "endpoint_disabled", statusCode: 410 });

    await postComment(h, site);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(r.received).toHaveLength(1);
    expect(await deliveries(h, site.id, ep.id)).toHaveLength(1);

    // Switched back on, it clears the reason.
    const on = await call(h.app, "PATCH", `/v1/sites/${site.id}/webhooks/${ep.id}`, { key: ADMIN_TOKEN, body: { enabled: true } });
    expect(on.status).toBe(200);
    expect(on.body.endpoint).toMatchObject({ enabled: true, disabledReason: null });
  });

  it("delivers comment.decided for a moderator's decision, only to endpoints that asked for it", async () => {
    const { h, site } = await setup();
    const decided = await receiver([200]);
    const scored = await receiver([200]);
    const epDecided = await createEndpoint(h, site.id, { url: decided.url, events: ["comment.decided"], description: "moderation sync" });
    await createEndpoint(h, site.id, { url: scored.url, events: ["comment.scored"], enabled: false });
    h.startWorker();
    const commentId = await postComment(h, site);
    const res = await call(h.app, "POST", `/v1/comments/${commentId}/decision`, { key: site.moderatorKey, body: { label: "spam", note: "link farm" } });
    expect(res.status).toBe(200);
    await gotAtLeast(decided, 1);
    const [got] = decided.received;
    const payload = new Webhook(epDecided.secret).verify(got!.body, headersOf(got!)) as Json;
    expect(payload).toMatchObject({
      type: "comment.decided",
      data: { comment: { id: commentId, status: "spam" }, decision: { label: "spam", actor: "moderator", note: "link farm" } },
    });
    // Disabled at creation: nothing is written for it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(scored.received).toHaveLength(0);
  });

  it("delivers comment.decided for an Akismet submit-spam, with actor akismet", async () => {
    const { h, site } = await setup();
    const r = await receiver([200]);
    const ep = await createEndpoint(h, site.id, { url: r.url, events: ["comment.decided"] });
    h.startWorker();
    const form = (fields: Record<string, string>) => ({
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ blog: "https://blog.example", user_ip: "203.0.113.50", comment_content: "Cheap pills here", ...fields }).toString(),
    });
    const res = await h.app.request("http://localhost/1.1/submit-spam", form({ api_key: site.apiKey }));
    expect(await res.text()).toBe("Thanks for making the web a better place.");
    await gotAtLeast(r, 1);
    const payload = new Webhook(ep.secret).verify(r.received[0]!.body, headersOf(r.received[0]!)) as Json;
    expect(payload).toMatchObject({ type: "comment.decided", data: { comment: { siteId: site.id, status: "spam" }, decision: { label: "spam", actor: "akismet" } } });
  });

  it("queues an outbox row whose notification nobody heard once a worker starts (the sweep)", async () => {
    const { h, site } = await setup({ config: { SWEEP_MIN_AGE_MS: "0" } });
    const r = await receiver([200]);
    const ep = await createEndpoint(h, site.id, { url: r.url, events: ["comment.decided"] });
    const commentId = await postComment(h, site);
    // No worker yet: the decision's NOTIFY goes unheard; its row waits in the outbox.
    const res = await call(h.app, "POST", `/v1/comments/${commentId}/decision`, { key: site.moderatorKey, body: { label: "ham" } });
    expect(res.status).toBe(200);
    const [waiting] = await deliveries(h, site.id, ep.id);
    expect(waiting).toMatchObject({ status: "pending", attempts: 0, eventType: "comment.decided" });
    h.startWorker();
    expect(await settled(h, site.id, ep.id)).toMatchObject({ status: "delivered", attempts: 1 });
    expect(r.received).toHaveLength(1);
  });
});

describe("a failed enqueue", () => {
  it("loses neither the verdict nor the event: the outbox row waits and the sweep queues it", async () => {
    const { h, site } = await setup({ config: { SWEEP_MIN_AGE_MS: "0" } });
    const r = await receiver([200]);
    const ep = await createEndpoint(h, site.id, { url: r.url, events: ["comment.scored"] });
    const commentId = await postComment(h, site);
    // The verdict as the scorer writes it, then its batch's callback with a queue that cannot connect.
    await h.deps.sql`UPDATE comments SET status = 'held', verdict = 'unsure', score = 0.5, scored_at = now() WHERE id = ${commentId}`;
    const dead = createWebhookQueue({ kind: "redis", url: "redis://127.0.0.1:1" }, { prefix: h.deps.config.QUEUE_PREFIX, log: h.deps.log, retry: { delayMs: 50, attempts: 3 } });
    cleanups.push(() => dead.close());
    const emitter = createScoredEmitter({ db: h.deps.db, log: h.deps.log, enqueue: (jobs) => dead.enqueue(jobs) }, { cacheMs: 0 });
    emitter.onVerdicts([commentId]);
    await emitter.close();
    const [waiting] = await deliveries(h, site.id, ep.id);
    expect(waiting).toMatchObject({ status: "pending", attempts: 0, eventType: "comment.scored" });
    const comment = await call(h.app, "GET", `/v1/comments/${commentId}`, { key: site.apiKey });
    expect(comment.body).toMatchObject({ status: "held", verdict: "unsure" });
    // A worker's sweep (run when its LISTEN connects) queues it.
    h.startWorker();
    expect(await settled(h, site.id, ep.id)).toMatchObject({ status: "delivered", attempts: 1 });
    expect(JSON.parse(r.received[0]!.body)).toMatchObject({ type: "comment.scored", data: { comment: { id: commentId } } });
  });
});

describe("webhook worker shutdown", () => {
  it("lets the delivery in flight finish and records it before close resolves", async () => {
    const { h, site } = await setup();
    const r = await receiver([200], { delayMs: 600 });
    const ep = await createEndpoint(h, site.id, { url: r.url, events: ["comment.scored"] });
    const outcomes: string[] = [];
    const worker = startWorker(h.deps, { onDeliveryOutcome: (o) => outcomes.push(o) });
    await postComment(h, site);
    // The receiver has the request and is still answering.
    await gotAtLeast(r, 1);
    await worker.close();
    const [d] = await deliveries(h, site.id, ep.id);
    expect(d).toMatchObject({ status: "delivered", attempts: 1 });
    expect(outcomes).toEqual(["delivered"]);
  });
});

describe("webhook secret rotation", () => {
  it("signs with both secrets during the overlap, and with the new one only after an overlap of 0", async () => {
    const { h, site } = await setup();
    const r = await receiver([200]);
    const ep = await createEndpoint(h, site.id, { url: r.url, events: ["comment.decided"] });
    const rotated = await call(h.app, "POST", `/v1/sites/${site.id}/webhooks/${ep.id}/rotate`, { key: ADMIN_TOKEN });
    expect(rotated.status).toBe(200);
    const secret2 = rotated.body.secret as string;
    expect(secret2).not.toBe(ep.secret);
    const until = Date.parse((rotated.body.endpoint as Json).previousSecretExpiresAt as string);
    expect(until - Date.now()).toBeGreaterThan(23 * 3600_000);
    h.startWorker();
    const commentId = await postComment(h, site);
    await call(h.app, "POST", `/v1/comments/${commentId}/decision`, { key: site.moderatorKey, body: { label: "ham" } });
    await gotAtLeast(r, 1);
    const first = r.received[0]!;
    expect(String(first.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    // A receiver still on the old secret and one already on the new both verify.
    expect(() => new Webhook(ep.secret).verify(first.body, headersOf(first))).not.toThrow();
    expect(() => new Webhook(secret2).verify(first.body, headersOf(first))).not.toThrow();

    const again = await call(h.app, "POST", `/v1/sites/${site.id}/webhooks/${ep.id}/rotate`, { key: ADMIN_TOKEN, body: { overlapSeconds: 0 } });
    expect(again.status).toBe(200);
    expect((again.body.endpoint as Json).previousSecretExpiresAt).toBeNull();
    const secret3 = again.body.secret as string;
    await call(h.app, "POST", `/v1/comments/${commentId}/decision`, { key: site.moderatorKey, body: { label: "spam" } });
    await gotAtLeast(r, 2);
    const second = r.received[1]!;
    expect(String(second.headers["webhook-signature"]).split(" ")).toHaveLength(1);
    expect(() => new Webhook(secret3).verify(second.body, headersOf(second))).not.toThrow();
    expect(() => new Webhook(secret2).verify(second.body, headersOf(second))).toThrow(WebhookVerificationError);
  });

  it("answers 400 for an overlap beyond 7 days", async () => {
    const { h, site } = await setup();
    const ep = await createEndpoint(h, site.id, { url: "https://hooks.example.test/x", events: ["comment.scored"] });
    const res = await call(h.app, "POST", `/v1/sites/${site.id}/webhooks/${ep.id}/rotate`, { key: ADMIN_TOKEN, body: { overlapSeconds: 8 * 24 * 3600 } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "BAD_REQUEST", details: [{ path: "overlapSeconds", message: "overlapSeconds must be at most 604800" }] });
  });
});

describe("re-sending a delivery by hand", () => {
  it("sends a delivered event again with the same webhook-id, recorded as a manual attempt", async () => {
    const { h, site } = await setup();
    const r = await receiver([200]);
    const ep = await createEndpoint(h, site.id, { url: r.url, events: ["comment.scored"] });
    h.startWorker();
    await postComment(h, site);
    const d = await settled(h, site.id, ep.id);
    const res = await call(h.app, "POST", `/v1/sites/${site.id}/webhooks/${ep.id}/deliveries/${d.id as string}/resend`, { key: ADMIN_TOKEN });
    expect(res.status).toBe(202);
    expect(res.body.delivery).toMatchObject({ id: d.id, status: "pending" });
    await gotAtLeast(r, 2);
    expect(r.received[1]!.headers["webhook-id"]).toBe(r.received[0]!.headers["webhook-id"]);
    expect(() => new Webhook(ep.secret).verify(r.received[1]!.body, headersOf(r.received[1]!))).not.toThrow();
    const one = await eventually(async () => {
      const got = await call(h.app, "GET", `/v1/sites/${site.id}/webhooks/${ep.id}/deliveries/${d.id as string}`, { key: ADMIN_TOKEN });
      return (got.body.delivery as Json).status === "delivered" ? got.body : undefined;
    });
    expect((one.attempts as Json[]).map((a) => [a.attempt, a.trigger])).toEqual([
      [2, "manual"],
      [1, "queue"],
    ]);
  });

  it("answers 409 while the delivery is still pending, and 404 for an unknown one", async () => {
    const { h, site } = await setup();
    const ep = await createEndpoint(h, site.id, { url: "https://hooks.example.test/x", events: ["comment.decided"] });
    const commentId = await postComment(h, site);
    await call(h.app, "POST", `/v1/comments/${commentId}/decision`, { key: site.moderatorKey, body: { label: "ham" } });
    // No worker: the delivery stays pending.
    const [d] = await deliveries(h, site.id, ep.id);
    const res = await call(h.app, "POST", `/v1/sites/${site.id}/webhooks/${ep.id}/deliveries/${d!.id as string}/resend`, { key: ADMIN_TOKEN });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: "CONFLICT" });
    const missing = await call(h.app, "POST", `/v1/sites/${site.id}/webhooks/${ep.id}/deliveries/00000000-0000-4000-8000-000000000000/resend`, { key: ADMIN_TOKEN });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: "NOT_FOUND", message: "No such delivery" });
  });
});

describe("webhook endpoints API", () => {
  it("creates, lists, updates and deletes an endpoint; the secret is shown only on create and rotate", async () => {
    const { h, site } = await setup();
    const ep = await createEndpoint(h, site.id, { url: "https://hooks.example.test/a", events: ["comment.scored", "comment.decided", "comment.scored"] });
    expect(ep.endpoint).toMatchObject({ siteId: site.id, url: "https://hooks.example.test/a", events: ["comment.scored", "comment.decided"], enabled: true, description: null });
    const list = await call(h.app, "GET", `/v1/sites/${site.id}/webhooks`, { key: ADMIN_TOKEN });
    expect(list.status).toBe(200);
    expect(list.body.endpoints).toEqual([ep.endpoint]);
    expect(JSON.stringify(list.body)).not.toContain(ep.secret);
    const patched = await call(h.app, "PATCH", `/v1/sites/${site.id}/webhooks/${ep.id}`, {
      key: ADMIN_TOKEN,
      body: { events: ["comment.decided"], description: "CRM", enabled: false },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.endpoint).toMatchObject({ events: ["comment.decided"], description: "CRM", enabled: false, disabledReason: "disabled by an admin" });
    const deleted = await call(h.app, "DELETE", `/v1/sites/${site.id}/webhooks/${ep.id}`, { key: ADMIN_TOKEN });
    expect(deleted.status).toBe(204);
    const gone = await call(h.app, "GET", `/v1/sites/${site.id}/webhooks/${ep.id}`, { key: ADMIN_TOKEN });
    expect(gone.status).toBe(404);
    expect(gone.body.error).toMatchObject({ code: "NOT_FOUND", message: "No such webhook endpoint" });
  });

  it("answers 400 in words for a bad URL or event list, and 415 for a body that is not JSON", async () => {
    const { h, site } = await setup();
    const path = `/v1/sites/${site.id}/webhooks`;
    const ftp = await call(h.app, "POST", path, { key: ADMIN_TOKEN, body: { url: "ftp://hooks.example.test/", events: ["comment.scored"] } });
    expect(ftp.status).toBe(400);
    expect(ftp.body.error).toMatchObject({ code: "BAD_REQUEST", details: [{ path: "url", message: "must be an http(s) URL" }] });
    const creds = await call(h.app, "POST", path, { key: ADMIN_TOKEN, body: { url: "https://u:p@hooks.example.test/", events: ["comment.scored"] } });
    expect(creds.status).toBe(400);
    const none = await call(h.app, "POST", path, { key: ADMIN_TOKEN, body: { url: "https://hooks.example.test/", events: [] } });
    expect(none.body.error).toMatchObject({ details: [{ path: "events", message: "events needs at least 1 item" }] });
    const unknown = await call(h.app, "POST", path, { key: ADMIN_TOKEN, body: { url: "https://hooks.example.test/", events: ["comment.deleted"] } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ details: [{ path: "events.0", message: 'events.0 must be one of "comment.scored", "comment.decided"' }] });
    const missing = await call(h.app, "POST", path, { key: ADMIN_TOKEN, body: { events: ["comment.scored"] } });
    expect(missing.body.error).toMatchObject({ details: [{ path: "url", message: "url is required" }] });
    const text = await call(h.app, "POST", path, { key: ADMIN_TOKEN, body: "url=x", headers: { "content-type": "text/plain" } });
    expect(text.status).toBe(415);
    const badId = await call(h.app, "PATCH", `${path}/not-a-uuid`, { key: ADMIN_TOKEN, body: { enabled: false } });
    expect(badId.status).toBe(404);
  });

  it("keeps sites apart: another site's key or path cannot see or touch an endpoint", async () => {
    const { h, site } = await setup();
    const other = await createSite(h.app);
    cleanups.push(() => removeSite(h.deps, other.id));
    const ep = await createEndpoint(h, site.id, { url: "https://hooks.example.test/a", events: ["comment.scored"] });

    // The site's own API key manages its endpoints under /v1/webhooks.
    const own = await call(h.app, "GET", "/v1/webhooks", { key: site.apiKey });
    expect(own.status).toBe(200);
    expect((own.body.endpoints as Json[]).map((e) => e.id)).toEqual([ep.id]);
    const created = await call(h.app, "POST", "/v1/webhooks", { key: other.apiKey, body: { url: "https://hooks.example.test/b", events: ["comment.decided"] } });
    expect(created.status).toBe(201);
    expect(created.body.endpoint).toMatchObject({ siteId: other.id });

    // Another site's key: only its own endpoint, and 404 for this one, whatever the verb.
    const theirs = await call(h.app, "GET", "/v1/webhooks", { key: other.apiKey });
    expect((theirs.body.endpoints as Json[]).map((e) => e.id)).toEqual([(created.body.endpoint as Json).id]);
    for (const [method, suffix, body] of [
      ["GET", "", undefined],
      ["PATCH", "", { enabled: false }],
      ["DELETE", "", undefined],
      ["POST", "/rotate", undefined],
      ["GET", "/deliveries", undefined],
      ["GET", "/attempts", undefined],
    ] as const) {
      const res = await call(h.app, method, `/v1/webhooks/${ep.id}${suffix}`, { key: other.apiKey, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${suffix}`).toBe(404);
      expect(res.body.error).toMatchObject({ code: "NOT_FOUND" });
    }
    // The admin path of the other site does not reach it either.
    const crossed = await call(h.app, "GET", `/v1/sites/${other.id}/webhooks/${ep.id}`, { key: ADMIN_TOKEN });
    expect(crossed.status).toBe(404);
    // Nothing changed.
    const still = await call(h.app, "GET", `/v1/sites/${site.id}/webhooks/${ep.id}`, { key: ADMIN_TOKEN });
    expect(still.body.endpoint).toMatchObject({ enabled: true });

    // A site key is no admin token; a moderator key does not manage webhooks; no key is 401.
    expect((await call(h.app, "GET", `/v1/sites/${site.id}/webhooks`, { key: site.apiKey })).status).toBe(401);
    const mod = await call(h.app, "GET", "/v1/webhooks", { key: site.moderatorKey });
    expect(mod.status).toBe(403);
    expect(mod.body.error).toMatchObject({ code: "FORBIDDEN" });
    expect((await call(h.app, "GET", "/v1/webhooks")).status).toBe(401);
  });
});

describe("the SSRF guard", () => {
  it("refuses 127.0.0.1 at save while WEBHOOKS_ALLOW_PRIVATE is off", async () => {
    const { h, site } = await setup({ config: { WEBHOOKS_ALLOW_PRIVATE: "0" } });
    for (const url of ["http://127.0.0.1:8080/hook", "http://[::ffff:127.0.0.1]/hook", "http://169.254.169.254/latest/meta-data", "http://localhost/hook"]) {
      const res = await call(h.app, "POST", `/v1/sites/${site.id}/webhooks`, { key: ADMIN_TOKEN, body: { url, events: ["comment.scored"] } });
      expect(res.status, url).toBe(400);
      const [detail] = (res.body.error as { details: { path: string; message: string }[] }).details;
      expect(detail!.path).toBe("url");
      expect(detail!.message).toMatch(/resolves to .*a (loopback|metadata) address/);
    }
  });

  it("refuses 127.0.0.1 at delivery time too, without sending anything", async () => {
    const { h, site } = await setup({ config: { WEBHOOKS_ALLOW_PRIVATE: "0" } });
    const r = await receiver([200]);
    // Saved while the name still resolved elsewhere (or by an older build): the delivery checks again.
    const ep = await insertEndpoint(h.deps.db, { siteId: site.id, url: r.url, description: null, events: ["comment.scored"], enabled: true, secret: generateSecret() });
    h.startWorker();
    await postComment(h, site);
    const d = await settled(h, site.id, ep.id);
    expect(d).toMatchObject({ status: "failed", attempts: 1, lastStatusCode: null });
    expect(d.lastError).toMatch(/^127\.0\.0\.1 resolves to 127\.0\.0\.1, a loopback address \(WEBHOOKS_ALLOW_PRIVATE=1 allows it\)$/);
    expect((await attempts(h, site.id, ep.id))[0]).toMatchObject({ outcome: "refused", statusCode: null });
    expect(r.received).toHaveLength(0);
  });
});

describe("Retry-After", () => {
  const now = Date.parse("2026-12-02T08:00:00Z");
  it("reads delay-seconds and the three HTTP-date forms, and nothing else", () => {
    const cases: [string | undefined, number | undefined][] = [
      ["1", 1000],
      [" 120 ", 120_000],
      ["0", 0],
      ["Wed, 02 Dec 2026 08:00:30 GMT", 30_000],
      ["Wednesday, 02-Dec-26 08:01:00 GMT", 60_000],
      ["Wed Dec  2 08:00:05 2026", 5000],
      // A date past: no wait of its own.
      ["Tue, 01 Dec 2026 08:00:00 GMT", 0],
      ["1.5", undefined],
      ["-1", undefined],
      ["soon", undefined],
      ["2026-12-02T08:00:30Z", undefined],
      ["Wed, 02 Dec 2026 08:00:30 +0100", undefined],
      ["", undefined],
      [undefined, undefined],
    ];
    expect(cases.map(([v]) => [v, parseRetryAfter(v, now)])).toEqual(cases);
  });

  it("counts only on a 429 or a 503", () => {
    const answer = (statusCode: number) => ({ kind: "response" as const, statusCode, excerpt: "", durationMs: 1, retryAfter: "7" });
    expect([429, 503, 500, 502, 301, 200].map((s) => retryAfterOf(answer(s), now))).toEqual([7000, 7000, undefined, undefined, undefined, undefined]);
    expect(retryAfterOf({ kind: "network", error: "ECONNRESET", durationMs: 1 }, now)).toBeUndefined();
  });

  it("only lengthens the schedule's wait, up to an hour", () => {
    const retry = { delayMs: 10_000, attempts: 14 };
    const top = () => 0.999999;
    // Attempt 3: the schedule waits 40 s at most, 32 s at least (20 % jitter).
    expect(retryDelay(3, retry, undefined, top)).toBe(39_999);
    expect(retryDelay(3, retry, 0, () => 0)).toBe(40_000 * (1 - RETRY_JITTER));
    expect(retryDelay(3, retry, 5_000, top)).toBe(39_999);
    expect(retryDelay(3, retry, 120_000, top)).toBe(120_000);
    expect(retryDelay(3, retry, 10 ** 15, top)).toBe(RETRY_AFTER_MAX_MS);
    // Past an hour the schedule's own wait is longer, and stands.
    expect(retryDelay(13, retry, 10 ** 15, top)).toBe(Math.floor(0.999999 * 40_960_000 * RETRY_JITTER + 40_960_000 * (1 - RETRY_JITTER)));
  });
});
