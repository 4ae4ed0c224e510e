import { Hono, type Context } from "hono";
import { html } from "hono/html";
import { z } from "zod";
import { GLOBAL_SCOPE } from "../../classifier/index.js";
import { ipv4Prefix24, previewCutoffs } from "../../comments/moderation.js";
import { scoreOptionsFor } from "../../comments/scoring.js";
import { cutoffSettingsOf, proposeSiteCutoffs } from "../../comments/site-rules.js";
import { decideAsAction, MAX_ACTION_COMMENTS, undoAction } from "../../comments/undo.js";
import { decideCampaign, explainCampaign, siteCampaignDetail, siteMembers } from "../../comments/campaigns.js";
import {
  authorCommentIdsToDecide,
  authorCounts,
  COUNT_CAP,
  countByStatus,
  countDecisionsSince,
  countHeld,
  dailyRates,
  filterSiteCommentIds,
  lastDecidedScored,
  latestUndoableAction,
  listAuthorComments,
  listDecisionsFor,
  listQueue,
  readScopeTotals,
  setSessionSite,
  type AuthorKey,
  type QueueFilter,
} from "../../db/queries/console.js";
import { findSiteComment } from "../../db/queries/comments.js";
import { listDecisions } from "../../db/queries/decisions.js";
import { findSiteById, findSiteByKeyHash, listSites, updateSite } from "../../db/queries/sites.js";
import { commentStatuses, type CommentRow, type DecisionRow, type SiteRow } from "../../db/schema.js";
import type { Deps } from "../../deps.js";
import { hashKey } from "../auth.js";
import { isUnavailable, RETRY_AFTER_S } from "../errors.js";
import type { AppEnv } from "../types.js";
import { loadAssets } from "./assets.js";
import { CommentCard, last30Days, LoginForm, Notice, Page, PreviewTable, ProposedCutoffs, RateChart, TABS, type Layout } from "./pages.js";
import {
  checkLoginCsrf,
  clientOf,
  closeSession,
  equalSecrets,
  issueLoginCsrf,
  loginThrottled,
  openSession,
  readSession,
  recordLoginFailure,
  type ConsoleSession,
} from "./session.js";

const BASE = "/moderate";
/** Comments per queue page (the bench's 100 ms budget is for this many). */
export const PAGE_SIZE = 50;
/** Characters of each body shown in a list; the comment's own page shows all of it. */
const EXCERPT_CHARS = 1500;
/** Decided comments the settings preview files again. */
const PREVIEW_N = 500;

/**
 * No inline script or style may run: only our own hashed files. Comment text is escaped anyway; this
 * is the second wall. `form-action 'self'` keeps an injected form from posting elsewhere.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

type ConsoleEnv = AppEnv & { Variables: AppEnv["Variables"] & { session: ConsoleSession } };
type C = Context<ConsoleEnv>;

const optText = (max: number) =>
  z
    .string()
    .max(max)
    .transform((s) => s.trim())
    .transform((s) => (s === "" ? undefined : s))
    .optional();
const day = z
  .string()
  .regex(/^(\d{4}-\d{2}-\d{2})?$/, "must be a date, YYYY-MM-DD")
  .transform((s) => (s === "" ? undefined : new Date(`${s}T00:00:00Z`)))
  .refine((d) => d === undefined || !Number.isNaN(d.getTime()), "must be a real date")
  .optional();

const queueQuery = z.object({
  tab: z.enum(commentStatuses).default("held"),
  thread: optText(512),
  author: optText(200),
  email: optText(320),
  url: optText(2000),
  ip: optText(60),
  source: z.enum(["", "api", "akismet", "import"]).transform((s) => (s === "" ? undefined : s)).optional(),
  from: day,
  to: day,
  q: optText(200),
  order: z.enum(["newest", "priority"]).default("newest"),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
});

const cutoff = z.coerce.number().gt(0).lt(1);
const settingsQuery = z.object({ hamCutoff: cutoff.optional(), spamCutoff: cutoff.optional() });

class ConsoleError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 429,
    message: string,
  ) {
    super(message);
  }
}

function wantsJson(c: Context): boolean {
  return (c.req.header("accept") ?? "").includes("application/json");
}

/** A form's return address: only console pages, never another origin. */
function safeReturn(raw: unknown): string {
  return typeof raw === "string" && raw.startsWith(`${BASE}`) && !raw.startsWith("//") && !/[\r\n\\]/.test(raw) ? raw : BASE;
}

