import type { CampaignCandidate, Fingerprint } from "../../classifier/index.js";
import type { Db, Executor } from "../client.js";
import type { CommentRow } from "../schema.js";

/**
 * Serializes campaign assignment: two workers never create two campaigns for one cluster. A
 * transaction that changes a member's label takes it shared at its commit (the trigger of
 * migrations/0015, which spells the number out: change both together).
 */
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

/** The candidates statement (exported for the bench's EXPLAIN). Parameters: `candidateParams`. */
export function candidatesSql(limits: { perKind: number; rareDomainMax: number }): string {
  // The limits are written into the text, not sent as parameters: constants of the statement, which
  // the planner then sees (lockCampaigns asks for custom plans anyway: see there).
  const perKind = Math.trunc(limits.perKind);
  const rareMax = Math.trunc(limits.rareDomainMax);
  // The branches read comment_fingerprints alone and limit; the few rows found then get their
  // campaign (campaign_members) and, for non-members, their label (comments): joined before the
  // LIMIT, the planner may hash-join all of `comments`.
  const cols = `f.comment_id, f.site_id, f.text_hash, f.minhash, f.created_at`;
  const visible = (a: string) => `(${a}.site_id = q.site_id OR (q.cross_site AND ${a}.site_id <> ALL (q.closed)))`;
  return `WITH r AS (SELECT * FROM ${FINGERPRINT_RECORDSET}),
     ins AS (
       INSERT INTO comment_fingerprints (comment_id, site_id, thread, created_at, version, text_hash, short, minhash, bands, domains)
       SELECT comment_id, site_id, thread, created_at, version, text_hash, short, minhash, bands, domains FROM r
       ON CONFLICT (comment_id) DO NOTHING
     ),
     closed AS (SELECT coalesce(array_agg(id), '{}') AS ids FROM sites WHERE ${CROSS_SITE_SQL("sites")} IS FALSE),
     q AS (SELECT r.*, NOT (r.site_id = ANY (closed.ids)) AS cross_site, closed.ids AS closed FROM r, closed)
     SELECT q.comment_id::text AS for_id, x.comment_id::text, x.site_id::text, k.campaign_id::text, x.text_hash::text, x.minhash,
            coalesce(coalesce(k.label, c.learned_label) = 'spam', false) AS decided_spam, x.via_domain
     FROM q CROSS JOIN LATERAL (
       WITH same AS MATERIALIZED (
         SELECT ${cols} FROM comment_fingerprints f
         WHERE f.text_hash = q.text_hash AND f.created_at > $2 AND f.comment_id <> q.comment_id AND ${visible("f")}
         ORDER BY f.created_at DESC LIMIT ${perKind})
       SELECT *, false AS via_domain FROM same
       UNION ALL
       -- The site's own copies only when the installation's newest filled the limit (otherwise
       -- they are all among them already), and only for what they can still tell: seen before
       -- (none of the site's among them), or a short text's decided copies.
       (SELECT ${cols}, false FROM comment_fingerprints f
        WHERE (SELECT count(*) FROM same) >= ${perKind}
          AND (q.short AND q.domains = '{}' OR NOT EXISTS (SELECT 1 FROM same WHERE same.site_id = q.site_id))
          AND f.site_id = q.site_id AND f.text_hash = q.text_hash AND f.created_at > $2 AND f.comment_id <> q.comment_id
        ORDER BY f.created_at DESC LIMIT ${perKind})
       UNION ALL
       -- Near-duplicates, unless a copy of the text is already a campaign member: that copy's own
       -- lookup joined what the text is near to, and what came near since found the copy. Without
       -- this, every copy of a text read all the stored copies of the texts near it (each shares
       -- their bands), a lookup that grew with the copies stored (BENCHMARKS.md, "Campaigns",
       -- session 4). Newest first: a campaign's copies are recent, the false band matches are not.
       (SELECT ${cols}, false FROM comment_fingerprints f
        WHERE q.bands IS NOT NULL AND NOT EXISTS (SELECT 1 FROM same JOIN campaign_members k ON k.comment_id = same.comment_id)
          AND f.bands && q.bands AND f.bands IS NOT NULL AND f.text_hash <> q.text_hash
          AND f.created_at > $2 AND f.comment_id <> q.comment_id AND ${visible("f")}
        ORDER BY f.created_at DESC LIMIT ${perKind})
       UNION ALL
       -- Domain first: each of the comment's domains, the decided-spam members linking it (a GIN
       -- on those members alone), and only when one is found, whether the domain is rare.
       (SELECT f.comment_id, f.site_id, f.text_hash, f.minhash, f.created_at, true
        FROM unnest(q.domains) AS d(domain)
        CROSS JOIN LATERAL (
          SELECT s.comment_id FROM campaign_members s
          WHERE s.label = 'spam' AND s.domains <> '{}' AND s.domains @> ARRAY[d.domain]
            AND s.created_at > $2 AND s.comment_id <> q.comment_id AND ${visible("s")}
          LIMIT ${perKind}) AS s
        JOIN comment_fingerprints f ON f.comment_id = s.comment_id
        -- Refers to s so that it runs per member found, not for every domain of every comment.
        WHERE (SELECT count(*) FROM (
                 SELECT 1 FROM comment_fingerprints o
                 WHERE o.domains @> ARRAY[d.domain] AND o.domains <> '{}' AND o.created_at > $2 AND o.comment_id <> s.comment_id
                   AND NOT EXISTS (SELECT 1 FROM campaign_members n WHERE n.comment_id = o.comment_id)
                 LIMIT ${rareMax}) AS outside) < ${rareMax}
        LIMIT ${perKind})
     ) x
     -- LIMIT 1 keeps these per row (a subquery with a LIMIT is not pulled up into the join): as a
     -- plain join, the planner hash-joined all of comments once its statistics went stale.
     LEFT JOIN LATERAL (SELECT campaign_id, label FROM campaign_members WHERE comment_id = x.comment_id LIMIT 1) k ON true
     LEFT JOIN LATERAL (SELECT learned_label FROM comments WHERE id = x.comment_id AND k.campaign_id IS NULL LIMIT 1) c ON true`;
}

