import { describe, expect, it, vi } from "vitest";
import postgres from "postgres";
import { drizzle } from "drizzle-orm/postgres-js";
import { sql } from "drizzle-orm";
import { createBatcher } from "../src/db/batch.js";
import { createLog, REDACTED, withLogContext, writeStdoutLine } from "../src/log.js";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = createLog("debug", {}, (line) => lines.push(JSON.parse(line) as Record<string, unknown>) > 0);
  return { log, lines };
}

describe("the log", () => {
  it("writes the whole cause chain of an error, with each driver code", () => {
    const { log, lines } = capture();
    const root = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED", syscall: "connect", port: 1 });
    const middle = Object.assign(new Error("terminating connection"), { code: "57P01", severity: "FATAL", cause: root });
    log.error("query failed", { error: new Error("Failed query: select 1", { cause: middle }) });
    const error = lines[0]?.error as Record<string, unknown>;
    expect(error).toMatchObject({
      name: "Error",
      message: "Failed query: select 1",
      cause: {
        message: "terminating connection",
        code: "57P01",
        severity: "FATAL",
        cause: { message: "connect ECONNREFUSED 127.0.0.1:1", code: "ECONNREFUSED", syscall: "connect", port: 1 },
      },
    });
    expect(typeof error.stack).toBe("string");
  });

  it("keeps the driver's code of a real drizzle error, which drizzle itself leaves empty", async () => {
    const client = postgres("postgres://postgres@127.0.0.1:1/none", { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      const err = await drizzle(client)
        .execute(sql`SELECT 1`)
        .then(() => undefined, (e: unknown) => e);
      const { log, lines } = capture();
      log.error("query failed", { error: err });
      expect(JSON.stringify(lines[0]?.error)).toContain('"code":"ECONNREFUSED"');
    } finally {
      await client.end({ timeout: 1 });
    }
  });

  it("lists the errors of an AggregateError and stops at a cycle", () => {
    const { log, lines } = capture();
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    log.warn("both failed", { error: new AggregateError([new Error("ipv6 refused"), b], "") });
    const error = lines[0]?.error as { errors: { message: string; cause?: { cause?: unknown } }[] };
    expect(error.errors.map((e) => e.message)).toEqual(["ipv6 refused", "b"]);
    expect(error.errors[1]?.cause?.cause).toBe("[circular]");
  });

  it("leaves out the query parameters a driver error carries", () => {
    const { log, lines } = capture();
    log.error("insert failed", { error: Object.assign(new Error("Failed query"), { query: "insert into t values ($1)", params: ["secret text"] }) });
    const text = JSON.stringify(lines[0]);
    expect(text).toContain("insert into t values ($1)");
    expect(text).not.toContain("secret text");
  });

  it("writes JSON lines with a string level, an ISO time and the child's fields, and nothing below its level", () => {
    const lines: string[] = [];
    const log = createLog("info", { role: "api" }, (line) => lines.push(line));
    log.debug("hidden");
    log.child({ part: "x" }).info("shown", { n: 1 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "")).toEqual({ level: "info", time: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) as string, role: "api", part: "x", n: 1, msg: "shown" });
    const silent: string[] = [];
    createLog("silent", {}, (line) => silent.push(line)).error("nothing");
    expect(silent).toEqual([]);
  });

  it("redacts secrets by field name at any depth and e-mails, bearer tokens and moderator keys in text", () => {
    const { log, lines } = capture();
    log.info("x", {
      deep: { a: { b: { apiKey: "k3x9q2m7a1b4", authorEmail: "a@b.example", cookie: "s=1", comment_content: "body" } } },
      note: "write to someone@example.org with Bearer abc.def and mod_0123456789abcdefghijkl",
      dsn: "postgres://postgres@127.0.0.1:5432/db",
    });
    const text = JSON.stringify(lines[0]);
    for (const secret of ["k3x9q2m7a1b4", "a@b.example", "s=1", '"body"', "someone@example.org", "abc.def", "mod_0123456789abcdefghijkl"]) expect(text).not.toContain(secret);
    expect(lines[0]?.deep).toEqual({ a: { b: { apiKey: REDACTED, authorEmail: REDACTED, cookie: REDACTED, comment_content: REDACTED } } });
    // A URL's user at an IP address is not an e-mail address.
    expect(lines[0]?.dsn).toBe("postgres://postgres@127.0.0.1:5432/db");
  });

  it("adds the context's request id to every line written in it, and none to a batch's work", async () => {
    const { log, lines } = capture();
    const batch = createBatcher<number, number>(async (items) => {
      log.info("batch ran", { size: items.length });
      return Promise.resolve(items);
    }, { maxSize: 10, windowMs: 5 });
    await withLogContext({ requestId: "r-1" }, async () => {
      log.info("in request");
      await Promise.resolve();
      log.child({ part: "inner" }).warn("after an await");
      await batch.add(1);
    });
    log.info("outside");
    expect(lines.map((l) => [l.msg, l.requestId])).toEqual([
      ["in request", "r-1"],
      ["after an await", "r-1"],
      ["batch ran", undefined],
      ["outside", undefined],
    ]);
  });

  it("writes the lines of one event-loop turn to stdout as one write, in order", async () => {
    const writes: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => writes.push(String(chunk)) > 0);
    try {
      writeStdoutLine('{"n":1}');
      writeStdoutLine('{"n":2}');
      expect(writes).toEqual([]);
      await new Promise((r) => setImmediate(r));
      writeStdoutLine('{"n":3}');
      await new Promise((r) => setImmediate(r));
    } finally {
      spy.mockRestore();
    }
    expect(writes).toEqual(['{"n":1}\n{"n":2}\n', '{"n":3}\n']);
  });
});
