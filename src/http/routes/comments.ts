import { Hono } from "hono";
import { z } from "zod";
import { recordDecision } from "../../comments/decisions.js";
import { acceptComment, ParentNotFoundError } from "../../comments/intake.js";
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
import { allowBrowserOrigin, commentsPreflight } from "../cors.js";
import { clientIp, countRequest, limitByIp, rateLimited } from "../rate-limit.js";
import { browserView, commentView } from "../views.js";
import { waitForSettled } from "../../comments/wait.js";
import { findSiteComment } from "../../db/queries/comments.js";
import { listDecisions } from "../../db/queries/decisions.js";
import type { Deps } from "../../deps.js";
import { requireKey } from "../auth.js";
import { ApiError } from "../errors.js";
import type { AppEnv } from "../types.js";
import { idSchema, parseWith, readJson, text } from "../validate.js";

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
  .optional();

const decisionSchema = z.strictObject({ label: z.enum(["spam", "ham"]), note: opt(text(NOTE_MAX_CHARS)) });

export function commentRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  const inputSchema = commentInputSchema(deps.config.MAX_CONTENT_CHARS);

  const idOr404 = (raw: string) => {
    if (!idSchema.safeParse(raw).success) throw new ApiError("NOT_FOUND", "No such comment");
    return raw;
  };

  // Browser posts (publishable key) ask first; see http/cors.ts.
  app.options("/", commentsPreflight(deps));

  app.post("/", limitByIp(deps), requireKey(deps, ["site", "publishable"]), async (c) => {
    const site = c.var.auth.site;
    const browser = c.var.auth.role === "publishable";
    if (browser) allowBrowserOrigin(c, site);
    const perSite = await countRequest(deps, c, "site", site.id, siteLimitOf(deps.config, site));
    if (perSite && !perSite.allowed) rateLimited(c, "site", perSite);
    const ip = browser ? clientIp(c, deps.config.TRUST_PROXY_HOPS) : undefined;
    if (browser) {
      const perPerson = await countRequest(deps, c, "browser", ip === undefined ? undefined : `${site.id}:${ip}`, deps.config.RATE_LIMIT_BROWSER_PER_MINUTE);
      if (perPerson && !perPerson.allowed) rateLimited(c, "browser", perPerson);
    }
    const wait = parseWith(waitSchema, c.req.query("wait"), "Invalid query parameter wait") ?? 0;
    const body = await readJson(c, inputSchema);
    const vouched = body.author?.trusted;
    const author = body.author && { name: body.author.name, email: body.author.email, url: body.author.url };
    if (browser && vouched !== undefined) throw new ApiError("FORBIDDEN", "author.trusted needs the site's API key, not the publishable key");
    // A page can claim anything: a browser post's address, agent and referrer are the request's own.
    const input = browser
      ? { ...body, author, ip, userAgent: c.req.header("user-agent")?.slice(0, USER_AGENT_MAX_CHARS), referrer: c.req.header("referer")?.slice(0, URL_MAX_CHARS) }
      : { ...body, author };
    const trusted = await authorTrusted(deps.db, site, { trusted: vouched, email: author?.email });
    let accepted;
    try {
      accepted = await acceptComment(deps, site.id, { ...input, trusted });
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
    return c.json(browser ? browserView(row) : commentView(row), row.status === "pending" ? 202 : 200);
  });

  app.get("/:id", requireKey(deps, ["site", "moderator"]), async (c) => {
    const row = await findSiteComment(deps.db, c.var.auth.site.id, idOr404(c.req.param("id")));
    if (!row) throw new ApiError("NOT_FOUND", "No such comment");
    return c.json(commentView(row, await listDecisions(deps.db, row.id)));
  });

  app.post("/:id/decision", requireKey(deps, ["moderator"]), async (c) => {
    const id = idOr404(c.req.param("id"));
    const body = await readJson(c, decisionSchema);
    const result = await recordDecision(deps.db, {
      siteId: c.var.auth.site.id,
      commentId: id,
      label: body.label,
      note: body.note ?? null,
      actor: "moderator",
    });
    if (!result) throw new ApiError("NOT_FOUND", "No such comment");
    return c.json(commentView(result.comment, await listDecisions(deps.db, id)));
  });

  return app;
}
