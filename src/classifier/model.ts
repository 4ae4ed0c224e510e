import type { CountDelta, Label, ScopeSlice, ScopeTotals, ScoringData, TokenCounts } from "./contract.js";

/** The name of the scope every site's documents are also learned into. */
export const GLOBAL_SCOPE = "global";

/**
 * A pseudo-token that `tokenize` appends to every comment. Its row counts the tokens learned per
 * label (not documents), which scoring needs to turn counts into per-token frequencies. Being a row
 * like any other, a backend stores, fetches and unlearns it with no special case. No real token can
 * be spelt this way (the tokenizer never emits `~`).
 */
export const TOKEN_TOTAL = "~tokens";

/**
 * Counts are stored in these units: one document of `DAMPING_LENGTH` tokens adds exactly
 * `COUNT_SCALE` to each of its tokens. Integers, so that sums in any backend stay exact and an
 * unlearn cancels its learn to the last unit (fixed point, not floats).
 */
export const COUNT_SCALE = 1000;

/**
 * The document length (distinct tokens) that weighs one document: a comment of n tokens adds
 * √(DAMPING_LENGTH / n) documents' worth to each token, so its tokens' vector has the same l2 norm
 * whatever its length (as TF-IDF's l2 normalization; see `documentWeight`). It only sets the unit in
 * which Robinson's strength s counts documents; 32 is a round figure for a short web comment with its
 * pairs, pieces and signals (BENCHMARKS.md, "Issue 13, second session": results barely move between 16 and 64).
 */
export const DAMPING_LENGTH = 32;

/**
 * How a document's tokens are weighed when learned. `none` (the default): every document adds
 * `COUNT_SCALE`. `sqrt`: length damping, an experiment of the eval (`--learn-options
 * '{"damping":"sqrt"}'`). It is not the service's default: it raised spam caught at strict
 * operating points on unseen videos (+3 points) but lowered accuracy at 0.5 on every held-out
 * video (2 of 4 at ≥ 95 % became 0 of 4); BENCHMARKS.md, "Issue 13, second session". Turning it on
 * for the service would also need a retrain (counts learned at another weight do not unlearn).
 */
export interface LearnOptions {
  damping?: "sqrt" | "none";
  /** Overrides `DAMPING_LENGTH` (experiments only: the service always uses the constant). */
  dampingLength?: number;
  /** Experiments only: no document weighs more than one (only long documents are damped). */
  capped?: boolean;
}

/**
 * What one document adds to each of its tokens' counts, in `COUNT_SCALE` units:
 * ⌊COUNT_SCALE · √(DAMPING_LENGTH / n)⌋ for a document of n distinct tokens (floor of a correctly
 * rounded IEEE value: the same integer in JavaScript and in Postgres). Damping repeated evidence: a long comment's many correlated tokens (a word,
 * its pairs and 5-letter pieces) no longer outvote a short one's few; measured in BENCHMARKS.md.
 * A token list without `TOKEN_TOTAL` (hand-made, not from `tokenize`) weighs one document.
 */
export function documentWeight(n: number, hasTotal: boolean, options: LearnOptions = {}): number {
  if (!hasTotal || n <= 0 || options.damping !== "sqrt") return COUNT_SCALE;
  const w = Math.floor(COUNT_SCALE * Math.sqrt((options.dampingLength ?? DAMPING_LENGTH) / n));
  return options.capped === true ? Math.min(w, COUNT_SCALE) : w;
}

/**
 * The per-token row changes one learn (`sign` 1) or unlearn (`sign` −1) applies to ONE scope; that
 * scope's totals (documents) change by `sign` on `label`. Each distinct token changes by `sign` ×
 * the document's weight (`documentWeight`), `TOKEN_TOTAL` by that times the number of other
 * distinct tokens. The weight depends on the tokens alone, so an unlearn cancels its learn exactly.
 */
export function learnDeltas(tokens: readonly string[], label: Label, sign: 1 | -1, options: LearnOptions = {}): CountDelta[] {
  const deltas: CountDelta[] = [];
  const unique = new Set(tokens);
  const hasTotal = unique.delete(TOKEN_TOTAL);
  const w = sign * documentWeight(unique.size, hasTotal, options);
  for (const token of unique) {
    deltas.push({ token, spam: label === "spam" ? w : 0, ham: label === "ham" ? w : 0 });
  }
  // A 0/0 row would be dead weight in a backend's table.
  if (hasTotal && unique.size > 0) {
    const n = w * unique.size;
    deltas.push({ token: TOKEN_TOTAL, spam: label === "spam" ? n : 0, ham: label === "ham" ? n : 0 });
  }
  return deltas;
}

