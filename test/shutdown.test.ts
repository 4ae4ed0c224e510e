import { spawn } from "node:child_process";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { sql } from "drizzle-orm";
import { ADMIN_TOKEN, call, createSite, eventually, harness, removeSite, uniqueName, type Harness, type TestSite } from "./helpers.js";
import { TEST_DATABASE_URL, TEST_REDIS_URL } from "./env.js";

let h: Harness;
let site: TestSite;
beforeAll(async () => {
  h = harness();
  site = await createSite(h.app);
});
afterAll(async () => {
  await removeSite(h.deps, site.id);
  await h.close();
});

describe("the `all` role", () => {
  it("finishes a request in flight on SIGTERM, then exits 0", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "all"], {
      env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: TEST_REDIS_URL ?? "", ADMIN_TOKEN, PORT: "0", HOST: "127.0.0.1", QUEUE_PREFIX: uniqueName("shutdown"), LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    // Whatever the outcome, the child must not outlive the test (it would hold the test database).
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    let output = "";
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        const m = /"port":(\d+)/.exec(output);
        if (m) resolve(Number(m[1]));
      });
      child.once("exit", (code) => reject(new Error(`exited ${code} before listening:\n${output}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);

    // A request that waits for its verdict is in flight when SIGTERM arrives.
    const externalId = uniqueName("in-flight");
    const inFlight = fetch(`${base}/v1/comments?wait=1500`, {
      method: "POST",
      headers: { authorization: `Bearer ${site.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ thread: "t", content: "sent just before shutdown", externalId }),
    });
    // SIGTERM only once the server has accepted the request: a fixed sleep raced a busy machine.
    await eventually(async () => {
      const rows = await h.deps.db.execute<{ id: string }>(
        sql`SELECT id FROM comments WHERE site_id = ${site.id} AND external_id = ${externalId}`,
      );
      return rows[0];
    });
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const res = await inFlight;
    expect([200, 202]).toContain(res.status);
    const body = (await res.json()) as { id: string };
    const [code] = (await exited) as [number | null];
    expect(code, output).toBe(0);
    expect(output).toContain('"msg":"shutdown complete"');
    // The comment it accepted is stored.
    expect((await call(h.app, "GET", `/v1/comments/${body.id}`, { key: site.apiKey })).status).toBe(200);
  });
});
