import { Hono, type Context, type MiddlewareHandler } from "hono";
import { createRoute, z } from "@hono/zod-openapi";
import { checkComment, submitComment } from "../../akismet/calls.js";
import { akismetSettingsOf, akismetSettingsSchema } from "../../akismet/settings.js";
import { createCheckCampaigns } from "../../comments/akismet-checks.js";
import { campaignOptionsOf } from "../../comments/campaign-settings.js";
import {
  checkAnswer,
  csvAnswer,
  extractKey,
  FORM_LIMITS,
  invalidAnswer,
  isWellFormedKey,
  jsonAnswer,
  keySitesCsv,
  keySitesJson,
  mergeForms,
  parseComment,
  parseJsonForm,
  parseForm,
  parseKeySites,
  thanksAnswer,
  toResponse,
  usageLimitBody,
  verifyAnswer,
  type FormFields,
} from "../../akismet/wire.js";
import { currentMonth, listMonthUsage, monthApiCalls } from "../../db/queries/akismet.js";
import { updateSite } from "../../db/queries/sites.js";
import type { SiteRow } from "../../db/schema.js";
import type { Deps } from "../../deps.js";
import { hashKey, requireAdmin } from "../auth.js";
import { siteLimitOf } from "../../rate-limit/settings.js";
import { akismetRateLimited, clientKey, countRequest } from "../rate-limit.js";
import { findSiteOr404 } from "./sites.js";
import { ApiError, isUnavailable, RETRY_AFTER_S } from "../errors.js";
import { limitBody } from "../body-limit.js";
import type { AppEnv } from "../types.js";
import { ADMIN, BODY_ERRORS, createApi, errors, idParam, json, jsonBody, jsonRequest } from "../openapi.js";
import { AkismetSettingsSchema } from "../schemas.js";

/**
 * A form body is percent-encoded: a character can take up to 9 bytes on the wire (a 3-byte UTF-8
 * sequence, each byte as `%XX`). The content cap times that, plus room for the other fields.
 */
export function akismetBodyLimit(maxContentChars: number): number {
  return maxContentChars * 9 + 32 * 1024;
}

const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(;|$)/i;

const JSON_TYPE = /^application\/json\s*(;|$)/i;

const BAD_TYPE = "Send the body as application/x-www-form-urlencoded.";
const BAD_JSON = `A JSON body must be one object of fields (at most ${FORM_LIMITS.maxFields}).`;
const TOO_MANY = `Too many fields (at most ${FORM_LIMITS.maxFields}, and ${FORM_LIMITS.maxArrayItems} items in a list).`;
const NO_KEY = "Missing required field: api_key (or the key as the first label of the Host name).";
const BAD_KEY = "The API key is not valid.";

/**
 * Akismet's REST API (https://akismet.com/developers/). Every answer to a request is HTTP 200 in
 * Akismet's own format, errors in the request included (`invalid` plus `X-akismet-debug-help`).
 * Only when the service itself cannot answer (Postgres down) is it HTTP 503 with Retry-After, and
 * past a rate limit HTTP 429 with Retry-After: Akismet clients treat both as a transport failure.
 * The key is the site's API key.
 */
