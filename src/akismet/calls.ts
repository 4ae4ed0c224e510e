/**
 * What the Akismet endpoints do, on the service core: the same comments table (source `akismet`),
 * the same scoring function the worker runs, the same decisions path moderators use. The routes in
 * `src/http/routes/akismet.ts` only translate between this and the wire.
 */
import { createHash, randomUUID } from "node:crypto";
import type { CommentFeatures, Label, Verdict } from "../classifier/index.js";
import { recordDecision } from "../comments/decisions.js";
import { storeComment, type CommentInput } from "../comments/intake.js";
import { scoreFeatures, statusForVerdict } from "../comments/scoring.js";
import { findCheckByComment, findCheckByFingerprint, recordAkismetCall, type UsageDelta } from "../db/queries/akismet.js";
import { findSiteComment, writeVerdict, type VerdictWrite } from "../db/queries/comments.js";
import type { SiteRow } from "../db/schema.js";
import type { Deps } from "../deps.js";
import { answersSpam, akismetSettingsOf, shouldDiscard } from "./settings.js";
import { fixedVerdict, type AkismetComment } from "./wire.js";

export type AkismetDeps = Pick<Deps, "db" | "log">;

/**
 * How long comment-check waits for the verdict. The Python client gives up after 1 s; what is left
 * of that second covers the body, the key lookup, the insert and the network.
 */
export const CHECK_BUDGET_MS = 750;

/** Marks verdicts that came from Akismet's documented test values, not from the model. */
export const TEST_VALUE_MODEL = "akismet-test-value";

/** The service's thread limit (POST /v1/comments); longer permalinks are cut to fit. */
const THREAD_MAX = 512;

/** An Akismet comment as the service's intake takes it. The thread is the permalink (or the blog). */
export function toCommentInput(c: AkismetComment): CommentInput {
  const author = Object.keys(c.author).length > 0 ? c.author : undefined;
  return {
    thread: (c.permalink ?? c.blog).slice(0, THREAD_MAX),
    content: c.content,
    ...(author ? { author } : {}),
    ip: c.ip,
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

/** The features the worker's `featuresOf(row)` reads from the stored row, taken from the request. */
export function featuresOfInput(c: AkismetComment): CommentFeatures {
  return {
    content: c.content,
    ...(c.author.name === undefined ? {} : { authorName: c.author.name }),
    ...(c.author.email === undefined ? {} : { authorEmail: c.author.email }),
    ...(c.author.url === undefined ? {} : { authorUrl: c.author.url }),
    ip: c.ip,
    ...(c.userAgent === undefined ? {} : { userAgent: c.userAgent }),
    honeypotFilled: c.honeypotFilled,
  };
}

/**
 * What identifies "the same comment" when a submission carries no guid: Akismet's own rule of the
 * same site, content, author and IP. Hashed so the index stays small whatever the content's size.
 */
export function fingerprintOf(c: AkismetComment): string {
  const parts = [c.content, c.author.name ?? "", (c.author.email ?? "").toLowerCase(), c.ip];
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
  /** Scoring did not finish within the budget: answered by the unsure policy, verdict lands later. */
  late: boolean;
}

type Timed<T> = { done: true; value: T } | { done: false };

async function within<T>(p: Promise<T>, ms: number): Promise<Timed<T>> {
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
 * comment-check. Stores the comment and scores it with the worker's own scoring (`scoreFeatures`
 * on the same features, then the same guarded `writeVerdict`), within {@link CHECK_BUDGET_MS}.
 * The insert and the model read run side by side: the features come from the request, so scoring
 * need not wait for the row (`featuresOfInput` equals the worker's `featuresOf(row)`, a test holds
 * them together). Past the budget the answer follows the site's unsure policy and the verdict
 * still lands when scoring finishes (or the sweep scores the comment, still `pending`).
 * `is_test` checks are scored from the same counts but stored nowhere and not counted.
 */
export async function checkComment(
  deps: AkismetDeps,
  site: SiteRow,
  comment: AkismetComment,
  opts: { budgetMs?: number } = {},
): Promise<CheckResult> {
  const settings = akismetSettingsOf(site.settings);
  const fixed = fixedVerdict(comment);

  if (comment.isTest) {
    const guid = randomUUID();
    if (fixed) return { spam: fixed === "spam", discard: false, guid, verdict: fixed, late: false };
    const { result } = await scoreFeatures(deps.db, site, featuresOfInput(comment));
    return {
      spam: answersSpam(result.verdict, settings),
      discard: shouldDiscard(result.verdict, result.probability, settings),
      guid,
      verdict: result.verdict,
      late: false,
    };
  }

  const stored = storeComment(deps.db, site.id, toCommentInput(comment));
  // Phase 1, raced against the budget: the insert and the verdict, side by side.
  const judge = async (): Promise<{ id: string; write: VerdictWrite }> => {
    if (fixed) {
      // Akismet's test values answer the same every time; the model is not asked.
      const { comment: row } = await stored;
      const score = fixed === "spam" ? 1 : 0;
      return { id: row.id, write: { status: statusForVerdict[fixed], verdict: fixed, score, reasons: [], modelVersion: TEST_VALUE_MODEL } };
    }
    const [{ comment: row }, scored] = await Promise.all([stored, scoreFeatures(deps.db, site, featuresOfInput(comment))]);
    const { result } = scored;
    return {
      id: row.id,
      write: {
        status: statusForVerdict[result.verdict],
        verdict: result.verdict,
        score: result.probability,
        reasons: result.reasons,
        modelVersion: scored.modelVersion,
      },
    };
  };
  // Phase 2: the verdict (guarded on `pending`, like the worker's) and the bookkeeping of what was
  // answered, in parallel. The row is new and its id not yet known to anyone, so the guard cannot
  // lose to a decision here; it only keeps a late write from racing the sweep.
  const settle = (id: string, write: VerdictWrite, spam: boolean) =>
    Promise.all([
      writeVerdict(deps.db, id, write),
      recordAkismetCall(deps.db, {
        siteId: site.id,
        blog: blogHost(comment.blog),
        usage: { apiCalls: 1, ...(spam ? { spam: 1 } : { ham: 1 }) },
        check: { commentId: id, fingerprint: fingerprintOf(comment), answeredSpam: spam },
      }),
    ]);

  const judging = judge();
  const timed = await within(judging, opts.budgetMs ?? CHECK_BUDGET_MS);
  if (timed.done) {
    const { id, write } = timed.value;
    const spam = answersSpam(write.verdict, settings);
    await settle(id, write, spam);
    return { spam, discard: shouldDiscard(write.verdict, write.score, settings), guid: id, verdict: write.verdict, late: false };
  }
  // Late: answer by the unsure policy now; the verdict lands when scoring finishes, and the
  // bookkeeping records the answer actually given. If this fails the row stays `pending` and the
  // sweep scores it.
  const spam = answersSpam("unsure", settings);
  judging
    .then(({ id, write }) => settle(id, write, spam))
    .catch((err: unknown) => deps.log.warn("late akismet scoring failed; the sweep will retry", { error: err }));
  // Without the row's id there is no guid to give: wait for the insert, never for the scoring.
  const { comment: row } = await stored;
  return { spam, discard: false, guid: row.id, verdict: "unsure", late: true };
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
  const fingerprint = fingerprintOf(comment);
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
  const { comment: row } = await storeComment(deps.db, site.id, toCommentInput(comment));
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
