import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { classifyAddress, isAllowed, resolveAllowed } from "../src/webhooks/guard.js";
import { RESPONSE_EXCERPT_BYTES, sendWebhook } from "../src/webhooks/send.js";
import { outcomeOf } from "../src/worker/deliver-webhook.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

async function serve(handler: RequestListener): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}

const send = (url: string, over: Partial<Parameters<typeof sendWebhook>[0]> = {}) =>
  sendWebhook({ url, body: "{}", headers: {}, timeoutMs: 2_000, allowPrivate: true, ...over });

describe("classifyAddress", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["::1", "loopback"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["0:0:0:0:0:ffff:7f00:0001", "loopback"],
    ["10.1.2.3", "private"],
    ["172.31.255.255", "private"],
    ["192.168.0.1", "private"],
    ["100.64.0.1", "private"],
    ["fd12:3456::1", "private"],
    ["::ffff:192.168.1.1", "private"],
    ["2002:c0a8:0101::1", "private"],
    ["169.254.1.1", "link-local"],
    ["fe80::1", "link-local"],
    ["169.254.169.254", "metadata"],
    ["::ffff:169.254.169.254", "metadata"],
    ["64:ff9b::a9fe:a9fe", "metadata"],
    ["fd00:ec2::254", "metadata"],
    ["100.100.100.200", "metadata"],
    ["0.0.0.0", "reserved"],
    ["::", "reserved"],
    ["224.0.0.1", "reserved"],
    ["255.255.255.255", "reserved"],
    ["ff02::1", "reserved"],
    ["not-an-address", "reserved"],
  ])("%s is %s", (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  it.each(["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8", "172.32.0.1", "100.128.0.1"])("%s is public", (address) => {
    expect(classifyAddress(address)).toBeUndefined();
  });

  it("allows private and loopback addresses with the setting, never metadata or reserved ones", () => {
    expect(isAllowed("127.0.0.1", false)).toEqual({ ok: false, kind: "loopback" });
    expect(isAllowed("127.0.0.1", true)).toEqual({ ok: true });
    expect(isAllowed("10.0.0.1", true)).toEqual({ ok: true });
    expect(isAllowed("169.254.169.254", true)).toEqual({ ok: false, kind: "metadata" });
    expect(isAllowed("0.0.0.0", true)).toEqual({ ok: false, kind: "reserved" });
  });
});

describe("resolveAllowed", () => {
  it("checks what a name resolves to, not only literals", async () => {
    await expect(resolveAllowed("localhost", false)).rejects.toThrow(/^localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
    await expect(resolveAllowed("localhost", true)).resolves.toMatchObject({ address: expect.stringMatching(/^(127\.0\.0\.1|::1)$/) as unknown });
    await expect(resolveAllowed("[::1]", false)).rejects.toThrow(/a loopback address/);
  });
});

describe("sendWebhook", () => {
  it("does not follow a redirect: the 3xx is the answer", async () => {
    let hits = 0;
    const url = await serve((_req, res) => {
      hits++;
      res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data" }).end();
    });
    const result = await send(url);
    expect(result).toMatchObject({ kind: "response", statusCode: 302 });
    expect(hits).toBe(1);
    expect(outcomeOf(result, false)).toBe("retrying");
  });

  it("reads at most the excerpt of an endless answer, then closes", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200);
      const chunk = "x".repeat(16 * 1024);
      const pump = () => {
        while (res.write(chunk));
        res.once("drain", pump);
      };
      pump();
    });
    const result = await send(url);
    expect(result.kind).toBe("response");
    if (result.kind === "response") expect(result.excerpt.length).toBe(RESPONSE_EXCERPT_BYTES);
  });

  it("gives up on a receiver that never answers, within the timeout", async () => {
    const url = await serve(() => {});
    const started = Date.now();
    const result = await send(url, { timeoutMs: 300 });
    expect(result).toMatchObject({ kind: "network", error: "no answer within 300 ms" });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(outcomeOf(result, false)).toBe("retrying");
    expect(outcomeOf(result, true)).toBe("gave_up");
  });

  it("refuses a loopback receiver without the setting, before connecting", async () => {
    let hits = 0;
    const url = await serve((_req, res) => {
      hits++;
      res.end();
    });
    const result = await send(url, { allowPrivate: false });
    expect(result).toMatchObject({ kind: "refused" });
    expect(hits).toBe(0);
    expect(outcomeOf(result, false)).toBe("refused");
  });

  it("strips NUL from the excerpt (Postgres text cannot hold it)", async () => {
    const url = await serve((_req, res) => res.writeHead(500).end("bad\u0000news"));
    expect(await send(url)).toMatchObject({ kind: "response", statusCode: 500, excerpt: "badnews" });
  });

  it.each([
    [200, "delivered"],
    [204, "delivered"],
    [400, "gave_up"],
    [401, "gave_up"],
    [404, "gave_up"],
    [408, "retrying"],
    [410, "endpoint_disabled"],
    [429, "retrying"],
    [500, "retrying"],
    [503, "retrying"],
  ] as const)("treats HTTP %i as %s", (statusCode, outcome) => {
    expect(outcomeOf({ kind: "response", statusCode, excerpt: "", durationMs: 1 }, false)).toBe(outcome);
  });
});
