import { and, desc, eq, isNotNull, or, sql } from "drizzle-orm";
import type { Executor } from "../client.js";
import { sites, type SiteRow } from "../schema.js";

export async function insertSite(
  db: Executor,
  params: { name: string; url: string; apiKeyHash: string; moderatorKeyHash: string },
): Promise<SiteRow> {
  const [row] = await db.insert(sites).values(params).returning();
  if (!row) throw new Error("insert returned no row");
  return row;
}

export function listSites(db: Executor): Promise<SiteRow[]> {
  return db.select().from(sites).orderBy(desc(sites.createdAt));
}

export async function findSiteById(db: Executor, id: string): Promise<SiteRow | undefined> {
  const [row] = await db.select().from(sites).where(eq(sites.id, id));
  return row;
}

/** The site whose API, moderator or publishable key hashes to `keyHash`, and which of the three it is. */
export async function findSiteByKeyHash(
  db: Executor,
  keyHash: string,
): Promise<{ site: SiteRow; role: "site" | "moderator" | "publishable" } | undefined> {
  const [row] = await db
    .select()
    .from(sites)
    .where(or(eq(sites.apiKeyHash, keyHash), eq(sites.moderatorKeyHash, keyHash), eq(sites.publishableKeyHash, keyHash)))
    .limit(1);
  if (!row) return undefined;
  return { site: row, role: row.apiKeyHash === keyHash ? "site" : row.moderatorKeyHash === keyHash ? "moderator" : "publishable" };
}

export async function updateSite(
  db: Executor,
  id: string,
  patch: Partial<Pick<SiteRow, "name" | "url" | "apiKeyHash" | "moderatorKeyHash" | "publishableKeyHash" | "hamCutoff" | "spamCutoff" | "minPerLabel" | "settings">>,
): Promise<SiteRow | undefined> {
  const [row] = await db
    .update(sites)
    .set({ ...patch, updatedAt: new Date() })
    .where(eq(sites.id, id))
    .returning();
  return row;
}

/**
 * Whether any site with a live publishable key allows `origin` in its CORS list (a preflight
 * carries no key, so it cannot name its site; the request itself is checked against its key's).
 */
export async function anySiteAllowsOrigin(db: Executor, origin: string): Promise<boolean> {
  const rows = await db
    .select({ id: sites.id })
    .from(sites)
    .where(and(isNotNull(sites.publishableKeyHash), sql`${sites.settings} -> 'cors' -> 'origins' ? ${origin}`))
    .limit(1);
  return rows.length > 0;
}
