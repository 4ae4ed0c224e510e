import type { CampaignCandidate, Fingerprint } from "../../classifier/index.js";
import type { Db, Executor } from "../client.js";
import type { CommentRow } from "../schema.js";

/** Serializes campaign assignment: two workers never create two campaigns for one cluster. */
export const CAMPAIGN_LOCK_KEY = 7_326_120;

/** A site's opt-out, as stored in `sites.settings.campaigns.crossSite` (absent means on). */
const CROSS_SITE_SQL = (alias: string) => `coalesce(${alias}.settings->'campaigns'->>'crossSite', 'true') <> 'false'`;

export interface FingerprintInsert {
  commentId: string;
  siteId: string;
  thread: string;
  createdAt: Date;
  version: number;
  fp: Fingerprint;
}

function fingerprintRecords(rows: readonly FingerprintInsert[]) {
  return rows.map((r) => ({
    comment_id: r.commentId,
    site_id: r.siteId,
    thread: r.thread,
    created_at: r.createdAt.toISOString(),
    version: r.version,
    text_hash: r.fp.textHash,
    short: r.fp.short,
    // Unsigned 32-bit minima stored as int4.
    minhash: r.fp.minhash?.map((v) => v | 0) ?? null,
    bands: r.fp.bands,
    domains: r.fp.domains,
  }));
}

const FINGERPRINT_RECORDSET = `jsonb_to_recordset($1::jsonb) AS r(comment_id uuid, site_id uuid, thread text, created_at timestamptz,
  version int, text_hash int8, short boolean, minhash int4[], bands int8[], domains text[])`;

/** Stores fingerprints (intake), one statement for many; a comment's existing row is kept. */
export async function insertFingerprints(db: Executor, rows: readonly FingerprintInsert[]): Promise<void> {
  if (rows.length === 0) return;
  await clientOf(db).unsafe(
    `INSERT INTO comment_fingerprints (comment_id, site_id, thread, created_at, version, text_hash, short, minhash, bands, domains)
     SELECT comment_id, site_id, thread, created_at, version, text_hash, short, minhash, bands, domains FROM ${FINGERPRINT_RECORDSET}
     ON CONFLICT (comment_id) DO NOTHING`,
    [JSON.stringify(fingerprintRecords(rows))],
  );
}

type Client = Db["$client"];
/** postgres.js underneath a drizzle handle or transaction (both keep it as `session.client`). */
function clientOf(db: Executor): Client {
  if ("$client" in db) return db.$client;
  return (db as unknown as { session: { client: Client } }).session.client;
}

export interface CandidateRow extends CampaignCandidate {
  /** The batch comment this candidate was found for. */
  forId: string;
}

/**
 * Stored comments that may cluster with each of `rows`, in one statement: the batch's own
 * fingerprints are stored first if intake did not (comments from before this table), then per
 * comment, within `since`: the newest copies of the same normalized text installation-wide and on
 * its own site, texts sharing an LSH band, and decided-spam campaign members sharing a linked domain
 * that fewer than `rareDomainMax` comments outside campaigns link. A site that turned cross-site
 * signals off neither sees other sites' comments nor is seen by them.
 */
