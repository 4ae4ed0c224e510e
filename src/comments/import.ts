import type { Label } from "../classifier/index.js";
import type { Db } from "../db/client.js";
import type { ImportRecord } from "../import/records.js";
import { recordImportedDecisions } from "./decisions.js";
import { followProposedCutoffs } from "./site-rules.js";

/**
 * Comments per transaction. Each batch is one INSERT of comments, one of decisions, two count
 * upserts and one change-log INSERT (≈ 20 parameters a comment, far under Postgres's 65,535); a
 * batch holds the model's shared lock, so retrain waits at most one batch.
 */
export const IMPORT_BATCH = 500;

export interface ImportSummary {
  /** Records read from the files. */
  read: number;
  imported: number;
  /** Already on the site (an earlier run, or the same externalId twice in the input). */
  skipped: number;
  byLabel: Record<Label, number>;
  ms: number;
}

/**
 * Imports labeled history into a site: each record becomes a decided comment (source `import`,
 * decision actor `import`) and is learned, batch by batch through `recordImportedDecisions`.
 * Rerunning with the same records imports nothing twice (externalIds are unique per site).
 */
export async function importRecords(
  db: Db,
  siteId: string,
  records: readonly ImportRecord[],
  opts: { batchSize?: number; /** Records handled so far, of those with distinct externalIds. */ onProgress?: (done: number, total: number) => void } = {},
): Promise<ImportSummary> {
  const started = performance.now();
  const batchSize = opts.batchSize ?? IMPORT_BATCH;
  const byLabel: Record<Label, number> = { spam: 0, ham: 0 };
  const unique: ImportRecord[] = [];
  const seen = new Set<string>();
  for (const r of records) {
    if (seen.has(r.externalId)) continue;
    seen.add(r.externalId);
    unique.push(r);
  }
  let imported = 0;
  opts.onProgress?.(0, unique.length);
  for (let i = 0; i < unique.length; i += batchSize) {
    const batch = unique.slice(i, i + batchSize);
    const out = await recordImportedDecisions(
      db,
      siteId,
      batch.map((r) => ({
        siteId,
        externalId: r.externalId,
        label: r.label,
        thread: r.thread,
        content: r.content,
        authorName: r.author?.name ?? null,
        authorEmail: r.author?.email ?? null,
        authorUrl: r.author?.url ?? null,
        ip: r.ip ?? null,
        userAgent: r.userAgent ?? null,
        meta: r.meta ?? {},
        ...(r.createdAt ? { createdAt: r.createdAt } : {}),
      })),
      "import",
    );
    imported += out.inserted;
    byLabel.spam += out.byLabel.spam;
    byLabel.ham += out.byLabel.ham;
    opts.onProgress?.(i + batch.length, unique.length);
  }
  // Once per import rather than per comment: a site with autoApply gets cutoffs from its history.
  if (imported > 0) await followProposedCutoffs(db, siteId);
  return { read: records.length, imported, skipped: records.length - imported, byLabel, ms: performance.now() - started };
}
