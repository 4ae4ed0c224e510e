import { sql } from "drizzle-orm";
import type { CountDelta, ScopeSlice, ScopeTotals, TokenCounts } from "../../classifier/contract.js";
import type { Db, Executor } from "../client.js";
import { scopeTotals, tokenCounts } from "../schema.js";

export const GLOBAL_SCOPE = "global";

/**
 * Decisions take this advisory lock shared, `retrain` takes it exclusive: a retrain never
 * interleaves with a decision (which would deadlock on rows or miscount).
 */
export const MODEL_LOCK_KEY = 7_326_012;

export async function lockModelShared(tx: Executor): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock_shared(${MODEL_LOCK_KEY})`);
}

export async function lockModelExclusive(tx: Executor): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${MODEL_LOCK_KEY})`);
}

/**
 * Adds `deltas` to one scope's token counts and `totals` to its totals. Tokens are applied in sorted
 * order so concurrent learners lock rows in the same order and cannot deadlock. Rows that drop to
 * zero are deleted, so unlearning leaves the table exactly as if the comment had never been learned.
 */
export async function applyDeltas(tx: Executor, scope: string, deltas: CountDelta[], totals: ScopeTotals): Promise<void> {
  if (deltas.length > 0) {
    const sorted = [...deltas].sort((a, b) => (a.token < b.token ? -1 : a.token > b.token ? 1 : 0));
    // One JSON parameter instead of thousands of placeholders (Postgres allows 65,535 per query).
    const payload = JSON.stringify(sorted);
    await tx.execute(sql`
      INSERT INTO ${tokenCounts} (scope, token, spam, ham)
      SELECT ${scope}, d.token, d.spam, d.ham
      FROM jsonb_to_recordset(${payload}::jsonb) AS d(token text, spam bigint, ham bigint)
      ON CONFLICT (scope, token) DO UPDATE
      SET spam = ${tokenCounts.spam} + EXCLUDED.spam, ham = ${tokenCounts.ham} + EXCLUDED.ham`);
    if (sorted.some((d) => d.spam < 0 || d.ham < 0)) {
      await tx.execute(sql`
        DELETE FROM ${tokenCounts}
        WHERE scope = ${scope} AND spam = 0 AND ham = 0
          AND token IN (SELECT jsonb_array_elements_text(${JSON.stringify(sorted.map((d) => d.token))}::jsonb))`);
    }
  }
  if (totals.spam !== 0 || totals.ham !== 0) {
    await tx.execute(sql`
      INSERT INTO ${scopeTotals} (scope, spam, ham) VALUES (${scope}, ${totals.spam}, ${totals.ham})
      ON CONFLICT (scope) DO UPDATE
      SET spam = ${scopeTotals.spam} + EXCLUDED.spam, ham = ${scopeTotals.ham} + EXCLUDED.ham`);
  }
}

/**
 * The global and site slices scoring one comment needs: totals plus the counts of its own tokens,
 * in one round trip. Written against postgres.js directly: it runs once per scored comment, and
 * drizzle's SQL building cost more CPU than the query.
 */
export async function fetchScopeSlices(
  db: Db,
  siteId: string,
  tokens: readonly string[],
): Promise<{ global: ScopeSlice; site: ScopeSlice }> {
  const global: ScopeSlice = { totals: { spam: 0, ham: 0 }, tokens: new Map<string, TokenCounts>() };
  const site: ScopeSlice = { totals: { spam: 0, ham: 0 }, tokens: new Map<string, TokenCounts>() };
  // token_counts is bigint, which postgres.js returns as a string: Number() below (exact to 2^53).
  const rows = await db.$client<{ scope: string; token: string | null; spam: number | string; ham: number | string }[]>`
    SELECT scope, NULL::text AS token, spam, ham FROM scope_totals WHERE scope IN (${GLOBAL_SCOPE}, ${siteId})
    UNION ALL
    SELECT scope, token, spam, ham FROM token_counts
    WHERE scope IN (${GLOBAL_SCOPE}, ${siteId})
      AND token = ANY (ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(tokens)}::jsonb)))`;
  for (const r of rows) {
    const slice = r.scope === GLOBAL_SCOPE ? global : site;
    if (r.token === null) slice.totals = { spam: Number(r.spam), ham: Number(r.ham) };
    else (slice.tokens as Map<string, TokenCounts>).set(r.token, { spam: Number(r.spam), ham: Number(r.ham) });
  }
  return { global, site };
}

/** Empties every count (the first step of `retrain`, inside its transaction). */
export async function clearCounts(tx: Executor): Promise<void> {
  await tx.execute(sql`DELETE FROM ${tokenCounts}`);
  await tx.execute(sql`DELETE FROM ${scopeTotals}`);
}

/** Every count row, sorted, so two states of the tables can be compared exactly. */
export async function dumpCounts(db: Executor): Promise<{
  tokens: { scope: string; token: string; spam: number; ham: number }[];
  totals: { scope: string; spam: number; ham: number }[];
}> {
  const tokens = await db.execute<{ scope: string; token: string; spam: number | string; ham: number | string }>(
    sql`SELECT scope, token, spam, ham FROM ${tokenCounts} WHERE spam <> 0 OR ham <> 0 ORDER BY scope, token`,
  );
  const totals = await db.execute<{ scope: string; spam: number; ham: number }>(
    sql`SELECT scope, spam, ham FROM ${scopeTotals} WHERE spam <> 0 OR ham <> 0 ORDER BY scope`,
  );
  // bigint arrives as a string (postgres.js); counts stay far below 2^53.
  return { tokens: tokens.map((r) => ({ scope: r.scope, token: r.token, spam: Number(r.spam), ham: Number(r.ham) })), totals: [...totals] };
}
