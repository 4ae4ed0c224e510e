import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, createSite, harness, removeSite, type Harness, type TestSite } from "./helpers.js";

let h: Harness;
let site: TestSite;
beforeAll(async () => {
  h = harness({ config: { MAX_BODY_BYTES: "4096", MAX_CONTENT_CHARS: "1000" } });
  site = await createSite(h.app);
});
afterAll(async () => {
  await removeSite(h.deps, site.id);
  await h.close();
});

/** Every error answer is the envelope, with the request id echoed in the header. */
function expectEnvelope(res: { status: number; body: Record<string, unknown>; headers: Headers }, status: number, code: string) {
  expect(res.status).toBe(status);
  const error = res.body.error as Record<string, unknown>;
  expect(error).toMatchObject({ code, requestId: res.headers.get("x-request-id") });
  expect(typeof error.message).toBe("string");
  expect(Object.keys(error).every((k) => ["code", "message", "requestId", "details"].includes(k))).toBe(true);
  return error;
}

const post = (body: unknown, headers: Record<string, string> = {}, path = "/v1/comments") =>
  call(h.app, "POST", path, { key: site.apiKey, body, headers });

describe("bad input on POST /v1/comments", () => {
  it("rejects malformed JSON with 400", async () => {
    expectEnvelope(await post('{"thread": "t", "content": '), 400, "BAD_REQUEST");
  });

  it("rejects a body that is not declared JSON with 415", async () => {
    expectEnvelope(await post("thread=t&content=x", { "content-type": "application/x-www-form-urlencoded" }), 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("rejects a body over the limit with 413", async () => {
    expectEnvelope(await post({ thread: "t", content: "x".repeat(5000) }), 413, "PAYLOAD_TOO_LARGE");
  });

  it("rejects a chunked body over the limit with 413", async () => {
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode("x".repeat(1000)));
        controller.close();
      },
    });
    // Node's fetch needs `duplex` for a streamed body; RequestInit's type does not list it.
    const init = {
      method: "POST",
      headers: { authorization: `Bearer ${site.apiKey}`, "content-type": "application/json" },
      body: chunks,
      duplex: "half",
    } as RequestInit;
    const res = await h.app.request("/v1/comments", init);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("rejects missing fields with 400 and says which", async () => {
    const error = expectEnvelope(await post({ content: "no thread" }), 400, "BAD_REQUEST");
    expect(error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: "thread" })]));
  });

  it("rejects oversized fields with 400", async () => {
    const error = expectEnvelope(await post({ thread: "t", content: "y".repeat(1001) }), 400, "BAD_REQUEST");
    expect(error.details).toEqual([expect.objectContaining({ path: "content" })]);
    expectEnvelope(await post({ thread: "t".repeat(513), content: "ok" }), 400, "BAD_REQUEST");
  });

  it("rejects NUL characters with 400 instead of failing in Postgres", async () => {
    const error = expectEnvelope(await post({ thread: "t", content: "before\u0000after" }), 400, "BAD_REQUEST");
    expect(error.details).toEqual([{ path: "content", message: "must not contain NUL characters" }]);
    expectEnvelope(await post({ thread: "t", content: "ok", author: { name: "a\u0000" } }), 400, "BAD_REQUEST");
  });

  it("rejects broken UTF-8 and lone surrogates with 400", async () => {
    const bytes = Buffer.concat([Buffer.from('{"thread":"t","content":"caf'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const res = await h.app.request("/v1/comments", {
      method: "POST",
      headers: { authorization: `Bearer ${site.apiKey}`, "content-type": "application/json" },
      body: bytes,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe("The body is not valid UTF-8");
    expectEnvelope(await post('{"thread":"t","content":"half \\ud800 a pair"}'), 400, "BAD_REQUEST");
  });

  it("rejects wrong types, a bad ip, a bad parentId and an unknown parent with 400", async () => {
    expectEnvelope(await post({ thread: 5, content: "x" }), 400, "BAD_REQUEST");
    expectEnvelope(await post({ thread: "t", content: "x", ip: "999.1.1.1" }), 400, "BAD_REQUEST");
    expectEnvelope(await post({ thread: "t", content: "x", parentId: "not-a-uuid" }), 400, "BAD_REQUEST");
    const error = expectEnvelope(await post({ thread: "t", content: "x", parentId: "00000000-0000-4000-8000-000000000000" }), 400, "BAD_REQUEST");
    expect(error.details).toEqual([{ path: "parentId", message: "not found" }]);
    expectEnvelope(await post([1, 2, 3]), 400, "BAD_REQUEST");
    expectEnvelope(await post("null"), 400, "BAD_REQUEST");
  });

  it("rejects ?wait out of range with 400", async () => {
    expectEnvelope(await post({ thread: "t", content: "x" }, {}, "/v1/comments?wait=2001"), 400, "BAD_REQUEST");
    expectEnvelope(await post({ thread: "t", content: "x" }, {}, "/v1/comments?wait=-1"), 400, "BAD_REQUEST");
  });

  it("accepts nulls for optional fields and odd but valid text", async () => {
    const res = await post({ thread: "t/ü?#", content: "emoji 🎉 and <b>html</b>", author: { name: null, email: "not an email" }, ip: "::1", externalId: null });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ thread: "t/ü?#", author: { name: null, email: "not an email", url: null }, ip: "::1" });
  });
});

describe("bad input elsewhere", () => {
  it("answers unknown routes and malformed ids with 404 in the envelope", async () => {
    expectEnvelope(await call(h.app, "GET", "/v1/nope", { key: site.apiKey }), 404, "NOT_FOUND");
    expectEnvelope(await call(h.app, "GET", "/v1/comments/not-a-uuid", { key: site.apiKey }), 404, "NOT_FOUND");
  });

  it("rejects a bad decision label, a bad cursor and a bad limit with 400", async () => {
    const c = await post({ thread: "t", content: "x" });
    const id = c.body.id as string;
    expectEnvelope(await call(h.app, "POST", `/v1/comments/${id}/decision`, { key: site.moderatorKey, body: { label: "maybe" } }), 400, "BAD_REQUEST");
    expectEnvelope(await call(h.app, "GET", "/v1/threads/t/comments?cursor=zzz", { key: site.apiKey }), 400, "BAD_REQUEST");
    expectEnvelope(await call(h.app, "GET", "/v1/threads/t/comments?limit=0", { key: site.apiKey }), 400, "BAD_REQUEST");
    expectEnvelope(await call(h.app, "GET", "/v1/moderation/queue?status=weird", { key: site.moderatorKey }), 400, "BAD_REQUEST");
  });

  it("keeps a client's X-Request-Id", async () => {
    const res = await call(h.app, "GET", "/v1/nope", { key: site.apiKey, headers: { "x-request-id": "abc-123" } });
    expect((res.body.error as { requestId: string }).requestId).toBe("abc-123");
  });
});
