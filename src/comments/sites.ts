/**
 * Deleting a site: its comments, decisions, keys and counts go, and what it taught the global scope
 * is unlearned exactly (what `retrain` would rebuild without it), in batches of small transactions.
 */
import { TOKEN_TOTAL, learnDeltas } from "../classifier/index.js";
import type { Label } from "../classifier/index.js";
import type { Db } from "../db/client.js";
import { lockModelShared } from "../db/queries/model.js";
import { addRetained, deleteSiteRow, insertErasure, lockSiteBatch, readRetained, revokeSiteKeys } from "../db/queries/privacy.js";
import { findSiteById } from "../db/queries/sites.js";
import { applyLearning, type LearnChange } from "./decisions.js";
import { forgetComments, sumDeltas } from "./forget.js";

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
 * Splits one site's retained counts (kept from purged comments) into documents that unlearn them
 * exactly: document j holds every token counted at least j times, so token t is in exactly c_t of
 * them; the last `budget` documents first, so what is left stays a valid set of counts.
 */
export function retainedDocuments(
  totals: { spam: number; ham: number },
  tokens: readonly { token: string; spam: number; ham: number }[],
  budget: number,
): { label: Label; tokens: string[] }[] {
  const docs: { label: Label; tokens: string[] }[] = [];
  for (const label of ["spam", "ham"] as const) {
    const real = tokens.filter((t) => t.token !== TOKEN_TOTAL && t[label] > 0);
    for (let j = totals[label]; j >= 1 && docs.length < budget; j--) {
      const doc = real.filter((t) => t[label] >= j).map((t) => t.token);
      docs.push({ label, tokens: doc.length > 0 ? [...doc, TOKEN_TOTAL] : [] });
    }
  }
  return docs;
}

/**
 * Deletes a site when `confirmName` is its exact name. First its keys are revoked (no new comments
 * or decisions), then its comments go in batches, each unlearned in its own transaction; then the
 * counts it kept from purged comments are unlearned from the global scope; last the site row, with
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

  for (;;) {
    const left = await db.transaction(async (tx) => {
      await lockModelShared(tx);
      const retained = await readRetained(tx, siteId);
      const docs = retainedDocuments(retained.totals.get(siteId) ?? { spam: 0, ham: 0 }, retained.tokens, batch);
      if (docs.length === 0) return 0;
      // Kept counts stayed in both scopes, like any learned comment's: unlearned from both.
      await applyLearning(tx, docs.map((d): LearnChange => ({ kind: "unlearn", siteId, tokens: d.tokens, label: d.label })));
      const negative = sumDeltas(docs.map((d) => learnDeltas(d.tokens, d.label, -1)));
      await addRetained(tx, siteId, negative, {
        spam: -docs.filter((d) => d.label === "spam").length,
        ham: -docs.filter((d) => d.label === "ham").length,
      });
      return docs.length;
    });
    if (left === 0) break;
  }

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
