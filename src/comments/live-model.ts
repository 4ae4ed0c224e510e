/**
 * The model's token counts held in memory by every process that scores (worker, api for Akismet),
 * kept current by following the change log that decisions append in their own transaction:
 *   - woken by NOTIFY on CHANNELS.modelChanges, the usual path (a change shows within milliseconds);
 *   - polled every `pollMs`, in case a notification was lost (LISTEN reconnecting);
 *   - reloaded whole when it has fallen more than `reloadBehind` changes behind, when the log was
 *     pruned past it, or after `retrain` (a `reset` change).
 * It holds every count: see README "Scaling" and BENCHMARKS.md "Model in memory" for the memory
 * this takes (measured at 100k and 1M decisions) and why a bounded cache was not needed.
 */
import { createMemoryModel, learnSite, unlearnSite, type MemoryModel } from "../classifier/index.js";
import type { Db } from "../db/client.js";
import { loadModelSnapshot, modelChangesAfter, type ModelChange } from "../db/queries/model-changes.js";
import { CHANNELS, type Listener } from "../db/notify.js";
import type { Log } from "../log.js";

export interface LiveModelOptions {
  /** How often to look for changes without a notification (the fallback; NOTIFY is the fast path). */
  pollMs: number;
  /** Further behind than this many changes, reloading is cheaper than replaying. */
  reloadBehind: number;
}

export const DEFAULT_LIVE_MODEL_OPTIONS: LiveModelOptions = {
  // A lost notification then costs at most 0.5 s of staleness: half the 1 s the issue allows.
  pollMs: 500,
  // Replaying a change costs ~64 map updates; a reload of a 1M-decision model took seconds
  // (BENCHMARKS.md), so replay up to this many.
  reloadBehind: 50_000,
};

/** Changes read per round trip while catching up. */
const CHANGE_PAGE = 1_000;

export interface LiveModel {
  /** Resolves once the first load finished (scoring waits for it; a failed load is retried at each poll). */
  ready(): Promise<void>;
  /** The counts as of `appliedId`; read synchronously while scoring (never mutated mid-score). */
  readonly current: MemoryModel;
  /** The newest change applied. */
  readonly appliedId: number;
  /** Catches up with the log now (tests and the bench; the follower does this by itself). */
  sync(): Promise<void>;
  stats(): { loads: number; applied: number; lastLoadMs: number; scopes: number; tokens: number };
  close(): Promise<void>;
}

export function createLiveModel(
  deps: { db: Db; listener: Listener; log: Log },
  opts: LiveModelOptions = DEFAULT_LIVE_MODEL_OPTIONS,
): LiveModel {
  let model = createMemoryModel();
  let appliedId = 0;
  let loads = 0;
  let applied = 0;
  let lastLoadMs = 0;
  let closed = false;
  let loaded = false;
  let running: Promise<void> | undefined;
  let again = false;

  const load = async () => {
    const started = performance.now();
    const next = createMemoryModel();
    const scope = (name: string) => {
      let s = next.scopes.get(name);
      if (!s) next.scopes.set(name, (s = { totals: { spam: 0, ham: 0 }, tokens: new Map() }));
      return s;
    };
    const { changeId } = await loadModelSnapshot(
      deps.db,
      (name, spam, ham) => void (scope(name).totals = { spam, ham }),
      (rows) => {
        for (const r of rows) if (r.spam !== 0 || r.ham !== 0) scope(r.scope).tokens.set(r.token, { spam: r.spam, ham: r.ham });
      },
    );
    // Swapped whole: a score in progress keeps reading the model it started with.
    model = next;
    appliedId = changeId;
    loads++;
    lastLoadMs = performance.now() - started;
    deps.log.info("model loaded", { changeId, scopes: next.scopes.size, ms: Math.round(lastLoadMs) });
  };

  const apply = (c: ModelChange) => {
    if (c.siteId && c.label && c.tokens) {
      if (c.kind === "learn") learnSite(model, c.siteId, c.tokens, c.label);
      else if (c.kind === "unlearn") unlearnSite(model, c.siteId, c.tokens, c.label);
    }
    appliedId = c.id;
    applied++;
  };

  const catchUp = async () => {
    for (;;) {
      const page = await modelChangesAfter(deps.db, appliedId, CHANGE_PAGE);
      // Rows after ours were pruned (or, rarely, a rolled-back id sits at the edge: one spare reload).
      const missed = page.oldest !== null && page.oldest > appliedId + 1;
      const behind = page.newest !== null && page.newest - appliedId > opts.reloadBehind;
      if (missed || behind || page.changes.some((c) => c.kind === "reset")) {
        await load();
        return;
      }
      for (const c of page.changes) apply(c);
      if (page.changes.length < CHANGE_PAGE) return;
    }
  };

  /** One catch-up at a time; a wake-up during one runs another right after. */
  const sync = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await catchUp();
        } while (again && !closed);
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  let unlisten: (() => Promise<void>) | undefined;
  let markReady!: () => void;
  const first = new Promise<void>((resolve) => (markReady = resolve));
  let starting: Promise<void> | undefined;
  /** Listens (before loading, so a change committed during the load wakes a catch-up after it), then loads. */
  const start = () =>
    (starting ??= (async () => {
      try {
        if (!unlisten) {
          try {
            const l = await deps.listener.listen(CHANNELS.modelChanges, wake, wake);
            unlisten = () => l.unlisten();
          } catch (err) {
            deps.log.warn("LISTEN on model changes failed; following by polling only", { error: err });
          }
        }
        await load();
        loaded = true;
        markReady();
      } catch (err) {
        // Postgres is not reachable yet: the next poll tries again; scorers wait on ready().
        deps.log.warn("model load failed; retrying at the next poll", { error: err });
      } finally {
        starting = undefined;
      }
    })());

  function wake() {
    if (closed) return;
    if (!loaded) {
      void start();
      return;
    }
    sync().catch((err: unknown) => deps.log.warn("model catch-up failed; retrying at the next poll", { error: err }));
  }

  void start();
  const timer = setInterval(wake, opts.pollMs);
  timer.unref();

  return {
    ready: () => first,
    get current() {
      return model;
    },
    get appliedId() {
      return appliedId;
    },
    async sync() {
      await first;
      await sync();
    },
    stats() {
      let tokens = 0;
      for (const s of model.scopes.values()) tokens += s.tokens.size;
      return { loads, applied, lastLoadMs, scopes: model.scopes.size, tokens };
    },
    async close() {
      closed = true;
      clearInterval(timer);
      await starting;
      await running?.catch(() => {});
      await unlisten?.().catch(() => {});
    },
  };
}
