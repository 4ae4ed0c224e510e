import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema.js";

export type Db = PostgresJsDatabase<typeof schema>;
/** A transaction handle; query functions accept it wherever they accept `Db`. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type Executor = Db | Tx;

export interface DbClient {
  sql: postgres.Sql;
  db: Db;
}

export function createDb(url: string, opts: { max?: number } = {}): DbClient {
  const sql = postgres(url, {
    max: opts.max ?? 10,
    // Migrations and `IF NOT EXISTS` emit notices that are not worth a log line.
    onnotice: () => {},
    // A connection idle this long is closed, so an idle service holds few Postgres backends.
    idle_timeout: 60,
    connect_timeout: 10,
  });
  return { sql, db: drizzle(sql, { schema }) };
}
