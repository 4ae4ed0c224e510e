import { Hono } from "hono";
import type { Deps } from "../../deps.js";
import { METRICS_CONTENT_TYPE, renderMetrics } from "../../observe/metrics.js";
import { requireAdmin } from "../auth.js";
import type { AppEnv } from "../types.js";

/**
 * GET /metrics on the API, behind the admin token (Prometheus: `authorization: {credentials: …}`).
 * METRICS_PORT serves the same text without auth on a listener of its own (src/observe/server.ts).
 */
export function metricsRoutes(deps: Pick<Deps, "config" | "metrics">) {
  const app = new Hono<AppEnv>();
  app.get("/metrics", requireAdmin(deps.config.ADMIN_TOKEN), async (c) => {
    const text = await renderMetrics([deps.metrics]);
    return c.body(text, 200, { "Content-Type": METRICS_CONTENT_TYPE, "Cache-Control": "no-store" });
  });
  return app;
}
