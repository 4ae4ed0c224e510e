import { randomBytes } from "node:crypto";
import path from "node:path";
import { runCli, type Serve } from "./cli/program.js";
import { ConfigError, loadConfig, type Config } from "./config.js";
import { isDroppedTypeFetch } from "./db/client.js";
import { runMigrations } from "./db/migrate.js";
import { redact, resolveDatabase } from "./db/resolve.js";
import { createDeps, queueBackendFor } from "./deps.js";
import { createApp } from "./http/app.js";
import { startHttpServer } from "./http/server.js";
import { createLog, type Log } from "./log.js";
import { startMetricsServer } from "./observe/server.js";
import { createShutdown } from "./shutdown.js";
import { startWorker } from "./worker/index.js";

type Role = Parameters<Serve>[0];

async function resolveAdminToken(config: Config, embedded: boolean, log: Log): Promise<string | undefined> {
  if (config.ADMIN_TOKEN) return config.ADMIN_TOKEN;
  if (!embedded) throw new ConfigError("ADMIN_TOKEN is required for the API (at least 16 characters).");
  const { readOrCreateSecret } = await import("./db/embedded.js");
  const file = path.resolve(config.DATA_DIR, "admin-token");
  const token = await readOrCreateSecret(config.DATA_DIR, "admin-token", () => randomBytes(24).toString("base64url"));
  log.info(`ADMIN_TOKEN not set: using the generated token in ${file}`, { adminTokenFile: file });
  return token;
}

/** Runs a server role (`commentinel all|api|worker|migrate`); the operator verbs are in src/cli. */
async function serve(role: Role): Promise<number> {
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
  process.exitCode = await runCli(process.argv.slice(2), serve);
} catch (err) {
  // loadConfig failed before a logger existed.
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
