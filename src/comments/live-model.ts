/**
 * The model as every scoring process (worker, api for Akismet) holds it: every scope's totals, and
 * a bounded cache of token counts, both kept exact by following the change log that decisions
 * append in their own transaction:
 *   - woken by NOTIFY on CHANNELS.modelChanges, the usual path (a change shows within milliseconds);
 *   - polled every `pollMs`, in case a notification was lost (LISTEN reconnecting);
 *   - reloaded (totals re-read, cache emptied) when more than `reloadBehind` changes behind, when
 *     the log was pruned past it, or after `retrain` (a `reset` change).
 * A cached count is exact: it was fetched at a known change id and every later change is applied
 * to it. A count not cached is fetched with the other misses of the jobs in flight (one round trip
 * per batch) and cached. Why a bounded cache and not every count: 100k decisions already make 4.2M
 * count rows (~145 bytes each in memory, 30 s to load on a loaded machine); see BENCHMARKS.md
 * "Model in memory" and README "Scaling".
 */
import { GLOBAL_SCOPE, learnDeltas, type ScopeSlice, type ScopeTotals, type TokenCounts } from "../classifier/index.js";
import type { Db } from "../db/client.js";
import { createBatcher } from "../db/batch.js";
import { fetchTokenCounts, loadModelTotals, modelChangesAfter, type ModelChange } from "../db/queries/model-changes.js";
import { CHANNELS, type Listener } from "../db/notify.js";
import type { Log } from "../log.js";

export interface LiveModelOptions {
  /** How often to look for changes without a notification (the fallback; NOTIFY is the fast path). */
  pollMs: number;
  /** Further behind than this many changes, reloading (cheap: totals only) beats replaying. */
  reloadBehind: number;
  /** Most (scope, token) counts held; past it the least recently used half is dropped. */
  cacheRows: number;
}

export const DEFAULT_LIVE_MODEL_OPTIONS: LiveModelOptions = {
  // A lost notification then costs at most 0.5 s of staleness: half the 1 s the issue allows.
  pollMs: 500,
  reloadBehind: 10_000,
  // ~150 bytes a row (BENCHMARKS.md): about 150 MiB at most per process.
  cacheRows: 1_000_000,
};

/** Changes read per round trip while catching up. */
const CHANGE_PAGE = 1_000;
/** Recent changes kept to bring a fetch that raced them up to date. */
const RECENT_CHANGES = 1_000;

type Counts = { spam: number; ham: number };
const key = (scope: string, token: string) => `${scope}\u0000${token}`;
/** Scope → token → counts: the tokenizer's strings are used as keys as they are (no joined key to hash per lookup). */
interface Generation {
  scopes: Map<string, Map<string, Counts>>;
  size: number;
}
const newGeneration = (): Generation => ({ scopes: new Map(), size: 0 });

/** A token's counts in the global scope and in one site's scope. */
export interface TokenPair {
  global: Counts | undefined;
  site: Counts | undefined;
}

/**
 * What `prefetch` resolved for one scoring call: each asked token's counts, looked up once. The
 * scoring call reads them from this small map instead of probing the big cache again (each probe
 * of a cache of a million rows is a cache miss; a comment asks about ~64 tokens in two scopes, and
 * looking each up again for `has` and `scoringData` was a fifth of the worker's CPU). Holds the
 * cached objects themselves (changes applied meanwhile show) or, for counts that could not be
 * cached (fetched at another change id), private copies.
 */
export type Overlay = ReadonlyMap<string, TokenPair>;

export interface LiveModel {
  /** Resolves once the totals are loaded (a failed load is retried at each poll). */
  ready(): Promise<void>;
  /** The newest change applied. */
  readonly appliedId: number;
  /**
   * Makes the counts of `tokens` in the global and the site scope available to `scoringData`:
   * cached ones at once, the misses of every caller in the same few milliseconds in one round trip.
   */
  prefetch(siteId: string, tokens: Iterable<string>): Promise<Overlay>;
  /** Whether a token is prefetched (cached or in `overlay`). */
  has(siteId: string, token: string, overlay?: Overlay): boolean;
  /** What `score` needs for these tokens, from the cache and the overlay (prefetch first). */
  scoringData(siteId: string, tokens: readonly string[], overlay?: Overlay): { global: ScopeSlice; site: ScopeSlice };
  /** Catches up with the log now (tests and the bench; the follower does this by itself). */
  sync(): Promise<void>;
  /** Every cached count and every total, for tests comparing with Postgres. */
  dump(): { totals: Map<string, ScopeTotals>; cached: Map<string, Counts> };
  stats(): { loads: number; applied: number; lastLoadMs: number; cached: number; hits: number; misses: number };
  close(): Promise<void>;
}

