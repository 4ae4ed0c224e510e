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
 * The per-token row changes one learn (`sign` 1) or unlearn (`sign` −1) applies to ONE scope; that
 * scope's totals change by `sign` on `label`. Each distinct token changes by `sign` once, except
 * `TOKEN_TOTAL`, which changes by `sign` × the number of other distinct tokens. The same tokens
 * give the same deltas, so an unlearn cancels its learn exactly.
 */
export function learnDeltas(tokens: readonly string[], label: Label, sign: 1 | -1): CountDelta[] {
  const deltas: CountDelta[] = [];
  const unique = new Set(tokens);
  const hasTotal = unique.delete(TOKEN_TOTAL);
  for (const token of unique) {
    deltas.push({ token, spam: label === "spam" ? sign : 0, ham: label === "ham" ? sign : 0 });
  }
  // A 0/0 row would be dead weight in a backend's table.
  if (hasTotal && unique.size > 0) {
    const n = sign * unique.size;
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

function apply(model: MemoryModel, scopeName: string, tokens: readonly string[], label: Label, sign: 1 | -1): void {
  const scope = scopeOf(model, scopeName);
  for (const delta of learnDeltas(tokens, label, sign)) {
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
export function learn(model: MemoryModel, scope: string, tokens: readonly string[], label: Label): void {
  apply(model, scope, tokens, label, 1);
}

/** Exact inverse of `learn`: rows that reach 0/0 are dropped. */
export function unlearn(model: MemoryModel, scope: string, tokens: readonly string[], label: Label): void {
  apply(model, scope, tokens, label, -1);
}

/** Learns a site's document into the global scope and the site's scope, as the Postgres backend does. */
export function learnSite(model: MemoryModel, site: string, tokens: readonly string[], label: Label): void {
  learn(model, GLOBAL_SCOPE, tokens, label);
  if (site !== GLOBAL_SCOPE) learn(model, site, tokens, label);
}

/** Exact inverse of `learnSite`. */
export function unlearnSite(model: MemoryModel, site: string, tokens: readonly string[], label: Label): void {
  unlearn(model, GLOBAL_SCOPE, tokens, label);
  if (site !== GLOBAL_SCOPE) unlearn(model, site, tokens, label);
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
