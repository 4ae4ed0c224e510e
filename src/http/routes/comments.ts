import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { recordDecision } from "../../comments/decisions.js";
import { acceptComment, ParentNotFoundError } from "../../comments/intake.js";
import { intakePrivacyFor } from "../../comments/privacy-settings.js";
import {
  AUTHOR_EMAIL_MAX_CHARS,
  AUTHOR_NAME_MAX_CHARS,
  EXTERNAL_ID_MAX_CHARS,
  HONEYPOT_MAX_CHARS,
  NOTE_MAX_CHARS,
  THREAD_MAX_CHARS,
  URL_MAX_CHARS,
  USER_AGENT_MAX_CHARS,
} from "../../comments/limits.js";
import { authorTrusted } from "../../comments/publishing.js";
import { siteLimitOf } from "../../rate-limit/settings.js";
import { allowBrowserOrigin, preflight } from "../cors.js";
import { clientIp, clientKey, countRequest, limitByIp, rateLimited } from "../rate-limit.js";
import { browserView, commentView } from "../views.js";
import { waitForSettled } from "../../comments/wait.js";
import { findSiteComment } from "../../db/queries/comments.js";
import { listDecisions } from "../../db/queries/decisions.js";
import type { Deps } from "../../deps.js";
import { requireKey } from "../auth.js";
import { ApiError } from "../errors.js";
import { BODY_ERRORS, createApi, errorResponse, errors, idParam, json, jsonBody, jsonRequest, MODERATOR_KEY, PUBLISHABLE_KEY, SITE_KEY } from "../openapi.js";
import { BrowserCommentSchema, CommentSchema } from "../schemas.js";
import type { AppEnv } from "../types.js";
import { idSchema, text } from "../validate.js";

/** Clients often send null for "not given"; treat it like an absent field. */
const opt = <T extends z.ZodType>(s: T) => s.nullish().transform((v) => v ?? undefined);

export function commentInputSchema(maxContentChars: number) {
  return z.object({
    thread: text(THREAD_MAX_CHARS).min(1, "must not be empty"),
    content: text(maxContentChars).refine((s) => s.trim() !== "", "must not be empty"),
    author: opt(
      z.object({
        name: opt(text(AUTHOR_NAME_MAX_CHARS)),
        // Not checked as an address: spammers send junk here, and junk is a useful clue.
        email: opt(text(AUTHOR_EMAIL_MAX_CHARS)),
        url: opt(text(URL_MAX_CHARS)),
        /** The site vouches for this author (issue 11): published at once, still scored. */
        trusted: opt(z.boolean()),
      }),
    ),
    ip: opt(z.union([z.ipv4(), z.ipv6()], { error: "must be an IPv4 or IPv6 address" })),
    userAgent: opt(text(USER_AGENT_MAX_CHARS)),
    referrer: opt(text(URL_MAX_CHARS)),
    externalId: opt(text(EXTERNAL_ID_MAX_CHARS).min(1)),
    parentId: opt(z.uuid()),
    honeypot: opt(z.union([text(HONEYPOT_MAX_CHARS), z.boolean()])),
    timeToSubmitMs: opt(z.int().min(0).max(2_147_483_647)),
  });
}

/** `?wait=MS`: how long intake may wait for the verdict (bounded so requests stay short). */
export const MAX_WAIT_MS = 2000;
const waitSchema = z
  .string()
  .regex(/^\d{1,6}$/, `milliseconds from 0 to ${MAX_WAIT_MS}`)
  .transform(Number)
  .pipe(z.number().max(MAX_WAIT_MS, `milliseconds from 0 to ${MAX_WAIT_MS}`))
  .optional()
  .openapi({ param: { name: "wait", in: "query" }, description: `Milliseconds to wait for the verdict, 0 to ${MAX_WAIT_MS}`, example: "2000" });

const decisionSchema = z.strictObject({ label: z.enum(["spam", "ham"]), note: opt(text(NOTE_MAX_CHARS)) });

const CommentParams = z.object({ id: idParam("id", "The comment's id") });
const tags = ["Comments"];

