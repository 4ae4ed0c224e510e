/**
 * A person's data on one site, found by author e-mail, author URL or IP: exported as JSON, or erased
 * (deleted and unlearned in one transaction, and recorded without the values that matched).
 */
import type { Db, Executor } from "../db/client.js";
import { lockModelShared } from "../db/queries/model.js";
import { findPersonComments, insertErasure, listAkismetChecksOf, listDecisionsOf, type PersonValues } from "../db/queries/privacy.js";
import { findSiteById } from "../db/queries/sites.js";
import type { SiteRow } from "../db/schema.js";
import { forgetComments } from "./forget.js";
import { emailKey, hashEmail } from "./privacy-settings.js";
import { SiteNotFoundError } from "./sites.js";

/** Who to find: any comment matching at least one of the given fields (at least one is required). */
export interface PersonMatch {
  email?: string;
  url?: string;
  ip?: string;
}

export class EmptyMatchError extends Error {
  constructor() {
    super("give at least one of email, url or ip");
  }
}

export type MatchField = "email" | "url" | "ip";

function matchedOn(match: PersonMatch): MatchField[] {
  const fields: MatchField[] = [];
  if (match.email !== undefined && match.email.trim() !== "") fields.push("email");
  if (match.url !== undefined && match.url.trim() !== "") fields.push("url");
  if (match.ip !== undefined && match.ip.trim() !== "") fields.push("ip");
  if (fields.length === 0) throw new EmptyMatchError();
  return fields;
}

/**
 * The stored values to look for. An e-mail is looked for both as given and hashed with the
 * installation's key (a site may have switched hashing on after storing plain addresses); a URL and
 * an IP as given (on a site that truncates addresses, pass the truncated form: the full address is
 * not stored, and its /24 is shared with other people).
 */
async function personValues(db: Executor, match: PersonMatch): Promise<PersonValues> {
  const email = match.email?.trim();
  const emails = email ? [email, hashEmail(email, await emailKey(db))] : [];
  const url = match.url?.trim();
  const ip = match.ip?.trim();
  return { emails, urls: url ? [url] : [], ips: ip ? [ip] : [] };
}

async function siteOrThrow(db: Executor, siteId: string): Promise<SiteRow> {
  const site = await findSiteById(db, siteId);
  if (!site) throw new SiteNotFoundError(siteId);
  return site;
}

export interface ExportedDecision {
  id: number;
  label: "spam" | "ham";
  note: string | null;
  actor: string;
  createdAt: string;
}

export interface ExportedComment {
  id: string;
  thread: string;
  parentId: string | null;
  externalId: string | null;
  content: string;
  author: { name: string | null; email: string | null; url: string | null };
  ip: string | null;
  userAgent: string | null;
  referrer: string | null;
  source: string;
  meta: Record<string, unknown>;
  status: string;
  /** What the model said, and why. */
  verdict: { verdict: string | null; score: number | null; reasons: unknown[]; modelVersion: string | null; scoredAt: string | null };
  /** The label this comment currently teaches the model, if any. */
  learnedLabel: "spam" | "ham" | null;
  /** Present for comments that came through the Akismet API: what comment-check answered. */
  akismet: { answeredSpam: boolean | null; blog: string; checkedAt: string } | null;
  decisions: ExportedDecision[];
  createdAt: string;
  decidedAt: string | null;
}

export interface PersonExport {
  site: { id: string; name: string };
  matchedOn: MatchField[];
  exportedAt: string;
  comments: ExportedComment[];
}

/** Every comment, decision and verdict about the person on this site, oldest first. */
export async function exportPerson(db: Db, siteId: string, match: PersonMatch): Promise<PersonExport> {
  const fields = matchedOn(match);
  const site = await siteOrThrow(db, siteId);
  const rows = await findPersonComments(db, siteId, await personValues(db, match));
  const ids = rows.map((r) => r.id);
  const decisions = await listDecisionsOf(db, ids);
  const checks = new Map((await listAkismetChecksOf(db, ids)).map((c) => [c.commentId, c]));
  return {
    site: { id: site.id, name: site.name },
    matchedOn: fields,
    exportedAt: new Date().toISOString(),
    comments: rows.map((r) => {
      const check = checks.get(r.id);
      return {
        id: r.id,
        thread: r.thread,
        parentId: r.parentId,
        externalId: r.externalId,
        content: r.content,
        author: { name: r.authorName, email: r.authorEmail, url: r.authorUrl },
        ip: r.ip,
        userAgent: r.userAgent,
        referrer: r.referrer,
        source: r.source,
        meta: r.meta,
        status: r.status,
        verdict: { verdict: r.verdict, score: r.score, reasons: r.reasons ?? [], modelVersion: r.modelVersion, scoredAt: r.scoredAt?.toISOString() ?? null },
        learnedLabel: r.learnedLabel,
        akismet: check ? { answeredSpam: check.answeredSpam, blog: check.blog, checkedAt: check.createdAt.toISOString() } : null,
        decisions: decisions
          .filter((d) => d.commentId === r.id)
          .map((d) => ({ id: d.id, label: d.label, note: d.note, actor: d.actor, createdAt: d.createdAt.toISOString() })),
        createdAt: r.createdAt.toISOString(),
        decidedAt: r.decidedAt?.toISOString() ?? null,
      };
    }),
  };
}

/**
 * Deletes every comment of the person on this site (their decisions, fingerprints and Akismet checks
 * go with them) and unlearns what they taught, in one transaction, and records the erasure: who
 * (`actor`: a role such as `admin` or `cli`, not a person's name), when, which fields matched and
 * how many rows went. An erasure matching nothing is recorded too (the request was answered).
 */
export async function erasePerson(
  db: Db,
  siteId: string,
  match: PersonMatch,
  actor: string,
): Promise<{ erasureId: string; comments: number; decisions: number; unlearned: number }> {
  const fields = matchedOn(match);
  await siteOrThrow(db, siteId);
  const values = await personValues(db, match);
  return db.transaction(async (tx) => {
    // Model lock before row locks, as decisions take them.
    await lockModelShared(tx);
    const rows = await findPersonComments(tx, siteId, values, { lock: true });
    // Erasure forgets: a person's words never stay in the counts, whatever the retention setting.
    const forgotten = await forgetComments(tx, rows, { keepLearned: false });
    const record = await insertErasure(tx, {
      siteId,
      kind: "person",
      matchedOn: fields,
      actor,
      comments: forgotten.comments,
      decisions: forgotten.decisions,
    });
    return { erasureId: record.id, comments: forgotten.comments, decisions: forgotten.decisions, unlearned: forgotten.unlearned };
  });
}
