import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema.js";

/** `$client` is the postgres.js client, for the few hot queries written without drizzle. */
export type Db = PostgresJsDatabase<typeof schema> & { $client: postgres.Sql };
/** A transaction handle; query functions accept it wherever they accept `Db`. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type Executor = Db | Tx;

export interface DbClient {
  sql: postgres.Sql;
  db: Db;
  pool: PoolUse;
}

/**
 * How busy the pool is, as far as we can tell: postgres.js exposes no pool statistics, so the
 * queries that go through `db` are counted while they run (a transaction counts once, for as long
 * as it holds its connection). Past `max` in flight, postgres.js pipelines further queries behind
 * others on busy connections (or queues them): that excess is what waits. Queries on `sql` itself
 * (LISTEN/NOTIFY helpers, health pings) are not counted.
 */
export interface PoolUse {
  max: number;
  /** Queries and transactions through `db` started and not yet settled. */
  inFlight(): number;
}

/** Counts a postgres.js query while it runs: from its first `then` (when it is sent) to its settling. */
function counted<Q extends PromiseLike<unknown>>(query: Q, counter: { n: number }): Q {
  const then = query.then.bind(query);
  let started = false;
  const settle = () => void counter.n--;
  (query as { then: unknown }).then = (onFulfilled?: never, onRejected?: never) => {
    if (!started) {
      started = true;
      counter.n++;
      void then(settle, settle);
    }
    return then(onFulfilled, onRejected);
  };
  return query;
}

/**
 * drizzle runs every query through `sql.unsafe(text, params, { prepare: false })`: an unnamed
 * statement that postgres.js must first describe to learn the parameter types, one more round trip
 * per query (measured: ~1.9k lookups/s against ~25k/s for a prepared `SELECT 1` on 10 connections).
 * Our query texts are a small fixed set (arrays travel as one jsonb parameter), so each is prepared
 * once per connection instead.
 */
function preparing<T extends postgres.Sql | postgres.TransactionSql>(sql: T, lost?: () => Error | undefined, counter?: { n: number }): T {
  const unsafe = sql.unsafe.bind(sql);
  return new Proxy(sql, {
    get(target, prop, receiver) {
      if (prop === "unsafe") {
        return (query: string, params?: postgres.ParameterOrJSON<never>[], options?: postgres.UnsafeQueryOptions) => {
          const gone = lost?.();
          if (gone !== undefined) throw gone;
          const q = unsafe(query, params, { ...options, prepare: true });
          return counter ? counted(q, counter) : q;
        };
      }
      if (prop === "begin" && "begin" in target) {
        // Transactions get their own connection handle: prepare there too.
        type Body = (tx: postgres.TransactionSql) => unknown;
        return (optionsOrBody: string | Body, maybeBody?: Body) => {
          const body = (typeof optionsOrBody === "function" ? optionsOrBody : maybeBody) as Body;
          // postgres.js 3.4.9 rejects `begin` as soon as the transaction's connection closes, but
          // the body runs on, and its next query or the ROLLBACK/COMMIT that postgres.js sends after
          // it goes to the dead connection: a write to a null socket, thrown from a setImmediate as
          // an uncaught TypeError that shut the worker down at a Postgres restart (or, once the
          // connection is reused, lands in another transaction; porsager/postgres#1215). So once
          // `begin` has rejected, the body's queries throw, and its end never reaches postgres.js.
          let closed: Error | undefined;
          const never = new Promise<never>(() => {});
          const wrapped = async (tx: postgres.TransactionSql) => {
            try {
              const out = await body(preparing(tx, () => closed));
              return closed === undefined ? out : never;
            } catch (err) {
              // A close rejects the body's query before `begin`: let `begin`'s rejection land first.
              await new Promise((resolve) => setImmediate(resolve));
              if (closed !== undefined) return never;
              throw err;
            }
          };
          const begun = typeof optionsOrBody === "function" ? target.begin(wrapped) : target.begin(optionsOrBody, wrapped);
          if (counter) {
            counter.n++;
            void begun.then(() => void counter.n--, () => void counter.n--);
          }
          return begun.catch((err: unknown) => {
            closed = err instanceof Error ? err : new Error(String(err));
            throw err;
          });
        };
      }
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}

export interface DbOptions {
  max?: number;
  /** Per connection attempt (postgres.js counts until the server is ready for queries). */
  connectTimeoutMs?: number;
  /** Postgres's `statement_timeout`; 0 or unset: none (retrain's rebuild may take minutes). */
  statementTimeoutMs?: number;
}

export function createDb(url: string, opts: DbOptions = {}): DbClient {
  const sql = postgres(url, {
    max: opts.max ?? 10,
    // Migrations and `IF NOT EXISTS` emit notices that are not worth a log line.
    onnotice: () => {},
    // A connection idle this long is closed, so an idle service holds few Postgres backends.
    idle_timeout: 60,
    connect_timeout: (opts.connectTimeoutMs ?? 10_000) / 1000,
    // postgres.js delays each reconnect by a backoff shared by the whole pool that grows to 20 s:
    // after a 10 s Postgres restart, queries sat queued ~15 s for a socket. Capped at 0.5 s, a
    // request fails fast (503) while Postgres is down and gets a connection soon after it is back;
    // a refused connect costs the server nothing, so retrying this often is harmless.
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 0.5) * (0.5 + Math.random() / 2),
    // Sent in the startup message: every connection of the pool gets it, no extra round trip.
    ...(opts.statementTimeoutMs ? { connection: { statement_timeout: opts.statementTimeoutMs } } : {}),
  });
  const counter = { n: 0 };
  const max = opts.max ?? 10;
  return { sql, db: drizzle(preparing(sql, undefined, counter), { schema }), pool: { max, inFlight: () => counter.n } };
}

/**
 * postgres.js 3.4 opens each connection by fetching the array types (`fetchArrayTypes` in its
 * connection.js) from an event handler that drops the promise: a connection reset during that one
 * query surfaces as an unhandled rejection no caller can catch. Nothing waits on it and the next
 * query opens a new connection, so it is logged, not treated as a crash. Matched narrowly: a
 * connection-level error code on that exact catalog query.
 */
export function isDroppedTypeFetch(err: unknown): boolean {
  const e = err as { code?: unknown; query?: unknown } | null;
  return (
    typeof e?.query === "string" &&
    e.query.includes("from pg_catalog.pg_type a") &&
    typeof e.code === "string" &&
    ["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "57P01"].includes(e.code)
  );
}

/** postgres.js underneath a drizzle handle or transaction (both keep it as `session.client`), for hot queries inside a transaction. */
export function clientOf(db: Executor): postgres.Sql {
  if ("$client" in db) return db.$client;
  return (db as unknown as { session: { client: postgres.Sql } }).session.client;
}
