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

export function createBatcher<I, O>(run: (items: I[]) => Promise<O[]>, opts: { maxSize: number; windowMs: number }): Batcher<I, O> {
  let waiting: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const inflight = new Set<Promise<void>>();

  // A batch serves many callers: its work (and its log lines) belongs to none of their requests.
  const send = () => withoutLogContext(sendNow);
  const sendNow = () => {
    clearTimeout(timer);
    timer = undefined;
    const batch = waiting;
    waiting = [];
    if (batch.length === 0) return;
    const p = run(batch.map((w) => w.item)).then(
      (out) => batch.forEach((w, i) => w.resolve(out[i] as O)),
      (err: unknown) => batch.forEach((w) => w.reject(err)),
    );
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
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
      await Promise.all([...inflight]);
    },
  };
}
