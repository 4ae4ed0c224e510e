import { randomUUID } from "node:crypto";
import { DEFAULT_MIN_JACCARD, FINGERPRINT_VERSION, fingerprint, matchCandidates, type CampaignCandidate } from "../classifier/index.js";
import { createBatcher } from "../db/batch.js";
import type { Db, Executor } from "../db/client.js";
import {
  campaignSiteStats,
  insertFingerprints,
  listSiteCampaignIds,
  listSiteMembers,
  lockAndFindCandidates,
  purgeFingerprints,
  writeCampaignAssignment,
  writeCampaignSignals,
  type CampaignSiteStats,
  type FingerprintInsert,
} from "../db/queries/campaigns.js";
import { findSiteComment } from "../db/queries/comments.js";
import type { CampaignFacts, CommentRow, CommentSignals, ConsoleActionRow, SiteRow } from "../db/schema.js";
import { campaignSettingsOf } from "./campaign-settings.js";
import { decideAsAction, MAX_ACTION_COMMENTS, undoAction } from "./undo.js";

export interface CampaignOptions {
  /** Estimated Jaccard at or above which two texts are near-duplicates. */
  minJaccard: number;
  /** Only comments of the last N days cluster (and count as seen before). */
  windowDays: number;
}

export const DEFAULT_CAMPAIGN_OPTIONS: CampaignOptions = { minJaccard: DEFAULT_MIN_JACCARD, windowDays: 7 };

/**
 * Candidates read per comment and per kind (same text, same text on the site, LSH band, domain):
 * every member of a campaign carries its id, so the newest few copies name it; a cap keeps a text
 * posted 100,000 times from costing 100,000 rows.
 */
const CANDIDATES_PER_KIND = 20;
/**
 * A linked domain is "rare" when fewer than this many comments outside any campaign link it in the
 * window: a spammer's own domain, not youtube.com, which ham links every day.
 */
const RARE_DOMAIN_MAX = 20;

type FingerprintSource = Pick<CommentRow, "id" | "siteId" | "thread" | "content" | "createdAt">;

function fingerprintRow(c: FingerprintSource): FingerprintInsert {
  return { commentId: c.id, siteId: c.siteId, thread: c.thread, createdAt: c.createdAt, version: FINGERPRINT_VERSION, fp: fingerprint(c.content) };
}

/** Intake's hook: fingerprints stored comments, one statement for all of them. */
export async function storeFingerprints(db: Executor, comments: readonly FingerprintSource[]): Promise<void> {
  await insertFingerprints(db, comments.map(fingerprintRow));
}

/** A tiny union-find over string keys (comments `c:` and campaigns `k:`). */
class Components {
  private parent = new Map<string, string>();
  find(x: string): string {
    let root = x;
    for (let p = this.parent.get(root); p !== undefined && p !== root; p = this.parent.get(root)) root = p;
    this.parent.set(x, root);
    return root;
  }
  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(rb, ra);
  }
  keys(): string[] {
    return [...this.parent.keys()];
  }
}

/** What one comment's site may know of its campaign: its own site's counts plus counts of the others. */
export function factsFor(campaignId: string, viewerSiteId: string, stats: readonly CampaignSiteStats[], crossSite: boolean): CampaignFacts {
  const rows = stats.filter((s) => s.campaignId === campaignId && (crossSite || s.siteId === viewerSiteId));
  const facts: CampaignFacts = {
    id: campaignId,
    size: 0,
    sites: rows.length,
    otherSites: rows.filter((s) => s.siteId !== viewerSiteId).length,
    threads: 0,
    firstSeen: "",
    lastSeen: "",
    decidedSpam: 0,
    decidedHam: 0,
  };
  let first = Infinity;
  let last = -Infinity;
  for (const s of rows) {
    facts.size += s.size;
    facts.threads += s.threads;
    facts.decidedSpam += s.decidedSpam;
    facts.decidedHam += s.decidedHam;
    first = Math.min(first, s.firstSeen.getTime());
    last = Math.max(last, s.lastSeen.getTime());
  }
  if (rows.length > 0) {
    facts.firstSeen = new Date(first).toISOString();
    facts.lastSeen = new Date(last).toISOString();
  }
  return facts;
}

