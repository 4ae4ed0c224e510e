/**
 * The one way a hot query is written (issue 8): its text is built ONCE, at module load, from the
 * table and column names in `schema.ts` (never typed by hand), and run through postgres.js as a
 * prepared statement with positional parameters:
 *
 *   const FIND = hotQuery("find_comments", (n) => `SELECT * FROM ${n(comments)} WHERE ${n(comments.id)} = ANY($1::uuid[])`);
 *   await db.$client.unsafe(FIND.text, [ids], { prepare: true });
 *
 * No SQL building per call (drizzle's builder cost more CPU than the queries at worker speeds),
 * no second cache of prepared statements. Every hot query registers itself here, and
 * test/hot-queries.test.ts asks Postgres to describe each one against the migrated schema, so a
 * renamed column or a hand-typed name fails the suite instead of production. Everything that is
 * not hot uses drizzle's builder.
 */
import { Column, getTableColumns, getTableName, is, Table } from "drizzle-orm";

export interface HotQuery {
  name: string;
  text: string;
}

/** Every hot query defined so far, by name (the drift test describes each). */
export const HOT_QUERIES = new Map<string, HotQuery>();

/** A quoted identifier from the schema: a table's name, or a column's (unqualified). */
export function ident(x: Table | Column): string {
  const name = is(x, Table) ? getTableName(x) : x.name;
  return `"${name.replaceAll('"', '""')}"`;
}

export function hotQuery(name: string, build: (n: typeof ident) => string): HotQuery {
  if (HOT_QUERIES.has(name)) throw new Error(`hot query ${name} defined twice`);
  const q = { name, text: build(ident) };
  HOT_QUERIES.set(name, q);
  return q;
}

/**
 * `alias."column" AS "<prefix>jsKey", …` for every column of `table`, so a raw row comes back
 * keyed like drizzle's `$inferSelect` (optionally prefixed, to split a join), and `decode` to turn
 * such a row into the typed object, through each column's own driver mapping (drizzle leaves
 * timestamps as text on the postgres.js client; the column makes them Dates again).
 */
export function selectList<T>(table: Table, alias: string, prefix = ""): { text: string; decode(row: Record<string, unknown>): T } {
  const columns = Object.entries(getTableColumns(table));
  const text = columns.map(([k, col]) => `${alias}.${ident(col)} AS "${prefix}${k}"`).join(", ");
  return {
    text,
    decode(row) {
      const out: Record<string, unknown> = {};
      for (const [k, col] of columns) {
        const v = row[prefix + k];
        out[k] = v === null || v === undefined ? null : col.mapFromDriverValue(v);
      }
      return out as T;
    },
  };
}
