import { Hono } from "hono";
import { pingDb } from "../../db/queries/health.js";
import type { Deps } from "../../deps.js";
import type { AppEnv } from "../types.js";

async function check(p: Promise<unknown>): Promise<"ok" | "error"> {
  try {
    await p;
    return "ok";
  } catch {
    return "error";
  }
}

export function healthRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  /** Alive: the process answers. Restart it only when this fails. */
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  /** Ready: Postgres and the queue backend answer, and we are not shutting down. */
  app.get("/readyz", async (c) => {
    const [postgres, queue] = await Promise.all([check(pingDb(deps.db)), check(deps.scoreQueue.ping())]);
    const ready = postgres === "ok" && queue === "ok" && !deps.state.shuttingDown;
    return c.json(
      { status: ready ? "ready" : "unavailable", checks: { postgres, queue: { backend: deps.scoreQueue.kind, status: queue } }, shuttingDown: deps.state.shuttingDown },
      ready ? 200 : 503,
    );
  });
  return app;
}
