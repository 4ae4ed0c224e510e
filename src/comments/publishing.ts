/**
 * Trusting Commentinel gradually (issue 11): shadow mode and trusted authors. Both change only
 * what a verdict does to a comment's status, never the verdict: every comment is still scored, its
 * verdict stored and shown, and a moderator's decision still teaches the model. Stored under
 * `settings.publishing` on the site, changed through `PATCH /v1/sites/:id/publishing` (admin).
 */
import { z } from "zod";
import type { Executor } from "../db/client.js";
import { countMeritPublished } from "../db/queries/comments.js";
import type { CommentRow, SiteRow, StatusOverride } from "../db/schema.js";

export const publishingSettingsSchema = z.strictObject({
  /**
   * Shadow mode: verdicts are computed and stored, but every comment is published and the Akismet
   * answer is always `false`, so a site can watch Commentinel beside its current filter.
   */
  shadow: z.boolean().default(false),
  /**
   * Publishes at once the comments of an author (by `author.email` / `comment_author_email`, exactly
   * as sent) who has at least this many comments on the site published on their merits: a `ham`
   * verdict or a moderator's decision. Null: off (the default; only `author.trusted` and Akismet's
   * editor and administrator roles are trusted).
   */
  trustAfterPublished: z.int().min(1).max(1000).nullable().default(null),
});
export type PublishingSettings = z.infer<typeof publishingSettingsSchema>;

const DEFAULTS: PublishingSettings = publishingSettingsSchema.parse({});

export function publishingSettingsOf(site: Pick<SiteRow, "settings">): PublishingSettings {
  const parsed = publishingSettingsSchema.safeParse(site.settings.publishing ?? {});
  return parsed.success ? parsed.data : DEFAULTS;
}

/** Akismet `user_role` values whose comments are trusted (WordPress's roles that may moderate). */
export const TRUSTED_AKISMET_ROLES: ReadonlySet<string> = new Set(["administrator", "editor"]);

/** What decides a comment's status besides its verdict. */
export interface PublishPolicy {
  shadow: boolean;
  trusted: boolean;
}

export const VERDICT_ONLY: PublishPolicy = { shadow: false, trusted: false };

/** The site's policy for one comment; `trusted` was settled at intake (`authorTrusted`). */
export function publishPolicyFor(site: Pick<SiteRow, "settings">, comment: { trusted: boolean } | Pick<CommentRow, "statusOverride">): PublishPolicy {
  const trusted = "trusted" in comment ? comment.trusted : comment.statusOverride === "trusted";
  return { shadow: publishingSettingsOf(site).shadow, trusted };
}

/** The override the policy applies, if any: trust first (it is a fact about the author), then shadow. */
export function overrideOf(policy: PublishPolicy): StatusOverride | null {
  if (policy.trusted) return "trusted";
  return policy.shadow ? "shadow" : null;
}

/**
 * Whether the worker still has a verdict to write: a `pending` comment, or a trusted author's
 * comment published at intake and not yet scored (nor decided by a moderator meanwhile).
 */
export function awaitsVerdict(comment: Pick<CommentRow, "status" | "statusOverride" | "scoredAt" | "decidedAt">): boolean {
  if (comment.status === "pending") return true;
  return comment.statusOverride === "trusted" && comment.scoredAt === null && comment.decidedAt === null;
}

/**
 * Whether a new comment's author is trusted: the site said so (`author.trusted`, or an Akismet role
 * in TRUSTED_AKISMET_ROLES), or the site's `trustAfterPublished` rule finds enough of the author's
 * comments published on their merits. The rule costs one indexed query, only when it is on and the
 * comment carries an e-mail.
 */
export async function authorTrusted(
  db: Executor,
  site: Pick<SiteRow, "id" | "settings">,
  author: { trusted?: boolean | undefined; email?: string | undefined },
): Promise<boolean> {
  if (author.trusted === true) return true;
  const n = publishingSettingsOf(site).trustAfterPublished;
  if (n === null || author.email === undefined || author.email === "") return false;
  return (await countMeritPublished(db, { siteId: site.id, authorEmail: author.email, upTo: n })) >= n;
}
