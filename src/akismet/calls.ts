/**
 * What the Akismet endpoints do, on the service core: the same comments table (source `akismet`),
 * the same scoring function the worker runs, the same decisions path moderators use. The routes in
 * `src/http/routes/akismet.ts` only translate between this and the wire.
 */
import { createHash, randomUUID } from "node:crypto";
import type { Label, Verdict } from "../classifier/index.js";
import {
  assignCheckedComment,
  type CheckCampaigns,
  findCheckByComment,
  findCheckByFingerprint,
  findSiteComment,
  recordAkismetCall,
  settleCheck,
  storeCheckedComment,
  type UsageDelta,
} from "../comments/akismet-checks.js";
import { DEFAULT_CAMPAIGN_OPTIONS, storeFingerprints } from "../comments/campaigns.js";
import { recordDecision } from "../comments/decisions.js";
import { commentRow, enqueueScoring, storeComment, type CommentInput } from "../comments/intake.js";
import { NO_INTAKE_PRIVACY, intakePrivacyFor, protectIdentity, type IntakePrivacy } from "../comments/privacy-settings.js";
import { THREAD_MAX_CHARS } from "../comments/limits.js";
import { authorTrusted, overrideOf, publishPolicyFor, TRUSTED_AKISMET_ROLES } from "../comments/publishing.js";
import { featuresOf, scoreFeatures, statusUnder, verdictWrite } from "../comments/scoring.js";
import type { NewComment, VerdictWrite } from "../db/queries/comments.js";
import type { CommentSignals, SiteRow } from "../db/schema.js";
import type { Deps } from "../deps.js";
import { countVerdict, timeScoring } from "../observe/metrics.js";
import { answersSpam, akismetSettingsOf, shouldDiscard } from "./settings.js";
import { fixedVerdict, type AkismetComment } from "./wire.js";

export type AkismetDeps = Pick<Deps, "db" | "log" | "model" | "scoreQueue">;

/**
 * How long comment-check waits for the model to be loaded (only right after the process started;
 * scoring itself is CPU from memory). The Python client gives up after 1 s; what is left of that
 * second covers the body, the key lookup, the insert and the network.
 */
export const CHECK_BUDGET_MS = 750;

/**
 * Whether comment-check waits for its row to reach the disk. It does not: the answer does not
 * depend on the row, the site keeps the comment itself, and on this kind of shared disk a WAL flush
 * costs 0.5–3 ms per commit, most of a check. A Postgres crash may lose the last moments of check
 * rows (and their usage counts); decisions from submit-spam/ham, which teach the model, stay
 * synchronous like every other write in the service.
 */
export const CHECKS_DURABLE = false;

/**
 * How long comment-check waits for its campaign step (issue 12; a few ms normally, a transaction
 * under the assignment lock the worker also takes). Past it the comment is scored without campaign
 * signals, inside the same second as CHECK_BUDGET_MS, and the step finishes on its own.
 */
export const CAMPAIGN_BUDGET_MS = 200;

/** Marks verdicts that came from Akismet's documented test values, not from the model. */
export const TEST_VALUE_MODEL = "akismet-test-value";

/** An Akismet comment as the service's intake takes it. The thread is the permalink (or the blog). */
export function toCommentInput(c: AkismetComment, opts: { trusted?: boolean } = {}): CommentInput {
  const author = Object.keys(c.author).length > 0 ? c.author : undefined;
  return {
    ...(opts.trusted === true ? { trusted: true } : {}),
    thread: (c.permalink ?? c.blog).slice(0, THREAD_MAX_CHARS),
    content: c.content,
    ...(author ? { author } : {}),
    ...(c.ip === "" ? {} : { ip: c.ip }),
    ...(c.userAgent === undefined ? {} : { userAgent: c.userAgent }),
    ...(c.referrer === undefined ? {} : { referrer: c.referrer }),
    honeypot: c.honeypotFilled,
    source: "akismet",
    meta: akismetMeta(c),
  };
}

/** The fields scoring does not read, kept on the comment for moderators and debugging. */
function akismetMeta(c: AkismetComment): Record<string, unknown> {
  const meta: Record<string, unknown> = { blog: c.blog };
  if (c.permalink !== undefined) meta.permalink = c.permalink;
  if (c.commentType !== undefined) meta.commentType = c.commentType;
  if (c.commentDate) meta.commentDate = c.commentDate.toISOString();
  if (c.postModifiedDate) meta.postModifiedDate = c.postModifiedDate.toISOString();
  if (c.blogLang !== undefined) meta.blogLang = c.blogLang;
  if (c.blogCharset !== undefined) meta.blogCharset = c.blogCharset;
  if (c.userRole !== undefined) meta.userRole = c.userRole;
  if (c.recheckReason !== undefined) meta.recheckReason = c.recheckReason;
  if (c.context.length > 0) meta.context = c.context;
  return meta;
}

