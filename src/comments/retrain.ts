import { GLOBAL_SCOPE, TOKENIZER_VERSION, learnDeltas, tokenize } from "../classifier/index.js";
import type { CountDelta, ScopeTotals } from "../classifier/index.js";
import type { Db } from "../db/client.js";
import { listLearnedComments, setLearnedTokens } from "../db/queries/comments.js";
import { countLearnedComments } from "../db/queries/imports.js";
import { applyDeltas, clearCounts, lockModelExclusive } from "../db/queries/model.js";
import { readRetained } from "../db/queries/privacy.js";
import { appendModelChange } from "../db/queries/model-changes.js";
import { featuresOf } from "./scoring.js";

/** Rows per INSERT when writing the rebuilt counts. */
const WRITE_BATCH = 5000;
/** Comments read per page while rebuilding. */
const READ_BATCH = 1000;

interface ScopeAcc {
  totals: ScopeTotals;
  tokens: Map<string, { spam: number; ham: number }>;
}

/**
 * Rebuilds every count from the stored decisions: each comment's current label, re-tokenized with
 * today's tokenizer, through the same `learnDeltas` the incremental path uses, so the result equals
 * what incremental learning produced (and re-bases the counts after a tokenizer change), plus the
 * counts sites kept from purged comments (`retained_counts`, added as stored). One
 * transaction under the model lock: scorers keep reading the old counts until it commits.
 */
export async function retrain(
  db: Db,
  opts: { onProgress?: (done: number, total: number) => void } = {},
): Promise<{ comments: number; scopes: number; tokenRows: number }> {
  return db.transaction(async (tx) => {
    await lockModelExclusive(tx);
    // Counted under the lock: no decision changes the total meanwhile.
    const total = opts.onProgress ? await countLearnedComments(tx) : 0;
    opts.onProgress?.(0, total);
    const scopes = new Map<string, ScopeAcc>();
    const scopeAcc = (scope: string) => {
      let acc = scopes.get(scope);
      if (!acc) scopes.set(scope, (acc = { totals: { spam: 0, ham: 0 }, tokens: new Map() }));
      return acc;
    };
    const addTotals = (scope: string, label: "spam" | "ham", n: number) => {
      if (n !== 0) scopeAcc(scope).totals[label] += n;
    };
    const add = (scope: string, deltas: CountDelta[], label: "spam" | "ham") => {
      addTotals(scope, label, 1);
      addTokens(scope, deltas);
    };
    function addTokens(scope: string, deltas: CountDelta[]) {
      const acc = scopeAcc(scope);
      for (const d of deltas) {
        const row = acc.tokens.get(d.token);
        if (row) {
          row.spam += d.spam;
          row.ham += d.ham;
        } else acc.tokens.set(d.token, { spam: d.spam, ham: d.ham });
      }
    }
    let count = 0;
    let afterId: string | undefined;
    for (;;) {
      const page = await listLearnedComments(tx, { afterId, limit: READ_BATCH });
      if (page.length === 0) break;
      const learned: { id: string; tokens: string[] }[] = [];
      for (const c of page) {
        if (!c.learnedLabel) continue;
        const tokens = tokenize(featuresOf(c));
        const deltas = learnDeltas(tokens, c.learnedLabel, 1);
        add(GLOBAL_SCOPE, deltas, c.learnedLabel);
        add(c.siteId, deltas, c.learnedLabel);
        learned.push({ id: c.id, tokens });
        count++;
      }
      await setLearnedTokens(tx, learned, String(TOKENIZER_VERSION));
      afterId = page[page.length - 1]?.id;
      opts.onProgress?.(count, total);
    }
    // Counts a site kept from comments its retention purged (their texts are gone): added as they
    // were learned, to the global scope and the site's, as the comments once were.
    const retained = await readRetained(tx);
    for (const [siteId, totals] of retained.totals) {
      for (const label of ["spam", "ham"] as const) {
        for (const scope of [GLOBAL_SCOPE, siteId]) addTotals(scope, label, totals[label]);
      }
    }
    for (const r of retained.tokens) {
      for (const scope of [GLOBAL_SCOPE, r.siteId]) addTokens(scope, [{ token: r.token, spam: r.spam, ham: r.ham }]);
    }
    await clearCounts(tx);
    let tokenRows = 0;
    for (const [scope, acc] of scopes) {
      const rows = [...acc.tokens].map(([token, c]) => ({ token, spam: c.spam, ham: c.ham }));
      for (let i = 0; i < rows.length; i += WRITE_BATCH) {
        const batch = rows.slice(i, i + WRITE_BATCH);
        // Totals go with the first batch only.
        await applyDeltas(tx, scope, batch, i === 0 ? acc.totals : { spam: 0, ham: 0 });
      }
      if (rows.length === 0) await applyDeltas(tx, scope, [], acc.totals);
      tokenRows += rows.length;
    }
    // Every follower reloads the rewritten counts once this commits.
    await appendModelChange(tx, { kind: "reset" });
    return { comments: count, scopes: scopes.size, tokenRows };
  });
}
