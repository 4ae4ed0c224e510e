import { and, desc, eq, isNotNull } from "drizzle-orm";
import type { DecidedScore } from "../../classifier/index.js";
import type { Executor } from "../client.js";
import { comments } from "../schema.js";

/**
 * The site's most recently decided comments that the model had scored: the score they had then
 * (before their own decision was learned) and the label that stands. Reads through the site's
 * status index; a site's decided comments are few next to its intake.
 */
export async function recentDecidedScores(db: Executor, siteId: string, limit: number): Promise<DecidedScore[]> {
  const rows = await db
    .select({ probability: comments.score, label: comments.learnedLabel })
    .from(comments)
    .where(and(eq(comments.siteId, siteId), isNotNull(comments.learnedLabel), isNotNull(comments.score)))
    .orderBy(desc(comments.decidedAt), desc(comments.id))
    .limit(limit);
  const out: DecidedScore[] = [];
  for (const row of rows) if (row.probability !== null && row.label !== null) out.push({ probability: row.probability, label: row.label });
  return out;
}
