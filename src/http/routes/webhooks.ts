import { createRoute, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
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
import { ApiError, type ErrorCode } from "../errors.js";
import { ADMIN, BODY_ERRORS, createApi, errors, idParam, json, jsonBody, jsonRequest, optionalJsonBody, SITE_KEY } from "../openapi.js";
import { decodeCursor, limitSchema, page } from "../pagination.js";
import { WebhookAttemptSchema, WebhookDeliverySchema, WebhookEndpointSchema } from "../schemas.js";
import type { AppEnv } from "../types.js";
import { idSchema, text } from "../validate.js";
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

const EndpointAnswer = z.object({ endpoint: WebhookEndpointSchema });
const SecretAnswer = EndpointAnswer.extend({ secret: z.string().openapi({ description: "The signing secret (`whsec_…`), shown only on create and rotate" }) });
const DeliveryAnswer = z.object({ delivery: WebhookDeliverySchema });
const nextCursor = z.string().nullable().openapi({ description: "Pass as `cursor` for the next page; null on the last" });

/** POST on a site's collection; the secret is shown here and on rotate only, like the site's keys. */
async function addEndpoint(deps: Deps, site: SiteRow, body: z.output<typeof createSchema>) {
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
  return { endpoint: endpointView(endpoint), secret };
}

async function endpointsOf(deps: Deps, site: SiteRow) {
  return { endpoints: (await listEndpoints(deps.db, site.id)).map((e) => endpointView(e)) };
}

// The collection routes are declared once per mount: the site key's have no path parameter at all
// (a shared generic declaration would make the typed client pass `param: {}`).
const ADD = {
  method: "post",
  summary: "Add a webhook endpoint",
  description: "The signing secret is shown here and on rotate only. An address the SSRF guard refuses is a 400.",
} as const;
const LIST = { method: "get", summary: "List webhook endpoints" } as const;
const AddAnswer = json(SecretAnswer, "The endpoint and its signing secret");
const ListAnswer = json(z.object({ endpoints: z.array(WebhookEndpointSchema) }), "The site's endpoints (never their secrets)");

/** The endpoint's (and delivery's) ids: the schemas have them, but the generic site shape hides them from the type. */
const pathIds = (params: object) => params as { wid: string; did: string };

/** Where one copy of the routes is mounted, and how a request there names its site. */
interface Mount<B extends string, P extends z.ZodRawShape, A extends readonly ErrorCode[]> {
  /** The prefix of an endpoint's path: `/{id}/webhooks`, or `` under `/v1/webhooks`. */
  base: B;
  /** The path parameters that name the site (the admin's `{id}`; none for a site key). */
  siteParams: P;
  security: typeof ADMIN | typeof SITE_KEY;
  tags: string[];
  auth: MiddlewareHandler<AppEnv>;
  /** What the auth middleware answers besides 401 (a site key route: 403 for a moderator key). */
  authErrors: A;
  siteOf: (c: Context<AppEnv>) => Promise<SiteRow>;
}

/**
 * The routes on one endpoint (`…/{wid}…`) of one site, wherever they are mounted: `siteOf` says
 * which site a request acts for (the admin names it in the path; a site key is its own). Every
 * lookup below is scoped to that site, so another site's endpoint or delivery id answers 404 as if
 * it did not exist.
 */
function endpointRoutes<B extends string, P extends z.ZodRawShape, A extends readonly ErrorCode[]>(deps: Deps, m: Mount<B, P, A>) {
  const One = z.object({ ...m.siteParams, wid: idParam("wid", "The webhook endpoint's id") });
  const Delivery = z.object({ ...m.siteParams, wid: idParam("wid", "The webhook endpoint's id"), did: idParam("did", "The delivery's id") });
  const { security, tags, auth, authErrors } = m;

  const endpointOr404 = async (site: SiteRow, wid: string) => {
    const endpoint = idSchema.safeParse(wid).success ? await findEndpoint(deps.db, site.id, wid) : undefined;
    if (!endpoint) throw new ApiError("NOT_FOUND", "No such webhook endpoint");
    return endpoint;
  };
  const deliveryOr404 = async (site: SiteRow, wid: string, did: string) => {
    const endpoint = await endpointOr404(site, wid);
    const delivery = idSchema.safeParse(did).success ? await findDelivery(deps.db, endpoint.id, did) : undefined;
    if (!delivery) throw new ApiError("NOT_FOUND", "No such delivery");
    return { endpoint, delivery };
  };

  return createApi()
    .openapi(
      createRoute({
        method: "get",
        path: `${m.base}/{wid}`,
        tags,
        summary: "Read a webhook endpoint",
        security,
        middleware: [auth] as const,
        request: { params: One },
        responses: { 200: json(EndpointAnswer, "The endpoint"), ...errors(...authErrors, "NOT_FOUND") },
      }),
      async (c) => {
        const endpoint = await endpointOr404(await m.siteOf(c), pathIds(c.req.valid("param")).wid);
        return c.json({ endpoint: endpointView(endpoint) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "patch",
        path: `${m.base}/{wid}`,
        tags,
        summary: "Change a webhook endpoint",
        description: "`enabled: true` switches back on an endpoint a 410 turned off.",
        security,
        middleware: [auth, jsonBody] as const,
        request: { params: One, body: jsonRequest(patchSchema) },
        responses: { 200: json(EndpointAnswer, "The changed endpoint"), ...errors(...authErrors, ...BODY_ERRORS, "NOT_FOUND") },
      }),
      async (c) => {
        const site = await m.siteOf(c);
        const endpoint = await endpointOr404(site, pathIds(c.req.valid("param")).wid);
        const body = c.req.valid("json");
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
        return c.json({ endpoint: endpointView(updated) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "delete",
        path: `${m.base}/{wid}`,
        tags,
        summary: "Delete a webhook endpoint",
        description: "Its deliveries and attempts go with it.",
        security,
        middleware: [auth] as const,
        request: { params: One },
        responses: { 204: { description: "Deleted" }, ...errors(...authErrors, "NOT_FOUND") },
      }),
      async (c) => {
        const site = await m.siteOf(c);
        const endpoint = await endpointOr404(site, pathIds(c.req.valid("param")).wid);
        if (!(await deleteEndpoint(deps.db, site.id, endpoint.id))) throw new ApiError("NOT_FOUND", "No such webhook endpoint");
        return c.body(null, 204);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: `${m.base}/{wid}/rotate`,
        tags,
        summary: "Rotate an endpoint's signing secret",
        description: "The previous secret keeps signing for `overlapSeconds` (default 86400, at most 7 days, 0 for none). The body is optional.",
        security,
        middleware: [auth, optionalJsonBody] as const,
        request: { params: One, body: { ...jsonRequest(rotateSchema), required: false } },
        responses: { 200: json(SecretAnswer, "The endpoint and its new secret"), ...errors(...authErrors, ...BODY_ERRORS, "NOT_FOUND") },
      }),
      async (c) => {
        const site = await m.siteOf(c);
        const endpoint = await endpointOr404(site, pathIds(c.req.valid("param")).wid);
        const body = c.req.valid("json");
        const overlapS = body.overlapSeconds ?? DEFAULT_OVERLAP_S;
        const secret = generateSecret();
        const updated = await updateEndpoint(deps.db, site.id, endpoint.id, {
          secret,
          previousSecret: overlapS > 0 ? endpoint.secret : null,
          previousSecretExpiresAt: overlapS > 0 ? new Date(Date.now() + overlapS * 1000) : null,
        });
        if (!updated) throw new ApiError("NOT_FOUND", "No such webhook endpoint");
        return c.json({ endpoint: endpointView(updated), secret }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: `${m.base}/{wid}/deliveries`,
        tags,
        summary: "An endpoint's deliveries, newest first",
        security,
        middleware: [auth] as const,
        request: { params: One, query: deliveriesQuery },
        responses: {
          200: json(z.object({ deliveries: z.array(WebhookDeliverySchema), nextCursor }), "A page of deliveries"),
          ...errors(...authErrors, "BAD_REQUEST", "NOT_FOUND"),
        },
      }),
      async (c) => {
        const endpoint = await endpointOr404(await m.siteOf(c), pathIds(c.req.valid("param")).wid);
        const q = c.req.valid("query");
        const limit = q.limit ?? 50;
        const rows = await listDeliveries(deps.db, { endpointId: endpoint.id, status: q.status, before: decodeCursor(q.cursor), limit: limit + 1 });
        const { rows: kept, nextCursor } = page(rows, limit);
        return c.json({ deliveries: kept.map(deliveryView), nextCursor }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: `${m.base}/{wid}/deliveries/{did}`,
        tags,
        summary: "One delivery with its attempts",
        security,
        middleware: [auth] as const,
        request: { params: Delivery },
        responses: {
          200: json(DeliveryAnswer.extend({ attempts: z.array(WebhookAttemptSchema) }), "The delivery and its attempts, newest first"),
          ...errors(...authErrors, "NOT_FOUND"),
        },
      }),
      async (c) => {
        const { wid, did } = pathIds(c.req.valid("param"));
        const { endpoint, delivery } = await deliveryOr404(await m.siteOf(c), wid, did);
        const attempts = await listAttempts(deps.db, { endpointId: endpoint.id, deliveryId: delivery.id, limit: 200 });
        return c.json({ delivery: deliveryView(delivery), attempts: attempts.map(attemptView) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: `${m.base}/{wid}/deliveries/{did}/resend`,
        tags,
        summary: "Send a finished delivery again",
        description: "Same `webhook-id`, a fresh retry schedule; 409 while the delivery is still pending.",
        security,
        middleware: [auth] as const,
        request: { params: Delivery },
        responses: { 202: json(DeliveryAnswer, "The delivery, pending again"), ...errors(...authErrors, "NOT_FOUND", "CONFLICT") },
      }),
      async (c) => {
        const { wid, did } = pathIds(c.req.valid("param"));
        const { endpoint, delivery } = await deliveryOr404(await m.siteOf(c), wid, did);
        const resent = await resendDelivery(deps.db, endpoint.id, delivery.id);
        if (!resent) throw new ApiError("CONFLICT", "This delivery is still pending: its retries are under way");
        return c.json({ delivery: deliveryView(resent) }, 202);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: `${m.base}/{wid}/attempts`,
        tags,
        summary: "An endpoint's attempts, newest first",
        security,
        middleware: [auth] as const,
        request: { params: One, query: attemptsQuery },
        responses: {
          200: json(z.object({ attempts: z.array(WebhookAttemptSchema), nextCursor }), "A page of attempts"),
          ...errors(...authErrors, "BAD_REQUEST", "NOT_FOUND"),
        },
      }),
      async (c) => {
        const endpoint = await endpointOr404(await m.siteOf(c), pathIds(c.req.valid("param")).wid);
        const q = c.req.valid("query");
        const limit = q.limit ?? 50;
        const rows = await listAttempts(deps.db, { endpointId: endpoint.id, deliveryId: q.deliveryId, before: decodeCursor(q.cursor), limit: limit + 1 });
        const { rows: kept, nextCursor } = page(rows, limit);
        return c.json({ attempts: kept.map(attemptView), nextCursor }, 200);
      },
    );
}

const SiteParams = z.object({ id: idParam("id", "The site's id") });

/** Admin routes (ADMIN_TOKEN) under `/v1/sites/:id/webhooks`: any site's endpoints. */
export function webhookAdminRoutes(deps: Deps) {
  const auth = requireAdmin(deps.config.ADMIN_TOKEN);
  const tags = ["Webhooks (admin)"];
  return createApi()
    .openapi(
      createRoute({
        ...ADD,
        path: "/{id}/webhooks",
        tags,
        security: ADMIN,
        middleware: [auth, jsonBody] as const,
        request: { params: SiteParams, body: jsonRequest(createSchema) },
        responses: { 201: AddAnswer, ...errors(...BODY_ERRORS, "NOT_FOUND") },
      }),
      async (c) => c.json(await addEndpoint(deps, await findSiteOr404(deps, c.req.valid("param").id), c.req.valid("json")), 201),
    )
    .openapi(
      createRoute({
        ...LIST,
        path: "/{id}/webhooks",
        tags,
        security: ADMIN,
        middleware: [auth] as const,
        request: { params: SiteParams },
        responses: { 200: ListAnswer, ...errors("NOT_FOUND") },
      }),
      async (c) => c.json(await endpointsOf(deps, await findSiteOr404(deps, c.req.valid("param").id)), 200),
    )
    .route(
      "/",
      endpointRoutes(deps, {
        base: "/{id}/webhooks",
        siteParams: SiteParams.shape,
        security: ADMIN,
        tags,
        auth,
        authErrors: [] as const,
        siteOf: (c) => findSiteOr404(deps, c.req.param("id") ?? ""),
      }),
    );
}

/** The same routes under `/v1/webhooks` for a site's own API key: that site's endpoints only. */
export function webhookSiteRoutes(deps: Deps) {
  const auth = requireKey(deps, ["site"]);
  const tags = ["Webhooks"];
  return createApi()
    .openapi(
      createRoute({
        ...ADD,
        path: "/",
        tags,
        security: SITE_KEY,
        middleware: [auth, jsonBody] as const,
        request: { body: jsonRequest(createSchema) },
        responses: { 201: AddAnswer, ...errors("FORBIDDEN", ...BODY_ERRORS) },
      }),
      async (c) => c.json(await addEndpoint(deps, c.var.auth.site, c.req.valid("json")), 201),
    )
    .openapi(
      createRoute({ ...LIST, path: "/", tags, security: SITE_KEY, middleware: [auth] as const, responses: { 200: ListAnswer, ...errors("FORBIDDEN") } }),
      async (c) => c.json(await endpointsOf(deps, c.var.auth.site), 200),
    )
    .route(
      "/",
      endpointRoutes(deps, {
        base: "",
        siteParams: {},
        security: SITE_KEY,
        tags,
        auth,
        authErrors: ["FORBIDDEN"] as const,
        siteOf: (c) => Promise.resolve(c.var.auth.site),
      }),
    );
}
