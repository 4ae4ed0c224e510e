import { sql } from "drizzle-orm";
import {
  bigint,
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
  varchar,
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
  /** sha256 hex of the site's publishable key (public, for browser posts: it can only create comments). */
  publishableKeyHash: text("publishable_key_hash").unique(),
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
export const statusOverrides = ["trusted", "shadow"] as const;
export type StatusOverride = (typeof statusOverrides)[number];

/** Labels learned (site and global, the larger of the two) against the minimum the site asks for. */
export interface InsufficientTraining {
  spam: number;
  ham: number;
  required: number;
}

/**
 * What the service knew about a comment besides its own fields when it was scored: the campaign it
 * belonged to and whether the site had seen the same text lately. Stored with the comment so every
 * later learn, unlearn and retrain tokenizes exactly what the scorer saw (`featuresOf`).
 */
export interface CommentSignals {
  /** This site stored the same normalized text in the last N days. */
  seenBefore?: boolean;
  campaign?: CampaignFacts;
}

/** A campaign as one site may see it: counts only, never another site's text. */
export interface CampaignFacts {
  id: string;
  size: number;
  sites: number;
  /** Sites other than the viewer's. */
  otherSites: number;
  threads: number;
  firstSeen: string;
  lastSeen: string;
  /** Members decided spam / ham (by any site when cross-site signals are on, else by this site). */
  decidedSpam: number;
  decidedHam: number;
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
    /**
     * Why the status is not the verdict's own (src/comments/publishing.ts): `trusted` (the author was
     * trusted at intake: published at once, scored after) or `shadow` (the site's shadow mode
     * published it whatever the verdict). Null: the status is the verdict's, or a moderator's.
     */
    statusOverride: text("status_override").$type<StatusOverride>(),
    verdict: text("verdict").$type<"ham" | "unsure" | "spam">(),
    score: doublePrecision("score"),
    reasons: jsonb("reasons").$type<unknown[]>(),
    /** Set when the verdict was forced to `unsure` because the model had learned too little. */
    insufficientTraining: jsonb("insufficient_training").$type<InsufficientTraining>(),
    modelVersion: text("model_version"),
    /** Campaign and repeat facts at scoring time (issue 12); read back by `featuresOf`. */
    signals: jsonb("signals").$type<CommentSignals>(),
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
    // The console's author view and filters: one site's comments by e-mail, URL, or address (and
    // its /24, a prefix match: text_pattern_ops makes LIKE 'a.b.c.%' an index range scan).
    index("comments_site_author_email_idx").on(t.siteId, t.authorEmail),
    index("comments_site_author_url_idx").on(t.siteId, t.authorUrl),
    index("comments_site_ip_idx").on(t.siteId, t.ip.op("text_pattern_ops")),
    // The dashboard's 30-day charts read one site's verdicts by day.
    index("comments_site_scored_idx").on(t.siteId, t.scoredAt),
    // The sweep scans only rows still waiting for a verdict.
    index("comments_pending_created_idx")
      .on(t.createdAt)
      .where(sql`${t.status} = 'pending'`),
    check("comments_status_ck", sql`${t.status} IN ('pending', 'published', 'held', 'spam')`),
    check("comments_status_override_ck", sql`${t.statusOverride} IN ('trusted', 'shadow')`),
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
    /** Set on an undo: the decision it reverses (its label is that decision's label, now unlearned). */
    undoesId: bigint("undoes_id", { mode: "number" }),
    createdAt: createdAt(),
  },
  // A comment's decisions are read together, in order.
  (t) => [
    index("decisions_comment_idx").on(t.commentId, t.id),
    // The console's dashboard counts a site's decisions per day.
    index("decisions_site_created_idx").on(t.siteId, t.createdAt),
    check("decisions_label_ck", sql`${t.label} IN ('spam', 'ham')`),
  ],
);

/**
 * Per-token counts; scope is `global` or a site id. In `COUNT_SCALE` units (a document adds its
 * length-damped weight, see `documentWeight`): bigint, since the `~tokens` row of a busy global
 * scope passes 2^31 after some 60,000 comments.
 */
