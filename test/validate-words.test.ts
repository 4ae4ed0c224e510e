import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ApiError } from "../src/http/errors.js";
import { parseWith } from "../src/http/validate.js";
import { call, createSite, harness, removeSite, type Harness, type TestSite } from "./helpers.js";

function detailsOf(schema: z.ZodType, value: unknown): { path: string; message: string }[] {
  try {
    parseWith(schema, value, "Invalid request body");
  } catch (err) {
    if (err instanceof ApiError) return (err.details ?? []) as { path: string; message: string }[];
    throw err;
  }
  throw new Error("parsed");
}

describe("validation messages", () => {
  const schema = z.strictObject({
    thread: z.string().min(1),
    author: z.object({ name: z.string().max(3) }).optional(),
    label: z.enum(["spam", "ham"]).optional(),
    count: z.int().min(1).optional(),
    id: z.uuid().optional(),
    tags: z.array(z.string()).max(1).optional(),
  });

  it("say in words what is wrong, naming the field", () => {
    expect(detailsOf(schema, {})).toEqual([{ path: "thread", message: "thread is required" }]);
    expect(detailsOf(schema, { thread: 5 })).toEqual([{ path: "thread", message: "thread must be a string" }]);
    expect(detailsOf(schema, { thread: "" })).toEqual([{ path: "thread", message: "thread must not be empty" }]);
    expect(detailsOf(schema, { thread: "t", author: { name: "long" } })).toEqual([{ path: "author.name", message: "author.name must be at most 3 characters" }]);
    expect(detailsOf(schema, { thread: "t", label: "eggs" })).toEqual([{ path: "label", message: 'label must be one of "spam", "ham"' }]);
    expect(detailsOf(schema, { thread: "t", count: 0 })).toEqual([{ path: "count", message: "count must be at least 1" }]);
    expect(detailsOf(schema, { thread: "t", id: "x" })).toEqual([{ path: "id", message: "id must be a valid uuid" }]);
    expect(detailsOf(schema, { thread: "t", tags: ["a", "b"] })).toEqual([{ path: "tags", message: "tags takes at most 1 item" }]);
    expect(detailsOf(schema, { thread: "t", colour: "red" })).toEqual([{ path: "", message: 'unknown field "colour"' }]);
    expect(detailsOf(schema, [])).toEqual([{ path: "", message: "the body must be an object" }]);
  });

  it("keep the messages a schema sets itself", () => {
    expect(detailsOf(z.object({ url: z.string().max(2, "too long for a url") }), { url: "abc" })).toEqual([{ path: "url", message: "too long for a url" }]);
  });
});

describe("POST /v1/comments", () => {
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

  it("answers a comment without a thread with 400 and \"thread is required\"", async () => {
    const res = await call(h.app, "POST", "/v1/comments", { key: site.apiKey, body: { content: "no thread" } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: "BAD_REQUEST", details: [{ path: "thread", message: "thread is required" }] } });
  });
});
