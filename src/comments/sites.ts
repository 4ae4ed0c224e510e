/**
 * Deleting a site: its comments, decisions, keys and counts go, and what it taught the global scope
 * is unlearned exactly (what `retrain` would rebuild without it), in batches of small transactions.
 */
import { GLOBAL_SCOPE } from "../classifier/index.js";
import type { Db } from "../db/client.js";
import { appendModelChange } from "../db/queries/model-changes.js";
import { applyDeltas, lockModelShared } from "../db/queries/model.js";
import { addRetained, deleteSiteRow, insertErasure, lockSiteBatch, readRetained, revokeSiteKeys } from "../db/queries/privacy.js";
import { findSiteById } from "../db/queries/sites.js";
import { forgetComments } from "./forget.js";

export class SiteNotFoundError extends Error {
  constructor(siteId: string) {
    super(`no site ${siteId}`);
  }
}

/** The confirmation did not name the site. */
export class ConfirmMismatchError extends Error {
  constructor() {
    super("to delete a site, confirm with its exact name");
  }
}

/** Comments per transaction: small, for the same reason as retention's PURGE_BATCH. */
const DELETE_BATCH = 50;

/**
 * Deletes a site when `confirmName` is its exact name. First its keys are revoked (no new comments
 * or decisions), then its comments go in batches, each unlearned in its own transaction; then the
 * counts it kept from purged comments are subtracted from the global scope; last the site row, with
 * whatever still references it, in a transaction that also forgets any comment that slipped in.
 * Interrupted, it can be run again: every step leaves the counts exact. The deletion is recorded in
 * `erasures` (kind `site`).
 */
export async function deleteSite(
  db: Db,
  siteId: string,
  confirmName: string,
  opts: { onProgress?: (done: number) => void; batchSize?: number; actor?: string } = {},
): Promise<{ comments: number; decisions: number }> {
  const site = await findSiteById(db, siteId);
  if (!site) throw new SiteNotFoundError(siteId);
  if (confirmName !== site.name) throw new ConfirmMismatchError();
  const batch = opts.batchSize ?? DELETE_BATCH;
  await revokeSiteKeys(db, siteId);

  let comments = 0;
  let decisions = 0;
  for (;;) {
    const done = await db.transaction(async (tx) => {
      await lockModelShared(tx);
      const rows = await lockSiteBatch(tx, siteId, batch);
      return forgetComments(tx, rows, { keepLearned: false });
    });
    if (done.comments === 0) break;
    comments += done.comments;
    decisions += done.decisions;
    opts.onProgress?.(comments);
  }

  // Counts the site kept from purged comments: subtracted as stored from both scopes in one
  // transaction (they are sums with no documents behind them, so exact whatever a document
  // weighs), and a `reset` in the change log makes every follower reload the counts.
  await db.transaction(async (tx) => {
    await lockModelShared(tx);
    const retained = await readRetained(tx, siteId);
    const totals = retained.totals.get(siteId) ?? { spam: 0, ham: 0 };
    if (retained.tokens.length === 0 && totals.spam === 0 && totals.ham === 0) return;
    const negative = retained.tokens.map((t) => ({ token: t.token, spam: -t.spam, ham: -t.ham }));
    const negTotals = { spam: -totals.spam, ham: -totals.ham };
    // Global before site, as every learner locks them.
    await applyDeltas(tx, GLOBAL_SCOPE, negative, negTotals);
    await applyDeltas(tx, siteId, negative, negTotals);
    await addRetained(tx, siteId, negative, negTotals);
    await appendModelChange(tx, { kind: "reset" });
  });

  await db.transaction(async (tx) => {
    await lockModelShared(tx);
    const late = await lockSiteBatch(tx, siteId, Number.MAX_SAFE_INTEGER);
    const forgotten = await forgetComments(tx, late, { keepLearned: false });
    comments += forgotten.comments;
    decisions += forgotten.decisions;
    await deleteSiteRow(tx, siteId);
    await insertErasure(tx, { siteId, kind: "site", matchedOn: [], actor: opts.actor ?? "admin", comments, decisions });
  });
  return { comments, decisions };
}