export const tokenCounts = pgTable(
  "token_counts",
  {
    scope: text("scope").notNull(),
    token: text("token").notNull(),
    spam: bigint("spam", { mode: "number" }).notNull().default(0),
    ham: bigint("ham", { mode: "number" }).notNull().default(0),
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
// Campaigns (issue 12): fingerprints of every comment, and the clusters they form.

/** A cluster of the same (or nearly the same) comment posted across threads and sites. */
export const campaigns = pgTable("campaigns", {
  id: uuid("id").primaryKey().defaultRandom(),
  createdAt: createdAt(),
});

/**
 * One row per comment, written at intake: a side table rather than columns of `comments`, so the
 * comment row's frequent status and verdict updates do not rewrite the GIN indexes below.
 */
export const commentFingerprints = pgTable(
  "comment_fingerprints",
  {
    commentId: uuid("comment_id")
      .primaryKey()
      .references(() => comments.id, { onDelete: "cascade" }),
    siteId: uuid("site_id").notNull(),
    thread: text("thread").notNull(),
    createdAt: createdAt(),
    version: integer("version").notNull(),
    textHash: bigint("text_hash", { mode: "bigint" }).notNull(),
    short: boolean("short").notNull(),
    /** MinHash signature (unsigned 32-bit values stored as int4), null for short texts. */
    minhash: integer("minhash").array(),
    bands: bigint("bands", { mode: "bigint" }).array(),
    domains: text("domains").array().notNull().default(sql`'{}'::text[]`),
  },
  (t) => [
    // Exact repeats across the installation, newest first inside the window: (hash, time) lets a
    // lookup stop after the newest few copies of a text posted thousands of times.
    index("comment_fingerprints_hash_idx").on(t.textHash, t.createdAt),
    // Exact repeats on one site (seen-before, short texts its moderators decided spam): the
    // installation-wide index would have to walk every other site's copies of "nice video".
    index("comment_fingerprints_site_hash_idx").on(t.siteId, t.textHash, t.createdAt),
    // LSH: `bands && $1` finds texts sharing any band key; GIN indexes each array element.
    // fastupdate off on every GIN here: its pending list is scanned whole by every lookup, and
    // lookups follow inserts closely (measured: 8 ms per band lookup with it on; BENCHMARKS.md).
    index("comment_fingerprints_bands_idx")
      .using("gin", t.bands)
      .with({ fastupdate: false })
      .where(sql`${t.bands} IS NOT NULL`),
    // How rare a linked domain is: comments that link it (those outside campaigns are counted).
    index("comment_fingerprints_domains_idx")
      .using("gin", t.domains)
      .with({ fastupdate: false })
      .where(sql`${t.domains} <> '{}'::text[]`),
    // The purge: rows past the window, a batch at a time. BRIN, not a B-tree: rows arrive in time
    // order, and with a B-tree on created_at the planner walked it backwards for the band lookup
    // (`ORDER BY created_at DESC LIMIT`) instead of the GIN, reading the whole window (measured at
    // 1M rows: minutes per batch). A BRIN index gives no order, so it is used only for the purge.
    index("comment_fingerprints_created_brin").using("brin", t.createdAt),
  ],
);

/**
 * Campaign membership, one row per member: a side table, so that joining a campaign inserts one
 * narrow row instead of rewriting the fingerprint row and its GIN indexes (16 band keys each). It
 * carries what the counts need (site, thread, time, the member's decided label) so counting a
 * campaign reads only this table. `label` is kept equal to `comments.learned_label` by a trigger
 * on that column, so every path that decides or undoes a comment keeps it. The trigger runs at the
 * decision's commit under the assignment lock, shared (migrations/0015): a member that an
 * assignment batch inserts while the decision commits gets the new label too.
 */
export const campaignMembers = pgTable(
  "campaign_members",
  {
    commentId: uuid("comment_id")
      .primaryKey()
      .references(() => commentFingerprints.commentId, { onDelete: "cascade" }),
    campaignId: uuid("campaign_id")
      .notNull()
      .references(() => campaigns.id, { onDelete: "cascade" }),
    siteId: uuid("site_id").notNull(),
    thread: text("thread").notNull(),
    createdAt: createdAt(),
    domains: text("domains").array().notNull().default(sql`'{}'::text[]`),
    label: text("label").$type<"spam" | "ham">(),
  },
  (t) => [
    // A campaign's members: its counts, merging, and the purge's "still active" check.
    index("campaign_members_campaign_idx").on(t.campaignId, t.createdAt),
    // A site's campaigns (listing) and members.
    index("campaign_members_site_idx").on(t.siteId, t.campaignId),
    // Decided-spam members' linked domains: only those rows, so the rare-domain lookup reads the
    // members a moderator called spam, not every member that links a popular domain (the drain's
    // lookup grew with the stored members: BENCHMARKS.md, "Campaigns", session 4).
    index("campaign_members_spam_domains_idx")
      .using("gin", t.domains)
      .with({ fastupdate: false })
      .where(sql`${t.label} = 'spam' AND ${t.domains} <> '{}'::text[]`),
  ],
);

export type CampaignRow = typeof campaigns.$inferSelect;
export type CommentFingerprintRow = typeof commentFingerprints.$inferSelect;
export type CampaignMemberRow = typeof campaignMembers.$inferSelect;


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

// ------------------------------------------------------------------------------------------------
// Moderation console (issue 9). Kept in one block, owned by src/http/console and src/comments/undo.ts.

/**
 * A signed-in console session. The cookie carries a random token; only its sha256 is stored here.
 * `keyHash` is the hash of the key that opened it (the site's moderator key, or the admin token):
 * when the site's key no longer hashes to it, the key was rotated or revoked and the session ends.
 */
export const consoleSessions = pgTable(
  "console_sessions",
  {
    tokenHash: text("token_hash").primaryKey(),
    /** Null for an admin session that has not picked a site yet. */
    siteId: uuid("site_id").references(() => sites.id, { onDelete: "cascade" }),
    role: text("role").$type<"moderator" | "admin">().notNull(),
    keyHash: text("key_hash").notNull(),
    /** Sent back in every state-changing form and compared on POST. */
    csrfToken: text("csrf_token").notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  // Expired sessions are deleted by expiry; a rotated key's sessions by site.
  (t) => [index("console_sessions_expires_idx").on(t.expiresAt), index("console_sessions_site_idx").on(t.siteId)],
);

/** Failed console sign-ins, by client address, for throttling (rows older than the window are deleted). */
export const consoleLoginFailures = pgTable(
  "console_login_failures",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    client: text("client").notNull(),
    createdAt: createdAt(),
  },
  // The throttle counts one client's recent failures.
  (t) => [index("console_login_failures_client_idx").on(t.client, t.createdAt)],
);

/** One undoable console action: a decision on one comment, a bulk decision, or "decide all" in the author view. */
export const consoleActions = pgTable(
  "console_actions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    siteId: uuid("site_id")
      .notNull()
      .references(() => sites.id, { onDelete: "cascade" }),
    label: text("label").$type<"spam" | "ham">().notNull(),
    actor: text("actor").notNull(),
    /**
     * Set when the action decided a campaign's members (issue 12: the console's and the API's
     * "decide the whole campaign" are this same action). No foreign key: a campaign may be purged.
     */
    campaignId: uuid("campaign_id"),
    createdAt: createdAt(),
    /** Past this an action can no longer be undone. */
    undoableUntil: timestamp("undoable_until", { withTimezone: true }).notNull(),
    undoneAt: timestamp("undone_at", { withTimezone: true }),
  },
  // "Undo the last action" reads the site's newest action.
  (t) => [index("console_actions_site_created_idx").on(t.siteId, t.createdAt)],
);

/**
 * What one action changed on one comment: the decision it made and the comment's state before it,
 * so an undo puts back exactly that state (status and what the comment had taught the model).
 */
export const consoleActionItems = pgTable(
  "console_action_items",
  {
    actionId: uuid("action_id")
      .notNull()
      .references(() => consoleActions.id, { onDelete: "cascade" }),
    commentId: uuid("comment_id")
      .notNull()
      .references(() => comments.id, { onDelete: "cascade" }),
    decisionId: bigint("decision_id", { mode: "number" }).notNull(),
    prevStatus: text("prev_status").$type<CommentStatus>().notNull(),
    prevDecidedAt: timestamp("prev_decided_at", { withTimezone: true }),
    prevLearnedLabel: text("prev_learned_label").$type<"spam" | "ham">(),
    prevLearnedTokens: text("prev_learned_tokens").array(),
    prevLearnedTokenizerVersion: text("prev_learned_tokenizer_version"),
  },
  (t) => [primaryKey({ columns: [t.actionId, t.commentId] })],
);

export type ConsoleSessionRow = typeof consoleSessions.$inferSelect;
export type ConsoleActionRow = typeof consoleActions.$inferSelect;
export type ConsoleActionItemRow = typeof consoleActionItems.$inferSelect;

// ------------------------------------------------------------------------------------------------
// Retention and privacy (issue 11). Owned by src/comments/privacy.ts, retention.ts and sites.ts.

/**
 * One erasure: a person's comments on one site removed on request, or a whole site deleted. Who
 * asked, when and how many; never what matched (no e-mail, URL or address), so the record of an
 * erasure is not itself personal data. No foreign key: the record outlives a deleted site.
 */
export const erasures = pgTable(
  "erasures",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    siteId: uuid("site_id").notNull(),
    /** `person` (erase by e-mail, URL or IP) or `site` (the whole site deleted). */
    kind: text("kind").$type<"person" | "site">().notNull(),
    /** Which fields the request matched on (`email`, `url`, `ip`), not their values. */
    matchedOn: text("matched_on").array().notNull(),
    actor: text("actor").notNull(),
    comments: integer("comments").notNull(),
    decisions: integer("decisions").notNull(),
    createdAt: createdAt(),
  },
  // Listed per site, newest first.
  (t) => [index("erasures_site_created_idx").on(t.siteId, t.createdAt), check("erasures_kind_ck", sql`${t.kind} IN ('person', 'site')`)],
);

