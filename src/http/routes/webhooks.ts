import { Hono, type Context } from "hono";
import { z } from "zod";
import {
  deleteEndpoint,
  findDelivery,
  findEndpoint,
  insertEndpoint,
  listAttempts,
  listDeliveries,
  listEndpoints,
  resendDelivery,
  updateEndpoint,
} from "../../db/queries/webhooks.js";
import { webhookDeliveryStatuses, webhookEvents, type SiteRow, type WebhookAttemptRow, type WebhookDeliveryRow, type WebhookEndpointRow } from "../../db/schema.js";
import type { Deps } from "../../deps.js";
import { RefusedAddressError, resolveAllowed } from "../../webhooks/guard.js";
import { generateSecret } from "../../webhooks/sign.js";
import { requireAdmin, requireKey } from "../auth.js";
import { ApiError } from "../errors.js";
import { decodeCursor, limitSchema, page } from "../pagination.js";
import type { AppEnv } from "../types.js";
import { idSchema, parseWith, readJson, text } from "../validate.js";
import { findSiteOr404 } from "./sites.js";

const endpointUrl = text(2000)
  .pipe(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }))
  .refine((u) => {
    const url = new URL(u);
    return url.username === "" && url.password === "";
  }, "must not carry a user name or password (send credentials in the URL path or query instead)");
const events = z
  .array(z.enum(webhookEvents))
  .min(1)
  .max(webhookEvents.length * 2)
  .transform((e) => [...new Set(e)]);
const description = text(500).nullable();

const createSchema = z.strictObject({ url: endpointUrl, events, description: description.optional(), enabled: z.boolean().optional() });
const patchSchema = z.strictObject({ url: endpointUrl.optional(), events: events.optional(), description: description.optional(), enabled: z.boolean().optional() });

/** How long the secret before a rotation still signs, so receivers can switch without dropping a delivery. */
const DEFAULT_OVERLAP_S = 24 * 3600;
const rotateSchema = z.strictObject({ overlapSeconds: z.int().min(0).max(7 * 24 * 3600).optional() });

const listQuery = z.object({ limit: limitSchema, cursor: z.string().max(500).optional() });
const deliveriesQuery = listQuery.extend({ status: z.enum(webhookDeliveryStatuses).optional() });
const attemptsQuery = listQuery.extend({ deliveryId: z.uuid().optional() });

/** Resolving a name at save is only a first check (every delivery checks again); it must not hold the request long. */
const SAVE_LOOKUP_MS = 2_000;

export function endpointView(e: WebhookEndpointRow, now = new Date()) {
  const rotating = e.previousSecret !== null && e.previousSecretExpiresAt !== null && e.previousSecretExpiresAt > now;
  return {
    id: e.id,
    siteId: e.siteId,
    url: e.url,
    description: e.description,
    events: e.events,
    enabled: e.enabled,
    disabledReason: e.disabledReason,
    /** While set, deliveries carry a signature with the previous secret too. */
    previousSecretExpiresAt: rotating ? e.previousSecretExpiresAt!.toISOString() : null,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}

export function deliveryView(d: WebhookDeliveryRow) {
  return {
    id: d.id,
    endpointId: d.endpointId,
    messageId: d.messageId,
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    nextAttemptAt: d.status === "pending" ? d.nextAttemptAt.toISOString() : null,
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
    payload: d.payload,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
  };
}

export function attemptView(a: WebhookAttemptRow) {
  return {
    id: a.id,
    deliveryId: a.deliveryId,
    attempt: a.attempt,
    trigger: a.trigger,
    outcome: a.outcome,
    statusCode: a.statusCode,
    durationMs: a.durationMs,
    error: a.error,
    responseExcerpt: a.responseExcerpt,
    createdAt: a.createdAt.toISOString(),
  };
}

/**
 * The save-time check: an address the guard refuses is a 400 now rather than a failed delivery
 * later. A name that does not resolve (yet) is accepted: deliveries retry DNS failures.
 */
async function checkUrl(deps: Pick<Deps, "config">, url: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      resolveAllowed(new URL(url).hostname, deps.config.WEBHOOKS_ALLOW_PRIVATE),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, SAVE_LOOKUP_MS))),
    ]);
  } catch (err) {
    if (err instanceof RefusedAddressError && err.kind !== "unresolvable") {
      throw new ApiError("BAD_REQUEST", "Invalid request body", [{ path: "url", message: err.message }]);
    }
  } finally {
    clearTimeout(timer);
  }
}

/** A body is optional on rotate: none at all means the defaults. */
async function readOptionalJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const length = c.req.header("content-length");
  if (c.req.header("content-type") === undefined && (length === undefined || length === "0")) return parseWith(schema, {}, "Invalid request body");
  return readJson(c, schema);
}

/**
 * The webhook routes of one site, wherever they are mounted: `siteOf` says which site a request
 * acts for (the admin names it in the path; a site key is its own). Every lookup below is scoped
 * to that site, so another site's endpoint or delivery id answers 404 as if it did not exist.
 */
