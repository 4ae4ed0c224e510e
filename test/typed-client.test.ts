import { hc } from "hono/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiType } from "../src/http/app.js";
import { ADMIN_TOKEN, isolatedSuite, type IsolatedSuite } from "./helpers.js";
import { listen } from "./helpers/listen.js";

/**
 * The typed client of the README (`hc<ApiType>` from hono/client) against the real app on a real
 * HTTP server. `npm run typecheck` compiles this file: the @ts-expect-error lines fail it if the
 * client stopped checking field names or response shapes.
 */
describe("hono/client with ApiType", () => {
  let s: IsolatedSuite;
  let server: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    s = await isolatedSuite();
    server = await listen(s.h.app.fetch);
  });
  afterAll(async () => {
    await server?.close();
    await s.close();
  });

  it("creates a site, posts a comment and reads its verdict, typed end to end", async () => {
    const admin = hc<ApiType>(server.url, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    const created = await admin.v1.sites.$post({ json: { name: "Typed blog", url: "https://typed.example" } });
    expect(created.status).toBe(201);
    if (created.status !== 201) return;
    const { site, apiKey } = await created.json();
    expect(site.settings.akismet.unsureAnswer).toBe("ham");

    const api = hc<ApiType>(server.url, { headers: { Authorization: `Bearer ${apiKey}` } });
    const posted = await api.v1.comments.$post({ query: { wait: "2000" }, json: { thread: "typed", content: "Hello from a typed client" } });
    expect([200, 202]).toContain(posted.status);
    if (posted.status !== 200 && posted.status !== 202) return;
    const comment = await posted.json();
    const status: "pending" | "published" | "held" | "spam" = comment.status;
    expect(["pending", "held", "published"]).toContain(status);

    const read = await api.v1.comments[":id"].$get({ param: { id: comment.id } });
    expect(read.status).toBe(200);
    if (read.status === 200) expect((await read.json()).thread).toBe("typed");

    const missing = await api.v1.comments[":id"].$get({ param: { id: "00000000-0000-4000-8000-000000000000" } });
    expect(missing.status).toBe(404);
    if (missing.status === 404) expect((await missing.json()).error.code).toBe("NOT_FOUND");

    const bad = await api.v1.comments.$post({
      // @ts-expect-error `thread` is required: the client's types come from the route's zod schema.
      json: { content: "no thread" },
    });
    expect(bad.status).toBe(400);
    if (bad.status === 400) {
      const body = await bad.json();
      // @ts-expect-error an error answer has no comment fields.
      expect(body.thread).toBeUndefined();
      expect(body.error.details).toEqual([{ path: "thread", message: "thread is required" }]);
    }
  });
});
