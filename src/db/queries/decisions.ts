import { asc, eq } from "drizzle-orm";
import type { Executor } from "../client.js";
import { decisions, type DecisionRow } from "../schema.js";

export async function insertDecision(
  db: Executor,
  params: { commentId: string; siteId: string; label: "spam" | "ham"; note?: string | null; actor: string; undoesId?: number | null },
): Promise<DecisionRow> {
  const [row] = await db.insert(decisions).values(params).returning();
  if (!row) throw new Error("insert returned no row");
  return row;
}

export function listDecisions(db: Executor, commentId: string): Promise<DecisionRow[]> {
  return db.select().from(decisions).where(eq(decisions.commentId, commentId)).orderBy(asc(decisions.id));
}