export async function findCampaignCandidates(
  db: Executor,
  rows: readonly FingerprintInsert[],
  params: { since: Date; perKind: number; rareDomainMax: number },
): Promise<CandidateRow[]> {
  if (rows.length === 0) return [];
  // Each branch limits on comment_fingerprints alone, then reads the few rows' labels: joined
  // before the LIMIT, the planner may hash-join all of `comments`.
  const cols = `f.comment_id, f.site_id, f.campaign_id, f.text_hash, f.minhash, f.created_at`;
  const visible = `(f.site_id = q.site_id OR (q.cross_site AND f.site_id <> ALL (q.closed)))`;
  const labelled = (inner: string, via: boolean) => `(SELECT x.comment_id::text, x.site_id::text, x.campaign_id::text, x.text_hash::text, x.minhash,
      coalesce(c.learned_label = 'spam', false) AS decided_spam, ${via} AS via_domain
    FROM (${inner}) AS x LEFT JOIN comments c ON c.id = x.comment_id)`;
  const result = await clientOf(db).unsafe<
    { for_id: string; comment_id: string; site_id: string; campaign_id: string | null; text_hash: string; minhash: number[] | null; decided_spam: boolean; via_domain: boolean }[]
  >(
    `WITH r AS (SELECT * FROM ${FINGERPRINT_RECORDSET}),
     ins AS (
       INSERT INTO comment_fingerprints (comment_id, site_id, thread, created_at, version, text_hash, short, minhash, bands, domains)
       SELECT comment_id, site_id, thread, created_at, version, text_hash, short, minhash, bands, domains FROM r
       ON CONFLICT (comment_id) DO NOTHING
     ),
     closed AS (SELECT coalesce(array_agg(id), '{}') AS ids FROM sites WHERE ${CROSS_SITE_SQL("sites")} IS FALSE),
     q AS (SELECT r.*, NOT (r.site_id = ANY (closed.ids)) AS cross_site, closed.ids AS closed FROM r, closed)
     SELECT q.comment_id::text AS for_id, m.* FROM q CROSS JOIN LATERAL (
       ${labelled(`SELECT ${cols} FROM comment_fingerprints f
          WHERE f.text_hash = q.text_hash AND f.created_at > $2 AND f.comment_id <> q.comment_id AND ${visible}
          ORDER BY f.created_at DESC LIMIT $3`, false)}
       UNION ALL
       ${labelled(`SELECT ${cols} FROM comment_fingerprints f
          WHERE f.site_id = q.site_id AND f.text_hash = q.text_hash AND f.created_at > $2 AND f.comment_id <> q.comment_id
          ORDER BY f.created_at DESC LIMIT $3`, false)}
       UNION ALL
       ${labelled(`SELECT ${cols} FROM comment_fingerprints f
          WHERE q.bands IS NOT NULL AND f.bands && q.bands AND f.bands IS NOT NULL AND f.text_hash <> q.text_hash
            AND f.created_at > $2 AND f.comment_id <> q.comment_id AND ${visible}
          ORDER BY f.created_at DESC LIMIT $3`, false)}
       UNION ALL
       -- Domain first: each of the comment's domains, the decided-spam campaign members linking it
       -- (the GIN on members' domains), and only when one is found, whether the domain is rare.
       (SELECT m.comment_id::text, m.site_id::text, m.campaign_id::text, m.text_hash::text, m.minhash, true, true
        FROM unnest(q.domains) AS d(domain)
        CROSS JOIN LATERAL (
          SELECT f.comment_id, f.site_id, f.campaign_id, f.text_hash, f.minhash
          FROM comment_fingerprints f JOIN comments c ON c.id = f.comment_id
          WHERE (CASE WHEN f.campaign_id IS NOT NULL THEN f.domains END) @> ARRAY[d.domain] AND f.domains <> '{}'
            AND c.learned_label = 'spam' AND f.created_at > $2 AND f.comment_id <> q.comment_id AND ${visible}
          LIMIT $3) AS m
        -- Refers to m so that it runs per member found, not for every domain of every comment.
        WHERE (SELECT count(*) FROM (
                 SELECT 1 FROM comment_fingerprints o
                 WHERE o.domains @> ARRAY[d.domain] AND o.domains <> '{}' AND o.campaign_id IS NULL AND o.created_at > $2
                   AND o.comment_id <> m.comment_id
                 LIMIT $4) AS outside) < $4
        LIMIT $3)
     ) m`,
    [JSON.stringify(fingerprintRecords(rows)), params.since.toISOString(), params.perKind, params.rareDomainMax],
  );
  return result.map((r) => ({
    forId: r.for_id,
    commentId: r.comment_id,
    siteId: r.site_id,
    campaignId: r.campaign_id,
    textHash: r.text_hash,
    minhash: r.minhash?.map((v) => v >>> 0) ?? null,
    decidedSpam: r.decided_spam,
    ...(r.via_domain ? { viaRareDomain: true } : {}),
  }));
}

/**
 * Writes one batch's assignment (new campaigns, merged campaigns folded into the one kept, members
 * set) and reads the counts of `campaignIds` afterwards, pipelined: one round trip. The counts
 * statement runs after the write on the same connection, so it sees the batch's own members.
 */