/** "seen 14 times on 3 sites in 24 h": what a moderator reads beside the verdict. */
export function explainCampaign(facts: Pick<CampaignFacts, "size" | "sites" | "otherSites" | "firstSeen" | "lastSeen">): string {
  const hours = Math.max(1, Math.ceil((Date.parse(facts.lastSeen) - Date.parse(facts.firstSeen)) / 3_600_000));
  const span = hours <= 48 ? `${hours} h` : `${Math.ceil(hours / 24)} days`;
  const sites = facts.sites === 1 ? "1 site" : `${facts.sites} sites`;
  const others = facts.otherSites > 0 ? ` (${facts.otherSites === 1 ? "1 other site" : `${facts.otherSites} other sites`})` : "";
  return `seen ${facts.size} times on ${sites}${others} in ${span}`;
}

/**
 * Each comment's candidates among the comments of its own batch that came before it: the same text
 * or a shared LSH band (matchCandidates then checks the Jaccard estimate), as the candidates
 * statement would return them, and under its visibility rule (the same site, or two sites that
 * both share cross-site signals). The statement cannot return them itself when their fingerprints
 * are stored by it (intake's batches leave that to the assignment): its lookups do not see rows its
 * own INSERT adds. Batch-mates are undecided and in no campaign yet, so no rare-domain match.
 */
function batchMates(rows: readonly FingerprintInsert[], comments: readonly { crossSite?: boolean }[]): Map<string, CampaignCandidate[]> {
  const out = new Map<string, CampaignCandidate[]>();
  if (rows.length < 2) return out;
  const byKey = new Map<string, number[]>();
  rows.forEach((row, i) => {
    const keys = [`h:${row.fp.textHash}`, ...(row.fp.bands ?? []).map((b) => `b:${b}`)];
    const earlier = new Set<number>();
    for (const key of keys) for (const j of byKey.get(key) ?? []) earlier.add(j);
    const crossSite = comments[i]?.crossSite !== false;
    const candidates: CampaignCandidate[] = [];
    for (const j of [...earlier].sort((x, y) => x - y)) {
      const mate = rows[j]!;
      if (mate.siteId !== row.siteId && !(crossSite && comments[j]?.crossSite !== false)) continue;
      candidates.push({ commentId: mate.commentId, siteId: mate.siteId, campaignId: null, textHash: mate.fp.textHash, minhash: mate.fp.minhash, decidedSpam: false });
    }
    if (candidates.length > 0) out.set(row.commentId, candidates);
    for (const key of keys) {
      const list = byKey.get(key);
      if (list) list.push(i);
      else byKey.set(key, [i]);
    }
  });
  return out;
}

/**
 * Finds each comment's campaign and whether its site saw the same text lately, for a whole batch
 * at once, and stores the result as the comments' `signals` (read back by `featuresOf`). Under one
 * advisory lock, in one transaction: the candidates (one statement, which also stores any missing
 * fingerprint, pipelined behind the lock), then the assignment and the campaigns' counts
 * (pipelined); the signals after the commit.
 *
 * Comments of one batch see each other (`batchMates`), whether or not intake stored their
 * fingerprints before they were queued.
 * When a comment links two campaigns, the two become one.
 */
