import { desc, eq, or } from "drizzle-orm";
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

/** The site whose API key or moderator key hashes to `keyHash`, and which of the two it is. */
export async function findSiteByKeyHash(
  db: Executor,
  keyHash: string,
): Promise<{ site: SiteRow; role: "site" | "moderator" } | undefined> {
  const [row] = await db
    .select()
    .from(sites)
    .where(or(eq(sites.apiKeyHash, keyHash), eq(sites.moderatorKeyHash, keyHash)))
    .limit(1);
  if (!row) return undefined;
  return { site: row, role: row.apiKeyHash === keyHash ? "site" : "moderator" };
}

export async function updateSite(
  db: Executor,
  id: string,
  patch: Partial<Pick<SiteRow, "name" | "url" | "apiKeyHash" | "moderatorKeyHash" | "hamCutoff" | "spamCutoff" | "minPerLabel" | "settings">>,
): Promise<SiteRow | undefined> {
  const [row] = await db
    .update(sites)
    .set({ ...patch, updatedAt: new Date() })
    .where(eq(sites.id, id))
    .returning();
  return row;
}
