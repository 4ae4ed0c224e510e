import { and, lt, sql } from "drizzle-orm";
import { clientOf, type Db, type Executor } from "../client.js";
import { hotQuery } from "../hot.js";
import { CHANNELS, notify } from "../notify.js";
import { modelChanges, scopeTotals, tokenCounts, type ModelChangeKind } from "../schema.js";

/**
 * Appenders hold this advisory lock from their INSERT to their commit, so change ids become
 * visible in id order: a follower that has read up to id N never later finds a row below N.
 * The lock is taken last in the decision's transaction and held for one INSERT and the commit.
 */
export const CHANGE_LOG_LOCK_KEY = 7_326_013;

export interface ModelChange {
  id: number;
  kind: ModelChangeKind;
  siteId: string | null;
  label: "spam" | "ham" | null;
  tokens: string[] | null;
}

/**
 * Appends one change to the log inside the transaction that applied it, and announces it on
 * CHANNELS.modelChanges (sent at commit). Returns the change's id.
 */
export async function appendModelChange(
  tx: Executor,
  change: { kind: ModelChangeKind; siteId?: string | null; label?: "spam" | "ham" | null; tokens?: readonly string[] | null },
): Promise<number> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${CHANGE_LOG_LOCK_KEY})`);
  const [row] = await tx
    .insert(modelChanges)
    .values({ kind: change.kind, siteId: change.siteId ?? null, label: change.label ?? null, tokens: change.tokens ? [...change.tokens] : null })
    .returning({ id: modelChanges.id });
  if (!row) throw new Error("insert returned no row");
  await notify(tx, CHANNELS.modelChanges, [String(row.id)]);
  return row.id;
}

/**
 * Up to `limit` changes after `afterId`, oldest first, with the log's current bounds: a follower
 * whose `afterId` is below `oldest - 1` has missed pruned rows, and one far below `newest` is
 * better off reloading.
 */
export async function modelChangesAfter(
  db: Executor,
  afterId: number,
  limit: number,
): Promise<{ oldest: number | null; newest: number | null; changes: ModelChange[] }> {
  const rows = await db.execute<{
    oldest: string | null;
    newest: string | null;
    id: string | null;
    kind: ModelChangeKind | null;
    site_id: string | null;
    label: "spam" | "ham" | null;
    tokens: string[] | null;
  }>(sql`
    WITH bounds AS (SELECT min(${modelChanges.id}) AS oldest, max(${modelChanges.id}) AS newest FROM ${modelChanges})
    SELECT b.oldest, b.newest, c.id, c.kind, c.site_id, c.label, c.tokens
    FROM bounds b
    LEFT JOIN LATERAL (
      SELECT id, kind, site_id, label, tokens FROM ${modelChanges} WHERE id > ${afterId} ORDER BY id LIMIT ${limit}
    ) c ON true`);
  const first = rows[0];
  const changes: ModelChange[] = [];
  for (const r of rows) {
    if (r.id === null || r.kind === null) continue;
    changes.push({ id: Number(r.id), kind: r.kind, siteId: r.site_id, label: r.label, tokens: r.tokens });
  }
  const num = (v: string | null | undefined) => (v === null || v === undefined ? null : Number(v));
  return { oldest: num(first?.oldest), newest: num(first?.newest), changes };
}

const NEWEST_CHANGE = hotQuery("newest_model_change", (n) => `SELECT max(${n(modelChanges.id)})::text AS id FROM ${n(modelChanges)}`);
const ALL_TOTALS = hotQuery(
  "all_scope_totals",
  (n) => `SELECT ${n(scopeTotals.scope)} AS scope, ${n(scopeTotals.spam)} AS spam, ${n(scopeTotals.ham)} AS ham FROM ${n(scopeTotals)}`,
);

/**
 * Every scope's totals as of one snapshot, with the newest change id that snapshot includes (ids
 * commit in order, see CHANGE_LOG_LOCK_KEY): the follower applies changes after it, none twice.
 */
export async function loadModelTotals(db: Db, onTotals: (scope: string, spam: number, ham: number) => void): Promise<{ changeId: number }> {
  return db.$client.begin("isolation level repeatable read read only", async (tx) => {
    const [hw] = await tx.unsafe<{ id: string | null }[]>(NEWEST_CHANGE.text, [], { prepare: true });
    for (const t of await tx.unsafe<{ scope: string; spam: number; ham: number }[]>(ALL_TOTALS.text, [], { prepare: true })) {
      onTotals(t.scope, t.spam, t.ham);
    }
    return { changeId: hw?.id ? Number(hw.id) : 0 };
  });
}

const FETCH_COUNTS = hotQuery(
  "fetch_token_counts",
  (n) => `SELECT r.scope, r.token, tc.${n(tokenCounts.spam)} AS spam, tc.${n(tokenCounts.ham)} AS ham,
      (SELECT max(${n(modelChanges.id)}) FROM ${n(modelChanges)})::text AS change_id
    FROM jsonb_to_recordset($1::text::jsonb) AS r(scope text, token text)
    LEFT JOIN ${n(tokenCounts)} tc ON tc.${n(tokenCounts.scope)} = r.scope AND tc.${n(tokenCounts.token)} = r.token`,
);

/**
 * The counts of many (scope, token) pairs, absent ones left out, and the newest change id the
 * same snapshot includes (one statement, one snapshot), so the caller knows which changes the
 * counts already contain. Keys are `scope + "\u0000" + token`.
 */
export async function fetchTokenCounts(
  db: Db,
  pairs: readonly { scope: string; token: string }[],
): Promise<Map<string, { spam: number; ham: number; changeId: number }> & { changeId: number }> {
  // spam/ham are bigint, which postgres.js returns as strings: Number() (exact below 2^53).
  const rows = await db.$client.unsafe<{ scope: string; token: string; spam: number | string | null; ham: number | string | null; change_id: string | null }[]>(
    FETCH_COUNTS.text,
    [JSON.stringify(pairs)],
    { prepare: true },
  );
  const changeId = Number(rows[0]?.change_id ?? 0);
  const out = new Map<string, { spam: number; ham: number; changeId: number }>() as Map<string, { spam: number; ham: number; changeId: number }> & { changeId: number };
  out.changeId = changeId;
  for (const r of rows) if (r.spam !== null && r.ham !== null) out.set(`${r.scope}\u0000${r.token}`, { spam: Number(r.spam), ham: Number(r.ham), changeId });
  return out;
}

/** Deletes changes older than `olderThanMs`, always keeping the newest (followers compare against it). */
export async function pruneModelChanges(db: Executor, olderThanMs: number): Promise<number> {
  const rows = await db
    .delete(modelChanges)
    .where(
      and(
        lt(modelChanges.createdAt, sql`now() - make_interval(secs => ${olderThanMs / 1000})`),
        lt(modelChanges.id, sql`(SELECT max(${modelChanges.id}) FROM ${modelChanges})`),
      ),
    )
    .returning({ id: modelChanges.id });
  return rows.length;
}

const APPEND_CHANGES = hotQuery(
  "append_model_changes",
  (n) => `INSERT INTO ${n(modelChanges)} (${n(modelChanges.kind)}, ${n(modelChanges.siteId)}, ${n(modelChanges.label)}, ${n(modelChanges.tokens)})
    SELECT r.kind, r.site_id, r.label, r.tokens FROM jsonb_to_recordset($1::text::jsonb) AS r(kind text, site_id uuid, label text, tokens text[])
    RETURNING ${n(modelChanges.id)} AS id`,
);

/**
 * Appends many changes at once (an import's batch): one lock, one INSERT with one jsonb parameter,
 * one notification naming the newest id.
 */
export async function appendModelChanges(
  tx: Executor,
  changes: readonly { kind: ModelChangeKind; siteId: string; label: "spam" | "ham"; tokens: readonly string[] }[],
): Promise<void> {
  if (changes.length === 0) return;
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${CHANGE_LOG_LOCK_KEY})`);
  const payload = changes.map((c) => ({ kind: c.kind, site_id: c.siteId, label: c.label, tokens: c.tokens }));
  const rows = await clientOf(tx).unsafe<{ id: string }[]>(APPEND_CHANGES.text, [JSON.stringify(payload)], { prepare: true });
  const newest = Math.max(...rows.map((r) => Number(r.id)));
  await notify(tx, CHANNELS.modelChanges, [String(newest)]);
}
