/**
 * What the Akismet calls store and look up, so that `akismet/` reaches Postgres only through the
 * domain layer, like every other entry point.
 */
import type { Db } from "../db/client.js";
import { insertCheckedComment } from "../db/queries/akismet.js";
import { CHANNELS, notify } from "../db/notify.js";

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