export function commentRoutes(deps: Deps) {
  const inputSchema = commentInputSchema(deps.config.MAX_CONTENT_CHARS).openapi("CommentInput");

  const idOr404 = (raw: string) => {
    if (!idSchema.safeParse(raw).success) throw new ApiError("NOT_FOUND", "No such comment");
    return raw;
  };

  /** After the key: a browser's origin must be its site's, then the site and browser limits. */
  const guardPost: MiddlewareHandler<AppEnv> = async (c, next) => {
    const site = c.var.auth.site;
    const browser = c.var.auth.role === "publishable";
    if (browser) allowBrowserOrigin(c, site);
    const perSite = await countRequest(deps, c, "site", site.id, siteLimitOf(deps.config, site));
    if (perSite && !perSite.allowed) rateLimited(c, "site", perSite);
    if (browser) {
      const client = clientKey(c, deps.config.TRUST_PROXY_HOPS);
      const perPerson = await countRequest(deps, c, "browser", client === undefined ? undefined : `${site.id}:${client}`, deps.config.RATE_LIMIT_BROWSER_PER_MINUTE);
      if (perPerson && !perPerson.allowed) rateLimited(c, "browser", perPerson);
    }
    await next();
  };

  return createApi()
    .openapi(
      createRoute({
        method: "options",
        path: "/",
        tags,
        summary: "CORS preflight for browser posts",
        description:
          "204 with the CORS headers for an `Origin` that some site with a publishable key allows (`/v1/sites/{id}/cors`), else 403. Browsers send it themselves.",
        responses: { 204: { description: "The origin may post" }, 403: errorResponse("FORBIDDEN"), 503: errorResponse("SERVICE_UNAVAILABLE") },
      }),
      // Browser posts (publishable key) ask first; see http/cors.ts.
      async (c) => {
        await preflight(deps, c);
        return c.body(null, 204);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/",
        tags,
        summary: "Submit a comment for scoring",
        description:
          "Stored `pending` and queued at once (202). With `?wait=MS` (at most 2000) the answer waits for the verdict: 200 if it lands in time, else 202. The same `externalId` again answers the first comment, with `Idempotent-Replayed: true`.",
        security: [...SITE_KEY, ...PUBLISHABLE_KEY],
        // The IP is counted before the key is looked up, the site and browser limits (and a browser's
        // origin) before the body is read: a flood costs no parsing, and a page can read the error.
        middleware: [limitByIp(deps), requireKey(deps, ["site", "publishable"]), guardPost, jsonBody] as const,
        request: { query: z.object({ wait: waitSchema }), body: jsonRequest(inputSchema) },
        responses: {
          200: json(z.union([CommentSchema, BrowserCommentSchema]), "The verdict landed within `wait` (a publishable key's answer is a `BrowserComment`)"),
          202: json(z.union([CommentSchema, BrowserCommentSchema]), "Accepted, still `pending`"),
          ...errors(...BODY_ERRORS, "FORBIDDEN", "RATE_LIMITED"),
        },
      }),
      async (c) => {
        const wait = c.req.valid("query").wait ?? 0;
        const body = c.req.valid("json");
        const site = c.var.auth.site;
        const browser = c.var.auth.role === "publishable";
        const vouched = body.author?.trusted;
        const author = body.author && { name: body.author.name, email: body.author.email, url: body.author.url };
        if (browser && vouched !== undefined) throw new ApiError("FORBIDDEN", "author.trusted needs the site's API key, not the publishable key");
        // A page can claim anything: a browser post's address, agent and referrer are the request's own.
        const input = browser
          ? {
              ...body,
              author,
              ip: clientIp(c, deps.config.TRUST_PROXY_HOPS),
              userAgent: c.req.header("user-agent")?.slice(0, USER_AGENT_MAX_CHARS),
              referrer: c.req.header("referer")?.slice(0, URL_MAX_CHARS),
            }
          : { ...body, author };
        const trusted = await authorTrusted(deps.db, site, { trusted: vouched, email: author?.email });
        let accepted;
        try {
          accepted = await acceptComment(deps, site.id, { ...input, trusted }, await intakePrivacyFor(deps.db, site));
        } catch (err) {
          if (err instanceof ParentNotFoundError) {
            throw new ApiError("BAD_REQUEST", "parentId names no comment of this site", [{ path: "parentId", message: "not found" }]);
          }
          throw err;
        }
        let row = accepted.comment;
        if (wait > 0 && row.status === "pending") row = (await waitForSettled(deps, site.id, row.id, wait)) ?? row;
        c.header("Location", `/v1/comments/${row.id}`);
        if (!accepted.created) c.header("Idempotent-Replayed", "true");
        const view = browser ? browserView(row) : commentView(row);
        return row.status === "pending" ? c.json(view, 202) : c.json(view, 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/{id}",
        tags,
        summary: "Read a comment, its verdict and its decisions",
        security: [...SITE_KEY, ...MODERATOR_KEY],
        middleware: [requireKey(deps, ["site", "moderator"])] as const,
        request: { params: CommentParams },
        responses: { 200: json(CommentSchema, "The comment"), ...errors("FORBIDDEN", "NOT_FOUND") },
      }),
      async (c) => {
        const row = await findSiteComment(deps.db, c.var.auth.site.id, idOr404(c.req.valid("param").id));
        if (!row) throw new ApiError("NOT_FOUND", "No such comment");
        return c.json(commentView(row, await listDecisions(deps.db, row.id)), 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/{id}/decision",
        tags: ["Moderation"],
        summary: "Decide a comment: spam or ham",
        description: "The comment becomes `spam` or `published`; the decision is appended and the model learns it, unlearning the comment's earlier label.",
        security: MODERATOR_KEY,
        middleware: [requireKey(deps, ["moderator"]), jsonBody] as const,
        request: { params: CommentParams, body: jsonRequest(decisionSchema) },
        responses: { 200: json(CommentSchema, "The decided comment"), ...errors(...BODY_ERRORS, "FORBIDDEN", "NOT_FOUND") },
      }),
      async (c) => {
        const id = idOr404(c.req.valid("param").id);
        const body = c.req.valid("json");
        const result = await recordDecision(deps.db, {
          siteId: c.var.auth.site.id,
          commentId: id,
          label: body.label,
          note: body.note ?? null,
          actor: "moderator",
        });
        if (!result) throw new ApiError("NOT_FOUND", "No such comment");
        return c.json(commentView(result.comment, await listDecisions(deps.db, id)), 200);
      },
    );
}