export function akismetRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  const maxContentChars = deps.config.MAX_CONTENT_CHARS;
  const maxBody = akismetBodyLimit(maxContentChars);
  // One campaign step for the process: concurrent checks are assigned together (issue 12).
  const campaignOptions = campaignOptionsOf(deps.config);
  const checkCampaigns = campaignOptions === false ? false : createCheckCampaigns(deps.db, campaignOptions);

  const limit = limitBody(maxBody, () => toResponse(invalidAnswer(`The body exceeds ${maxBody} bytes.`)));
  // Scoped to Akismet's paths: this sub-app is mounted at the root, beside /v1.
  app.use("/1.1/*", limit);
  app.use("/1.2/*", limit);
  // Per client IP before anything is read (a 429, which clients treat as a transport failure).
  const perIp: MiddlewareHandler<AppEnv> = async (c, next) => {
    const d = await countRequest(deps, c, "ip", clientKey(c, deps.config.TRUST_PROXY_HOPS), deps.config.RATE_LIMIT_IP_PER_MINUTE);
    if (d && !d.allowed) return akismetRateLimited(d, c.var.requestId);
    await next();
  };
  app.use("/1.1/*", perIp);
  app.use("/1.2/*", perIp);

  // A failure is not `invalid`: clients read that as a broken key. Any non-2xx is a transport
  // failure to them, and they apply their own fail-open or fail-closed setting. The log has the
  // cause, keyed by the request id.
  app.onError((err, c) => {
    if (isUnavailable(err)) {
      deps.log.warn("akismet call: dependency unavailable", { requestId: c.var.requestId, path: c.req.path, error: err });
      c.header("Retry-After", RETRY_AFTER_S);
      return c.text(`Service unavailable; retry later (request ${c.var.requestId}).`, 503);
    }
    deps.log.error("akismet call failed", { requestId: c.var.requestId, path: c.req.path, error: err });
    return c.text(`Internal error (request ${c.var.requestId}).`, 500);
  });

  /** Query fields under body fields, or what is wrong with the request. */
  const readForm = async (c: Context<AppEnv>, allowJson = false): Promise<{ form: FormFields } | { help: string }> => {
    const query = parseForm(new URL(c.req.url).search.replace(/^\?/, ""));
    if (!query) return { help: TOO_MANY };
    if (c.req.method !== "POST") return { form: query };
    const type = c.req.header("content-type");
    const text = await c.req.text();
    if (allowJson && type !== undefined && JSON_TYPE.test(type) && text !== "") {
      // Not Akismet's format, but what Coral Talk's older releases send to submit-spam/submit-ham
      // (only there: comment-check keeps Akismet's form).
      const json = parseJsonForm(text);
      return json ? { form: mergeForms(query, json) } : { help: BAD_JSON };
    }
    // Some clients omit the content type on an empty or form body; anything else declared is refused.
    if (type !== undefined && !FORM_TYPE.test(type) && text !== "") return { help: BAD_TYPE };
    const body = parseForm(text);
    return body ? { form: mergeForms(query, body) } : { help: TOO_MANY };
  };

  const siteForKey = async (key: string): Promise<SiteRow | undefined> => {
    // A malformed key cannot match, and need not cost a query.
    if (!isWellFormedKey(key)) return undefined;
    // The service's key cache (KEY_CACHE_TTL_MS), shared with the /v1 routes.
    const found = await deps.keys.lookup(hashKey(key));
    return found?.role === "site" ? found.site : undefined;
  };

  /** The form and the key's site, or the `invalid` answer saying what is wrong. */
  const authenticate = async (
    c: Context<AppEnv>,
    allowKeyField: boolean,
    allowJson = false,
  ): Promise<{ form: FormFields; site: SiteRow } | Response> => {
    const read = await readForm(c, allowJson);
    if ("help" in read) return toResponse(invalidAnswer(read.help));
    const key = extractKey(read.form, c.req.header("host"), { allowKeyField, forwardedHost: c.req.header("x-forwarded-host") });
    if (!key) return toResponse(invalidAnswer(NO_KEY));
    const site = await siteForKey(key.key);
    if (!site) return toResponse(invalidAnswer(BAD_KEY));
    const perSite = await countRequest(deps, c, "site", site.id, siteLimitOf(deps.config, site));
    if (perSite && !perSite.allowed) return akismetRateLimited(perSite, c.var.requestId);
    return { form: read.form, site };
  };

  app.post("/1.1/verify-key", async (c) => {
    const read = await readForm(c);
    if ("help" in read) return toResponse(invalidAnswer(read.help));
    const key = extractKey(read.form, c.req.header("host"), { allowKeyField: true, forwardedHost: c.req.header("x-forwarded-host") });
    if (!key) return toResponse(invalidAnswer("Missing required field: key."));
    return toResponse(verifyAnswer((await siteForKey(key.key)) !== undefined, BAD_KEY));
  });

  app.post("/1.1/comment-check", async (c) => {
    const auth = await authenticate(c, false);
    if (auth instanceof Response) return auth;
    const parsed = parseComment(auth.form, { maxContentChars });
    if (!parsed.ok) return toResponse(invalidAnswer(parsed.help));
    const result = await checkComment(deps, auth.site, parsed.value, { campaigns: checkCampaigns });
    if (result.late) deps.log.warn("akismet check answered before its verdict", { requestId: c.var.requestId, commentId: result.guid });
    return toResponse(checkAnswer(result));
  });

  for (const label of ["spam", "ham"] as const) {
    app.post(`/1.1/submit-${label}`, async (c) => {
      const auth = await authenticate(c, false, true);
      if (auth instanceof Response) return auth;
      const parsed = parseComment(auth.form, { maxContentChars, submission: true });
      if (!parsed.ok) return toResponse(invalidAnswer(parsed.help));
      // No `blog` (Coral Talk): the key names the site, whose URL stands in for it.
      const comment = parsed.value.blog === "" ? { ...parsed.value, blog: auth.site.url } : parsed.value;
      await submitComment(deps, auth.site, comment, label);
      return toResponse(thanksAnswer());
    });
  }

  app.on(["GET", "POST"], "/1.2/usage-limit", async (c) => {
    const auth = await authenticate(c, false);
    if (auth instanceof Response) return auth;
    return toResponse(jsonAnswer(usageLimitBody(await monthApiCalls(deps.db, auth.site.id))));
  });

  app.on(["GET", "POST"], "/1.2/key-sites", async (c) => {
    const auth = await authenticate(c, false);
    if (auth instanceof Response) return auth;
    const parsed = parseKeySites(auth.form);
    if (!parsed.ok) return toResponse(invalidAnswer(parsed.help));
    const q = parsed.value;
    const month = q.month ?? (await currentMonth(deps.db));
    const { rows, total } = await listMonthUsage(deps.db, {
      siteId: auth.site.id,
      month,
      ...(q.urlFilter === undefined ? {} : { blogContains: q.urlFilter }),
      limit: q.limit,
      offset: q.offset,
    });
    // The key is live (it authenticated), so none of its sites is revoked.
    const usage = rows.map((r) => ({
      month,
      site: r.blog,
      apiCalls: r.apiCalls,
      spam: r.spam,
      ham: r.ham,
      missedSpam: r.missedSpam,
      falsePositives: r.falsePositives,
      isRevoked: false,
    }));
    if (q.format === "csv") return toResponse(csvAnswer(keySitesCsv(month, usage)));
    return toResponse(jsonAnswer(keySitesJson(month, usage, { limit: q.limit, offset: q.offset, total })));
  });

  return app;
}

