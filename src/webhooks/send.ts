/**
 * One HTTP attempt of a webhook delivery, through the address guard: resolve, check, then connect to
 * that very address (a `lookup` that answers only it), so DNS cannot change between the check and
 * the connect. No redirects are followed (a 3xx is a failed attempt), the answer is read up to a few
 * KiB and the socket closed, and the whole attempt has one deadline.
 */
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { RefusedAddressError, resolveAllowed, type ResolvedAddress } from "./guard.js";

/** Kept of a receiver's answer: enough to show an error page's title or a JSON error. */
export const RESPONSE_EXCERPT_BYTES = 1024;

export const USER_AGENT = "Commentinel-Webhooks/1.0";

export type SendResult =
  | {
      kind: "response";
      statusCode: number;
      excerpt: string;
      durationMs: number;
      /** The answer's Retry-After header as sent, if any (read for 429 and 503: deliver-webhook.ts). */
      retryAfter?: string;
    }
  /** The guard refused the address, or the name had none. */
  | { kind: "refused"; error: string; durationMs: number }
  /** No answer: DNS failure, connection refused or reset, TLS error, deadline. */
  | { kind: "network"; error: string; durationMs: number };

export interface SendOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  allowPrivate: boolean;
}

/** Answers every lookup with the address the guard approved (Node 20 asks with `all: true`). */
function pinnedLookup(target: ResolvedAddress): LookupFunction {
  return (_host, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
}

/** Postgres text refuses NUL; a receiver's answer may hold anything. */
function excerptOf(chunks: Buffer[]): string {
  return new TextDecoder("utf-8", { fatal: false }).decode(Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES)).replaceAll("\u0000", "");
}

export async function sendWebhook(opts: SendOptions): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const url = new URL(opts.url);
  if (url.protocol !== "http:" && url.protocol !== "https:") return { kind: "refused", error: `${url.protocol} URLs are not delivered to`, durationMs: 0 };

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs);
  try {
    let target: ResolvedAddress;
    try {
      target = await Promise.race([
        resolveAllowed(url.hostname, opts.allowPrivate),
        new Promise<never>((_, reject) => controller.signal.addEventListener("abort", () => reject(new Error(`DNS lookup timed out after ${opts.timeoutMs} ms`)))),
      ]);
    } catch (err) {
      if (err instanceof RefusedAddressError) return { kind: "refused", error: err.message, durationMs: elapsed() };
      return { kind: "network", error: (err as Error).message, durationMs: elapsed() };
    }
    const client = url.protocol === "https:" ? https : http;
    return await new Promise<SendResult>((resolve) => {
      const req = client.request(
        url,
        {
          method: "POST",
          headers: { ...opts.headers, "content-type": "application/json", "content-length": Buffer.byteLength(opts.body), "user-agent": USER_AGENT },
          lookup: pinnedLookup(target),
          // One connection per attempt: a pooled socket could outlive the address check.
          agent: false,
          // SNI and the certificate check still use the URL's name (Node takes it from the host).
          signal: controller.signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          const done = () => {
            const retryAfter = res.headers["retry-after"];
            resolve({ kind: "response", statusCode: res.statusCode ?? 0, excerpt: excerptOf(chunks), durationMs: elapsed(), ...(retryAfter === undefined ? {} : { retryAfter }) });
            res.destroy();
          };
          res.on("data", (chunk: Buffer) => {
            chunks.push(chunk);
            size += chunk.length;
            // The status is what counts; the rest of a large (or endless) answer is never read.
            if (size >= RESPONSE_EXCERPT_BYTES) done();
          });
          res.on("end", done);
          // An answer cut short or past the deadline still has its status.
          res.on("error", done);
          res.on("aborted", done);
        },
      );
      req.on("error", (err) => {
        const error = controller.signal.aborted ? `no answer within ${opts.timeoutMs} ms` : err.message;
        resolve({ kind: "network", error, durationMs: elapsed() });
      });
      req.end(opts.body);
    });
  } finally {
    clearTimeout(timer);
  }
}
