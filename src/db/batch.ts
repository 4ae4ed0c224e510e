import { withoutLogContext } from "../log.js";

/**
 * Group commit for round trips: callers add one item each and await its own result; items added
 * within `windowMs` of the first (or until `maxSize`) go to Postgres as one statement. Each batch
 * runs as soon as it is formed, alongside any still in flight, so a caller waits on its own batch
 * only, never behind another.
 */
export interface Batcher<I, O> {
  add(item: I): Promise<O>;
  /** Sends what is waiting now and resolves once every batch in flight has settled. */
  flush(): Promise<void>;
}

export interface BatcherOptions {
  maxSize: number;
  windowMs: number;
  /**
   * At most this many batches in flight (default: no bound). Items added meanwhile wait and go
   * together once one settles: for work that serializes anyway (campaigns' assignment lock), one
   * large batch beats many small ones queued on the lock, each holding a pooled connection.
   */
  maxInFlight?: number;
}

export function createBatcher<I, O>(run: (items: I[]) => Promise<O[]>, opts: BatcherOptions): Batcher<I, O> {
  const waiting: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const inflight = new Set<Promise<void>>();

  // A batch serves many callers: its work (and its log lines) belongs to none of their requests.
  const send = () => withoutLogContext(sendNow);
  const sendNow = () => {
    clearTimeout(timer);
    timer = undefined;
    if (waiting.length === 0 || inflight.size >= (opts.maxInFlight ?? Infinity)) return;
    const batch = waiting.splice(0, opts.maxSize);
    const p = run(batch.map((w) => w.item)).then(
      (out) => batch.forEach((w, i) => w.resolve(out[i] as O)),
      (err: unknown) => batch.forEach((w) => w.reject(err)),
    );
    inflight.add(p);
    void p.finally(() => {
      inflight.delete(p);
      // What waited behind a bounded flight goes now, without another window.
      if (waiting.length > 0 && opts.maxInFlight !== undefined) send();
    });
  };

  return {
    add(item) {
      return new Promise<O>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        if (waiting.length >= opts.maxSize) send();
        else timer ??= setTimeout(send, opts.windowMs);
      });
    },
    async flush() {
      send();
      while (inflight.size > 0) {
        await Promise.all([...inflight]);
        send();
      }
    },
  };
}