export function consoleRoutes(deps: Deps) {
  const app = new Hono<ConsoleEnv>();
  const assets = loadAssets(`${BASE}/static`);
  const css = assets.byName["console.css"].path;
  const js = assets.byName["console.js"].path;

  const render = (c: C | Context<AppEnv>, layout: Omit<Layout, "css" | "js">, status: 200 | 400 | 401 | 403 | 404 | 409 | 429 = 200) =>
    c.html(html`<!doctype html>${<Page {...layout} css={css} js={js} />}`, status);

  app.use("*", async (c, next) => {
    await next();
    c.header("Content-Security-Policy", CSP);
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
    c.header("X-Frame-Options", "DENY");
    if (!c.res.headers.has("Cache-Control")) c.header("Cache-Control", "no-store");
  });

  app.onError((err, c) => {
    if (!(err instanceof ConsoleError)) {
      const unavailable = isUnavailable(err);
      deps.log[unavailable ? "warn" : "error"]("console error", { requestId: c.var.requestId, path: c.req.path, error: err });
      const message = unavailable ? "A backing service is unavailable; retry shortly." : "Something went wrong; the log has the details.";
      if (unavailable) c.header("Retry-After", RETRY_AFTER_S);
      if (wantsJson(c)) return c.json({ error: { code: unavailable ? "SERVICE_UNAVAILABLE" : "INTERNAL", message, requestId: c.var.requestId } }, unavailable ? 503 : 500);
      return c.html(`<!doctype html><title>Error</title><p>${message}</p>`, unavailable ? 503 : 500);
    }
    if (wantsJson(c)) return c.json({ error: { code: err.status === 403 ? "FORBIDDEN" : err.status === 404 ? "NOT_FOUND" : err.status === 429 ? "RATE_LIMITED" : err.status === 409 ? "CONFLICT" : "BAD_REQUEST", message: err.message, requestId: c.var.requestId } }, err.status);
    const session = c.get("session") as ConsoleSession | undefined;
    return render(c, { title: "Problem", site: session?.site ?? null, csrf: session?.row.csrfToken, role: session?.actor, children: <Notice kind="error">{err.message}</Notice> }, err.status);
  });

  app.get("/static/:file", (c) => {
    const asset = assets.byPath.get(c.req.path);
    if (!asset) return c.text("Not found", 404);
    // Hashed names never change content: cache for a year.
    c.header("Cache-Control", "public, max-age=31536000, immutable");
    return c.body(new Uint8Array(asset.body), 200, { "Content-Type": asset.type });
  });

  // ------------------------------------------------------------------ sign-in

  app.get("/login", (c) => {
    const csrf = issueLoginCsrf(c);
    const message = c.req.query("ended") ? "Your session ended: the key it was opened with was rotated or revoked, or it expired. Sign in again." : undefined;
    return render(c, { title: "Sign in", site: null, children: <LoginForm csrf={csrf} message={message} /> });
  });

  app.post("/login", async (c) => {
    const client = clientOf(c);
    const form = await c.req.parseBody({ all: true });
    const fail = (status: 400 | 401 | 403 | 429, error: string) => {
      const csrf = issueLoginCsrf(c);
      return render(c, { title: "Sign in", site: null, children: <LoginForm csrf={csrf} error={error} /> }, status);
    };
    if (!checkLoginCsrf(c, typeof form.csrf === "string" ? form.csrf : undefined)) {
      return fail(403, "This sign-in form has expired or was not sent from this page. Try again.");
    }
    if (await loginThrottled(deps, client)) return fail(429, "Too many failed sign-ins from this address. Wait 15 minutes and try again.");
    const key = typeof form.key === "string" ? form.key.trim() : "";
    if (key === "" || key.length > 200) return fail(400, "Enter your moderator key.");
    const admin = deps.config.ADMIN_TOKEN;
    if (admin && equalSecrets(key, admin)) {
      await openSession(c, deps, { siteId: null, role: "admin", keyHash: hashKey(admin) });
      return c.redirect(`${BASE}/sites`, 303);
    }
    const found = await findSiteByKeyHash(deps.db, hashKey(key));
    if (!found || found.role !== "moderator") {
      await recordLoginFailure(deps, client);
      return fail(401, found ? "That is the site's API key; the console needs its moderator key." : "Unknown or revoked key.");
    }
    await openSession(c, deps, { siteId: found.site.id, role: "moderator", keyHash: hashKey(key) });
    return c.redirect(BASE, 303);
  });

  // Everything below needs a session; state-changing requests also its CSRF token.
  app.use("*", async (c: C, next) => {
    const found = await readSession(c, deps);
    if (!found.ok) {
      if (wantsJson(c)) return c.json({ error: { code: "UNAUTHORIZED", message: "Sign in again", requestId: c.var.requestId } }, 401);
      return c.redirect(`${BASE}/login${found.reason === "ended" ? "?ended=1" : ""}`, 303);
    }
    c.set("session", found.session);
    if (c.req.method === "POST") {
      const form = await c.req.parseBody({ all: true });
      const given = form.csrf;
      if (typeof given !== "string" || !equalSecrets(given, found.session.row.csrfToken)) {
        throw new ConsoleError(403, "This form was sent without its security token (CSRF). Reload the page and try again.");
      }
    }
    await next();
  });

  app.post("/logout", async (c) => {
    await closeSession(c, deps, c.var.session);
    return c.redirect(`${BASE}/login`, 303);
  });

  // ------------------------------------------------------------------ admin: pick a site

  app.get("/sites", async (c) => {
    const s = c.var.session;
    if (s.actor !== "admin") throw new ConsoleError(403, "Only the admin token can switch sites.");
    const sites = await listSites(deps.db);
    return render(c, {
      title: "Sites",
      site: s.site,
      csrf: s.row.csrfToken,
      role: s.actor,
      current: "sites",
      children: (
        <>
          <h1>Pick a site to moderate</h1>
          {sites.length === 0 ? <p>No sites yet: create one with POST /v1/sites.</p> : null}
          <ul>
            {sites.map((site) => (
              <li>
                <form method="post" action={`${BASE}/sites`}>
                  <input type="hidden" name="csrf" value={s.row.csrfToken} />
                  <input type="hidden" name="siteId" value={site.id} />
                  <button type="submit">
                    <bdi class="user">{site.name}</bdi>
                  </button>{" "}
                  <code>{site.url}</code>
                </form>
              </li>
            ))}
          </ul>
        </>
      ),
    });
  });

  app.post("/sites", async (c) => {
    const s = c.var.session;
    if (s.actor !== "admin") throw new ConsoleError(403, "Only the admin token can switch sites.");
    const form = await c.req.parseBody({ all: true });
    const id = typeof form.siteId === "string" ? form.siteId : "";
    const site = z.uuid().safeParse(id).success ? await findSiteById(deps.db, id) : undefined;
    if (!site) throw new ConsoleError(404, "No such site.");
    await setSessionSite(deps.db, s.row.tokenHash, site.id);
    return c.redirect(BASE, 303);
  });

  const siteOf = (c: C): SiteRow => {
    const site = c.var.session.site;
    if (!site) throw new ConsoleError(409, "Pick a site first (Sites).");
    return site;
  };
  const layoutFor = (c: C, title: string, current: Layout["current"], tab?: string) => ({
    title,
    site: c.var.session.site,
    csrf: c.var.session.row.csrfToken,
    role: c.var.session.actor,
    current,
    tab,
    returnTo: c.req.url.slice(c.req.url.indexOf(BASE)),
  });
  const historyOf = (decisions: DecisionRow[]) => {
    const by = new Map<string, DecisionRow[]>();
    for (const d of decisions) by.set(d.commentId, [...(by.get(d.commentId) ?? []), d]);
    return by;
  };

  // ------------------------------------------------------------------ the queue

  app.get("/", async (c) => {
    if (!c.var.session.site) return c.redirect(`${BASE}/sites`, 303);
    const site = siteOf(c);
    const parsed = queueQuery.safeParse(c.req.query());
    if (!parsed.success) throw new ConsoleError(400, `Invalid filter: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`);
    const q = parsed.data;
    const net = q.ip?.endsWith("/24") ? ipv4Prefix24(q.ip.slice(0, -3)) : undefined;
    if (q.ip?.endsWith("/24") && !net) throw new ConsoleError(400, "Invalid filter: ip must be an address or an IPv4 /24 (203.0.113.0/24).");
    const filter: Omit<QueueFilter, "status"> = {
      siteId: site.id,
      thread: q.thread,
      author: q.author,
      email: q.email,
      url: q.url,
      ...(net ? { ipPrefix24: net } : q.ip ? { ip: q.ip } : {}),
      source: q.source,
      from: q.from,
      to: q.to ? new Date(q.to.getTime() + 86_400_000) : undefined,
      text: q.q,
    };
    const [rows, counts] = await Promise.all([
      listQueue(deps.db, { ...filter, status: q.tab }, { order: q.order, limit: PAGE_SIZE + 1, offset: (q.page - 1) * PAGE_SIZE, excerptChars: EXCERPT_CHARS }),
      countByStatus(deps.db, filter),
    ]);
    const shown = rows.slice(0, PAGE_SIZE);
    const history = historyOf(await listDecisionsFor(deps.db, shown.map((r) => r.id)));
    const opts = scoreOptionsFor(site);
    const csrf = c.var.session.row.csrfToken;
    const params = new URLSearchParams(Object.entries(c.req.query()).filter(([k, v]) => k !== "tab" && k !== "page" && k !== "done" && v !== ""));
    const withParams = (extra: Record<string, string>) => {
      const p = new URLSearchParams(params);
      for (const [k, v] of Object.entries(extra)) p.set(k, v);
      return `${BASE}?${p.toString()}`;
    };
    const value = (v: string | undefined) => v ?? "";
    return render(c, {
      ...layoutFor(c, "Queue", "queue", q.tab),
      children: (
        <>
          <h1>Moderation queue</h1>
          <DoneNotice done={c.req.query("done")} />
          <p class="help">
            Keys: <kbd>j</kbd>/<kbd>k</kbd> next/previous, <kbd>s</kbd> spam, <kbd>a</kbd> not spam, <kbd>z</kbd> undo. Shift-click selects a range.
          </p>
          <ul class="tabs" id="queue-tabs" aria-label="Status">
            {TABS.map((t) => (
              <li>
                <a href={withParams({ tab: t })} aria-current={t === q.tab ? "page" : undefined}>
                  {t} (<span class="count">{counts.partial ? `${counts.counts[t]}+` : counts.counts[t] > COUNT_CAP ? `${COUNT_CAP}+` : counts.counts[t]}</span>)
                </a>
              </li>
            ))}
          </ul>
          <form class="filters" method="get" action={BASE} aria-label="Filters">
            <input type="hidden" name="tab" value={q.tab} />
            <label>
              Thread
              <input name="thread" value={value(q.thread)} />
            </label>
            <label>
              Author name
              <input name="author" value={value(q.author)} />
            </label>
            <label>
              Author e-mail
              <input name="email" value={value(q.email)} />
            </label>
            <label>
              Author URL
              <input name="url" value={value(q.url)} />
            </label>
            <label>
              IP or /24
              <input name="ip" value={value(q.ip)} placeholder="203.0.113.0/24" />
            </label>
            <label>
              Source
              <select name="source">
                {["", "api", "akismet", "import"].map((s) => (
                  <option value={s} selected={s === (q.source ?? "")}>
                    {s === "" ? "any" : s}
                  </option>
                ))}
              </select>
            </label>
            <label>
              From
              <input type="date" name="from" value={c.req.query("from") ?? ""} />
            </label>
            <label>
              To
              <input type="date" name="to" value={c.req.query("to") ?? ""} />
            </label>
            <label>
              Text contains
              <input type="search" name="q" value={value(q.q)} />
            </label>
            <label>
              Order
              <select name="order">
                <option value="newest" selected={q.order === "newest"}>
                  newest first
                </option>
                <option value="priority" selected={q.order === "priority"}>
                  most uncertain, busiest threads first
                </option>
              </select>
            </label>
            <button type="submit">Filter</button>
          </form>
          <form id="bulk-form" class="bulk" method="post" action={`${BASE}/decide`}>
            <input type="hidden" name="csrf" value={csrf} />
            <input type="hidden" name="return" value={c.req.url.slice(c.req.url.indexOf(BASE))} />
            <span>Selected:</span>
            <button type="submit" name="label" value="spam" class="spam">
              Spam
            </button>
            <button type="submit" name="label" value="ham" class="ham">
              Not spam
            </button>
          </form>
          <p id="queue-empty" hidden={shown.length > 0}>
            Nothing here{q.tab === "held" ? ": the held queue is clear." : "."}
          </p>
          <ol class="queue" id="queue-list">
            {shown.map((row) => (
              <li>
                <CommentCard row={row} o={{ csrf, hamCutoff: opts.hamCutoff, spamCutoff: opts.spamCutoff, history: history.get(row.id) ?? [], contentLength: row.contentLength, selectable: true }} />
              </li>
            ))}
          </ol>
          <nav aria-label="Pages">
            {q.page > 1 ? <a href={withParams({ tab: q.tab, page: String(q.page - 1) })}>Previous page</a> : null}{" "}
            {rows.length > PAGE_SIZE ? <a href={withParams({ tab: q.tab, page: String(q.page + 1) })}>Next page</a> : null}
          </nav>
        </>
      ),
    });
  });

  app.get("/comments/:id", async (c) => {
    const site = siteOf(c);
    const id = c.req.param("id");
    const row = z.uuid().safeParse(id).success ? await findSiteComment(deps.db, site.id, id) : undefined;
    if (!row) throw new ConsoleError(404, "No such comment on this site.");
    const opts = scoreOptionsFor(site);
    return render(c, {
      ...layoutFor(c, "Comment", "comment"),
      children: (
        <>
          <h1>Why this comment is here</h1>
          <CommentCard
            full
            row={row}
            o={{ csrf: c.var.session.row.csrfToken, hamCutoff: opts.hamCutoff, spamCutoff: opts.spamCutoff, history: await listDecisions(deps.db, row.id), contentLength: row.content.length, selectable: false }}
          />
        </>
      ),
    });
  });

  // ------------------------------------------------------------------ decisions and undo

  const actionAnswer = (c: C, result: { actionId: string; comments: CommentRow[] }, back: string, verb: string) => {
    if (wantsJson(c)) return c.json({ actionId: result.actionId, comments: result.comments.map((r) => ({ id: r.id, status: r.status })) });
    const url = new URL(back, "http://x");
    url.searchParams.set("done", verb);
    return c.redirect(`${url.pathname}${url.search}`, 303);
  };

  app.post("/decide", async (c) => {
    const site = siteOf(c);
    const form = await c.req.parseBody({ all: true });
    const label = form.label === "spam" || form.label === "ham" ? form.label : undefined;
    if (!label) throw new ConsoleError(400, "Choose spam or not spam.");
    const raw = ([] as unknown[]).concat(form.ids ?? []).filter((v): v is string => typeof v === "string" && z.uuid().safeParse(v).success);
    if (raw.length === 0) throw new ConsoleError(400, "Select at least one comment.");
    if (raw.length > MAX_ACTION_COMMENTS) throw new ConsoleError(400, `At most ${MAX_ACTION_COMMENTS} comments at once.`);
    const ids = await filterSiteCommentIds(deps.db, site.id, raw);
    if (ids.length === 0) throw new ConsoleError(404, "No such comment on this site.");
    const { action, comments } = await decideAsAction(deps.db, { siteId: site.id, commentIds: ids, label, actor: c.var.session.actor });
    return actionAnswer(c, { actionId: action.id, comments }, safeReturn(form.return), `${comments.length} ${label}`);
  });

  app.post("/undo", async (c) => {
    const site = siteOf(c);
    const form = await c.req.parseBody({ all: true });
    let actionId = typeof form.actionId === "string" && z.uuid().safeParse(form.actionId).success ? form.actionId : undefined;
    actionId ??= (await latestUndoableAction(deps.db, site.id))?.id;
    if (!actionId) throw new ConsoleError(409, "Nothing to undo: no decision in the last 10 minutes.");
    const outcome = await undoAction(deps.db, { siteId: site.id, actionId, actor: c.var.session.actor });
    if (outcome.outcome === "missing") throw new ConsoleError(404, "No such action on this site.");
    if (outcome.outcome === "already-undone") throw new ConsoleError(409, "That action was already undone.");
    if (outcome.outcome === "expired") throw new ConsoleError(409, "That action is too old to undo (10 minutes).");
    if (wantsJson(c)) return c.json({ actionId, restored: outcome.restored.map((r) => r.id), skipped: outcome.skipped });
    const back = new URL(safeReturn(form.return), "http://x");
    back.searchParams.set("done", "undo");
    return c.redirect(`${back.pathname}${back.search}`, 303);
  });

  // ------------------------------------------------------------------ the author view

  app.get("/author", async (c) => {
    const site = siteOf(c);
    const key = authorKeyOf(c.req.query());
    const [rows, counts] = await Promise.all([
      listAuthorComments(deps.db, site.id, key, { limit: PAGE_SIZE, excerptChars: EXCERPT_CHARS }),
      authorCounts(deps.db, site.id, key),
    ]);
    const history = historyOf(await listDecisionsFor(deps.db, rows.map((r) => r.id)));
    const opts = scoreOptionsFor(site);
    const csrf = c.var.session.row.csrfToken;
    const what = key.kind === "net" ? `the network ${key.prefix24}.0/24` : `${key.kind === "email" ? "the e-mail" : key.kind === "url" ? "the website" : "the address"} ${key.value}`;
    const total = commentStatuses.reduce((n, s) => n + counts.byStatus[s], 0);
    return render(c, {
      ...layoutFor(c, "Author", "author"),
      children: (
        <>
          <h1>
            Everything from <bdi class="user">{what}</bdi>
          </h1>
          <DoneNotice done={c.req.query("done")} />
          <table aria-label="Counts" id="author-counts">
            <thead>
              <tr>
                <th scope="col">Comments</th>
                <th scope="col">Threads</th>
                <th scope="col">Published</th>
                <th scope="col">Held</th>
                <th scope="col">Spam</th>
                <th scope="col">Pending</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <td data-testid="author-total">{total}</td>
                <td data-testid="author-threads">{counts.threads}</td>
                <td data-testid="author-published">{counts.byStatus.published}</td>
                <td data-testid="author-held">{counts.byStatus.held}</td>
                <td data-testid="author-spam">{counts.byStatus.spam}</td>
                <td>{counts.byStatus.pending}</td>
              </tr>
            </tbody>
          </table>
          <form method="post" action={`${BASE}/author/decide`} class="bulk">
            <input type="hidden" name="csrf" value={csrf} />
            {Object.entries(c.req.query()).filter(([k]) => ["email", "url", "ip", "net"].includes(k)).map(([k, v]) => <input type="hidden" name={k} value={v} />)}
            <span>Decide all of these ({Math.min(total, MAX_ACTION_COMMENTS)}):</span>
            <button type="submit" name="label" value="spam" class="spam">
              All spam
            </button>
            <button type="submit" name="label" value="ham" class="ham">
              All not spam
            </button>
          </form>
          <ol class="queue" id="queue-list">
            {rows.map((row) => (
              <li>
                <CommentCard row={row} o={{ csrf, hamCutoff: opts.hamCutoff, spamCutoff: opts.spamCutoff, history: history.get(row.id) ?? [], contentLength: row.contentLength, selectable: false }} />
              </li>
            ))}
          </ol>
        </>
      ),
    });
  });

  app.post("/author/decide", async (c) => {
    const site = siteOf(c);
    const form = await c.req.parseBody({ all: true });
    const key = authorKeyOf(Object.fromEntries(Object.entries(form).filter((e): e is [string, string] => typeof e[1] === "string")));
    const label = form.label === "spam" || form.label === "ham" ? form.label : undefined;
    if (!label) throw new ConsoleError(400, "Choose spam or not spam.");
    const ids = await authorCommentIdsToDecide(deps.db, site.id, key, label, MAX_ACTION_COMMENTS);
    const { action, comments } = await decideAsAction(deps.db, { siteId: site.id, commentIds: ids, label, actor: c.var.session.actor });
    const back = `${BASE}/author?${new URLSearchParams(key.kind === "net" ? { net: key.prefix24 } : { [key.kind]: key.value }).toString()}`;
    return actionAnswer(c, { actionId: action.id, comments }, back, `${comments.length} ${label}`);
  });

  // ------------------------------------------------------------------ a campaign (issue 12)

  const campaignOr404 = async (c: C, site: SiteRow) => {
    const id = c.req.param("id") ?? "";
    // Another site's campaign (no member here) looks exactly like a missing one.
    const found = z.uuid().safeParse(id).success ? await siteCampaignDetail(deps.db, site, id) : undefined;
    if (!found) throw new ConsoleError(404, "No such campaign on this site.");
    return found;
  };

  app.get("/campaigns/:id", async (c) => {
    const site = siteOf(c);
    const { facts, here } = await campaignOr404(c, site);
    // This site's members only: another site's comments are never read, only counted.
    const rows = await siteMembers(deps.db, site.id, facts.id, PAGE_SIZE);
    const history = historyOf(await listDecisionsFor(deps.db, rows.map((r) => r.id)));
    const opts = scoreOptionsFor(site);
    const csrf = c.var.session.row.csrfToken;
    return render(c, {
      ...layoutFor(c, "Campaign", "campaign"),
      children: (
        <>
          <h1>A campaign: the same comment posted again and again</h1>
          <DoneNotice done={c.req.query("done")} />
          <p data-testid="campaign-explanation">{explainCampaign(facts)}.</p>
          <table aria-label="Campaign counts" id="campaign-counts">
            <thead>
              <tr>
                <th scope="col">On this site</th>
                <th scope="col">Threads here</th>
                <th scope="col">Decided spam here</th>
                <th scope="col">Decided not spam here</th>
                <th scope="col">Other sites</th>
                <th scope="col">Copies on other sites</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <td data-testid="campaign-here">{here.size}</td>
                <td>{here.threads}</td>
                <td data-testid="campaign-here-spam">{here.decidedSpam}</td>
                <td>{here.decidedHam}</td>
                <td data-testid="campaign-other-sites">{facts.otherSites}</td>
                <td data-testid="campaign-other-copies">{facts.size - here.size}</td>
              </tr>
            </tbody>
          </table>
          <p class="help">Other sites' comments are never shown here, only how many there are.</p>
          <form method="post" action={`${BASE}/campaigns/${facts.id}/decide`} class="bulk" id="campaign-decide">
            <input type="hidden" name="csrf" value={csrf} />
            <span>Decide this site's {Math.min(here.size, MAX_ACTION_COMMENTS)} as one action:</span>
            <button type="submit" name="label" value="spam" class="spam">
              All spam
            </button>
            <button type="submit" name="label" value="ham" class="ham">
              All not spam
            </button>
          </form>
          <ol class="queue" id="queue-list">
            {rows.map((row) => (
              <li>
                <CommentCard row={row} o={{ csrf, hamCutoff: opts.hamCutoff, spamCutoff: opts.spamCutoff, history: history.get(row.id) ?? [], contentLength: row.content.length, selectable: false }} />
              </li>
            ))}
          </ol>
        </>
      ),
    });
  });

  app.post("/campaigns/:id/decide", async (c) => {
    const site = siteOf(c);
    const { facts } = await campaignOr404(c, site);
    const form = await c.req.parseBody({ all: true });
    const label = form.label === "spam" || form.label === "ham" ? form.label : undefined;
    if (!label) throw new ConsoleError(400, "Choose spam or not spam.");
    // The console's own action (undone by Undo or z like any other), tagged with the campaign.
    const result = await decideCampaign(deps.db, { siteId: site.id, campaignId: facts.id, label, actor: c.var.session.actor });
    if (!result) throw new ConsoleError(404, "No such campaign on this site.");
    return actionAnswer(c, { actionId: result.action.id, comments: result.comments }, `${BASE}/campaigns/${facts.id}`, `${result.decided} ${label}`);
  });

  // ------------------------------------------------------------------ dashboard

  app.get("/dashboard", async (c) => {
    const site = siteOf(c);
    const now = new Date();
    const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const week = new Date(today.getTime() - 6 * 86_400_000);
    const [held, decidedToday, decidedWeek, totals, rates] = await Promise.all([
      countHeld(deps.db, site.id),
      countDecisionsSince(deps.db, site.id, today),
      countDecisionsSince(deps.db, site.id, week),
      readScopeTotals(deps.db, [GLOBAL_SCOPE, site.id]),
      dailyRates(deps.db, site.id, 30),
    ]);
    const min = scoreOptionsFor(site).minPerLabel;
    const siteTotals = totals.get(site.id) ?? { spam: 0, ham: 0 };
    const globalTotals = totals.get(GLOBAL_SCOPE) ?? { spam: 0, ham: 0 };
    // Scoring compares the larger of site and global learning with minPerLabel (see score.ts).
    const enough = Math.max(siteTotals.spam, globalTotals.spam) >= min && Math.max(siteTotals.ham, globalTotals.ham) >= min;
    const blocked = last30Days(rates, today, (r) => ({ n: r.blockedHam, of: r.spamVerdicts }));
    const missed = last30Days(rates, today, (r) => ({ n: r.missedSpam, of: r.hamVerdicts }));
    return render(c, {
      ...layoutFor(c, "Dashboard", "dashboard"),
      children: (
        <>
          <h1>Dashboard</h1>
          <div class="cards">
            <section class="card" aria-labelledby="held-t">
              <h2 id="held-t">Held, waiting</h2>
              <p class="big" data-testid="held-count">
                <a href={`${BASE}?tab=held`}>{held}</a>
              </p>
            </section>
            <section class="card" aria-labelledby="dec-t">
              <h2 id="dec-t">Decisions</h2>
              <p>
                Today (UTC): <strong data-testid="decisions-today">{decidedToday}</strong>
              </p>
              <p>
                Last 7 days: <strong data-testid="decisions-week">{decidedWeek}</strong>
              </p>
            </section>
            <section class="card" aria-labelledby="train-t">
              <h2 id="train-t">Training</h2>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Learned</th>
                    <th scope="col">Spam</th>
                    <th scope="col">Not spam</th>
                  </tr>
                </thead>
                <tbody>
                  <tr>
                    <th scope="row">This site</th>
                    <td data-testid="site-spam">{siteTotals.spam}</td>
                    <td data-testid="site-ham">{siteTotals.ham}</td>
                  </tr>
                  <tr>
                    <th scope="row">All sites</th>
                    <td>{globalTotals.spam}</td>
                    <td>{globalTotals.ham}</td>
                  </tr>
                </tbody>
              </table>
              <p class={enough ? "" : "training"}>
                {enough
                  ? `Trained: at least ${min} of each label learned, so verdicts count.`
                  : `Not trained enough yet: the model needs ${min} of each label (site or all sites) before it files comments on its own; until then everything is held.`}
              </p>
            </section>
          </div>
          <h2>Last 30 days</h2>
          <div class="cards">
            <RateChart title="Blocked ham: spam verdicts a moderator called not spam" days={blocked} />
            <RateChart title="Missed spam: published verdicts a moderator called spam" days={missed} />
          </div>
        </>
      ),
    });
  });

  // ------------------------------------------------------------------ settings with a preview

  app.get("/settings", async (c) => {
    const site = siteOf(c);
    const parsed = settingsQuery.safeParse(c.req.query());
    if (!parsed.success) throw new ConsoleError(400, "Cutoffs must be numbers between 0 and 1.");
    const current = scoreOptionsFor(site);
    const ham = parsed.data.hamCutoff ?? current.hamCutoff;
    const spam = parsed.data.spamCutoff ?? current.spamCutoff;
    const rows = await lastDecidedScored(deps.db, site.id, PREVIEW_N);
    const invalid = ham > spam;
    const proposal = await proposeSiteCutoffs(deps.db, site);
    const previewHref = proposal.ok ? `${BASE}/settings?hamCutoff=${proposal.hamCutoff}&spamCutoff=${proposal.spamCutoff}` : null;
    return render(c, {
      ...layoutFor(c, "Settings", "settings"),
      children: (
        <>
          <h1>Settings</h1>
          {c.req.query("saved") ? <Notice>Saved.</Notice> : null}
          {invalid ? <Notice kind="error">The ham cutoff must not be above the spam cutoff.</Notice> : null}
          <form id="settings-form" method="post" action={`${BASE}/settings`} data-preview={`${BASE}/settings`}>
            <input type="hidden" name="csrf" value={c.var.session.row.csrfToken} />
            <p>
              <label for="hamCutoff">Ham cutoff: below this score a comment is published</label>{" "}
              <input id="hamCutoff" name="hamCutoff" type="number" step="any" min="0.001" max="0.999" value={String(ham)} required />
            </p>
            <p>
              <label for="spamCutoff">Spam cutoff: at or above this score a comment is filed as spam</label>{" "}
              <input id="spamCutoff" name="spamCutoff" type="number" step="any" min="0.001" max="0.999" value={String(spam)} required />
            </p>
            <p>
              <button type="submit" formaction={`${BASE}/settings`} formmethod="get">
                Preview
              </button>{" "}
              <button type="submit">Save</button>
            </p>
          </form>
          <p>
            Currently: published below {current.hamCutoff}, spam from {current.spamCutoff}, held in between.
          </p>
          <PreviewTable n={PREVIEW_N} current={previewCutoffs(rows, current.hamCutoff, current.spamCutoff)} next={previewCutoffs(rows, ham, spam)} />
          <ProposedCutoffs proposal={proposal} settings={cutoffSettingsOf(site)} previewHref={previewHref} />
        </>
      ),
    });
  });

  app.post("/settings", async (c) => {
    const site = siteOf(c);
    const form = await c.req.parseBody({ all: true });
    const parsed = z.object({ hamCutoff: cutoff, spamCutoff: cutoff }).safeParse(form);
    if (!parsed.success) throw new ConsoleError(400, "Cutoffs must be numbers between 0 and 1.");
    if (parsed.data.hamCutoff > parsed.data.spamCutoff) throw new ConsoleError(400, "The ham cutoff must not be above the spam cutoff.");
    await updateSite(deps.db, site.id, parsed.data);
    deps.keys.clear();
    return c.redirect(`${BASE}/settings?saved=1`, 303);
  });

  return app;
}

