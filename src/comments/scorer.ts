import type { Db } from "../db/client.js";
import { createBatcher } from "../db/batch.js";
import { findComment, findCommentsWithSites, writeVerdicts, type VerdictWrite } from "../db/queries/comments.js";
import { CHANNELS, notify } from "../db/notify.js";
import type { CommentRow, SiteRow } from "../db/schema.js";
import type { Log } from "../log.js";
import { DEFAULT_CAMPAIGN_OPTIONS, createCampaignBatcher, type CampaignOptions } from "./campaigns.js";
import { campaignSettingsOf } from "./campaign-settings.js";
import type { LiveModel } from "./live-model.js";
import { awaitsVerdict, publishPolicyFor } from "./publishing.js";
import { featuresOf, scoreFeatures, verdictWrite, type Scored } from "./scoring.js";

export type ScoreOutcome =
  | { outcome: "scored"; comment: CommentRow; scored: Scored }
  /** Already has a verdict or a decision (a job run twice, or a moderator was first). */
  | { outcome: "settled"; comment: CommentRow }
  | { outcome: "missing" };

export interface BatchOptions {
  /** Most rows per statement. */
  maxSize: number;
  /** How long the first row of a batch waits for company. */
  windowMs: number;
}

/**
 * A batch forms over 2 ms: next to a ~1 ms round trip it costs little latency, and at 1,000+
 * jobs/s it gathers most of the jobs in flight (the worker's concurrency bounds the size).
 */
export const DEFAULT_BATCH: BatchOptions = { maxSize: 256, windowMs: 2 };

/** A first load of a 1M-decision model took seconds (BENCHMARKS.md); past this a job is retried. */
const MODEL_WAIT_MS = 5_000;

/** Told of each batch's written verdicts after their commit (webhooks); must return at once. */
export type OnVerdicts = (commentIds: string[]) => void;

export interface Scorer {
  /** Scores one stored comment and writes its verdict if it is still `pending`. Idempotent. */
  scoreStored(commentId: string): Promise<ScoreOutcome>;
  /** Waits for the batches and notifications in flight. */
  close(): Promise<void>;
}

/**
 * The worker's scoring: jobs running at once share their round trips. Their comments are read by
 * one `id = ANY(...)`, scored from the in-memory model (CPU only), and their verdicts written by
 * one guarded UPDATE, then announced by one NOTIFY. Two round trips per batch, not three per job.
 */
export function createScorer(deps: { db: Db; model: LiveModel; log: Log; campaigns?: CampaignOptions | false; onVerdicts?: OnVerdicts }, opts: BatchOptions = DEFAULT_BATCH): Scorer {
  const reads = createBatcher<string, { comment: CommentRow; site: SiteRow } | undefined>(async (ids) => {
    const found = await findCommentsWithSites(deps.db, [...new Set(ids)]);
    return ids.map((id) => found.get(id));
  }, opts);

  // Campaigns (issue 12): the batch's comments are clustered together, one transaction per batch,
  // one batch in flight (assignment serializes on its lock: see createCampaignBatcher).
  const campaigns = deps.campaigns === false ? undefined : createCampaignBatcher(deps.db, deps.campaigns ?? DEFAULT_CAMPAIGN_OPTIONS, opts);

  const notifying = new Set<Promise<void>>();
  const writes = createBatcher<{ id: string; write: VerdictWrite }, Date | undefined>(async (rows) => {
    // The same comment twice in one batch (a job re-run): the first row writes, the second settles.
    const first = new Map<string, number>();
    rows.forEach((r, i) => first.has(r.id) || first.set(r.id, i));
    const written = await writeVerdicts(deps.db, [...first.values()].map((i) => rows[i]!));
    if (written.size > 0) {
      const p = notify(deps.db, CHANNELS.commentStatus, [...written.keys()]).catch((err: unknown) =>
        deps.log.warn("status notify failed; waiting requests answer 202", { error: err }),
      );
      notifying.add(p);
      void p.finally(() => notifying.delete(p));
      deps.onVerdicts?.([...written.keys()]);
    }
    return rows.map((r, i) => (first.get(r.id) === i ? written.get(r.id) : undefined));
  }, opts);

  /** A job fails (and is retried with backoff) rather than hold its lock while the model cannot load. */
  let modelLoaded = false;
  void deps.model.ready().then(() => (modelLoaded = true));
  const modelReady = async () => {
    // Loaded once, ready for good: no timer per comment.
    if (modelLoaded) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`model not loaded within ${MODEL_WAIT_MS} ms`)), MODEL_WAIT_MS);
    });
    try {
      await Promise.race([deps.model.ready(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    async scoreStored(commentId) {
      const found = await reads.add(commentId);
      if (!found) return { outcome: "missing" };
      const { site } = found;
      let { comment } = found;
      if (!awaitsVerdict(comment)) return { outcome: "settled", comment };
      if (campaigns) comment = { ...comment, signals: await campaigns.add({ ...comment, crossSite: campaignSettingsOf(site.settings).crossSite }) };
      await modelReady();
      const scored = await scoreFeatures(deps.model, site, featuresOf(comment));
      // The campaign signals go with the verdict: one update of the comment row.
      const write = { ...verdictWrite(scored, publishPolicyFor(site, comment)), signals: comment.signals };
      const scoredAt = await writes.add({ id: comment.id, write });
      if (scoredAt) return { outcome: "scored", comment: { ...comment, ...write, scoredAt, updatedAt: scoredAt }, scored };
      // Someone else settled it meanwhile (a duplicate job, or a moderator): report what stands.
      const now = await findComment(deps.db, comment.id);
      return now ? { outcome: "settled", comment: now } : { outcome: "missing" };
    },
    async close() {
      await reads.flush();
      await campaigns?.flush();
      await writes.flush();
      await Promise.all([...notifying]);
    },
  };
}
