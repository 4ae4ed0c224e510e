/**
 * Per-site retention: comments past the site's `spamDays` (in `spam`) or `allDays` (any) are
 * purged in small transactions, unlearned first unless the site keeps their learned counts.
 */
import type { Db } from "../db/client.js";
import { lockModelShared } from "../db/queries/model.js";
import { listSitesWithRetention, lockExpiredBatch } from "../db/queries/privacy.js";
import { findSiteById } from "../db/queries/sites.js";
import { forgetComments } from "./forget.js";
import { retentionSettingsOf } from "./privacy-settings.js";
import { SiteNotFoundError } from "./sites.js";

export interface PurgeOptions {
  /** The clock (tests move it forward instead of backdating rows). */
  now?: Date;
  /** Comments per transaction. */
  batchSize?: number;
  /** Called after each batch with the comments purged so far (this site, or all sites for purgeAll). */
  onProgress?: (done: number) => void;
}

/**
 * 50 comments per transaction: a batch holds the count rows it unlearns (the common tokens every
 * decision also writes) until it commits, so a decision may wait one batch. With 200 a batch took
 * ~1 s on a loaded 2-core machine and decisions waited ~0.4 s (BENCHMARKS.md, "Retention purge").
 */
const PURGE_BATCH = 50;
const DAY_MS = 86_400_000;

/** Purges one site's expired comments; nothing when the site sets no retention. */
export async function purgeSite(db: Db, siteId: string, opts: PurgeOptions = {}): Promise<{ purged: number; unlearned: number }> {
  const site = await findSiteById(db, siteId);
  if (!site) throw new SiteNotFoundError(siteId);
  const r = retentionSettingsOf(site);
  if (r.spamDays === null && r.allDays === null) return { purged: 0, unlearned: 0 };
  const now = (opts.now ?? new Date()).getTime();
  const params = {
    siteId,
    ...(r.spamDays === null ? {} : { spamBefore: new Date(now - r.spamDays * DAY_MS) }),
    ...(r.allDays === null ? {} : { allBefore: new Date(now - r.allDays * DAY_MS) }),
    limit: opts.batchSize ?? PURGE_BATCH,
  };
  let purged = 0;
  let unlearned = 0;
  for (;;) {
    const done = await db.transaction(async (tx) => {
      await lockModelShared(tx);
      // SKIP LOCKED: a comment a moderator is deciding right now waits for the next run.
      const rows = await lockExpiredBatch(tx, params);
      return forgetComments(tx, rows, { keepLearned: r.keepLearnedCounts });
    });
    if (done.comments === 0) break;
    purged += done.comments;
    unlearned += done.unlearned;
    opts.onProgress?.(purged);
  }
  return { purged, unlearned };
}

/** Purges every site that sets a retention period, one after another. */
export async function purgeAll(db: Db, opts: PurgeOptions = {}): Promise<{ sites: number; purged: number; unlearned: number }> {
  const sites = await listSitesWithRetention(db);
  let purged = 0;
  let unlearned = 0;
  let visited = 0;
  for (const site of sites) {
    const r = retentionSettingsOf(site);
    if (r.spamDays === null && r.allDays === null) continue;
    const before = purged;
    let done: { purged: number; unlearned: number };
    try {
      done = await purgeSite(db, site.id, { ...opts, onProgress: (n) => opts.onProgress?.(before + n) });
    } catch (err) {
      // Deleted since it was listed: nothing left to purge.
      if (err instanceof SiteNotFoundError) continue;
      throw err;
    }
    visited++;
    purged += done.purged;
    unlearned += done.unlearned;
  }
  return { sites: visited, purged, unlearned };
}
