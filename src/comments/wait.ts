import { findSiteComment } from "../db/queries/comments.js";
import type { CommentRow } from "../db/schema.js";
import type { Deps } from "../deps.js";

/** Re-read the row at least this often while waiting, in case a notification was lost. */
const SLICE_MS = 250;

/**
 * Waits up to `timeoutMs` for the comment to leave `pending` (a verdict, or a moderator's decision)
 * and returns the row as it then stands (still `pending` when time ran out).
 */
export async function waitForSettled(
  deps: Pick<Deps, "db" | "statusListener">,
  siteId: string,
  id: string,
  timeoutMs: number,
): Promise<CommentRow | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const remaining = deadline - Date.now();
    const watch = remaining > 0 ? await deps.statusListener.watch(id, Math.min(remaining, SLICE_MS)) : undefined;
    const row = await findSiteComment(deps.db, siteId, id);
    if (!row || row.status !== "pending" || !watch) {
      watch?.cancel();
      return row;
    }
    await watch.changed;
  }
}
