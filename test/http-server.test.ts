import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { startHttpServer, type HttpServer } from "../src/http/server.js";
import { onFreePort } from "./helpers/ports.js";

/**
 * Hostile clients must not hold sockets: the server's own timeouts cut them in about the configured
 * time (Node's defaults held a slowloris client ~89 s and a lying body 300 s).
 */
let http: HttpServer;
beforeAll(async () => {
  const config = loadConfig({
    HOST: "127.0.0.1",
    HTTP_HEADERS_TIMEOUT_MS: "1000",
    HTTP_REQUEST_TIMEOUT_MS: "1500",
    HTTP_KEEP_ALIVE_TIMEOUT_MS: "500",
    HTTP_MAX_CONNECTIONS: "5",
  });
  // A handler that reads the whole body, as intake does: only the server's timeouts can cut it.
  http = await onFreePort((port) => startHttpServer(async (req) => new Response(`read ${(await req.text()).length}`), { ...config, PORT: port }));
});
afterAll(() => http.drain(100));

/** Opens a socket, runs `feed` on it, and resolves with how long the server let it live. */
function openSocket(feed: (socket: net.Socket) => void): Promise<{ ms: number; received: string; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect(http.port, "127.0.0.1");
    let received = "";
    socket.on("data", (d: Buffer) => (received += d.toString()));
    socket.on("error", () => {});
    socket.once("connect", () => feed(socket));
    socket.once("close", () => resolve({ ms: performance.now() - started, received, socket }));
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`socket still open after 8 s; received: ${received}`));
    }, 8000).unref();
  });
}

/** Writes `chunk()` every `ms` until the socket closes. */
function drip(socket: net.Socket, ms: number, chunk: () => string) {
  const timer = setInterval(() => {
    if (socket.destroyed || !socket.writable) return clearInterval(timer);
    socket.write(chunk());
  }, ms);
  socket.once("close", () => clearInterval(timer));
}

describe("the HTTP server's timeouts", () => {
  it("cuts a slowloris client sending a header byte at a time after HTTP_HEADERS_TIMEOUT_MS", async () => {
    const { ms } = await openSocket((s) => {
      s.write("GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ");
      drip(s, 100, () => "a");
    });
    // 1 s timeout, checked every second.
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(4000);
  });

  it("cuts a body shorter than its Content-Length after HTTP_REQUEST_TIMEOUT_MS", async () => {
    const { ms, received } = await openSocket((s) => {
      s.write("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"a\":");
    });
    expect(received).not.toContain("read ");
    expect(ms).toBeGreaterThanOrEqual(1400);
    expect(ms).toBeLessThan(4500);
  });

  it("cuts a chunked body that never ends after HTTP_REQUEST_TIMEOUT_MS", async () => {
    const { ms, received } = await openSocket((s) => {
      s.write("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
      drip(s, 100, () => "1\r\nx\r\n");
    });
    expect(received).not.toContain("read ");
    expect(ms).toBeGreaterThanOrEqual(1400);
    expect(ms).toBeLessThan(4500);
  });

  it("closes an idle kept-alive socket after HTTP_KEEP_ALIVE_TIMEOUT_MS", async () => {
    const { ms, received } = await openSocket((s) => s.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    expect(received).toContain("read 0");
    expect(ms).toBeLessThan(3000);
  });

  it("drops connections past HTTP_MAX_CONNECTIONS", async () => {
    const sockets: net.Socket[] = [];
    try {
      const closed: boolean[] = [];
      for (let i = 0; i < 8; i++) {
        const s = net.connect(http.port, "127.0.0.1");
        s.on("error", () => {});
        const index = sockets.push(s) - 1;
        closed[index] = false;
        s.once("close", () => (closed[index] = true));
        await new Promise((r) => s.once("connect", r));
        // Each connection must be counted before the next arrives.
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 200));
      expect(closed.filter(Boolean).length).toBe(3);
    } finally {
      for (const s of sockets) s.destroy();
    }
  });
});

describe("server timeout settings", () => {
  it("have sane defaults", () => {
    const c = loadConfig({});
    expect({
      headers: c.HTTP_HEADERS_TIMEOUT_MS,
      request: c.HTTP_REQUEST_TIMEOUT_MS,
      keepAlive: c.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: c.HTTP_MAX_CONNECTIONS,
    }).toEqual({ headers: 10_000, request: 30_000, keepAlive: 5_000, maxConnections: 900 });
  });

  it("refuse a request timeout shorter than the headers timeout", () => {
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: "5000", HTTP_REQUEST_TIMEOUT_MS: "1000" })).toThrow(/HTTP_REQUEST_TIMEOUT_MS/);
  });
});
