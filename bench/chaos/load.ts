/**
 * HTTP to 127.0.0.1 only: one request helper that never throws (a transport failure is a status
 * of its own), and an open-loop stream of unique comments at a fixed offered rate.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";

/** A site the run created: its id, its two keys, and its URL. */
export interface Site {
  id: string;
  apiKey: string;
  moderatorKey: string;
  url: string;
}

export interface Reply {
  /** HTTP status, or a transport outcome: `refused`, `reset`, `timeout`, `error`. */
  status: number | "refused" | "reset" | "timeout" | "error";
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
}

export interface RequestOptions {
  port: number;
  method: string;
  path: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  agent?: http.Agent | false;
  timeoutMs?: number;
}

/** Bodies are read up to this much; a bigger answer is itself a finding, not worth buffering. */
const MAX_READ = 256 * 1024;

export function request(o: RequestOptions): Promise<Reply> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: Omit<Reply, "ms">) => {
      if (settled) return;
      settled = true;
      resolve({ ...r, ms: performance.now() - started });
    };
    const headers: Record<string, string | number> = { ...(o.headers ?? {}) };
    if (o.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === "content-length" || h.toLowerCase() === "transfer-encoding")) {
      headers["content-length"] = Buffer.byteLength(o.body);
    }
    const req = http.request({ host: "127.0.0.1", port: o.port, method: o.method, path: o.path, headers, agent: o.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        if (size < MAX_READ) chunks.push(c);
        size += c.length;
      });
      res.once("end", () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.once("error", () => done({ status: "reset", headers: res.headers, body: "" }));
    });
    req.setTimeout(o.timeoutMs ?? 10_000, () => {
      done({ status: "timeout", headers: {}, body: "" });
      req.destroy();
    });
    req.once("error", (err: NodeJS.ErrnoException) => {
      const status = err.code === "ECONNREFUSED" ? "refused" : err.code === "ECONNRESET" || err.code === "EPIPE" || err.message === "socket hang up" ? "reset" : "error";
      done({ status, headers: {}, body: err.code ?? err.message });
    });
    req.end(o.body);
  });
}

export const isOk = (s: Reply["status"]) => typeof s === "number" && s >= 200 && s < 300;

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export function countStatus(into: Record<string, number>, status: number | string): void {
  const k = String(status);
  into[k] = (into[k] ?? 0) + 1;
}

/** One offered comment and what came of it. */
export interface Offer {
  kind: "v1" | "akismet";
  marker: string;
  reply: Reply;
  /** When it was sent, in ms from the start of its stream. */
  sentAt: number;
  /** The stored comment's id, when the answer gave one (2xx body `id`, or `X-akismet-guid`). */
  id?: string;
}

export interface StreamOptions {
  port: () => number;
  apiKey: string;
  blog: string;
  ratePerSecond: number;
  seconds: number;
  scenario: string;
  /** Every Nth comment goes through Akismet's comment-check instead of /v1/comments. */
  akismetEvery: number;
  agent: http.Agent;
}

/**
 * Open loop: requests leave on schedule whether or not earlier ones answered, so a stalled server
 * shows up as latency and timeouts rather than as a slower offered rate. Bounded by count
 * (rate × seconds) and by the per-request timeout.
 */
export async function offerComments(o: StreamOptions, during?: (elapsedMs: number) => void): Promise<Offer[]> {
  const total = Math.round(o.ratePerSecond * o.seconds);
  const offers: Promise<Offer>[] = [];
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / o.ratePerSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const sentAt = performance.now() - start;
    during?.(sentAt);
    const marker = `chaos-${o.scenario}-${i}-${randomUUID()}`;
    const offer = i % o.akismetEvery === o.akismetEvery - 1 ? akismetCheck(o, marker) : v1Comment(o, marker, i);
    offers.push(offer.then((x) => ({ ...x, sentAt })));
  }
  return Promise.all(offers);
}

async function v1Comment(o: StreamOptions, marker: string, i: number): Promise<Omit<Offer, "sentAt">> {
  const body = JSON.stringify({
    thread: `chaos-${o.scenario}-${i % 20}`,
    content: `Thanks for the write-up, the part about retries helped me. ${marker}`,
    author: { name: `Reader ${i}` },
    externalId: marker,
    ip: `203.0.113.${i % 250}`,
  });
  const reply = await request({
    port: o.port(),
    method: "POST",
    path: "/v1/comments",
    headers: { authorization: `Bearer ${o.apiKey}`, "content-type": "application/json" },
    body,
    agent: o.agent,
  });
  let id: string | undefined;
  if (isOk(reply.status)) {
    try {
      id = (JSON.parse(reply.body) as { id?: string }).id;
    } catch {
      id = undefined;
    }
  }
  return { kind: "v1", marker, reply, id };
}

async function akismetCheck(o: StreamOptions, marker: string): Promise<Omit<Offer, "sentAt">> {
  const form = new URLSearchParams({
    api_key: o.apiKey,
    blog: o.blog,
    user_ip: "198.51.100.7",
    user_agent: "chaos/1.0",
    comment_type: "comment",
    comment_author: "Akismet reader",
    comment_content: `Nice article, I shared it with my team. ${marker}`,
    permalink: `${o.blog}/post/${o.scenario}`,
  }).toString();
  const reply = await request({
    port: o.port(),
    method: "POST",
    path: "/1.1/comment-check",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form,
    agent: o.agent,
  });
  const guid = reply.headers["x-akismet-guid"];
  const answered = isOk(reply.status) && (reply.body === "true" || reply.body === "false");
  return { kind: "akismet", marker, reply, id: answered && typeof guid === "string" ? guid : undefined };
}