/**
 * What identifies "the same comment" when a submission carries no guid: Akismet's own rule of the
 * same site, content, author and IP. Hashed so the index stays small whatever the content's size.
 */
export function fingerprintOf(c: AkismetComment, privacy: IntakePrivacy = NO_INTAKE_PRIVACY): string {
  // Over the e-mail and IP as the site stores them, so the hash holds nothing the row does not.
  const identity = protectIdentity({ email: c.author.email, ip: c.ip }, privacy);
  const parts = [c.content, c.author.name ?? "", (identity.email ?? "").toLowerCase(), identity.ip ?? ""];
  return createHash("sha256").update(JSON.stringify(parts), "utf8").digest("hex");
}

/** The blog's host name for usage accounting (`https://Example.org/blog` → `example.org`). */
export function blogHost(blog: string): string {
  try {
    const host = new URL(blog).hostname;
    if (host) return host.toLowerCase();
  } catch {
    // Not a URL: some clients send a bare host name.
  }
  return blog.trim().toLowerCase().slice(0, 255);
}

export interface CheckResult {
  spam: boolean;
  discard: boolean;
  /** The stored comment's id; for is_test checks a fresh id that names nothing stored. */
  guid: string;
  verdict: Verdict;
  /** The model was not loaded within the budget: answered by the unsure policy, the worker scores it. */
  late: boolean;
}

type Timed<T> = { done: true; value: T } | { done: false };

