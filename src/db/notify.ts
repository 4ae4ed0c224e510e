/**
 * LISTEN/NOTIFY, the one place the service issues or follows Postgres notifications.
 * https://www.postgresql.org/docs/current/sql-notify.html
 */
import { sql as drizzleSql } from "drizzle-orm";
import type postgres from "postgres";
import type { Log } from "../log.js";
import type { Executor } from "./client.js";

/** Every channel the service uses. */
export const CHANNELS = {
  /** A comment left `pending` or was decided; payload: comma-separated comment ids. */
  commentStatus: "comment_status",
  /** Rows were appended to `model_changes`; payload: the newest id. */
  modelChanges: "model_changes",
  /** Webhook deliveries to queue (new, or re-sent by hand); payload: comma-separated `id/generation`. */
  webhookDeliveries: "webhook_deliveries",
} as const;
export type Channel = (typeof CHANNELS)[keyof typeof CHANNELS];

/** Postgres caps a payload below 8,000 bytes; ids are joined up to this and sent in several. */
const MAX_PAYLOAD = 7_000;

/**
 * The one NOTIFY helper. Inside a transaction the notification goes out at commit, and the
 * transaction then holds Postgres's notify lock through its WAL flush, so hot writers (verdicts)
 * call it after their commit instead; rare ones (decisions) inside, so it is never lost.
 * Payloads are joined with commas into as few notifications as fit.
 */
export async function notify(db: Executor, channel: Channel, payloads: readonly string[]): Promise<void> {
  const chunks: string[] = [];
  let current = "";
  for (const p of payloads) {
    if (current !== "" && current.length + 1 + p.length > MAX_PAYLOAD) {
      chunks.push(current);
      current = "";
    }
    current = current === "" ? p : `${current},${p}`;
  }
  if (current !== "") chunks.push(current);
  if (chunks.length === 0) return;
  await db.execute(drizzleSql`SELECT pg_notify(${channel}, c) FROM jsonb_array_elements_text(${JSON.stringify(chunks)}::jsonb) AS c`);
}

export interface Listener {
  /**
   * Calls `onPayload` for every notification on `channel` and `onListen` each time the LISTEN
   * connection is (re)established, when notifications may have been missed. One connection per
   * process for all channels (postgres.js shares it).
   */
  listen(channel: Channel, onPayload: (payload: string) => void, onListen?: () => void): Promise<{ unlisten(): Promise<void> }>;
}

export function createListener(sql: postgres.Sql): Listener {
  return {
    async listen(channel, onPayload, onListen) {
      const meta = await sql.listen(channel, onPayload, onListen);
      return { unlisten: () => meta.unlisten() };
    },
  };
}

export interface StatusListener {
  /**
   * Starts waiting for a status change of comment `id` (announced by NOTIFY from any process).
   * Call before re-reading the row, so a change between the read and the wait is not missed.
   */
  watch(id: string, timeoutMs: number): Promise<{ changed: Promise<void>; cancel(): void }>;
  close(): Promise<void>;
}

/**
 * One LISTEN on the status channel per process, opened on first use, fanning notifications out to
 * the requests waiting on `?wait=`. A notification lost while the LISTEN connection reconnects
 * costs the caller its wait (it answers 202 and the client reads the verdict later), never the verdict.
 */
export function createStatusListener(listener: Listener, log: Log): StatusListener {
  const waiters = new Map<string, Set<() => void>>();
  let listening: Promise<{ unlisten(): Promise<void> }> | undefined;
  const wake = (payload: string) => {
    for (const id of payload.split(",")) for (const w of waiters.get(id) ?? []) w();
  };
  const ensureListening = () => {
    listening ??= listener.listen(CHANNELS.commentStatus, wake).catch((err: unknown) => {
      listening = undefined;
      throw err;
    });
    return listening;
  };
  return {
    async watch(id, timeoutMs) {
      try {
        await ensureListening();
      } catch (err) {
        log.warn("LISTEN failed; waiting by polling only", { error: err });
      }
      let done!: () => void;
      const changed = new Promise<void>((resolve) => (done = resolve));
      const timers: NodeJS.Timeout[] = [];
      const finish = () => {
        timers.forEach(clearTimeout);
        const set = waiters.get(id);
        set?.delete(finish);
        if (set?.size === 0) waiters.delete(id);
        done();
      };
      const set = waiters.get(id) ?? new Set();
      set.add(finish);
      waiters.set(id, set);
      timers.push(setTimeout(finish, timeoutMs));
      return { changed, cancel: finish };
    },
    async close() {
      for (const set of waiters.values()) for (const w of [...set]) w();
      if (listening) await listening.then((l) => l.unlisten()).catch(() => {});
    },
  };
}