/** What the last form did, for pages reached without the script (with it, the live region says so). */
function DoneNotice(p: { done: string | undefined }) {
  if (!p.done) return null;
  if (p.done === "undo") return <Notice>Undone.</Notice>;
  const m = /^(\d+) (spam|ham)$/.exec(p.done);
  if (!m) return null;
  return (
    <Notice>
      Marked {m[1]} as {m[2] === "spam" ? "spam" : "not spam"}. Undo it with the Undo button (or <kbd>z</kbd>) within 10 minutes.
    </Notice>
  );
}

function authorKeyOf(q: Record<string, string>): AuthorKey {
  const pick = (k: string) => (q[k] !== undefined && q[k].trim() !== "" && q[k].length <= 2000 ? q[k].trim() : undefined);
  const email = pick("email");
  const url = pick("url");
  const ip = pick("ip");
  const net = pick("net");
  if (email) return { kind: "email", value: email };
  if (url) return { kind: "url", value: url };
  if (ip) return { kind: "ip", value: ip };
  if (net) {
    const prefix = ipv4Prefix24(`${net.replace(/\.0\/24$/, "")}.0`);
    if (!prefix) throw new ConsoleError(400, "net must be an IPv4 /24, like 203.0.113");
    return { kind: "net", prefix24: prefix };
  }
  throw new ConsoleError(400, "Name an author: email, url, ip or net.");
}

/** `GET /`: where things are. */
export function homeRoutes() {
  const app = new Hono<AppEnv>();
  app.get("/", (c) =>
    c.html(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Commentinel</title></head><body><main><h1>Commentinel</h1><ul><li><a href="${BASE}">Moderation console</a></li><li><a href="/healthz">Health (alive)</a></li><li><a href="/readyz">Readiness</a></li></ul></main></body></html>`,
    ),
  );
  return app;
}
