import { z } from "zod";

/**
 * The one schema for the environment. Every setting has a default that works on a developer
 * machine, except where a default would be unsafe in production (see ADMIN_TOKEN).
 */
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const envSchema = z.object({
  /** Unset: an embedded Postgres is started in DATA_DIR (role `all`, `migrate`, `retrain` only). */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  /** Unset: BullMQ runs on its PostgreSQL backend in the same database. */
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  /**
   * Unset: 127.0.0.1 with the embedded Postgres (a developer's machine: nothing outside it should
   * reach a service with a generated admin token), 0.0.0.0 with DATABASE_URL. The image sets 0.0.0.0.
   */
  HOST: z.string().min(1).optional(),
  PORT: int(0, 65535).default(3000),
  /** Bearer token for /v1/sites. Unset with the embedded database: generated into DATA_DIR. */
  ADMIN_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  DATA_DIR: z.string().min(1).default("./.data"),
  /** 5432 is usually taken by a system Postgres; the embedded one stays out of its way. */
  EMBEDDED_PG_PORT: int(1, 65535).default(54329),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  /** A comment form never needs more; larger bodies are refused with 413 before parsing. */
  MAX_BODY_BYTES: int(1024, 10 * 1024 * 1024).default(64 * 1024),
  /** Longest comment text accepted, in characters. */
  MAX_CONTENT_CHARS: int(1, 1_000_000).default(20_000),
  QUEUE_PREFIX: z.string().regex(/^[a-z0-9_-]{1,40}$/i, "letters, digits, _ or -").default("commentinel"),
  /**
   * Jobs in flight per worker process. Scoring itself is CPU from memory; a job waits mostly for
   * its batch's two round trips, and the jobs in flight are what a batch is made of (BENCHMARKS.md).
   */
  WORKER_CONCURRENCY: int(1, 1024).default(64),
  /** The model follower's poll when no notification came (NOTIFY is the fast path; see live-model.ts). */
  MODEL_POLL_MS: int(50, 60_000).default(500),
  /** Further behind the change log than this, a process reloads the model instead of replaying. */
  MODEL_RELOAD_BEHIND: int(1, 10_000_000).default(10_000),
  /** Token counts a scoring process caches at most (~150 bytes each; BENCHMARKS.md "Model in memory"). */
  MODEL_CACHE_ROWS: int(1_000, 100_000_000).default(1_000_000),
  /** How often the sweep looks for comments left `pending` (Redis lost a job, or was down). */
  SWEEP_INTERVAL_MS: int(100, 3_600_000).default(5_000),
  /** How often the retention purge runs (a BullMQ job scheduler; sites without retention cost nothing). */
  RETENTION_PURGE_INTERVAL_MS: int(100, 7 * 86_400_000).default(3_600_000),
  /** A pending comment younger than this is assumed to still have its job in flight. */
  SWEEP_MIN_AGE_MS: int(0, 86_400_000).default(15_000),
  /** An enqueue slower than this leaves the comment to the sweep instead of delaying the answer. */
  ENQUEUE_TIMEOUT_MS: int(10, 30_000).default(500),
  /** Upper bound on a graceful shutdown; past it the process exits non-zero. */
  SHUTDOWN_TIMEOUT_MS: int(100, 600_000).default(10_000),
  /**
   * On SIGTERM, /readyz answers 503 this long before the listener closes, while requests are still
   * served: time for a load balancer to see it and stop routing here. 0: close at once.
   */
  SHUTDOWN_READY_DELAY_MS: int(0, 60_000).default(0),
  DATABASE_POOL_MAX: int(1, 200).default(10),
  /**
   * One connection attempt to Postgres gives up after this. While Postgres restarts, a request
   * should fail over to a 503 in about this long instead of waiting on a socket nobody answers.
   */
  DATABASE_CONNECT_TIMEOUT_MS: int(100, 60_000).default(2_000),
  /** Postgres cancels a statement running longer (our queries take milliseconds); 0 turns it off. */
  DATABASE_STATEMENT_TIMEOUT_MS: int(0, 600_000).default(5_000),
  /**
   * Every HTTP request is answered within this budget: past it, 503 with Retry-After, never a hang.
   * It covers `?wait=` (at most 2 s) plus a few round trips to a slow database.
   */
  REQUEST_DEADLINE_MS: int(100, 120_000).default(5_000),
  /**
   * A client must send its whole header block within this (slowloris). Node's default is 60 s,
   * checked only every 30 s; ours is checked every second (see src/http/server.ts).
   */
  HTTP_HEADERS_TIMEOUT_MS: int(500, 300_000).default(10_000),
  /** A client must send its whole request, body included, within this (lying Content-Length, endless chunks). */
  HTTP_REQUEST_TIMEOUT_MS: int(500, 600_000).default(30_000),
  /**
   * An idle kept-alive socket is closed after this. Behind a load balancer, set it above the
   * balancer's own idle timeout, or the balancer may reuse a socket just as we close it.
   */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(100, 600_000).default(5_000),
  /** Sockets open at once; past it new ones are dropped. Stays under the usual 1024 open-file limit. */
  HTTP_MAX_CONNECTIONS: int(1, 1_000_000).default(900),
  /** How long an API process trusts a key it looked up; a key revoked elsewhere works that long. */
  KEY_CACHE_TTL_MS: int(0, 600_000).default(5_000),
  /**
   * Proxies in front of the service whose X-Forwarded-For is believed (issue 11): the client IP is
   * the address this many hops back. 0 (default): the socket's address; the header is ignored, as
   * anyone can send it.
   */
  TRUST_PROXY_HOPS: int(0, 16).default(0),
  /**
   * Requests per minute from one client IP on intake and the Akismet routes, counted before the key
   * is checked (floods, key guessing). A site's server posting for its readers is one address: this
   * sits above the per-site limit so that it never binds first. 0 turns it off.
   */
  RATE_LIMIT_IP_PER_MINUTE: int(0, 10_000_000).default(1200),
  /** Comments (and Akismet calls) per minute per site; a site's `rateLimit.perMinute` overrides it. 0: off. */
  RATE_LIMIT_SITE_PER_MINUTE: int(0, 10_000_000).default(600),
  /** Browser posts (publishable key) per minute from one IP to one site: a person, not a server. 0: off. */
  RATE_LIMIT_BROWSER_PER_MINUTE: int(0, 100_000).default(10),
  /** A rate-limit store slower than this is treated as down for that request, which then passes. */
  RATE_LIMIT_TIMEOUT_MS: int(10, 5_000).default(250),
  /** Campaigns (issue 12): `off` scores without clustering or campaign signals (comments stored one at a time and Akismet checks are still fingerprinted). */
  CAMPAIGNS: z.enum(["on", "off"]).default("on"),
  /** Campaigns (issue 12): estimated Jaccard at or above which two texts are near-duplicates. */
  CAMPAIGN_MIN_JACCARD: z.coerce.number().min(0.3).max(1).default(0.7),
  /** Campaigns: only comments of the last N days cluster, and count as seen before. */
  CAMPAIGN_WINDOW_DAYS: int(1, 90).default(7),
  /**
   * Webhooks (issue 10): let endpoints resolve to loopback, private and link-local addresses. Off:
   * the guard refuses them at save and at every delivery (SSRF). For installs inside one network,
   * and tests. Cloud metadata addresses stay refused either way.
   */
  WEBHOOKS_ALLOW_PRIVATE: z.enum(["0", "1", "false", "true"]).default("0").transform((v) => v === "1" || v === "true"),
  /**
   * One delivery attempt (DNS, connect, answer) gives up after this. Below the shutdown deadline, so
   * a graceful stop can wait for the attempts in flight.
   */
  WEBHOOK_TIMEOUT_MS: int(100, 60_000).default(5_000),
  /** Deliveries in flight per worker process: each mostly waits on a receiver. */
  WEBHOOK_CONCURRENCY: int(1, 256).default(16),
  /**
   * First retry after this, doubling each time, with jitter: 10 s and 14 attempts spread the
   * retries over ~18–23 h (a receiver down for most of a day still gets its events).
   */
  WEBHOOK_RETRY_DELAY_MS: int(10, 3_600_000).default(10_000),
  WEBHOOK_MAX_ATTEMPTS: int(1, 30).default(14),
  /**
   * A listener of its own for /metrics, without auth, on METRICS_HOST (issue 10). The worker role
   * serves metrics only there; the API always serves /metrics behind the admin token as well.
   */
  METRICS_PORT: int(0, 65535).optional(),
  /** Where the metrics listener binds: loopback unless Prometheus scrapes from another host. */
  METRICS_HOST: z.string().min(1).default("127.0.0.1"),
  /** Site ids as a label (verdicts and decisions by site): one series per site, so off by default. */
  METRICS_PER_SITE: z.enum(["0", "1", "true", "false"]).default("0").transform((v) => v === "1" || v === "true"),
});

export type Config = Omit<z.infer<typeof envSchema>, "HOST"> & { HOST: string };

export class ConfigError extends Error {}

/** Parses the environment once; throws ConfigError listing every bad value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset", as docker-compose and shells often pass them.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const config = parsed.data;
  // Node refuses a request timeout below the headers timeout (the headers are part of the request).
  if (config.HTTP_REQUEST_TIMEOUT_MS < config.HTTP_HEADERS_TIMEOUT_MS) {
    throw new ConfigError(
      `Invalid configuration:\n  HTTP_REQUEST_TIMEOUT_MS: must be at least HTTP_HEADERS_TIMEOUT_MS (${config.HTTP_HEADERS_TIMEOUT_MS})`,
    );
  }
  if (config.SHUTDOWN_READY_DELAY_MS >= config.SHUTDOWN_TIMEOUT_MS) {
    throw new ConfigError(
      `Invalid configuration:\n  SHUTDOWN_READY_DELAY_MS: must be below SHUTDOWN_TIMEOUT_MS (${config.SHUTDOWN_TIMEOUT_MS})`,
    );
  }
  return { ...config, HOST: config.HOST ?? (config.DATABASE_URL ? "0.0.0.0" : "127.0.0.1") };
}