export async function assignCampaigns(
  db: Db,
  comments: readonly (FingerprintSource & { crossSite?: boolean })[],
  options: CampaignOptions = DEFAULT_CAMPAIGN_OPTIONS,
  now: Date = new Date(),
  /** false: the caller stores the signals itself (the scorer, with the verdict: one row update, not two). */
  storeSignals = true,
): Promise<Map<string, CommentSignals>> {
  const out = new Map<string, CommentSignals>();
  if (comments.length === 0) return out;
  const rows = comments.map(fingerprintRow);
  const since = new Date(now.getTime() - options.windowDays * 86_400_000);
  // Under the lock: candidates, then the assignment and the counts (two round trips, plus BEGIN and
  // COMMIT). The signals are written after the lock is released: no other batch reads them.
  const signals: { commentId: string; signals: CommentSignals }[] = [];
  await db.transaction(async (tx) => {
    const found = await lockAndFindCandidates(tx, rows, { since, perKind: CANDIDATES_PER_KIND, rareDomainMax: RARE_DOMAIN_MAX });
    const byComment = new Map<string, CampaignCandidate[]>();
    for (const c of found) {
      let list = byComment.get(c.forId);
      if (!list) byComment.set(c.forId, (list = []));
      list.push(c);
    }

    const components = new Components();
    const campaignOf = new Map<string, string | null>();
    const seenBefore = new Set<string>();
    const mates = batchMates(rows, comments);
    for (const row of rows) {
      const candidates = [...(byComment.get(row.commentId) ?? []), ...(mates.get(row.commentId) ?? [])];
      const { matches, seenBefore: seen } = matchCandidates(row.fp, row.siteId, candidates, options.minJaccard);
      if (seen) seenBefore.add(row.commentId);
      components.find(`c:${row.commentId}`);
      for (const m of matches) {
        campaignOf.set(m.commentId, m.campaignId);
        components.union(`c:${row.commentId}`, `c:${m.commentId}`);
        if (m.campaignId) components.union(`c:${m.commentId}`, `k:${m.campaignId}`);
      }
    }

    // Each component of two or more nodes is one campaign: the existing one (the smallest id when
    // several meet, the others merged into it) or a new one.
    const groups = new Map<string, string[]>();
    for (const key of components.keys()) {
      const root = components.find(key);
      let g = groups.get(root);
      if (!g) groups.set(root, (g = []));
      g.push(key);
    }
    const created: string[] = [];
    const merged: { from: string; into: string }[] = [];
    const members: { commentId: string; campaignId: string }[] = [];
    const assigned = new Map<string, string>();
    for (const keys of groups.values()) {
      if (keys.length < 2) continue;
      const existing = [...new Set(keys.filter((k) => k.startsWith("k:")).map((k) => k.slice(2)))].sort();
      let id = existing[0];
      if (id === undefined) created.push((id = randomUUID()));
      for (const other of existing.slice(1)) merged.push({ from: other, into: id });
      for (const key of keys) {
        if (!key.startsWith("c:")) continue;
        const commentId = key.slice(2);
        assigned.set(commentId, id);
        // A member of a campaign merged into this one moves with the merge (one write per row).
        const current = campaignOf.get(commentId);
        if (current !== id && !(current && existing.includes(current))) members.push({ commentId, campaignId: id });
      }
    }

    const campaignIds = [...new Set(rows.map((r) => assigned.get(r.commentId)).filter((id): id is string => id !== undefined))];
    // Counts include this batch's own writes, so the assignment goes first.
    const stats = await writeCampaignAssignment(tx, { created, merged, members }, campaignIds);
    for (const [i, row] of rows.entries()) {
      const campaignId = assigned.get(row.commentId);
      const s: CommentSignals = {};
      if (seenBefore.has(row.commentId)) s.seenBefore = true;
      if (campaignId) s.campaign = factsFor(campaignId, row.siteId, stats, comments[i]?.crossSite !== false);
      out.set(row.commentId, s);
      // Nothing to say is left unwritten: a null `signals` reads the same, and most batches skip this write.
      if (s.seenBefore || s.campaign) signals.push({ commentId: row.commentId, signals: s });
    }
  });
  if (storeSignals) await writeCampaignSignals(db, signals);
  return out;
}

/**
 * The scorer's hook: comments scored at once are assigned together, and one batch at a time per
 * process. Assignment serializes on its lock anyway; with batches in parallel, each small one held
 * a pooled connection while it waited, and the verdict reads and writes starved behind them
 * (BENCHMARKS.md, "Campaigns": the drain at 0.07x raw). Jobs that arrive meanwhile wait and go as
 * the next batch. The signals are not written here: the scorer stores them with the verdict.
 */
export function createCampaignBatcher(db: Db, options: CampaignOptions, opts: { maxSize: number; windowMs: number }) {
  return createBatcher<FingerprintSource & { crossSite: boolean }, CommentSignals | null>(
    async (rows) => {
      const found = await assignCampaigns(db, rows, options, new Date(), false);
      return rows.map((r) => found.get(r.id) ?? null);
    },
    { ...opts, maxInFlight: 1 },
  );
}

/** The campaign as `site` may see it, or undefined when none of its members is the site's. */
export async function siteCampaign(db: Executor, site: Pick<SiteRow, "id" | "settings">, campaignId: string): Promise<CampaignFacts | undefined> {
  const stats = await campaignSiteStats(db, [campaignId]);
  if (!stats.some((s) => s.siteId === site.id)) return undefined;
  return factsFor(campaignId, site.id, stats, campaignSettingsOf(site.settings).crossSite);
}

