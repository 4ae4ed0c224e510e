import { describe, expect, it } from "vitest";
import { isDroppedTypeFetch } from "../src/db/client.js";

const typeFetch = "\n      select b.oid, b.typarray\n      from pg_catalog.pg_type a\n      left join pg_catalog.pg_type b on b.oid = a.typelem\n";

describe("isDroppedTypeFetch", () => {
  it("matches a connection reset during postgres.js's array-type fetch", () => {
    expect(isDroppedTypeFetch(Object.assign(new Error("write ECONNRESET"), { code: "ECONNRESET", query: typeFetch }))).toBe(true);
  });

  it("does not excuse other failures of that query, or resets of other queries", () => {
    expect(isDroppedTypeFetch(Object.assign(new Error("syntax"), { code: "42601", query: typeFetch }))).toBe(false);
    expect(isDroppedTypeFetch(Object.assign(new Error("write ECONNRESET"), { code: "ECONNRESET", query: "SELECT 1" }))).toBe(false);
    expect(isDroppedTypeFetch(new TypeError("x is undefined"))).toBe(false);
    expect(isDroppedTypeFetch(undefined)).toBe(false);
  });
});
