/**
 * The metrics listener on METRICS_HOST:METRICS_PORT: GET /metrics and nothing else, without auth
 * (it is guarded by where it binds). The worker role's only HTTP; the API's too, when set.
 */
import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";
import { METRICS_CONTENT_TYPE, renderMetrics } from "./metrics.js";

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(opts: { host: string; port: number; state: readonly Registry[] }): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" || path !== "/metrics") {
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("Only GET /metrics here.\n");
      return;
    }
    renderMetrics(opts.state).then(
      (text) => res.writeHead(200, { "Content-Type": METRICS_CONTENT_TYPE, "Cache-Control": "no-store" }).end(text),
      () => res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" }).end("Metrics could not be collected.\n"),
    );
  });
  // Prometheus scrapes with short requests; nothing here should hold a socket for long.
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : opts.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
