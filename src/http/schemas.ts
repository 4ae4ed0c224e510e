import { z } from "@hono/zod-openapi";
import { akismetSettingsSchema } from "../akismet/settings.js";
import { privacySettingsSchema, retentionSettingsSchema } from "../comments/privacy-settings.js";
import { cutoffSettingsSchema, signalSettingsSchema } from "../comments/site-rules.js";
import { publishingSettingsSchema } from "../comments/publishing.js";
import { commentStatuses, webhookAttemptOutcomes, webhookDeliveryStatuses, webhookEvents } from "../db/schema.js";
import { rateLimitSettingsSchema } from "../rate-limit/settings.js";
import { corsSettingsSchema } from "./cors.js";

/**
 * The response shapes of views.ts, for the API document (and the typed client). Each `.openapi(name)`
 * becomes a component; test/openapi.test.ts validates real answers against them.
 */

const timestamp = z.iso.datetime({ offset: true }).openapi({ example: "2026-12-01T12:00:00.000Z" });

export const DecisionSchema = z
  .object({
    id: z.number().int(),
    label: z.enum(["spam", "ham"]),
    note: z.string().nullable(),
    actor: z.string().openapi({ description: "`moderator`, `akismet`, `import`, …" }),
    createdAt: timestamp,
  })
  .openapi("Decision");

export const CommentSchema = z
  .object({
    id: z.uuid(),
    thread: z.string(),
    parentId: z.uuid().nullable(),
    externalId: z.string().nullable(),
    content: z.string(),
    author: z.object({ name: z.string().nullable(), email: z.string().nullable(), url: z.string().nullable() }),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    referrer: z.string().nullable(),
    source: z.string().openapi({ description: "`api`, `akismet`, `import`" }),
    status: z.enum(commentStatuses),
    verdict: z.enum(["ham", "unsure", "spam"]).nullable(),
    verdictStatus: z
      .enum(commentStatuses)
      .nullable()
      .openapi({ description: "What the verdict alone would have made the status (shadow mode's \"would have\"); null while pending" }),
    shadow: z.boolean().openapi({ description: "Published by the site's shadow mode whatever the verdict" }),
    trusted: z.boolean().openapi({ description: "The author was trusted at intake: published at once, scored after" }),
    score: z.number().nullable().openapi({ description: "Spam probability, 0 to 1; null while pending" }),
    reasons: z.array(z.unknown()).openapi({ description: "The top clues: token, probability, direction, weight" }),
    insufficientTraining: z
      .object({ spam: z.number().int(), ham: z.number().int(), required: z.number().int() })
      .nullable()
      .openapi({ description: "Set when the verdict is `unsure` only because too little was learned" }),
    modelVersion: z.string().nullable(),
    seenBefore: z.boolean(),
    campaign: z
      .object({ id: z.string(), size: z.number().int(), sites: z.number().int(), otherSites: z.number().int(), explanation: z.string() })
      .nullable(),
    createdAt: timestamp,
    scoredAt: timestamp.nullable(),
    decidedAt: timestamp.nullable(),
    decisions: z.array(DecisionSchema).optional().openapi({ description: "On single-comment answers" }),
  })
  .openapi("Comment");

export const PublishedCommentSchema = z
  .object({
    id: z.uuid(),
    thread: z.string(),
    parentId: z.uuid().nullable(),
    externalId: z.string().nullable(),
    content: z.string(),
    author: z.object({ name: z.string().nullable(), url: z.string().nullable() }),
    createdAt: timestamp,
  })
  .openapi("PublishedComment");

/** What a post with the publishable key gets back: no score, and spam answered as `held`. */
export const BrowserCommentSchema = z
  .object({
    id: z.uuid(),
    thread: z.string(),
    status: z.enum(["pending", "published", "held"]),
    createdAt: timestamp,
  })
  .openapi("BrowserComment");

// Rebuilt from the domain's shapes: a schema made before @hono/zod-openapi loaded has no `.openapi`.
export const AkismetSettingsSchema = z.strictObject(akismetSettingsSchema.shape).openapi("AkismetSettings");
export const SignalSettingsSchema = z.strictObject(signalSettingsSchema.shape).openapi("SignalSettings");
export const CutoffSettingsSchema = z.strictObject(cutoffSettingsSchema.shape).openapi("CutoffSettings");
export const PrivacySettingsSchema = z.strictObject(privacySettingsSchema.shape).openapi("PrivacySettings");
export const RetentionSettingsSchema = z.strictObject(retentionSettingsSchema.shape).openapi("RetentionSettings");
export const PublishingSettingsSchema = z.strictObject(publishingSettingsSchema.shape).openapi("PublishingSettings");
export const CorsSettingsSchema = z.strictObject(corsSettingsSchema.shape).openapi("CorsSettings");
export const RateLimitSettingsSchema = z.strictObject(rateLimitSettingsSchema.shape).openapi("RateLimitSettings");

const keyState = z.enum(["active", "revoked"]);