interface Scope {
  totals: ScopeTotals;
  tokens: Map<string, TokenCounts>;
}

/** An in-memory token-count store (CLI, tests, benchmarks); the service keeps the same rows in Postgres. */
export interface MemoryModel {
  scopes: Map<string, Scope>;
}

export function createMemoryModel(): MemoryModel {
  return { scopes: new Map() };
}

function scopeOf(model: MemoryModel, scope: string): Scope {
  let found = model.scopes.get(scope);
  if (!found) {
    found = { totals: { spam: 0, ham: 0 }, tokens: new Map() };
    model.scopes.set(scope, found);
  }
  return found;
}

function apply(model: MemoryModel, scopeName: string, tokens: readonly string[], label: Label, sign: 1 | -1, options: LearnOptions): void {
  const scope = scopeOf(model, scopeName);
  for (const delta of learnDeltas(tokens, label, sign, options)) {
    const row = scope.tokens.get(delta.token);
    // Counts never go below zero: unlearning what was never learned is a caller bug, not a reason to
    // poison every later score with negative counts.
    const spam = Math.max(0, (row?.spam ?? 0) + delta.spam);
    const ham = Math.max(0, (row?.ham ?? 0) + delta.ham);
    if (spam === 0 && ham === 0) scope.tokens.delete(delta.token);
    else if (row) {
      row.spam = spam;
      row.ham = ham;
    } else scope.tokens.set(delta.token, { spam, ham });
  }
  scope.totals[label] = Math.max(0, scope.totals[label] + sign);
  if (scope.totals.spam === 0 && scope.totals.ham === 0 && scope.tokens.size === 0) model.scopes.delete(scopeName);
}

/** Learns one document into ONE scope only (use `learnSite` to learn a site's document into both). */
export function learn(model: MemoryModel, scope: string, tokens: readonly string[], label: Label, options: LearnOptions = {}): void {
  apply(model, scope, tokens, label, 1, options);
}

/** Exact inverse of `learn`: rows that reach 0/0 are dropped. */
export function unlearn(model: MemoryModel, scope: string, tokens: readonly string[], label: Label, options: LearnOptions = {}): void {
  apply(model, scope, tokens, label, -1, options);
}

/** Learns a site's document into the global scope and the site's scope, as the Postgres backend does. */
export function learnSite(model: MemoryModel, site: string, tokens: readonly string[], label: Label, options: LearnOptions = {}): void {
  learn(model, GLOBAL_SCOPE, tokens, label, options);
  if (site !== GLOBAL_SCOPE) learn(model, site, tokens, label, options);
}

/** Exact inverse of `learnSite`. */
export function unlearnSite(model: MemoryModel, site: string, tokens: readonly string[], label: Label, options: LearnOptions = {}): void {
  unlearn(model, GLOBAL_SCOPE, tokens, label, options);
  if (site !== GLOBAL_SCOPE) unlearn(model, site, tokens, label, options);
}

/** The totals of a scope plus the counts of the given tokens (copies: later learning does not change it). */
export function scopeSlice(model: MemoryModel, scope: string, tokens: readonly string[]): ScopeSlice {
  const found = model.scopes.get(scope);
  const counts = new Map<string, TokenCounts>();
  if (found) {
    for (const token of tokens) {
      const row = found.tokens.get(token);
      if (row) counts.set(token, { spam: row.spam, ham: row.ham });
    }
  }
  return { totals: { spam: found?.totals.spam ?? 0, ham: found?.totals.ham ?? 0 }, tokens: counts };
}

/** What `score` needs for these tokens: the global slice, plus the site's when a site scope is given. */
export function scoringData(model: MemoryModel, siteScope: string | undefined, tokens: readonly string[]): ScoringData {
  const global = scopeSlice(model, GLOBAL_SCOPE, tokens);
  if (siteScope === undefined || siteScope === GLOBAL_SCOPE) return { global };
  return { global, site: scopeSlice(model, siteScope, tokens) };
}
