import { findSiteComment } from "../db/queries/comments.js";
import type { CommentRow } from "../db/schema.js";
import type { Deps } from "../deps.js";

/**
 * Waits up to `timeoutMs` for the comment to leave `pending` (a verdict, or a moderator's decision)
 * and returns the row as it then stands (still `pending` when time ran out). Two reads at most:
 * one after starting to listen (the verdict may already be there), one after the notification or
 * the deadline. No polling in between, so thousands of waiting requests cost no queries; a lost
 * notification only means a 202 the client follows up with GET.
 */
export async function waitForSettled(
  deps: Pick<Deps, "db" | "statusListener">,
  siteId: string,
  id: string,
  timeoutMs: number,
): Promise<CommentRow | undefined> {
  const watch = await deps.statusListener.watch(id, timeoutMs);
  const row = await findSiteComment(deps.db, siteId, id);
  if (!row || row.status !== "pending") {
    watch.cancel();
    return row;
  }
  await watch.changed;
  return findSiteComment(deps.db, siteId, id);
}
