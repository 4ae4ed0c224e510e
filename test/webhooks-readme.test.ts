import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { generateSecret, signatureHeaders } from "../src/webhooks/sign.js";
import { eventually } from "./helpers.js";

const ROOT = path.resolve(import.meta.dirname, "..");

/** The README's receiver, exactly as printed (the block after its marker comment). */
function readmeReceiver(): string {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const m = /<!-- webhook-receiver:[^>]*-->\n```js\n([\s\S]*?)```/.exec(readme);
  if (!m?.[1]) throw new Error("README has no webhook receiver block");
  return m[1];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGTERM");
});

describe("the README's webhook receiver", () => {
  it("accepts a signed delivery once, and rejects a bad signature and a replay older than 5 minutes", async () => {
    const secret = generateSecret();
    const port = await freePort();
    // --input-type=module: the block is an ES module; bare imports resolve from the repo's node_modules.
    const child = spawn(process.execPath, ["--input-type=module", "-e", readmeReceiver()], {
      cwd: ROOT,
      env: { ...process.env, WEBHOOK_SECRET: secret, PORT: String(port) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));

    const body = JSON.stringify({ type: "comment.scored", timestamp: new Date().toISOString(), data: { comment: { id: "c-1", status: "held" } } });
    const deliver = (headers: Record<string, string>) =>
      fetch(`http://127.0.0.1:${port}/`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body }).then((r) => r.status);
    const now = new Date();
    const fresh = signatureHeaders("msg_readme1", body, [secret], now);

    const first = await eventually(() => deliver(fresh).catch(() => undefined));
    expect(first).toBe(204);
    expect(await deliver(fresh)).toBe(204);
    await eventually(() => Promise.resolve(out.includes("comment.scored c-1 held") ? true : undefined));

    // Wrong secret, and a correctly signed but 6-minute-old message.
    expect(await deliver(signatureHeaders("msg_readme2", body, [generateSecret()], now))).toBe(400);
    const old = new Date(now.getTime() - 6 * 60_000);
    expect(() => new Webhook(secret).verify(body, signatureHeaders("msg_readme3", body, [secret], old))).toThrow("Message timestamp too old");
    expect(await deliver(signatureHeaders("msg_readme3", body, [secret], old))).toBe(400);
    // The duplicate was acknowledged but handled once.
    expect(out.match(/comment\.scored c-1 held/g)).toHaveLength(1);
  });
});