export async function writeCampaignAssignment(
  db: Executor,
  params: {
    created: string[];
    merged: { from: string; into: string }[];
    members: { commentId: string; campaignId: string }[];
  },
  campaignIds: readonly string[],
): Promise<CampaignSiteStats[]> {
  const client = clientOf(db);
  const pending: Promise<unknown>[] = [];
  if (params.created.length + params.merged.length + params.members.length > 0) {
    pending.push(
      client.unsafe(
        `WITH created AS (
           INSERT INTO campaigns (id) SELECT unnest($1::uuid[]) RETURNING id
         ),
         merged AS (
           UPDATE comment_fingerprints f SET campaign_id = m.keep
           FROM jsonb_to_recordset($2::jsonb) AS m(gone uuid, keep uuid)
           WHERE f.campaign_id = m.gone
           RETURNING f.comment_id
         ),
         members AS (
           UPDATE comment_fingerprints f SET campaign_id = m.campaign_id
           FROM jsonb_to_recordset($3::jsonb) AS m(comment_id uuid, campaign_id uuid), (SELECT count(*) FROM created) AS force_created
           WHERE f.comment_id = m.comment_id
           RETURNING f.comment_id
         )
         SELECT (SELECT count(*) FROM merged) + (SELECT count(*) FROM members) AS n`,
        [
          params.created,
          JSON.stringify(params.merged.map((m) => ({ gone: m.from, keep: m.into }))),
          JSON.stringify(params.members.map((m) => ({ comment_id: m.commentId, campaign_id: m.campaignId }))),
        ],
      ).execute(),
    );
  }
  // Merged-away campaigns have no members left; a statement of its own because a data-modifying
  // CTE cannot see the rows its siblings changed.
  if (params.merged.length > 0) pending.push(client.unsafe(`DELETE FROM campaigns WHERE id = ANY ($1::uuid[])`, [params.merged.map((m) => m.from)]).execute());
  // postgres.js sends a query once it is executed (or awaited): the writes above went first.
  const stats = campaignSiteStats(db, campaignIds);
  await Promise.all(pending);
  return stats;
}

/** Stores each scored comment's campaign and repeat facts (`comments.signals`), one statement. */
export async function writeCampaignSignals(db: Executor, signals: readonly { commentId: string; signals: unknown }[]): Promise<void> {
  if (signals.length === 0) return;
  await clientOf(db).unsafe(
    `UPDATE comments c SET signals = s.signals
     FROM jsonb_to_recordset($1::jsonb) AS s(comment_id uuid, signals jsonb)
     WHERE c.id = s.comment_id`,
    [JSON.stringify(signals.map((s) => ({ comment_id: s.commentId, signals: s.signals })))],
  );
}

/** Per campaign and site: members, threads, first and last seen, decided labels. */
export interface CampaignSiteStats {
  campaignId: string;
  siteId: string;
  size: number;
  threads: number;
  firstSeen: Date;
  lastSeen: Date;
  decidedSpam: number;
  decidedHam: number;
}

export async function campaignSiteStats(db: Executor, campaignIds: readonly string[]): Promise<CampaignSiteStats[]> {
  if (campaignIds.length === 0) return [];
  const rows = await clientOf(db).unsafe<
    { campaign_id: string; site_id: string; size: string; threads: string; first_seen: Date; last_seen: Date; spam: string; ham: string }[]
  >(
    `SELECT f.campaign_id::text, f.site_id::text, count(*) AS size, count(DISTINCT f.thread) AS threads,
            min(f.created_at) AS first_seen, max(f.created_at) AS last_seen,
            count(*) FILTER (WHERE c.learned_label = 'spam') AS spam, count(*) FILTER (WHERE c.learned_label = 'ham') AS ham
     FROM comment_fingerprints f JOIN comments c ON c.id = f.comment_id
     WHERE f.campaign_id = ANY ($1::uuid[])
     GROUP BY f.campaign_id, f.site_id`,
    [campaignIds],
  );
  return rows.map((r) => ({
    campaignId: r.campaign_id,
    siteId: r.site_id,
    size: Number(r.size),
    threads: Number(r.threads),
    firstSeen: new Date(r.first_seen),
    lastSeen: new Date(r.last_seen),
    decidedSpam: Number(r.spam),
    decidedHam: Number(r.ham),
  }));
}