/** `p` if it settles within `ms`; a budget of 0 or less does not wait at all. */
async function within<T>(p: Promise<T>, ms: number): Promise<Timed<T>> {
  if (ms <= 0) return { done: false };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Timed<T>>((resolve) => {
    timer = setTimeout(() => resolve({ done: false }), ms);
  });
  try {
    return await Promise.race([p.then((value): Timed<T> => ({ done: true, value })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The comments row a check stores: the same columns the service's intake writes for
 * `toCommentInput(c)` (a test holds the two together), with our own id so the guid is known before
 * the write, and the verdict when it is already known.
 */
export function checkedRow(
  siteId: string,
  id: string,
  c: AkismetComment,
  write?: VerdictWrite,
  opts: { trusted?: boolean; privacy?: IntakePrivacy } = {},
): NewComment & { id: string; siteId: string } {
  return {
    ...commentRow(siteId, toCommentInput(c, opts), opts.privacy),
    id,
    siteId,
    ...(write
      ? {
          status: write.status,
          verdict: write.verdict,
          score: write.score,
          reasons: write.reasons,
          insufficientTraining: write.insufficientTraining ?? null,
          modelVersion: write.modelVersion,
          statusOverride: write.statusOverride ?? null,
        }
      : {}),
  };
}

/**
 * comment-check. Scores the comment with the worker's own core (`scoreFeatures` on the in-memory
 * model, on `featuresOf` the row it stores, and the same `verdictWrite` mapping), then stores it
 * with its verdict, its check row and the usage in one statement: one round trip. Only a process
 * whose model is not loaded yet (just started) cannot score: past {@link CHECK_BUDGET_MS} it stores
 * the comment `pending`, answers by the site's unsure policy, and queues it for the worker like any
 * comment (no scoring is left running untracked). `is_test` checks are scored from the same counts
 * but stored nowhere and not counted.
 */
export async function checkComment(
  deps: AkismetDeps,
  site: SiteRow,
  comment: AkismetComment,
  /**
   * campaigns: the process's campaign step (`createCheckCampaigns`), false when CAMPAIGNS=off;
   * absent, one assignment per check with the default options.
   */
  opts: { budgetMs?: number; campaigns?: CheckCampaigns | false } = {},
): Promise<CheckResult> {
  const settings = akismetSettingsOf(site.settings);
  const fixed = fixedVerdict(comment);
  const id = randomUUID();
  // The site's IP truncation and e-mail hashing apply before scoring: the model sees what is stored.
  const privacy = await intakePrivacyFor(deps.db, site);
  // Trusted authors (an editor or administrator, or the site's trust rule) and shadow mode publish
  // whatever the verdict, so the answer is `false` and nothing is discarded (issue 11).
  const trusted = (comment.userRole !== undefined && TRUSTED_AKISMET_ROLES.has(comment.userRole))
    || (await authorTrusted(deps.db, site, { email: comment.author.email }));
  const policy = publishPolicyFor(site, { trusted });
  const publishes = overrideOf(policy) !== null;
  const row = checkedRow(site.id, id, comment, undefined, { trusted, privacy });
  const answer = (verdict: Verdict) => !publishes && answersSpam(verdict, settings);
  const discards = (write: VerdictWrite) => !publishes && !fixed && shouldDiscard(write.verdict, write.score, settings);

  /** The verdict now, or undefined when the model is not loaded within the budget. */
  const judge = async (): Promise<VerdictWrite | undefined> => {
    if (fixed) {
      // Akismet's test values answer the same every time; the model is not asked.
      return { ...statusUnder(fixed, policy), verdict: fixed, score: fixed === "spam" ? 1 : 0, reasons: [], modelVersion: TEST_VALUE_MODEL };
    }
    const loaded = await within(deps.model.ready(), opts.budgetMs ?? CHECK_BUDGET_MS);
    if (!loaded.done) return undefined;
    const timed = timeScoring("akismet");
    const write = verdictWrite(await scoreFeatures(deps.model, site, featuresOf(row)), policy);
    timed();
    countVerdict(write.verdict, "akismet", site.id);
    return write;
  };

  if (comment.isTest) {
    const write = await judge();
    const verdict = write?.verdict ?? "unsure";
    return { spam: answer(verdict), discard: write !== undefined && discards(write), guid: id, verdict, late: write === undefined };
  }

  // A recheck (WordPress's "Check for spam" on its pending queue, an edited comment) of a comment
  // already stored here answers for that comment instead of storing it again: a moderator's
  // decision on it stands, otherwise it is scored afresh with what the model knows now.
  if (comment.recheckReason !== undefined) {
    const prior = await findCheckByFingerprint(deps.db, site.id, fingerprintOf(comment, privacy));
    const stored = prior && (await findSiteComment(deps.db, site.id, prior.commentId));
    if (stored) {
      const decided: Verdict | undefined = stored.decidedAt === null ? undefined : stored.status === "spam" ? "spam" : "ham";
      const write = decided === undefined ? await judge() : undefined;
      const verdict = decided ?? write?.verdict ?? "unsure";
      // A moderator's decision stands even in shadow mode: it is the site's own call.
      const spam = decided === undefined ? answer(verdict) : decided === "spam";
      await recordAkismetCall(deps.db, { siteId: site.id, blog: blogHost(comment.blog), usage: { apiCalls: 1, ...(spam ? { spam: 1 } : { ham: 1 }) } });
      const discard = write !== undefined && discards(write);
      return { spam, discard, guid: stored.id, verdict, late: false };
    }
  }

  const store = async (write: VerdictWrite | undefined, spam: boolean) => {
    const stored = checkedRow(site.id, id, comment, write, { trusted, privacy });
    await storeCheckedComment(deps.db, {
      comment: stored,
      blog: blogHost(comment.blog),
      fingerprint: fingerprintOf(comment, privacy),
      answeredSpam: spam,
      usage: { apiCalls: 1, ...(spam ? { spam: 1 } : { ham: 1 }) },
      durable: CHECKS_DURABLE,
    });
    // Campaign fingerprints, as intake stores them (issue 12): later comments from any path cluster
    // with this one and count it. Its own verdict, made before it was stored, has no campaign signals.
    await storeFingerprints(deps.db, [{ id, siteId: site.id, thread: stored.thread, content: stored.content, createdAt: new Date() }]);
  };

  /**
   * Campaigns on (issue 12): the comment is stored first, `pending` with its call counted, so that
   * its fingerprint can join a campaign (the same step the worker runs) and the verdict carries the
   * campaign's signals; then the verdict, the answer and its count in a second statement. A copy of
   * a campaign decided spam is then answered spam with the campaign clue. Two writes and the
   * assignment's transaction instead of one write: a few ms (BENCHMARKS.md, "Campaigns").
   */
  const checkWithCampaign = async (assign: CheckCampaigns): Promise<CheckResult> => {
    const pending = checkedRow(site.id, id, comment, undefined, { trusted, privacy });
    const blog = blogHost(comment.blog);
    await storeCheckedComment(deps.db, {
      comment: pending,
      blog,
      fingerprint: fingerprintOf(comment, privacy),
      answeredSpam: answer("unsure"),
      usage: { apiCalls: 1 },
      durable: CHECKS_DURABLE,
    });
    const assigning = assign({ id, siteId: site.id, thread: pending.thread, content: pending.content, createdAt: new Date() }, site);
    let signals: CommentSignals | null = null;
    try {
      const assigned = await within(assigning, CAMPAIGN_BUDGET_MS);
      // Nothing to say is stored as null, as the worker leaves it.
      if (assigned.done && (assigned.value?.seenBefore || assigned.value?.campaign)) signals = assigned.value;
      else {
        deps.log.warn("akismet check: campaign step past its budget; scored without campaign signals", { commentId: id, budgetMs: CAMPAIGN_BUDGET_MS });
        assigning.catch((err: unknown) => deps.log.warn("akismet check: campaign step failed", { commentId: id, error: err }));
      }
    } catch (err) {
      deps.log.warn("akismet check: campaign step failed; scored without campaign signals", { commentId: id, error: err });
    }
    const timed = timeScoring("akismet");
    const write: VerdictWrite = { ...verdictWrite(await scoreFeatures(deps.model, site, featuresOf({ ...row, signals })), policy), signals };
    timed();
    countVerdict(write.verdict, "akismet", site.id);
    const spam = answer(write.verdict);
    if (!(await settleCheck(deps.db, { commentId: id, siteId: site.id, blog, write, answeredSpam: spam, durable: CHECKS_DURABLE }))) {
      // Settled meanwhile (a moderator, or the sweep's job): that stands; the answer is this verdict.
      deps.log.warn("akismet check: comment settled before its verdict was written", { commentId: id });
    }
    return { spam, discard: discards(write), guid: id, verdict: write.verdict, late: false };
  };

  const campaigns = opts.campaigns ?? assignCheckedComment(deps.db, DEFAULT_CAMPAIGN_OPTIONS);
  if (!fixed && campaigns !== false) {
    const loaded = await within(deps.model.ready(), opts.budgetMs ?? CHECK_BUDGET_MS);
    if (loaded.done) return checkWithCampaign(campaigns);
  } else {
    const write = await judge();
    if (write) {
      const spam = answer(write.verdict);
      await store(write, spam);
      return { spam, discard: discards(write), guid: id, verdict: write.verdict, late: false };
    }
  }

  // Late: Postgres first, as a `pending` row (a trusted author's: `published`), then the queue, as
  // intake does; the sweep covers a failed enqueue.
  const spam = answer("unsure");
  await store(undefined, spam);
  await enqueueScoring(deps, [id]);
  return { spam, discard: false, guid: id, verdict: "unsure", late: true };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface SubmitResult {
  /** The comment the decision was recorded on. */
  commentId: string;
  /** Whether an earlier check was found (by guid or by the same content, author and IP). */
  matched: boolean;
}

/**
 * submit-spam / submit-ham. Finds the original check (by guid, else the newest with the same
 * content, author and IP) and records a decision on it with actor `akismet`, so the model learns
 * exactly as from a moderator. With no match the comment is stored as a new labeled example.
 * `is_test` submissions change nothing. Returns undefined for those.
 */
export async function submitComment(
  deps: AkismetDeps,
  site: SiteRow,
  comment: AkismetComment,
  label: Label,
): Promise<SubmitResult | undefined> {
  if (comment.isTest) return undefined;
  const privacy = await intakePrivacyFor(deps.db, site);
  const fingerprint = fingerprintOf(comment, privacy);
  const blog = blogHost(comment.blog);
  const note = label === "spam" ? "akismet submit-spam" : "akismet submit-ham";

  let target: { commentId: string; answeredSpam: boolean | null } | undefined;
  if (comment.guid !== undefined && UUID.test(comment.guid)) {
    const byGuid = await findSiteComment(deps.db, site.id, comment.guid);
    if (byGuid) {
      const check = await findCheckByComment(deps.db, site.id, byGuid.id);
      target = { commentId: byGuid.id, answeredSpam: check?.answeredSpam ?? null };
    }
  }
  if (!target) {
    const check = await findCheckByFingerprint(deps.db, site.id, fingerprint);
    if (check) target = { commentId: check.commentId, answeredSpam: check.answeredSpam };
  }

  if (target) {
    const decided = await recordDecision(deps.db, { siteId: site.id, commentId: target.commentId, label, note, actor: "akismet" });
    if (decided) {
      await recordAkismetCall(deps.db, { siteId: site.id, blog, usage: submissionUsage(label, target.answeredSpam) });
      return { commentId: target.commentId, matched: true };
    }
  }

  // Never checked here (or gone): a new labeled example. It is `pending` only for the moment until
  // the decision lands, far shorter than the sweep's minimum age, and a decision wins over any verdict.
  const { comment: row } = await storeComment(deps.db, site.id, toCommentInput(comment), privacy);
  await recordDecision(deps.db, { siteId: site.id, commentId: row.id, label, note, actor: "akismet" });
  await recordAkismetCall(deps.db, {
    siteId: site.id,
    blog,
    usage: submissionUsage(label, null),
    check: { commentId: row.id, fingerprint, answeredSpam: null },
  });
  return { commentId: row.id, matched: false };
}

/**
 * Akismet's missed_spam / false_positives: a submission that corrects what comment-check answered,
 * or one about a comment it never answered for. Confirming an answer counts as neither.
 */
function submissionUsage(label: Label, answeredSpam: boolean | null): UsageDelta {
  if (label === "spam") return { missedSpam: answeredSpam === true ? 0 : 1 };
  return { falsePositives: answeredSpam === false ? 0 : 1 };
}
