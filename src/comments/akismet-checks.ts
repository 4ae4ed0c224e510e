/**
 * What the Akismet calls store and look up, so that `akismet/` reaches Postgres only through the
 * domain layer, like every other entry point.
 */
import type { Db } from "../db/client.js";
import { insertCheckedComment, settleCheckedComment } from "../db/queries/akismet.js";
import { CHANNELS, notify } from "../db/notify.js";
import type { CommentSignals, SiteRow } from "../db/schema.js";
import { campaignSettingsOf } from "./campaign-settings.js";
import { assignCampaigns, createCampaignBatcher, type CampaignOptions } from "./campaigns.js";

export { findCheckByComment, findCheckByFingerprint, recordAkismetCall, type UsageDelta } from "../db/queries/akismet.js";
export { findSiteComment } from "../db/queries/comments.js";

/**
 * Stores a checked comment with its check row and usage (one statement), then announces its
 * status when it already has a verdict, as the worker's verdict writes do.
 */
export async function storeCheckedComment(db: Db, params: Parameters<typeof insertCheckedComment>[1]): Promise<void> {
  await insertCheckedComment(db, params);
  const status = params.comment.status;
  if (status !== undefined && status !== "pending") await notify(db, CHANNELS.commentStatus, [params.comment.id]);
}

/** A stored comment as the campaign step takes it. */
export interface CheckedForCampaign {
  id: string;
  siteId: string;
  thread: string;
  content: string;
  createdAt: Date;
}

/**
 * comment-check's campaign step, for a comment stored `pending` a moment ago: stores its
 * fingerprint and assigns it to its campaign exactly as the worker's scorer does, and returns the
 * signals to score it with (null: none).
 */
export type CheckCampaigns = (comment: CheckedForCampaign, site: Pick<SiteRow, "settings">) => Promise<CommentSignals | null>;

/** One comment, one assignment transaction: for callers without a process-wide step (tests, CLI). */
export function assignCheckedComment(db: Db, options: CampaignOptions): CheckCampaigns {
  return async (comment, site) => {
    const found = await assignCampaigns(db, [{ ...comment, crossSite: campaignSettingsOf(site.settings).crossSite }], options, comment.createdAt, false);
    return found.get(comment.id) ?? null;
  };
}

/**
 * The API process's campaign step (the Akismet routes make one): checks in flight at once are
 * assigned together, one batch at a time, as the worker's scorer does. One transaction per check
 * queued them on the assignment lock, each holding a pooled connection, until the pool ran dry
 * (measured: 1,308 of 2,000 checks failed at 200/s; BENCHMARKS.md, "Campaigns", session 4).
 */
export function createCheckCampaigns(db: Db, options: CampaignOptions): CheckCampaigns {
  // 2 ms: next to a check's few ms it costs little, and gathers the checks arriving meanwhile.
  const batcher = createCampaignBatcher(db, options, { maxSize: 256, windowMs: 2 });
  return (comment, site) => batcher.add({ ...comment, crossSite: campaignSettingsOf(site.settings).crossSite });
}

/**
 * The check's second write after `assignCheckedComment`: verdict and signals, the answer and its
 * count (`settleCheckedComment`), then the status announcement. False when the comment was no
 * longer pending.
 */
export async function settleCheck(db: Db, params: Parameters<typeof settleCheckedComment>[1]): Promise<boolean> {
  const settled = await settleCheckedComment(db, params);
  if (settled) await notify(db, CHANNELS.commentStatus, [params.commentId]);
  return settled;
}
