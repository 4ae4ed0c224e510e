/** What the metrics read from Postgres at scrape time (src/observe/collect.ts): small, index-only. */
import { sql } from "drizzle-orm";
import { GLOBAL_SCOPE } from "../../classifier/index.js";
import type { Db } from "../client.js";
import { modelChanges, scopeTotals, tokenCounts } from "../schema.js";

/**
 * The change log's newest id, and how old the oldest change after `appliedId` is (null when none
 * is): how far a follower that has applied up to `appliedId` is behind, in changes and in time.
 */
export async function changeFeedPosition(db: Db, appliedId: number): Promise<{ newest: number; oldestUnappliedAgeS: number | null }> {
  const rows = await db.execute<{ newest: string | null; age: number | null }>(sql`
    SELECT (SELECT max(${modelChanges.id}) FROM ${modelChanges})::text AS newest,
      (SELECT extract(epoch FROM now() - ${modelChanges.createdAt})::float8 FROM ${modelChanges}
        WHERE ${modelChanges.id} > ${appliedId} ORDER BY ${modelChanges.id} LIMIT 1) AS age`);
  const r = rows[0];
  return { newest: Number(r?.newest ?? 0), oldestUnappliedAgeS: r?.age ?? null };
}

/**
 * The model's size: comments learned per label (global scope totals) and the tokens the global
 * scope holds a count for (every token learned anywhere is counted there; rows unlearned to zero
 * stay until `retrain`). The count walks the primary key's global range: cache it.
 */
export async function modelSize(db: Db): Promise<{ spam: number; ham: number; tokens: number }> {
  const rows = await db.execute<{ spam: number | null; ham: number | null; tokens: string }>(sql`
    SELECT (SELECT ${scopeTotals.spam} FROM ${scopeTotals} WHERE ${scopeTotals.scope} = ${GLOBAL_SCOPE}) AS spam,
      (SELECT ${scopeTotals.ham} FROM ${scopeTotals} WHERE ${scopeTotals.scope} = ${GLOBAL_SCOPE}) AS ham,
      (SELECT count(*) FROM ${tokenCounts} WHERE ${tokenCounts.scope} = ${GLOBAL_SCOPE})::text AS tokens`);
  const r = rows[0];
  return { spam: r?.spam ?? 0, ham: r?.ham ?? 0, tokens: Number(r?.tokens ?? 0) };
}
