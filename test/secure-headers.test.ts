import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Hono } from "hono";
import { secureHeaders as honoSecureHeaders } from "hono/secure-headers";
import { startHttpServer, type HttpServer } from "../src/http/server.js";
import { API_SECURE_HEADERS, SECURE_HEADERS } from "../src/http/secure-headers.js";
import { harness, testConfig, type Harness } from "./helpers.js";
import { onFreePort } from "./helpers/ports.js";

const all = (headers: Headers) => {
  const out: Record<string, string> = {};
  headers.forEach((v, k) => (out[k] = v));
  return out;
};
const lower = (list: readonly (readonly [string, string])[]) => Object.fromEntries(list.map(([k, v]) => [k.toLowerCase(), v]));

describe("secure headers", () => {
  let h: Harness;
  let http: HttpServer;
  const get = (path: string) => fetch(`http://127.0.0.1:${http.port}${path}`);
  beforeAll(async () => {
    h = harness();
    http = await onFreePort((port) => startHttpServer(h.app.fetch, { ...testConfig(), HOST: "127.0.0.1", PORT: port }));
  });
  afterAll(async () => {
    await http.drain(100);
    await h.close();
  });

  it("are hono/secure-headers' defaults", async () => {
    const app = new Hono().use(honoSecureHeaders()).get("/", (c) => c.body(null, 204));
    const res = await app.request("/");
    expect(all(res.headers)).toEqual(lower(SECURE_HEADERS));
  });

  it("through the server, an API answer carries the API's four and its request id", async () => {
    const res = await get("/healthz");
    expect(res.status).toBe(200);
    const secure = Object.entries(all(res.headers)).filter(([k]) => k in lower(SECURE_HEADERS));
    expect(Object.fromEntries(secure)).toEqual(lower(API_SECURE_HEADERS));
    expect(res.headers.get("x-request-id")).toMatch(/^[\w-]{36}$/);
  });

  it("through the server, a page carries all of them, and the console's own frame policy and CSP win", async () => {
    const docs = await get("/docs");
    expect(docs.status).toBe(200);
    for (const [name, value] of SECURE_HEADERS) expect(docs.headers.get(name)).toBe(value);
    const page = await get("/moderate/login");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(page.headers.get("content-security-policy")).toContain("default-src");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    expect(page.headers.get("x-request-id")).toMatch(/^[\w-]{36}$/);
  });

  it("through the server, the form script may be loaded cross-origin", async () => {
    const res = await get("/v1/form.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("without a Node response (app.request), they are set on the Response the same way", async () => {
    const res = await h.app.request("/healthz");
    for (const [name, value] of API_SECURE_HEADERS) expect(res.headers.get(name)).toBe(value);
    const page = await h.app.request("/moderate/login");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
  });
});