/**
 * What comments purged by retention still teach, on sites that keep their learned counts: summed
 * per site and token, with no link to any comment. `retrain` adds it back (the comments are gone,
 * their counts are not), and deleting the site unlearns it from the global scope.
 */
export const retainedCounts = pgTable(
  "retained_counts",
  {
    siteId: uuid("site_id")
      .notNull()
      .references(() => sites.id, { onDelete: "cascade" }),
    token: text("token").notNull(),
    // COUNT_SCALE units, like `token_counts`: bigint for the same reason.
    spam: bigint("spam", { mode: "number" }).notNull().default(0),
    ham: bigint("ham", { mode: "number" }).notNull().default(0),
  },
  // Read and written per site.
  (t) => [primaryKey({ columns: [t.siteId, t.token] })],
);

/** Documents per label behind `retained_counts`. */
export const retainedTotals = pgTable("retained_totals", {
  siteId: uuid("site_id")
    .primaryKey()
    .references(() => sites.id, { onDelete: "cascade" }),
  spam: integer("spam").notNull().default(0),
  ham: integer("ham").notNull().default(0),
});

/**
 * Secrets the installation makes for itself on first use (the key that hashes e-mail addresses), so
 * that every process and the CLI hash the same way with nothing to configure.
 */
export const installSecrets = pgTable("install_secrets", {
  name: text("name").primaryKey(),
  secret: text("secret").notNull(),
  createdAt: createdAt(),
});

