import { createHash, timingSafeEqual } from "node:crypto";
import { hashKey } from "../comments/keys.js";
import type { MiddlewareHandler } from "hono";
import type { SiteRow } from "../db/schema.js";
import type { Deps } from "../deps.js";
import { ApiError } from "./errors.js";
import type { AppEnv } from "./types.js";

// The key functions live in the domain layer (the CLI makes keys too); re-exported for the routes.
export { generateApiKey, generateModeratorKey, generatePublishableKey, hashKey } from "../comments/keys.js";

export type Role = "site" | "moderator" | "publishable";
export interface AuthContext {
  site: SiteRow;
  role: Role;
}

function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S{1,200})\s*$/i.exec(header ?? "");
  return m?.[1];
}

/** Accepts a site API key or a moderator key (as `roles` allows) and puts the site on `c.var.auth`. */
export function requireKey(deps: Pick<Deps, "keys">, roles: readonly Role[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = bearer(c.req.header("authorization"));
    if (!key) throw new ApiError("UNAUTHORIZED", "Missing or malformed Authorization: Bearer <key> header");
    const found = await deps.keys.lookup(hashKey(key));
    if (!found) throw new ApiError("UNAUTHORIZED", "Unknown or revoked key");
    if (!roles.includes(found.role)) {
      throw new ApiError(
        "FORBIDDEN",
        found.role === "publishable"
          ? "A publishable key can only create comments (POST /v1/comments)"
          : roles.includes("moderator")
            ? "This route needs the site's moderator key"
            : "This route needs the site's API key",
      );
    }
    c.set("auth", found);
    await next();
  };
}

export function requireAdmin(adminToken: string | undefined): MiddlewareHandler<AppEnv> {
  const expected = adminToken ? createHash("sha256").update(adminToken).digest() : undefined;
  return async (c, next) => {
    const key = bearer(c.req.header("authorization"));
    // Compare digests so the comparison takes the same time whatever the token's length.
    if (!expected || !key || !timingSafeEqual(createHash("sha256").update(key).digest(), expected)) {
      throw new ApiError("UNAUTHORIZED", "Admin routes need Authorization: Bearer <ADMIN_TOKEN>");
    }
    await next();
  };
}