export function candidateParams(rows: readonly FingerprintInsert[], params: { since: Date }) {
  return [JSON.stringify(fingerprintRecords(rows)), params.since.toISOString()];
}

/** One statement text per pair of limits (in practice one: comments/campaigns.ts's constants). */
const candidateStatements = new Map<string, string>();
function candidatesStatement(limits: { perKind: number; rareDomainMax: number }): string {
  const key = `${limits.perKind}/${limits.rareDomainMax}`;
  let text = candidateStatements.get(key);
  if (text === undefined) candidateStatements.set(key, (text = candidatesSql(limits)));
  return text;
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
  const result = await clientOf(db).unsafe<
    { for_id: string; comment_id: string; site_id: string; campaign_id: string | null; text_hash: string; minhash: number[] | null; decided_spam: boolean; via_domain: boolean }[]
  >(candidatesStatement(params), candidateParams(rows, params));
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
           UPDATE campaign_members k SET campaign_id = m.keep
           FROM jsonb_to_recordset($2::jsonb) AS m(gone uuid, keep uuid)
           WHERE k.campaign_id = m.gone
           RETURNING k.comment_id
         ),
         -- A new member carries what its campaign's counts read (site, thread, time, label), and its
         -- domains for the rare-domain lookup.
         members AS (
           INSERT INTO campaign_members (comment_id, campaign_id, site_id, thread, created_at, domains, label)
           SELECT f.comment_id, m.campaign_id, f.site_id, f.thread, f.created_at, f.domains, c.learned_label
           FROM jsonb_to_recordset($3::jsonb) AS m(comment_id uuid, campaign_id uuid)
             JOIN comment_fingerprints f ON f.comment_id = m.comment_id
             JOIN comments c ON c.id = m.comment_id,
             (SELECT count(*) FROM created) AS force_created
           ON CONFLICT (comment_id) DO UPDATE SET campaign_id = EXCLUDED.campaign_id
           RETURNING comment_id
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
  // CTE cannot see the rows its siblings changed (its cascade would take their members too).
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
    `SELECT k.campaign_id::text, k.site_id::text, count(*) AS size, count(DISTINCT k.thread) AS threads,
            min(k.created_at) AS first_seen, max(k.created_at) AS last_seen,
            count(*) FILTER (WHERE k.label = 'spam') AS spam, count(*) FILTER (WHERE k.label = 'ham') AS ham
     FROM campaign_members k
     WHERE k.campaign_id = ANY ($1::uuid[])
     GROUP BY k.campaign_id, k.site_id`,
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
    `SELECT k.campaign_id::text FROM campaign_members k
     WHERE k.site_id = $1
     GROUP BY k.campaign_id
     HAVING ($3::timestamptz IS NULL OR max(k.created_at) < $3)
     ORDER BY max(k.created_at) DESC, k.campaign_id LIMIT $2`,
    [params.siteId, params.limit, params.beforeSeen?.toISOString() ?? null],
  );
  return rows.map((r) => r.campaign_id);
}