export type ErasureRow = typeof erasures.$inferSelect;

// Rate limits (issue 11): rate-limiter-flexible's RateLimiterPostgres table, in the exact shape its
// own CREATE TABLE makes (so it runs with `tableCreated: true`), used when there is no Redis. The
// migration makes it UNLOGGED: counters of the last minute are not worth a WAL write per request,
// and a crash that empties them only forgives the current window.
export const rateLimits = pgTable("rate_limits", {
  key: varchar("key", { length: 255 }).primaryKey(),
  points: integer("points").notNull().default(0),
  expire: bigint("expire", { mode: "number" }),
});

// ------------------------------------------------------------------------------------------------
// Webhooks (issue 10). Kept in one block, owned by src/webhooks, src/worker/deliver-webhook.ts and
// the webhook routes. Deliveries are the outbox: a row is written before its job is queued (in the
// decision's own transaction for comment.decided), and a sweep re-queues rows whose job went missing.

export const webhookEvents = ["comment.scored", "comment.decided"] as const;
export type WebhookEvent = (typeof webhookEvents)[number];

/** A site's receiver URL, the events it wants, and its signing secret(s) (Standard Webhooks `whsec_…`). */
export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    siteId: uuid("site_id")
      .notNull()
      .references(() => sites.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    description: text("description"),
    events: text("events").array().$type<WebhookEvent[]>().notNull(),
    enabled: boolean("enabled").notNull().default(true),
    /** Why it was switched off: `410 Gone from the receiver`, or `disabled by an admin`. */
    disabledReason: text("disabled_reason"),
    /** Stored in the clear: signing needs the secret itself, not a hash. */
    secret: text("secret").notNull(),
    /** The secret before the last rotation, still signed with until `previousSecretExpiresAt`. */
    previousSecret: text("previous_secret"),
    previousSecretExpiresAt: timestamp("previous_secret_expires_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  // A site's endpoints are listed together, and the emitters look up the enabled ones per site.
  (t) => [index("webhook_endpoints_site_idx").on(t.siteId, t.createdAt)],
);

export const webhookDeliveryStatuses = ["pending", "delivered", "failed"] as const;
export type WebhookDeliveryStatus = (typeof webhookDeliveryStatuses)[number];

/** One event for one endpoint: the signed message (same `webhook-id` on every attempt) and where it stands. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    endpointId: uuid("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    siteId: uuid("site_id")
      .notNull()
      .references(() => sites.id, { onDelete: "cascade" }),
    /** The `webhook-id` header: one per event, shared by its endpoints, stable across retries and re-sends. */
    messageId: text("message_id").notNull(),
    eventType: text("event_type").$type<WebhookEvent>().notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    /** `pending` until delivered (2xx) or given up (`failed`). */
    status: text("status").$type<WebhookDeliveryStatus>().notNull().default("pending"),
    /** Bumped by a re-send by hand: its job gets a new id, and a job of an older generation stops. */
    generation: integer("generation").notNull().default(0),
    attempts: integer("attempts").notNull().default(0),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    /** When the queue runs it next (the backoff, or a longer Retry-After); the sweep re-queues rows past it. */
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // An endpoint's deliveries are listed newest first with a (created_at, id) cursor.
    index("webhook_deliveries_endpoint_created_idx").on(t.endpointId, t.createdAt, t.id),
    // The sweep scans only rows still to deliver.
    index("webhook_deliveries_pending_idx")
      .on(t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
    uniqueIndex("webhook_deliveries_endpoint_message_uq").on(t.endpointId, t.messageId),
    // Deleting a site cascades here: without it, every site deletion scans the table.
    index("webhook_deliveries_site_idx").on(t.siteId),
    check("webhook_deliveries_status_ck", sql`${t.status} IN ('pending', 'delivered', 'failed')`),
  ],
);