const settingsPatchSchema = z.strictObject({
  unsureAnswer: z.enum(["ham", "spam"]).optional(),
  discardCutoff: z.number().min(0).max(1).nullable().optional(),
});

const AkismetAnswer = z.object({ akismet: AkismetSettingsSchema });
const SiteParams = z.object({ id: idParam("id", "The site's id") });

/**
 * Admin routes for a site's Akismet settings (ADMIN_TOKEN), beside the service's /v1/sites:
 * `GET /v1/sites/:id/akismet` and `PATCH /v1/sites/:id/akismet` `{unsureAnswer?, discardCutoff?}`.
 */
export function akismetSettingsRoutes(deps: Deps) {
  const app = createApi();
  app.use("*", requireAdmin(deps.config.ADMIN_TOKEN));

  const siteOr404 = (id: string) => findSiteOr404(deps, id);

  return app
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}/akismet",
        tags: ["Sites (admin)"],
        summary: "The site's Akismet answers",
        security: ADMIN,
        request: { params: SiteParams },
        responses: { 200: json(AkismetAnswer, "The settings in force"), ...errors("NOT_FOUND") },
      }),
      async (c) => {
        const site = await siteOr404(c.req.valid("param").id);
        return c.json({ akismet: akismetSettingsOf(site.settings) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "patch",
        path: "/{id}/akismet",
        tags: ["Sites (admin)"],
        summary: "Change the site's Akismet answers",
        security: ADMIN,
        middleware: [jsonBody] as const,
        request: { params: SiteParams, body: jsonRequest(settingsPatchSchema) },
        responses: { 200: json(AkismetAnswer, "The settings now in force"), ...errors(...BODY_ERRORS, "NOT_FOUND") },
      }),
      async (c) => {
        const site = await siteOr404(c.req.valid("param").id);
        const patch = c.req.valid("json");
        const next = akismetSettingsSchema.parse({ ...akismetSettingsOf(site.settings), ...patch });
        const updated = await updateSite(deps.db, site.id, { settings: { ...site.settings, akismet: next } });
        if (!updated) throw new ApiError("NOT_FOUND", "No such site");
        // The cached site carries the settings: this process applies the change at once.
        deps.keys.clear();
        return c.json({ akismet: akismetSettingsOf(updated.settings) }, 200);
      },
    );
}
