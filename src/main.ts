import { randomBytes } from "node:crypto";
import path from "node:path";
import { retrain } from "./comments/retrain.js";
import { ConfigError, loadConfig, type Config } from "./config.js";
import { createDb, isDroppedTypeFetch } from "./db/client.js";
import { runMigrations } from "./db/migrate.js";
import { createDeps, queueBackendFor } from "./deps.js";
import { createApp } from "./http/app.js";
import { startHttpServer } from "./http/server.js";
import { createLog, type Log } from "./log.js";
import { startMetricsServer } from "./observe/server.js";
import { createShutdown, type Shutdown } from "./shutdown.js";
import { startWorker } from "./worker/index.js";

const ROLES = ["api", "worker", "all", "migrate", "retrain"] as const;
type Role = (typeof ROLES)[number];

const USAGE = `usage: commentinel <role>
  all       API and worker in one process (default; migrates first)
  api       HTTP API only
  worker    scoring worker, webhook deliveries and their sweeps only
  migrate   apply database migrations and exit
  retrain   rebuild the model's counts from all stored decisions and exit`;

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}

/**
 * The database to use: DATABASE_URL, or the embedded Postgres in DATA_DIR. Operator verbs beside a
 * running instance connect to its Postgres instead of starting a second one on the same folder.
 */
async function resolveDatabase(config: Config, role: Role, log: Log, shutdown: Shutdown) {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, description: `postgres ${redact(config.DATABASE_URL)}`, embedded: false, announce: () => {} };
  if (role === "api" || role === "worker") {
    throw new ConfigError(`DATABASE_URL is required for role ${role}: the embedded Postgres serves a single process (role all, migrate or retrain).`);
  }
  // Imported lazily: the container image runs with DATABASE_URL and may leave these binaries out.
  const { openEmbeddedPostgres } = await import("./db/embedded.js");
  const db = await openEmbeddedPostgres({ dataDir: config.DATA_DIR, port: config.EMBEDDED_PG_PORT, role, attach: role !== "all", log });
  // Registered first, so it closes last: after every client of it has.
  if (db.owned) shutdown.add("embedded postgres", () => db.stop());
  const where = `127.0.0.1:${db.port} (data in ${path.resolve(config.DATA_DIR, "pg")})`;
  return {
    url: db.url,
    description: db.owned ? `embedded postgres on ${where}` : `the running instance's embedded postgres on ${where}`,
    embedded: true,
    announce: (http: string) => db.announce(http),
  };
}

async function resolveAdminToken(config: Config, embedded: boolean, log: Log): Promise<string | undefined> {
  if (config.ADMIN_TOKEN) return config.ADMIN_TOKEN;
  if (!embedded) throw new ConfigError("ADMIN_TOKEN is required for the API (at least 16 characters).");
  const { readOrCreateSecret } = await import("./db/embedded.js");
  const file = path.resolve(config.DATA_DIR, "admin-token");
  const token = await readOrCreateSecret(config.DATA_DIR, "admin-token", () => randomBytes(24).toString("base64url"));
  log.info(`ADMIN_TOKEN not set: using the generated token in ${file}`, { adminTokenFile: file });
  return token;
}