export function createLiveModel(
  deps: { db: Db; listener: Listener; log: Log },
  opts: LiveModelOptions = DEFAULT_LIVE_MODEL_OPTIONS,
): LiveModel {
  let totals = new Map<string, ScopeTotals>();
  // Two generations: lookups promote from `cold` to `hot`; a full `hot` becomes `cold` and the old
  // `cold` is dropped. O(1), at most `cacheRows` entries, and what is in use stays.
  let hot: Generation = newGeneration();
  let cold: Generation = newGeneration();
  let recent: ModelChange[] = [];
  let appliedId = 0;
  let loads = 0;
  let applied = 0;
  let lastLoadMs = 0;
  let hits = 0;
  let misses = 0;
  let closed = false;
  let loaded = false;
  let running: Promise<void> | undefined;
  let again = false;

  const peek = (scope: string, token: string): Counts | undefined => hot.scopes.get(scope)?.get(token) ?? cold.scopes.get(scope)?.get(token);
  const lookup = (scope: string, token: string): Counts | undefined => {
    const h = hot.scopes.get(scope)?.get(token);
    if (h) return h;
    const c = cold.scopes.get(scope)?.get(token);
    if (c) insert(scope, token, c);
    return c;
  };
  const insert = (scope: string, token: string, v: Counts) => {
    let m = hot.scopes.get(scope);
    if (!m) hot.scopes.set(scope, (m = new Map<string, Counts>()));
    if (!m.has(token)) hot.size++;
    m.set(token, v);
    if (hot.size >= opts.cacheRows / 2) {
      cold = hot;
      hot = newGeneration();
    }
  };

  const load = async () => {
    const started = performance.now();
    const next = new Map<string, ScopeTotals>();
    const { changeId } = await loadModelTotals(deps.db, (scope, spam, ham) => next.set(scope, { spam, ham }));
    totals = next;
    hot = newGeneration();
    cold = newGeneration();
    recent = [];
    appliedId = changeId;
    loads++;
    lastLoadMs = performance.now() - started;
    deps.log.info("model loaded", { changeId, scopes: next.size, ms: Math.round(lastLoadMs) });
  };

  const addTotals = (scope: string, label: "spam" | "ham", sign: number) => {
    const t = totals.get(scope) ?? { spam: 0, ham: 0 };
    t[label] += sign;
    totals.set(scope, t);
  };

  /** Applies a change's deltas to `get`'s entries (the cache, or rows fetched before the change). */
  const applyTo = (c: ModelChange, get: (scope: string, token: string) => Counts | undefined) => {
    if (!c.siteId || !c.label || !c.tokens || c.kind === "reset") return;
    const sign = c.kind === "learn" ? 1 : -1;
    for (const d of learnDeltas(c.tokens, c.label, sign)) {
      for (const scope of [GLOBAL_SCOPE, c.siteId]) {
        const row = get(scope, d.token);
        if (row) {
          row.spam += d.spam;
          row.ham += d.ham;
        }
      }
    }
  };

  const apply = (c: ModelChange) => {
    applyTo(c, peek);
    if (c.siteId && c.label && c.kind !== "reset") {
      const sign = c.kind === "learn" ? 1 : -1;
      addTotals(GLOBAL_SCOPE, c.label, sign);
      addTotals(c.siteId, c.label, sign);
    }
    recent.push(c);
    if (recent.length > RECENT_CHANGES * 2) recent = recent.slice(-RECENT_CHANGES);
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

  // Misses of every caller within the batch window go to Postgres together (one item per caller).
  const fetches = createBatcher<{ scope: string; token: string }[], (Counts & { changeId: number })[]>(
    async (lists) => {
      const rows = await fetchTokenCounts(deps.db, lists.flat());
      return lists.map((pairs) => pairs.map((p) => rows.get(key(p.scope, p.token)) ?? { spam: 0, ham: 0, changeId: rows.changeId }));
    },
    { maxSize: 256, windowMs: 2 },
  );

  const prefetch = async (siteId: string, tokens: Iterable<string>): Promise<Overlay> => {
    const resolved = new Map<string, TokenPair>();
    const wanted: { scope: string; token: string; pair: TokenPair }[] = [];
    // The two scopes' maps of the hot generation, looked up once per call rather than per token
    // (re-read when a promotion from `cold` rotated the generations).
    let generation = hot;
    let hotGlobal = hot.scopes.get(GLOBAL_SCOPE);
    let hotSite = hot.scopes.get(siteId);
    for (const token of tokens) {
      if (resolved.has(token)) continue;
      if (generation !== hot) {
        generation = hot;
        hotGlobal = hot.scopes.get(GLOBAL_SCOPE);
        hotSite = hot.scopes.get(siteId);
      }
      const pair: TokenPair = { global: hotGlobal?.get(token) ?? lookup(GLOBAL_SCOPE, token), site: hotSite?.get(token) ?? lookup(siteId, token) };
      resolved.set(token, pair);
      if (pair.global) hits++;
      else wanted.push({ scope: GLOBAL_SCOPE, token, pair });
      if (pair.site) hits++;
      else wanted.push({ scope: siteId, token, pair });
    }
    if (wanted.length === 0) return resolved;
    misses += wanted.length;
    // Only scope and token go to Postgres (the batch is sent as JSON).
    const fetched = await fetches.add(wanted.map(({ scope, token }) => ({ scope, token })));
    let raced = false;
    fetched.forEach((row, i) => {
      const p = wanted[i]!;
      const put = (c: Counts) => (p.scope === GLOBAL_SCOPE ? (p.pair.global = c) : (p.pair.site = c));
      const counts = { spam: row.spam, ham: row.ham };
      if (row.changeId < appliedId) {
        // Fetched before changes we have applied since: bring it up to date, if we still have them.
        const first = recent[0];
        if (!first || first.id > row.changeId + 1) {
          put(counts);
          return;
        }
        for (const c of recent) if (c.id > row.changeId) applyTo(c, (sc, t) => (sc === p.scope && t === p.token ? counts : undefined));
      } else if (row.changeId > appliedId) {
        // Fetched after changes we have not applied yet: right for this score, not for the cache.
        put(counts);
        raced = true;
        return;
      }
      // Another caller may have cached it meanwhile: use that one, so both see the same object.
      const cached = lookup(p.scope, p.token);
      if (cached) put(cached);
      else {
        insert(p.scope, p.token, counts);
        put(counts);
      }
    });
    if (raced) wake();
    return resolved;
  };

  const pairOf = (siteId: string, token: string, overlay?: Overlay): TokenPair =>
    overlay?.get(token) ?? { global: peek(GLOBAL_SCOPE, token), site: peek(siteId, token) };

  /**
   * The slices hold the cached count objects themselves, not copies: scoring reads them
   * synchronously, before any change can be applied to them, and copying two objects per token
   * was a good part of the worker's garbage (BENCHMARKS.md). Zero counts are left out, as the
   * classifier reads a missing token as {0, 0}.
   */
  const scoringData = (siteId: string, tokens: readonly string[], overlay?: Overlay): { global: ScopeSlice; site: ScopeSlice } => {
    const global = new Map<string, TokenCounts>();
    const site = new Map<string, TokenCounts>();
    for (const t of tokens) {
      const pair = pairOf(siteId, t, overlay);
      const g = pair.global;
      if (g && (g.spam !== 0 || g.ham !== 0)) global.set(t, g);
      const s = pair.site;
      if (s && (s.spam !== 0 || s.ham !== 0)) site.set(t, s);
    }
    const totalsOf = (scope: string) => {
      const tt = totals.get(scope);
      return { spam: tt?.spam ?? 0, ham: tt?.ham ?? 0 };
    };
    return { global: { totals: totalsOf(GLOBAL_SCOPE), tokens: global }, site: { totals: totalsOf(siteId), tokens: site } };
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
    get appliedId() {
      return appliedId;
    },
    prefetch,
    has: (siteId, token, overlay) => {
      const pair = pairOf(siteId, token, overlay);
      return pair.global !== undefined && pair.site !== undefined;
    },
    scoringData,
    async sync() {
      await first;
      await sync();
    },
    dump() {
      const cached = new Map<string, Counts>();
      for (const g of [cold, hot]) for (const [scope, m] of g.scopes) for (const [t, v] of m) cached.set(key(scope, t), { spam: v.spam, ham: v.ham });
      return { totals: new Map([...totals].map(([s, t]) => [s, { ...t }])), cached };
    },
    stats() {
      const all = new Set<string>();
      for (const g of [cold, hot]) for (const [scope, m] of g.scopes) for (const t of m.keys()) all.add(key(scope, t));
      return { loads, applied, lastLoadMs, cached: all.size, hits, misses };
    },
    async close() {
      closed = true;
      clearInterval(timer);
      await starting;
      await running?.catch(() => {});
      await fetches.flush().catch(() => {});
      await unlisten?.().catch(() => {});
    },
  };
}