/** This site's members of a campaign, newest first (never another site's rows). */
export async function listSiteMembers(db: Executor, params: { campaignId: string; siteId: string; limit: number }): Promise<CommentRow["id"][]> {
  const rows = await clientOf(db).unsafe<{ comment_id: string }[]>(
    `SELECT comment_id::text FROM campaign_members
     WHERE campaign_id = $1 AND site_id = $2 ORDER BY created_at DESC, comment_id LIMIT $3`,
    [params.campaignId, params.siteId, params.limit],
  );
  return rows.map((r) => r.comment_id);
}

/**
 * Takes the assignment lock for the transaction, and in the same statement turns off for it:
 * - JIT: the planner prices the per-comment lateral lookups over a 100-row recordset estimate
 *   above `jit_above_cost`, and compiling them cost ~230 ms per batch where executing took a few;
 * - generic plans: after five runs of a prepared statement Postgres may switch to its generic
 *   plan, and the candidates statement's generic plan ran 2-4x slower at 1M stored comments than
 *   its custom plans, even with the limits written into the text (BENCHMARKS.md, "Campaigns",
 *   session 4); planning costs ~3 ms a statement, which a single-comment call pays;
 * - the commit's wait for its WAL flush (a few ms held under the lock per batch): the verdict write
 *   that follows is a synchronous commit, and its flush covers this earlier WAL, so a crash cannot
 *   keep a verdict whose campaign was lost (and the fingerprints themselves were stored at intake).
 */
export async function lockCampaigns(tx: Executor): Promise<void> {
  await clientOf(tx).unsafe(
    `SELECT set_config('jit', 'off', true), set_config('synchronous_commit', 'off', true), set_config('plan_cache_mode', 'force_custom_plan', true), pg_advisory_xact_lock($1)`,
    [CAMPAIGN_LOCK_KEY],
  );
}

/**
 * The lock, then the candidates, pipelined (one round trip): Postgres runs them in order, and the
 * candidates statement takes its snapshot after the lock is granted, so it sees every assignment
 * committed before it (READ COMMITTED: one snapshot per statement), and every decision's label
 * (decisions commit under the lock shared). The lock comes before any row lock, and nothing here
 * waits for a decision's comment rows (the fingerprint INSERT's FOR KEY SHARE does not conflict
 * with their FOR NO KEY UPDATE): a decision waits for the lock holding them.
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
    `WITH old AS (
       SELECT f.comment_id, k.campaign_id FROM comment_fingerprints f LEFT JOIN campaign_members k ON k.comment_id = f.comment_id
       WHERE f.created_at < $1
         AND (k.campaign_id IS NULL OR NOT EXISTS (
           SELECT 1 FROM campaign_members n WHERE n.campaign_id = k.campaign_id AND n.created_at >= $1))
       ORDER BY f.created_at LIMIT $2),
     deleted AS (DELETE FROM comment_fingerprints d USING old WHERE d.comment_id = old.comment_id RETURNING d.comment_id)
     SELECT old.campaign_id::text FROM old JOIN deleted USING (comment_id)`,
    [params.before.toISOString(), params.limit],
  );
  const campaignIds = [...new Set(gone.map((r) => r.campaign_id).filter((id): id is string => id !== null))];
  if (campaignIds.length > 0) {
    await client.unsafe(
      `DELETE FROM campaigns k WHERE k.id = ANY ($1::uuid[]) AND NOT EXISTS (SELECT 1 FROM campaign_members m WHERE m.campaign_id = k.id)`,
      [campaignIds],
    );
  }
  return gone.length;
}
