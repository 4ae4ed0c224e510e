import { describe, expect, it } from "vitest";
import postgres from "postgres";
import { drizzle } from "drizzle-orm/postgres-js";
import { sql } from "drizzle-orm";
import { createLog } from "../src/log.js";

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
});