export const webhookAttemptOutcomes = ["delivered", "retrying", "gave_up", "endpoint_disabled", "refused"] as const;
/** Bounded on purpose: the label set of the `webhook deliveries by outcome` metric. */
export type WebhookAttemptOutcome = (typeof webhookAttemptOutcomes)[number];

/** Every HTTP attempt of a delivery (or its refusal by the address guard), as the receiver answered. */
export const webhookAttempts = pgTable(
  "webhook_attempts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    deliveryId: uuid("delivery_id")
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: "cascade" }),
    endpointId: uuid("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    /** 1-based over the delivery's whole life, re-sends included. */
    attempt: integer("attempt").notNull(),
    /** `queue` (the first try and BullMQ's retries) or `manual` (the first try of a re-send by hand). */
    trigger: text("trigger").$type<"queue" | "manual">().notNull(),
    outcome: text("outcome").$type<WebhookAttemptOutcome>().notNull(),
    /** Null when no answer came (refused, connection error, timeout). */
    statusCode: integer("status_code"),
    durationMs: integer("duration_ms").notNull(),
    error: text("error"),
    /** The first bytes of the answer's body (see RESPONSE_EXCERPT_BYTES), as text. */
    responseExcerpt: text("response_excerpt"),
    /** When the attempt started. */
    createdAt: createdAt(),
  },
  // An endpoint's attempts are listed newest first with a (created_at, id) cursor; a delivery's with it.
  (t) => [
    index("webhook_attempts_endpoint_created_idx").on(t.endpointId, t.createdAt, t.id),
    index("webhook_attempts_delivery_idx").on(t.deliveryId, t.createdAt),
  ],
);

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type WebhookAttemptRow = typeof webhookAttempts.$inferSelect;
