import { sql } from "drizzle-orm";
import {
  bigserial,
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

// Millisecond precision, so a (created_at, id) cursor round-trips exactly through a JS Date.
const createdAt = () => timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow();

export const sites = pgTable("sites", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull(),
  url: text("url").notNull(),
  /** sha256 hex of the site's API key; null once revoked. Keys are random, so no slow hash is needed. */
  apiKeyHash: text("api_key_hash").unique(),
  moderatorKeyHash: text("moderator_key_hash").unique(),
  /** Per-site scoring settings; null means the classifier's default. */
  hamCutoff: real("ham_cutoff"),
  spamCutoff: real("spam_cutoff"),
  minPerLabel: integer("min_per_label"),
  /** Free-form per-site settings for later features (Akismet answers, webhooks). */
  settings: jsonb("settings").$type<Record<string, unknown>>().notNull().default({}),
  createdAt: createdAt(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export const commentStatuses = ["pending", "published", "held", "spam"] as const;
export type CommentStatus = (typeof commentStatuses)[number];

/** Labels learned (site and global, the larger of the two) against the minimum the site asks for. */
export interface InsufficientTraining {
  spam: number;
  ham: number;
  required: number;
}

export const comments = pgTable(
  "comments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    siteId: uuid("site_id")
      .notNull()
      .references(() => sites.id, { onDelete: "cascade" }),
    thread: text("thread").notNull(),
    content: text("content").notNull(),
    authorName: text("author_name"),
    authorEmail: text("author_email"),
    authorUrl: text("author_url"),
    ip: text("ip"),
    userAgent: text("user_agent"),
    referrer: text("referrer"),
    externalId: text("external_id"),
    parentId: uuid("parent_id"),
    honeypotFilled: boolean("honeypot_filled"),
    timeToSubmitMs: integer("time_to_submit_ms"),
    /** Where the comment came from: `api`, `akismet`, `import`. */
    source: text("source").notNull().default("api"),
    /** Extra fields a source sends that scoring does not read (Akismet's permalink, blog_lang, …). */
    meta: jsonb("meta").$type<Record<string, unknown>>().notNull().default({}),
    status: text("status").$type<CommentStatus>().notNull().default("pending"),
    verdict: text("verdict").$type<"ham" | "unsure" | "spam">(),
    score: doublePrecision("score"),
    reasons: jsonb("reasons").$type<unknown[]>(),
    /** Set when the verdict was forced to `unsure` because the model had learned too little. */
    insufficientTraining: jsonb("insufficient_training").$type<InsufficientTraining>(),
    modelVersion: text("model_version"),
    /**
     * What this comment currently contributes to the counts: the label and the exact tokens learned
     * (and the tokenizer that made them), so a flipped decision unlearns precisely what was learned.
     */
    learnedLabel: text("learned_label").$type<"spam" | "ham">(),
    learnedTokens: text("learned_tokens").array(),
    learnedTokenizerVersion: text("learned_tokenizer_version"),
    createdAt: createdAt(),
    scoredAt: timestamp("scored_at", { withTimezone: true }),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Idempotent intake: a site retrying with the same externalId gets its first comment back.
    uniqueIndex("comments_site_external_id_uq")
      .on(t.siteId, t.externalId)
      .where(sql`${t.externalId} IS NOT NULL`),
    // Thread listing reads published comments oldest first with a (created_at, id) cursor.
    index("comments_thread_published_idx")
      .on(t.siteId, t.thread, t.createdAt, t.id)
      .where(sql`${t.status} = 'published'`),
    // The moderation queue filters by status and pages newest first.
    index("comments_site_status_created_idx").on(t.siteId, t.status, t.createdAt, t.id),
    // The sweep scans only rows still waiting for a verdict.
    index("comments_pending_created_idx")
      .on(t.createdAt)
      .where(sql`${t.status} = 'pending'`),
    check("comments_status_ck", sql`${t.status} IN ('pending', 'published', 'held', 'spam')`),
  ],
);

export const decisions = pgTable(
  "decisions",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    commentId: uuid("comment_id")
      .notNull()
      .references(() => comments.id, { onDelete: "cascade" }),
    siteId: uuid("site_id")
      .notNull()
      .references(() => sites.id, { onDelete: "cascade" }),
    label: text("label").$type<"spam" | "ham">().notNull(),
    note: text("note"),
    /** Who decided: `moderator` (moderator key), `akismet` (submit-spam/ham), `import`. */
    actor: text("actor").notNull(),
    createdAt: createdAt(),
  },
  // A comment's decisions are read together, in order.
  (t) => [
    index("decisions_comment_idx").on(t.commentId, t.id),
    check("decisions_label_ck", sql`${t.label} IN ('spam', 'ham')`),
  ],
);

/** Per-token document counts; scope is `global` or a site id. */
export const tokenCounts = pgTable(
  "token_counts",
  {
    scope: text("scope").notNull(),
    token: text("token").notNull(),
    spam: integer("spam").notNull().default(0),
    ham: integer("ham").notNull().default(0),
  },
  // Scoring looks up (scope, token) pairs; the primary key is that index.
  (t) => [primaryKey({ columns: [t.scope, t.token] })],
);

/** Documents learned per label in each scope. */
export const scopeTotals = pgTable("scope_totals", {
  scope: text("scope").primaryKey(),
  spam: integer("spam").notNull().default(0),
  ham: integer("ham").notNull().default(0),
});

export type SiteRow = typeof sites.$inferSelect;
export type CommentRow = typeof comments.$inferSelect;
export type DecisionRow = typeof decisions.$inferSelect;

// ------------------------------------------------------------------------------------------------
// Akismet API (issue 4). Kept in one block, owned by the Akismet routes: the comments themselves live
// in `comments` (source `akismet`); these tables hold only what Akismet's wire adds.

/** One row per stored comment-check (or unmatched submission), so submit-spam/ham can find it. */
export const akismetChecks = pgTable(
  "akismet_checks",
  {
    commentId: uuid("comment_id")
      .primaryKey()
      .references(() => comments.id, { onDelete: "cascade" }),
    siteId: uuid("site_id")
      .notNull()
      .references(() => sites.id, { onDelete: "cascade" }),
    /** sha256 of content, author name, author email and IP: a submission without a guid matches on it. */
    fingerprint: text("fingerprint").notNull(),
    /** What comment-check answered (`true` = spam); null for a comment first seen in a submission. */
    answeredSpam: boolean("answered_spam"),
    /** The `blog` host the call named: key-sites reports usage per blog, as Akismet does. */
    blog: text("blog").notNull(),
    createdAt: createdAt(),
  },
  // submit-spam/ham without a guid look up the newest check with the same fingerprint on the site.
  (t) => [index("akismet_checks_site_fingerprint_idx").on(t.siteId, t.fingerprint, t.createdAt)],
);

/** Akismet usage counters per site, blog and UTC month (`YYYY-MM`), for usage-limit and key-sites. */
export const akismetUsage = pgTable(
  "akismet_usage",
  {
    siteId: uuid("site_id")
      .notNull()
      .references(() => sites.id, { onDelete: "cascade" }),
    month: text("month").notNull(),
    blog: text("blog").notNull(),
    apiCalls: integer("api_calls").notNull().default(0),
    spam: integer("spam").notNull().default(0),
    ham: integer("ham").notNull().default(0),
    missedSpam: integer("missed_spam").notNull().default(0),
    falsePositives: integer("false_positives").notNull().default(0),
  },
  // Every write is an upsert on this key, and every read is one site's month.
  (t) => [primaryKey({ columns: [t.siteId, t.month, t.blog] })],
);

export type AkismetCheckRow = typeof akismetChecks.$inferSelect;
export type AkismetUsageRow = typeof akismetUsage.$inferSelect;

// ------------------------------------------------------------------------------------------------
// The model's change log (issue 8): every process that scores holds the counts in memory and
// follows this log to stay current. Appended in the same transaction that changes `token_counts`.

export const modelChangeKinds = ["learn", "unlearn", "reset"] as const;
export type ModelChangeKind = (typeof modelChangeKinds)[number];

/**
 * One learn or unlearn of one comment's tokens into the global scope and its site's scope (the
 * follower derives the row deltas with the same `learnDeltas`), or a `reset` after `retrain`
 * rewrote every count (followers reload). Ids commit in order (appends hold an advisory lock to
 * commit), so a follower reading `id > last` never skips a row that commits later.
 */
export const modelChanges = pgTable(
  "model_changes",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    kind: text("kind").$type<ModelChangeKind>().notNull(),
    siteId: uuid("site_id"),
    label: text("label").$type<"spam" | "ham">(),
    tokens: text("tokens").array(),
    createdAt: createdAt(),
  },
  // Pruning deletes the oldest rows by age.
  (t) => [
    index("model_changes_created_idx").on(t.createdAt),
    check("model_changes_kind_ck", sql`${t.kind} IN ('learn', 'unlearn', 'reset')`),
  ],
);

export type ModelChangeRow = typeof modelChanges.$inferSelect;