/**
 * The campaign as `site` may see it, with the site's own share (members, threads, decided labels):
 * the console's campaign page. Undefined when none of its members is the site's.
 */
export async function siteCampaignDetail(
  db: Executor,
  site: Pick<SiteRow, "id" | "settings">,
  campaignId: string,
): Promise<{ facts: CampaignFacts; here: CampaignSiteStats } | undefined> {
  const stats = await campaignSiteStats(db, [campaignId]);
  const here = stats.find((s) => s.siteId === site.id);
  if (!here) return undefined;
  return { facts: factsFor(campaignId, site.id, stats, campaignSettingsOf(site.settings).crossSite), here };
}

/** The site's campaigns, most recently active first, with their counts (two statements). */
export async function listSiteCampaigns(
  db: Executor,
  site: Pick<SiteRow, "id" | "settings">,
  params: { limit: number; beforeSeen?: Date },
): Promise<CampaignFacts[]> {
  const ids = await listSiteCampaignIds(db, { siteId: site.id, limit: params.limit, ...(params.beforeSeen ? { beforeSeen: params.beforeSeen } : {}) });
  const stats = await campaignSiteStats(db, ids);
  const crossSite = campaignSettingsOf(site.settings).crossSite;
  return ids.map((id) => factsFor(id, site.id, stats, crossSite));
}

/** Most members one campaign action decides: the console's bound for one action. */
export const MAX_ACTION_MEMBERS = MAX_ACTION_COMMENTS;

/** The site's own members of a campaign (full rows; other sites' members are never read here). */
export async function siteMembers(db: Db, siteId: string, campaignId: string, limit: number): Promise<CommentRow[]> {
  const ids = await listSiteMembers(db, { campaignId, siteId, limit });
  const rows = await Promise.all(ids.map((id) => findSiteComment(db, siteId, id)));
  return rows.filter((r): r is CommentRow => r !== undefined);
}

/**
 * Decides every one of the site's members of a campaign in one action: the console's action
 * (`decideAsAction`), so the API, the console's campaign page and its Undo share one path. Each
 * member is learned as an individual decision; the action remembers what each was before.
 */
export async function decideCampaign(
  db: Db,
  params: { siteId: string; campaignId: string; label: "spam" | "ham"; note?: string | null; actor: string },
): Promise<{ action: ConsoleActionRow; decided: number; comments: CommentRow[] } | undefined> {
  const ids = await listSiteMembers(db, { campaignId: params.campaignId, siteId: params.siteId, limit: MAX_ACTION_MEMBERS });
  if (ids.length === 0) return undefined;
  const { action, comments } = await decideAsAction(db, { ...params, commentIds: ids });
  return { action, decided: comments.length, comments };
}

export type CampaignUndoOutcome =
  | { outcome: "undone"; reverted: number; skipped: number }
  | { outcome: "already-undone" }
  | { outcome: "expired" }
  | { outcome: "missing" };

/**
 * Undoes a campaign action exactly (`undoAction`): each member gets back its earlier status and
 * what it had taught the model; a member decided again since keeps that later decision.
 */
export async function undoCampaignAction(db: Db, params: { siteId: string; campaignId: string; actionId: string; actor?: string }): Promise<CampaignUndoOutcome> {
  const out = await undoAction(db, { siteId: params.siteId, actionId: params.actionId, actor: params.actor ?? "moderator", campaignId: params.campaignId });
  if (out.outcome !== "undone") return out;
  return { outcome: "undone", reverted: out.restored.length, skipped: out.skipped.length };
}

/** Fingerprints deleted per purge round: at the sweep's 5 s, 2,000/s, past any intake rate measured here. */
export const PURGE_BATCH = 10_000;

/**
 * Deletes fingerprints older than the campaign window (one batch; the sweep calls it every round):
 * nothing older clusters or counts as seen before. Members of a campaign still active stay.
 */
export async function purgeOldFingerprints(db: Executor, windowDays: number, now: Date = new Date(), limit = PURGE_BATCH): Promise<number> {
  return purgeFingerprints(db, { before: new Date(now.getTime() - windowDays * 86_400_000), limit });
}
