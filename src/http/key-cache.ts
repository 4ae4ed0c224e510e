import { findSiteByKeyHash } from "../db/queries/sites.js";
import type { Db } from "../db/client.js";
import type { SiteRow } from "../db/schema.js";

export interface KeyLookup {
  site: SiteRow;
  role: "site" | "moderator" | "publishable";
}

export interface KeyCache {
  /** The site a key hash belongs to, from memory when looked up less than `ttlMs` ago. */
  lookup(keyHash: string): Promise<KeyLookup | undefined>;
  /** Forgets everything (this process changed a site's keys or settings). */
  clear(): void;
}

/** Entries kept at most; the oldest goes first. Only found keys are cached, never misses. */
const MAX_ENTRIES = 10_000;

/**
 * Every authenticated request needs its key's site; caching it for a few seconds saves a query on
 * the intake path. The price: a key rotated or revoked through another API process keeps working
 * there for up to `ttlMs` (the process that made the change forgets at once). `ttlMs` 0 disables.
 */
export function createKeyCache(db: Db, ttlMs: number): KeyCache {
  const entries = new Map<string, { value: KeyLookup; expires: number }>();
  return {
    async lookup(keyHash) {
      const now = Date.now();
      const hit = entries.get(keyHash);
      if (hit && hit.expires > now) return hit.value;
      const value = await findSiteByKeyHash(db, keyHash);
      entries.delete(keyHash);
      if (value && ttlMs > 0) {
        if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
        entries.set(keyHash, { value, expires: now + ttlMs });
      }
      return value;
    },
    clear: () => entries.clear(),
  };
}