export const SiteSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    url: z.string(),
    keys: z.object({
      api: keyState,
      moderator: keyState,
      publishable: z.enum(["active", "none"]).openapi({ description: "`none` until the first rotate: browser posts are opt-in" }),
    }),
    settings: z
      .looseObject({
        hamCutoff: z.number(),
        spamCutoff: z.number(),
        minPerLabel: z.number().int(),
        akismet: AkismetSettingsSchema,
        signals: SignalSettingsSchema,
        cutoffs: CutoffSettingsSchema,
        privacy: PrivacySettingsSchema,
        retention: RetentionSettingsSchema,
        publishing: PublishingSettingsSchema,
        cors: CorsSettingsSchema,
        rateLimit: RateLimitSettingsSchema,
      })
      .openapi({ description: "Every setting in force, defaults filled in (other features add their own keys)" }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi("Site");

// Retention and privacy (routes/privacy.ts; the shapes of comments/privacy.ts).

/** A site's intake privacy flags with its retention settings. */
export const SitePrivacySchema = z
  .object({ truncateIp: z.boolean(), hashEmail: z.boolean(), retention: RetentionSettingsSchema })
  .openapi("SitePrivacy");

const matchField = z.enum(["email", "url", "ip"]);

const ExportedCommentSchema = z
  .object({
    id: z.uuid(),
    thread: z.string(),
    parentId: z.uuid().nullable(),
    externalId: z.string().nullable(),
    content: z.string(),
    author: z.object({ name: z.string().nullable(), email: z.string().nullable(), url: z.string().nullable() }),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    referrer: z.string().nullable(),
    source: z.string(),
    meta: z.record(z.string(), z.unknown()),
    status: z.string(),
    verdict: z.object({
      verdict: z.string().nullable(),
      score: z.number().nullable(),
      reasons: z.array(z.unknown()),
      modelVersion: z.string().nullable(),
      scoredAt: timestamp.nullable(),
    }),
    learnedLabel: z.enum(["spam", "ham"]).nullable(),
    akismet: z.object({ answeredSpam: z.boolean().nullable(), blog: z.string(), checkedAt: timestamp }).nullable(),
    decisions: z.array(
      z.object({ id: z.number().int(), label: z.enum(["spam", "ham"]), note: z.string().nullable(), actor: z.string(), createdAt: timestamp }),
    ),
    createdAt: timestamp,
    decidedAt: timestamp.nullable(),
  })
  .openapi("ExportedComment");

/** Everything stored about one person on one site. */
export const PersonExportSchema = z
  .object({
    site: z.object({ id: z.uuid(), name: z.string() }),
    matchedOn: z.array(matchField),
    exportedAt: timestamp,
    comments: z.array(ExportedCommentSchema),
  })
  .openapi("PersonExport");

/** What one person's erasure removed. */
export const ErasureResultSchema = z
  .object({ erasureId: z.uuid(), comments: z.number().int(), decisions: z.number().int(), unlearned: z.number().int() })
  .openapi("ErasureResult");

/** The record of an erasure: who asked and how many rows, never what matched. */
export const ErasureSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(["person", "site"]),
    matchedOn: z.array(matchField),
    actor: z.string(),
    comments: z.number().int(),
    decisions: z.number().int(),
    createdAt: timestamp,
  })
  .openapi("Erasure");
// The webhook views of routes/webhooks.ts (endpointView, deliveryView, attemptView).
export const WebhookEndpointSchema = z
  .object({
    id: z.uuid(),
    siteId: z.uuid(),
    url: z.string(),
    description: z.string().nullable(),
    events: z.array(z.enum(webhookEvents)),
    enabled: z.boolean(),
    disabledReason: z.string().nullable().openapi({ description: "`410 Gone from the receiver …` or `disabled by an admin`" }),
    previousSecretExpiresAt: timestamp.nullable().openapi({ description: "While set, deliveries carry a signature with the previous secret too" }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi("WebhookEndpoint");

export const WebhookDeliverySchema = z
  .object({
    id: z.uuid(),
    endpointId: z.uuid(),
    messageId: z.string().openapi({ description: "The `webhook-id` header (`msg_…`), the same on every retry and re-send" }),
    eventType: z.enum(webhookEvents),
    status: z.enum(webhookDeliveryStatuses),
    attempts: z.number().int(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: timestamp.nullable().openapi({ description: "While pending: when the next attempt runs (the backoff, or a longer Retry-After of the last answer, at most an hour)" }),
    deliveredAt: timestamp.nullable(),
    payload: z.record(z.string(), z.unknown()).openapi({ description: "The signed message: `{type, timestamp, data}`" }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi("WebhookDelivery");

export const WebhookAttemptSchema = z
  .object({
    id: z.uuid(),
    deliveryId: z.uuid(),
    attempt: z.number().int().openapi({ description: "1-based over the delivery's whole life, re-sends included" }),
    trigger: z.enum(["queue", "manual"]),
    outcome: z.enum(webhookAttemptOutcomes),
    statusCode: z.number().int().nullable().openapi({ description: "Null when no answer came (refused, connection error, timeout)" }),
    durationMs: z.number().int(),
    error: z.string().nullable(),
    responseExcerpt: z.string().nullable().openapi({ description: "The answer's first bytes, as text" }),
    createdAt: timestamp,
  })
  .openapi("WebhookAttempt");
