import { createRoute, z } from "@hono/zod-openapi";
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
import { commentView } from "../views.js";
import { waitForSettled } from "../../comments/wait.js";
import { findSiteComment } from "../../db/queries/comments.js";
import { listDecisions } from "../../db/queries/decisions.js";
import type { Deps } from "../../deps.js";
import { requireKey } from "../auth.js";
import { ApiError } from "../errors.js";
import { BODY_ERRORS, createApi, errors, idParam, json, jsonBody, jsonRequest, MODERATOR_KEY, SITE_KEY } from "../openapi.js";
import { CommentSchema } from "../schemas.js";
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

  return createApi()
    .openapi(
      createRoute({
        method: "post",
        path: "/",
        tags,
        summary: "Submit a comment for scoring",
        description:
          "Stored `pending` and queued at once (202). With `?wait=MS` (at most 2000) the answer waits for the verdict: 200 if it lands in time, else 202. The same `externalId` again answers the first comment, with `Idempotent-Replayed: true`.",
        security: SITE_KEY,
        middleware: [requireKey(deps, ["site"]), jsonBody] as const,
        request: { query: z.object({ wait: waitSchema }), body: jsonRequest(inputSchema) },
        responses: {
          200: json(CommentSchema, "The verdict landed within `wait`"),
          202: json(CommentSchema, "Accepted, still `pending`"),
          ...errors(...BODY_ERRORS, "FORBIDDEN"),
        },
      }),
      async (c) => {
        const wait = c.req.valid("query").wait ?? 0;
        const body = c.req.valid("json");
        const site = c.var.auth.site;
        let accepted;
        try {
          accepted = await acceptComment(deps, site.id, body, await intakePrivacyFor(deps.db, site));
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
        return row.status === "pending" ? c.json(commentView(row), 202) : c.json(commentView(row), 200);
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