function defineWebhookRoutes(app: Hono<AppEnv>, base: string, deps: Deps, siteOf: (c: Context<AppEnv>) => Promise<SiteRow>) {
  const endpointOr404 = async (c: Context<AppEnv>) => {
    const site = await siteOf(c);
    const id = c.req.param("wid") ?? "";
    const endpoint = idSchema.safeParse(id).success ? await findEndpoint(deps.db, site.id, id) : undefined;
    if (!endpoint) throw new ApiError("NOT_FOUND", "No such webhook endpoint");
    return { site, endpoint };
  };

  const root = base === "" ? "/" : base;
  app.post(root, async (c) => {
    const site = await siteOf(c);
    const body = await readJson(c, createSchema);
    await checkUrl(deps, body.url);
    const secret = generateSecret();
    const endpoint = await insertEndpoint(deps.db, {
      siteId: site.id,
      url: body.url,
      description: body.description ?? null,
      events: body.events,
      enabled: body.enabled ?? true,
      secret,
    });
    // Shown here and on rotate only, like the site's keys.
    return c.json({ endpoint: endpointView(endpoint), secret }, 201);
  });

  app.get(root, async (c) => {
    const site = await siteOf(c);
    return c.json({ endpoints: (await listEndpoints(deps.db, site.id)).map((e) => endpointView(e)) });
  });

  app.get(`${base}/:wid`, async (c) => c.json({ endpoint: endpointView((await endpointOr404(c)).endpoint) }));

  app.patch(`${base}/:wid`, async (c) => {
    const { site, endpoint } = await endpointOr404(c);
    const body = await readJson(c, patchSchema);
    if (body.url !== undefined) await checkUrl(deps, body.url);
    const enabling = body.enabled === true && !endpoint.enabled;
    const updated = await updateEndpoint(deps.db, site.id, endpoint.id, {
      ...(body.url === undefined ? {} : { url: body.url }),
      ...(body.events === undefined ? {} : { events: body.events }),
      ...(body.description === undefined ? {} : { description: body.description }),
      ...(body.enabled === undefined ? {} : { enabled: body.enabled }),
      ...(enabling ? { disabledReason: null } : body.enabled === false && endpoint.enabled ? { disabledReason: "disabled by an admin" } : {}),
    });
    if (!updated) throw new ApiError("NOT_FOUND", "No such webhook endpoint");
    return c.json({ endpoint: endpointView(updated) });
  });

  app.delete(`${base}/:wid`, async (c) => {
    const { site, endpoint } = await endpointOr404(c);
    if (!(await deleteEndpoint(deps.db, site.id, endpoint.id))) throw new ApiError("NOT_FOUND", "No such webhook endpoint");
    return c.body(null, 204);
  });

  app.post(`${base}/:wid/rotate`, async (c) => {
    const { site, endpoint } = await endpointOr404(c);
    const body = await readOptionalJson(c, rotateSchema);
    const overlapS = body.overlapSeconds ?? DEFAULT_OVERLAP_S;
    const secret = generateSecret();
    const updated = await updateEndpoint(deps.db, site.id, endpoint.id, {
      secret,
      previousSecret: overlapS > 0 ? endpoint.secret : null,
      previousSecretExpiresAt: overlapS > 0 ? new Date(Date.now() + overlapS * 1000) : null,
    });
    if (!updated) throw new ApiError("NOT_FOUND", "No such webhook endpoint");
    return c.json({ endpoint: endpointView(updated), secret });
  });

  app.get(`${base}/:wid/deliveries`, async (c) => {
    const { endpoint } = await endpointOr404(c);
    const q = parseWith(deliveriesQuery, c.req.query(), "Invalid query parameters");
    const limit = q.limit ?? 50;
    const rows = await listDeliveries(deps.db, { endpointId: endpoint.id, status: q.status, before: decodeCursor(q.cursor), limit: limit + 1 });
    const { rows: kept, nextCursor } = page(rows, limit);
    return c.json({ deliveries: kept.map(deliveryView), nextCursor });
  });

  const deliveryOr404 = async (c: Context<AppEnv>) => {
    const { endpoint } = await endpointOr404(c);
    const id = c.req.param("did") ?? "";
    const delivery = idSchema.safeParse(id).success ? await findDelivery(deps.db, endpoint.id, id) : undefined;
    if (!delivery) throw new ApiError("NOT_FOUND", "No such delivery");
    return { endpoint, delivery };
  };

  app.get(`${base}/:wid/deliveries/:did`, async (c) => {
    const { endpoint, delivery } = await deliveryOr404(c);
    const attempts = await listAttempts(deps.db, { endpointId: endpoint.id, deliveryId: delivery.id, limit: 200 });
    return c.json({ delivery: deliveryView(delivery), attempts: attempts.map(attemptView) });
  });

  app.post(`${base}/:wid/deliveries/:did/resend`, async (c) => {
    const { endpoint, delivery } = await deliveryOr404(c);
    const resent = await resendDelivery(deps.db, endpoint.id, delivery.id);
    if (!resent) throw new ApiError("CONFLICT", "This delivery is still pending: its retries are under way");
    return c.json({ delivery: deliveryView(resent) }, 202);
  });

  app.get(`${base}/:wid/attempts`, async (c) => {
    const { endpoint } = await endpointOr404(c);
    const q = parseWith(attemptsQuery, c.req.query(), "Invalid query parameters");
    const limit = q.limit ?? 50;
    const rows = await listAttempts(deps.db, { endpointId: endpoint.id, deliveryId: q.deliveryId, before: decodeCursor(q.cursor), limit: limit + 1 });
    const { rows: kept, nextCursor } = page(rows, limit);
    return c.json({ attempts: kept.map(attemptView), nextCursor });
  });
}

/** Admin routes (ADMIN_TOKEN) under `/v1/sites/:id/webhooks`: any site's endpoints. */
export function webhookAdminRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  app.use("*", requireAdmin(deps.config.ADMIN_TOKEN));
  defineWebhookRoutes(app, "/:id/webhooks", deps, (c) => findSiteOr404(deps, c.req.param("id") ?? ""));
  return app;
}

/** The same routes under `/v1/webhooks` for a site's own API key: that site's endpoints only. */
export function webhookSiteRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  app.use("*", requireKey(deps, ["site"]));
  defineWebhookRoutes(app, "", deps, (c) => Promise.resolve(c.var.auth.site));
  return app;
}
