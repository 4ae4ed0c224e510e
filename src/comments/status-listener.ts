import type postgres from "postgres";
import { STATUS_CHANNEL } from "../db/queries/comments.js";
import type { Log } from "../log.js";

export interface StatusListener {
  /**
   * Starts waiting for a status change of comment `id` (announced by NOTIFY from any process).
   * Call before re-reading the row, so a change between the read and the wait is not missed.
   */
  watch(id: string, timeoutMs: number): Promise<{ changed: Promise<void>; cancel(): void }>;
  close(): Promise<void>;
}

/**
 * One LISTEN connection per process, opened on first use, fanning notifications out to the
 * requests waiting on `?wait=`. A notification lost while the LISTEN connection reconnects costs
 * the caller its wait (it answers 202 and the client reads the verdict later), never the verdict.
 */
export function createStatusListener(sql: postgres.Sql, log: Log): StatusListener {
  const waiters = new Map<string, Set<() => void>>();
  let listening: Promise<postgres.ListenMeta> | undefined;
  const wake = (id: string) => {
    for (const w of waiters.get(id) ?? []) w();
  };
  const ensureListening = () => {
    listening ??= sql.listen(STATUS_CHANNEL, wake).catch((err: unknown) => {
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
