/**
 * What the Akismet calls store and look up, so that `akismet/` reaches Postgres only through the
 * domain layer, like every other entry point.
 */
import type { Db } from "../db/client.js";
import { insertCheckedComment, settleCheckedComment } from "../db/queries/akismet.js";
import { CHANNELS, notify } from "../db/notify.js";
import type { CommentSignals, SiteRow } from "../db/schema.js";
import { campaignSettingsOf } from "./campaign-settings.js";
import { assignCampaigns, type CampaignOptions } from "./campaigns.js";

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

/**
 * comment-check's campaign step, for a comment stored `pending` a moment ago: stores its
 * fingerprint and assigns it to its campaign exactly as the worker's scorer does (one transaction
 * under the assignment lock), and returns the signals to score it with (null: none).
 */
export async function assignCheckedComment(
  db: Db,
  comment: { id: string; siteId: string; thread: string; content: string; createdAt: Date },
  site: Pick<SiteRow, "settings">,
  options: CampaignOptions,
): Promise<CommentSignals | null> {
  const found = await assignCampaigns(db, [{ ...comment, crossSite: campaignSettingsOf(site.settings).crossSite }], options, comment.createdAt, false);
  return found.get(comment.id) ?? null;
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
