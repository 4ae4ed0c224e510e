import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

describe("loadConfig", () => {
  it("defaults everything for the embedded quick start", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ PORT: 3000, MAX_BODY_BYTES: 65536, DATA_DIR: "./.data" });
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.REDIS_URL).toBeUndefined();
  });

  it("binds loopback only with the embedded Postgres, every interface with DATABASE_URL, HOST when set", () => {
    expect(loadConfig({}).HOST).toBe("127.0.0.1");
    expect(loadConfig({ DATABASE_URL: "postgres://db/x" }).HOST).toBe("0.0.0.0");
    expect(loadConfig({ HOST: "0.0.0.0" }).HOST).toBe("0.0.0.0");
  });

  it("names every bad value in one error", () => {
    let error: unknown;
    try {
      loadConfig({ PORT: "eighty", DATABASE_URL: "mysql://x", ADMIN_TOKEN: "short", REDIS_URL: "http://r" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of ["PORT", "DATABASE_URL", "ADMIN_TOKEN", "REDIS_URL"]) expect(message).toContain(name);
  });

  it("treats empty strings as unset", () => {
    expect(loadConfig({ DATABASE_URL: "", PORT: "" })).toMatchObject({ PORT: 3000 });
  });
});