async function main(argv: string[]): Promise<number> {
  const roleArg = argv[0] ?? "all";
  if (!ROLES.includes(roleArg as Role)) {
    process.stderr.write(`unknown role: ${roleArg}\n${USAGE}\n`);
    return 2;
  }
  const role = roleArg as Role;
  const config = loadConfig();
  const log = createLog(config.LOG_LEVEL, { role });
  const shutdown = createShutdown(log, config.SHUTDOWN_TIMEOUT_MS);
  shutdown.installSignalHandlers((code) => process.exit(code), () => (stopping = true));
  let stopping = false;
  const fatal = (kind: string) => (err: unknown) => {
    // During shutdown, a client whose server went away first (Ctrl-C also reaches the embedded
    // Postgres) may emit an unhandled error: log it and let the shutdown finish.
    log.error(kind, { error: err, duringShutdown: stopping });
    if (stopping) return;
    stopping = true;
    void shutdown.run(kind).then(() => process.exit(1));
  };
  // A reader that went away (a closed pipe, a stopped log shipper) must not turn every later log
  // line into an uncaught EPIPE that is logged again: that loop once kept a stopping process
  // spinning for minutes. Logs are lost with their reader either way.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") fatal("stdout error")(err);
  });
  process.on("unhandledRejection", (err: unknown) => {
    if (isDroppedTypeFetch(err)) return log.warn("postgres connection reset while it opened; the next query reconnects", { error: err });
    fatal("unhandled rejection")(err);
  });
  process.on("uncaughtException", fatal("uncaught exception"));

  try {
    const database = await resolveDatabase(config, role, log, shutdown);
    if (role === "migrate" || role === "all" || database.embedded) {
      await runMigrations(database.url);
      log.info("migrations applied");
    }
    if (role === "migrate") return await shutdown.run("done");
    if (role === "retrain") {
      const { sql, db } = createDb(database.url, { max: 2 });
      shutdown.add("postgres", () => sql.end({ timeout: 5 }));
      const started = performance.now();
      const result = await retrain(db);
      log.info("retrain complete", { ...result, ms: Math.round(performance.now() - started) });
      return await shutdown.run("done");
    }

    const runApi = role === "api" || role === "all";
    const adminToken = runApi ? await resolveAdminToken(config, database.embedded, log) : config.ADMIN_TOKEN;
    // Ctrl-C while starting: the shutdown is under way with the closers registered so far (the
    // embedded Postgres). Clients built now would only find their database gone.
    if (stopping) return await shutdown.run("signal");
    const effective: Config = { ...config, ADMIN_TOKEN: adminToken };
    const queueBackend = queueBackendFor(effective, database.url);
    const deps = createDeps(effective, log, { databaseUrl: database.url, queueBackend });
    shutdown.add("postgres, queue producer, listener", () => deps.close());

    if (role === "worker" || role === "all") {
      const worker = startWorker(deps);
      shutdown.add("worker", () => worker.close());
    }
    // Role all has one deps, so one endpoint (the API's /metrics, or this one) serves both roles.
    if (config.METRICS_PORT !== undefined) {
      const metrics = await startMetricsServer({ host: config.METRICS_HOST, port: config.METRICS_PORT, state: [deps.metrics] });
      shutdown.add("metrics listener", () => metrics.close());
      log.info(`metrics on http://${config.METRICS_HOST}:${metrics.port}/metrics`, { metricsHost: config.METRICS_HOST, metricsPort: metrics.port });
    } else if (role === "worker") {
      log.info("no metrics listener: set METRICS_PORT to serve the worker's /metrics");
    }
    const backends = {
      postgres: database.description,
      queue: queueBackend.kind === "redis" ? `bullmq on redis ${redact(queueBackend.url)}` : "bullmq on its PostgreSQL backend (same database)",
    };
    if (runApi) {
      const app = createApp(deps);
      const http = await startHttpServer(app.fetch, config);
      // Requests in flight get half of what the readiness delay leaves of the shutdown deadline
      // (REQUEST_DEADLINE_MS answers them sooner); the other half is for the worker and the pools.
      const drainMs = Math.floor((config.SHUTDOWN_TIMEOUT_MS - config.SHUTDOWN_READY_DELAY_MS) / 2);
      shutdown.add("http server", () => http.drain(drainMs));
      const port = http.port;
      // A wildcard or loopback address is not something to click on; localhost reaches both.
      const urlHost = ["0.0.0.0", "::", "127.0.0.1", "::1"].includes(config.HOST) ? "localhost" : config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST;
      const url = `http://${urlHost}:${port}`;
      database.announce(url);
      log.info(`commentinel ${role} listening on ${url}`, { host: config.HOST, port, url, ...backends });
    } else {
      log.info(`commentinel worker started`, backends);
    }
    // Registered last, so it runs first: /readyz answers 503 before the listener closes, and a
    // load balancer stops routing here while the requests in flight finish.
    shutdown.add("mark not ready", async () => {
      deps.state.shuttingDown = true;
      if (runApi && config.SHUTDOWN_READY_DELAY_MS > 0) await new Promise((r) => setTimeout(r, config.SHUTDOWN_READY_DELAY_MS));
    });
    return await new Promise<number>(() => {});
  } catch (err) {
    // A Ctrl-C while starting stops the database under the start-up: no failure to report.
    if (stopping) return await shutdown.run("signal");
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else log.error("startup failed", { error: err });
    await shutdown.run("startup failed");
    return 1;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  // loadConfig failed before a logger existed.
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