/** Ids of the campaigns with members on `siteId`, most recently active first. */
export async function listSiteCampaignIds(db: Executor, params: { siteId: string; limit: number; beforeSeen?: Date }): Promise<string[]> {
  const rows = await clientOf(db).unsafe<{ campaign_id: string }[]>(
    `SELECT f.campaign_id::text FROM comment_fingerprints f
     WHERE f.site_id = $1 AND f.campaign_id IS NOT NULL
     GROUP BY f.campaign_id
     HAVING ($3::timestamptz IS NULL OR max(f.created_at) < $3)
     ORDER BY max(f.created_at) DESC, f.campaign_id LIMIT $2`,
    [params.siteId, params.limit, params.beforeSeen?.toISOString() ?? null],
  );
  return rows.map((r) => r.campaign_id);
}

/** This site's members of a campaign, newest first (never another site's rows). */
export async function listSiteMembers(db: Executor, params: { campaignId: string; siteId: string; limit: number }): Promise<CommentRow["id"][]> {
  const rows = await clientOf(db).unsafe<{ comment_id: string }[]>(
    `SELECT comment_id::text FROM comment_fingerprints
     WHERE campaign_id = $1 AND site_id = $2 ORDER BY created_at DESC, comment_id LIMIT $3`,
    [params.campaignId, params.siteId, params.limit],
  );
  return rows.map((r) => r.comment_id);
}

/**
 * Takes the assignment lock for the transaction, and in the same statement turns off for it:
 * - JIT: the planner prices the per-comment lateral lookups over a 100-row recordset estimate
 *   above `jit_above_cost`, and compiling them cost ~230 ms per batch where executing took a few;
 * - the commit's wait for its WAL flush (a few ms held under the lock per batch): the verdict write
 *   that follows is a synchronous commit, and its flush covers this earlier WAL, so a crash cannot
 *   keep a verdict whose campaign was lost (and the fingerprints themselves were stored at intake).
 */
export async function lockCampaigns(tx: Executor): Promise<void> {
  await clientOf(tx).unsafe(`SELECT set_config('jit', 'off', true), set_config('synchronous_commit', 'off', true), pg_advisory_xact_lock($1)`, [CAMPAIGN_LOCK_KEY]);
}

/**
 * The lock, then the candidates, pipelined (one round trip): Postgres runs them in order, and the
 * candidates statement takes its snapshot after the lock is granted, so it sees every assignment
 * committed before it (READ COMMITTED: one snapshot per statement).
 */
export async function lockAndFindCandidates(
  tx: Executor,
  rows: readonly FingerprintInsert[],
  params: { since: Date; perKind: number; rareDomainMax: number },
): Promise<CandidateRow[]> {
  const [, found] = await Promise.all([lockCampaigns(tx), findCampaignCandidates(tx, rows, params)]);
  return found;
}

/**
 * Deletes up to `limit` fingerprints older than `before` (the created_at index): rows outside any
 * campaign, and members of campaigns with no member left inside the window, so a campaign still
 * active keeps all its members for the console and the API. Then the campaigns it emptied.
 * Returns the fingerprints deleted.
 */
export async function purgeFingerprints(db: Executor, params: { before: Date; limit: number }): Promise<number> {
  const client = clientOf(db);
  const gone = await client.unsafe<{ campaign_id: string | null }[]>(
    `DELETE FROM comment_fingerprints d WHERE d.comment_id IN (
       SELECT f.comment_id FROM comment_fingerprints f
       WHERE f.created_at < $1
         AND (f.campaign_id IS NULL OR NOT EXISTS (
           SELECT 1 FROM comment_fingerprints n WHERE n.campaign_id = f.campaign_id AND n.created_at >= $1))
       ORDER BY f.created_at LIMIT $2)
     RETURNING d.campaign_id::text`,
    [params.before.toISOString(), params.limit],
  );
  const campaignIds = [...new Set(gone.map((r) => r.campaign_id).filter((id): id is string => id !== null))];
  if (campaignIds.length > 0) {
    await client.unsafe(
      `DELETE FROM campaigns k WHERE k.id = ANY ($1::uuid[]) AND NOT EXISTS (SELECT 1 FROM comment_fingerprints m WHERE m.campaign_id = k.id)`,
      [campaignIds],
    );
  }
  return gone.length;
}
