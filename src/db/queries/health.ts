import { sql } from "drizzle-orm";
import type { Executor } from "../client.js";

export async function pingDb(db: Executor): Promise<void> {
  await db.execute(sql`SELECT 1`);
}
