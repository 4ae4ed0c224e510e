import type { Child } from "hono/jsx";
import { explainCampaign } from "../../comments/campaigns.js";
import { cluesOf, describeSignal, highlightClues, linksIn, revealControls, signalClues, type CutoffPreview } from "../../comments/moderation.js";
import type { CutoffProposal } from "../../classifier/index.js";
import type { CutoffSettings } from "../../comments/site-rules.js";
import type { CommentRow, CommentStatus, DecisionRow, SiteRow } from "../../db/schema.js";
import type { DailyRates } from "../../db/queries/console.js";

/**
 * The console's pages. Every string from a comment goes through JSX text or attribute escaping
 * (hono/jsx escapes both), bidi and zero-width controls are shown as visible markers, and no
 * comment-supplied value ever becomes an href: links are shown as text with their real host.
 */

export interface Layout {
  title: string;
  css: string;
  js: string;
  site: SiteRow | null;
  csrf?: string;
  current?: "queue" | "dashboard" | "settings" | "author" | "sites" | "comment" | "campaign";
  tab?: string;
  role?: "moderator" | "admin";
  /** Where the undo form comes back to without the script. */
  returnTo?: string;
  children?: Child;
}

export function Page(p: Layout) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{p.title} · Commentinel</title>
        <link rel="stylesheet" href={p.css} />
        <script src={p.js} defer></script>
      </head>
      <body data-tab={p.tab ?? ""}>
        <a class="visually-hidden" href="#main">
          Skip to content
        </a>
        <header class="top">
          <span class="brand">Commentinel</span>
          {p.csrf !== undefined && p.site ? (
            <nav aria-label="Console">
              <ul>
                <li>
                  <a href="/moderate" aria-current={p.current === "queue" ? "page" : undefined}>
                    Queue
                  </a>
                </li>
                <li>
                  <a href="/moderate/dashboard" aria-current={p.current === "dashboard" ? "page" : undefined}>
                    Dashboard
                  </a>
                </li>
                <li>
                  <a href="/moderate/settings" aria-current={p.current === "settings" ? "page" : undefined}>
                    Settings
                  </a>
                </li>
                {p.role === "admin" ? (
                  <li>
                    <a href="/moderate/sites" aria-current={p.current === "sites" ? "page" : undefined}>
                      Sites
                    </a>
                  </li>
                ) : null}
              </ul>
            </nav>
          ) : null}
          {p.csrf !== undefined ? (
            <div class="right">
              {p.site ? (
                <span>
                  Site: <bdi class="user">{revealControls(p.site.name)}</bdi>
                </span>
              ) : null}
              {p.site ? (
                <form id="undo-form" method="post" action="/moderate/undo">
                  <input type="hidden" name="csrf" value={p.csrf} />
                  {p.returnTo ? <input type="hidden" name="return" value={p.returnTo} /> : null}
                  <button type="submit" title="Undo the last decision (z)">
                    Undo <kbd>z</kbd>
                  </button>
                </form>
              ) : null}
              <form method="post" action="/moderate/logout">
                <input type="hidden" name="csrf" value={p.csrf} />
                <button type="submit">Sign out</button>
              </form>
            </div>
          ) : null}
        </header>
        <main id="main">
          <div id="live-status" role="status" aria-live="polite" class="help"></div>
          {p.children}
        </main>
      </body>
    </html>
  );
}

export function Notice(p: { kind?: "error" | "info"; children?: Child }) {
  return (
    <p class={`notice ${p.kind ?? "info"}`} role={p.kind === "error" ? "alert" : undefined}>
      {p.children}
    </p>
  );
}

export function LoginForm(p: { csrf: string; message?: string; error?: string }) {
  return (
    <section class="login" aria-labelledby="login-title">
      <h1 id="login-title">Sign in to moderate</h1>
      {p.message ? <Notice>{p.message}</Notice> : null}
      {p.error ? <Notice kind="error">{p.error}</Notice> : null}
      <form method="post" action="/moderate/login">
        <input type="hidden" name="csrf" value={p.csrf} />
        <label for="key">Moderator key of your site, or the admin token</label>
        <input id="key" name="key" type="password" autocomplete="current-password" required maxlength={200} />
        <p>
          <button type="submit">Sign in</button>
        </p>
      </form>
      <p class="help">The key is exchanged for a session; it is not stored in the browser.</p>
    </section>
  );
}

/** The spam probability as a bar (and its number), with the site's cutoffs marked. */
export function ScoreBar(p: { score: number | null; hamCutoff: number; spamCutoff: number }) {
  if (p.score === null) return <span class="help">not scored yet</span>;
  const pct = Math.round(p.score * 100);
  const fill = p.score >= p.spamCutoff ? "#a40e26" : p.score < p.hamCutoff ? "#116329" : "#9a6700";
  return (
    <span class="score">
      <svg width="120" height="12" viewBox="0 0 100 10" role="img" aria-label={`Spam score ${pct} percent`}>
        <rect x="0" y="0" width="100" height="10" fill="#eaeef2" />
        <rect x="0" y="0" width={String(Math.max(1, pct))} height="10" fill={fill} />
        <line x1={String(p.hamCutoff * 100)} x2={String(p.hamCutoff * 100)} y1="0" y2="10" stroke="#1b1f24" stroke-width="0.8" />
        <line x1={String(p.spamCutoff * 100)} x2={String(p.spamCutoff * 100)} y1="0" y2="10" stroke="#1b1f24" stroke-width="0.8" />
      </svg>{" "}
      {pct}% spam
    </span>
  );
}

export interface CardOptions {
  csrf: string;
  hamCutoff: number;
  spamCutoff: number;
  history: DecisionRow[];
  /** Full text known (comment page) or an excerpt with this many characters in all. */
  contentLength: number;
  selectable: boolean;
}

function statusWords(row: CommentRow): string {
  if (row.decidedAt) return `decided by a person: ${row.learnedLabel === "spam" ? "spam" : "not spam"}`;
  const words = row.verdict === "spam" ? "the model called it spam" : row.verdict === "ham" ? "the model called it fine" : row.verdict === "unsure" ? "the model was not sure" : "waiting for a verdict";
  return `${words}${overrideWords(row)}`;
}

/** Shadow mode and trusted authors publish whatever the verdict: say what it would have done (issue 11). */
function overrideWords(row: CommentRow): string {
  if (row.statusOverride === null) return "";
  const would = row.verdict === "spam" ? "; without it: spam" : row.verdict === "unsure" ? "; without it: held" : "";
  return row.statusOverride === "shadow" ? ` (published by shadow mode${would})` : ` (trusted author, published at once${would})`;
}

function Author(p: { row: CommentRow }) {
  const { row } = p;
  const net = row.ip && /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(row.ip) ? row.ip.split(".").slice(0, 3).join(".") : undefined;
  return (
    <span class="meta">
      <bdi class="author user">{row.authorName ? revealControls(row.authorName) : "(no name)"}</bdi>
      {row.authorEmail ? (
        <a href={`/moderate/author?email=${encodeURIComponent(row.authorEmail)}`}>
          <bdi class="user">{revealControls(row.authorEmail)}</bdi>
        </a>
      ) : null}
      {row.authorUrl ? (
        <a href={`/moderate/author?url=${encodeURIComponent(row.authorUrl)}`} title="Everything from this website">
          website <bdi class="user">{linksIn(row.authorUrl)[0]?.host ?? revealControls(row.authorUrl.slice(0, 80))}</bdi>
        </a>
      ) : null}
      {row.ip ? (
        <a href={`/moderate/author?ip=${encodeURIComponent(row.ip)}`}>
          <bdi class="user">{row.ip}</bdi>
        </a>
      ) : null}
      {net ? <a href={`/moderate/author?net=${encodeURIComponent(net)}`}>{net}.0/24</a> : null}
    </span>
  );
}

export function CommentCard(p: { row: CommentRow; o: CardOptions; full?: boolean }) {
  const { row, o } = p;
  const clues = cluesOf(row.reasons);
  const segments = highlightClues(revealControls(row.content), clues);
  const signals = signalClues(clues);
  const words = clues.filter((c) => !signals.includes(c));
  const links = linksIn(row.content);
  const cut = o.contentLength - row.content.length;
  const name = row.authorName ? revealControls(row.authorName).slice(0, 60) : "no name";
  return (
    <article class="comment" tabindex={-1} data-id={row.id} aria-label={`Comment by ${name}`}>
      <div class="meta">
        {o.selectable ? (
          <input type="checkbox" class="select" name="ids" value={row.id} form="bulk-form" aria-label={`Select the comment by ${name}`} />
        ) : null}
        <span class={`pill ${row.status}`}>{row.status}</span>
        <ScoreBar score={row.score} hamCutoff={o.hamCutoff} spamCutoff={o.spamCutoff} />
        <span>{statusWords(row)}</span>
      </div>
      <Author row={row} />
      <div class="meta">
        <span>
          thread{" "}
          <a href={`/moderate?tab=${row.status}&thread=${encodeURIComponent(row.thread)}`}>
            <bdi class="user">{revealControls(row.thread.slice(0, 200))}</bdi>
          </a>
        </span>
        <span>source {row.source}</span>
        <time datetime={row.createdAt.toISOString()}>{row.createdAt.toISOString().slice(0, 16).replace("T", " ")} UTC</time>
        {p.full ? null : <a href={`/moderate/comments/${row.id}`}>details</a>}
      </div>
      {row.signals?.campaign ? (
        <p class="campaign">
          Part of a campaign:{" "}
          <a href={`/moderate/campaigns/${encodeURIComponent(row.signals.campaign.id)}`} data-testid="campaign-link">
            {explainCampaign(row.signals.campaign)}
          </a>{" "}
          (when it was scored)
        </p>
      ) : row.signals?.seenBefore ? (
        <p class="campaign">This site had the same text in the last days.</p>
      ) : null}
      {row.insufficientTraining ? (
        <p class="training">
          Held because the model has not learned enough yet: it knows {row.insufficientTraining.spam} spam and {row.insufficientTraining.ham} good
          comments, and needs {row.insufficientTraining.required} of each before it decides on its own.
        </p>
      ) : null}
      <p class="body">
        {segments.map((s) => (s.mark ? <mark class={s.mark} title={`${s.mark === "spam" ? "pushed toward spam" : "pushed toward not spam"}`}>{s.text}</mark> : s.text))}
        {cut > 0 ? (
          <span class="help">
            {" "}
            … {cut} more characters (<a href={`/moderate/comments/${row.id}`}>read all</a>)
          </span>
        ) : null}
      </p>
      {clues.length > 0 || links.length > 0 ? (
        <div class="why">
          {words.length > 0 ? (
            <div>
              Words that decided it:
              <ul>
                {words.map((c) => (
                  <li class={c.direction}>
                    <bdi class="user">{revealControls(c.token)}</bdi> → {c.direction === "spam" ? "spam" : "not spam"} ({Math.round(c.probability * 100)}%)
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
          {signals.length > 0 ? (
            <div>
              Other signals:
              <ul>
                {signals.map((c) => (
                  <li class={c.direction}>
                    <bdi class="user">{revealControls(describeSignal(c.token))}</bdi> → {c.direction === "spam" ? "spam" : "not spam"}
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
          {links.length > 0 ? (
            <div class="links">
              Links:
              <ul>
                {links.map((l) => (
                  <li>
                    {l.host ? <strong><bdi class="user">{l.host}</bdi></strong> : <strong>not a web link ({l.scheme ?? "unreadable"})</strong>}{" "}
                    <code>{l.text.slice(0, 200)}</code>
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
        </div>
      ) : null}
      {o.history.length > 0 ? (
        <details open={p.full}>
          <summary>Decision history ({o.history.length})</summary>
          <ul>
            {o.history.map((d) => (
              <li>
                <time datetime={d.createdAt.toISOString()}>{d.createdAt.toISOString().slice(0, 19).replace("T", " ")}</time> {d.actor}:{" "}
                {d.undoesId ? `undid "${d.label}"` : d.label === "spam" ? "spam" : "not spam"}
                {d.note ? (
                  <>
                    {" "}
                    — <bdi class="user">{revealControls(d.note)}</bdi>
                  </>
                ) : null}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      <form class="decide actions" method="post" action="/moderate/decide">
        <input type="hidden" name="csrf" value={o.csrf} />
        <input type="hidden" name="ids" value={row.id} />
        <button type="submit" name="label" value="spam" class="spam">
          Spam <kbd>s</kbd>
        </button>
        <button type="submit" name="label" value="ham" class="ham">
          Not spam <kbd>a</kbd>
        </button>
      </form>
    </article>
  );
}

export const TABS: CommentStatus[] = ["held", "spam", "published", "pending"];

/** A 30-day line chart of daily rates, drawn on the server. */
export function RateChart(p: { title: string; days: { day: string; rate: number | null; of: number }[] }) {
  const w = 300;
  const h = 90;
  const max = Math.max(0.05, ...p.days.map((d) => d.rate ?? 0));
  const x = (i: number) => 30 + (i * (w - 40)) / Math.max(1, p.days.length - 1);
  const y = (r: number) => h - 15 - (r / max) * (h - 25);
  const points = p.days.flatMap((d, i) => (d.rate === null ? [] : [`${x(i).toFixed(1)},${y(d.rate).toFixed(1)}`])).join(" ");
  const last = p.days.filter((d) => d.rate !== null).at(-1);
  const id = p.title.toLowerCase().replace(/[^a-z]+/g, "-");
  return (
    <figure>
      <svg class="chart" width={String(w)} height={String(h)} viewBox={`0 0 ${w} ${h}`} role="img" aria-labelledby={`${id}-t ${id}-d`}>
        <title id={`${id}-t`}>{p.title}</title>
        <desc id={`${id}-d`}>
          {last ? `Latest day with verdicts: ${last.day}, ${Math.round((last.rate ?? 0) * 1000) / 10}% of ${last.of}.` : "No verdicts in the last 30 days."}
        </desc>
        <line x1="30" x2={String(w - 10)} y1={String(h - 15)} y2={String(h - 15)} stroke="#d0d7de" />
        <line x1="30" x2="30" y1="10" y2={String(h - 15)} stroke="#d0d7de" />
        <text x="0" y="14">
          {Math.round(max * 100)}%
        </text>
        <text x="0" y={String(h - 15)}>
          0%
        </text>
        <text x="30" y={String(h - 2)}>
          {p.days[0]?.day.slice(5) ?? ""}
        </text>
        <text x={String(w - 45)} y={String(h - 2)}>
          {p.days.at(-1)?.day.slice(5) ?? ""}
        </text>
        {points ? <polyline points={points} fill="none" stroke="#0550ae" stroke-width="2" /> : null}
        {p.days.map((d, i) => (d.rate === null ? null : <circle cx={x(i).toFixed(1)} cy={y(d.rate).toFixed(1)} r="2" fill="#0550ae" />))}
      </svg>
      <figcaption>{p.title}</figcaption>
    </figure>
  );
}

export function last30Days(rows: DailyRates[], today: Date, pick: (r: DailyRates) => { n: number; of: number }) {
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const out: { day: string; rate: number | null; of: number }[] = [];
  for (let i = 29; i >= 0; i--) {
    const day = new Date(today.getTime() - i * 86_400_000).toISOString().slice(0, 10);
    const r = byDay.get(day);
    const v = r ? pick(r) : { n: 0, of: 0 };
    out.push({ day, rate: v.of === 0 ? null : v.n / v.of, of: v.of });
  }
  return out;
}

/**
 * The cutoffs proposed from the site's own decided comments (GET /v1/sites/:id/cutoffs shows the
 * same), with a link that previews them in the form below. Whether they apply by themselves is the
 * site's `autoApply` setting.
 */
export function ProposedCutoffs(p: { proposal: CutoffProposal; settings: CutoffSettings; previewHref: string | null }) {
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  const { proposal, settings } = p;
  return (
    <section id="proposed" aria-labelledby="proposed-title">
      <h2 id="proposed-title">Proposed from this site's decisions</h2>
      {proposal.ok ? (
        <>
          <p>
            For at most {pct(settings.targetBlockedHam)} blocked ham and {pct(settings.maxPassedSpam)} spam published on the last{" "}
            {proposal.spam + proposal.ham} decided comments: published below <strong data-testid="proposed-ham">{String(proposal.hamCutoff)}</strong>, spam from{" "}
            <strong data-testid="proposed-spam">{String(proposal.spamCutoff)}</strong>.
          </p>
          <p>
            On those comments they would have blocked {pct(proposal.blockedHam)} of the ham, published {pct(proposal.passedSpam)} of the spam and held{" "}
            <span data-testid="proposed-held">{pct(proposal.held)}</span>.{" "}
            {p.previewHref ? <a href={p.previewHref}>Preview the proposed cutoffs</a> : null}
          </p>
        </>
      ) : (
        <p data-testid="proposed-none">
          No proposal yet: it needs {proposal.required} decided comments of each label with a score; this site has {proposal.spam} spam and {proposal.ham} not spam.
        </p>
      )}
      <p class="help" data-testid="proposed-auto">
        {settings.autoApply
          ? "Applied by themselves: every decision re-computes the proposal and the site's cutoffs follow it."
          : "Not applied by themselves: save them below to use them (an administrator can turn on autoApply)."}
      </p>
    </section>
  );
}

export function PreviewTable(p: { current: CutoffPreview; next: CutoffPreview; n: number }) {
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  return (
    <section id="preview" aria-labelledby="preview-title">
      <h2 id="preview-title">How the last {p.n} decided comments would have been filed</h2>
      {p.current.decided === 0 ? (
        <p>No decided comments with a score yet: nothing to preview.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Of {p.current.decided} decided</th>
              <th scope="col">Current cutoffs</th>
              <th scope="col">New cutoffs</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">Blocked ham (good comments filed as spam)</th>
              <td>{p.current.blockedHam}</td>
              <td data-testid="preview-blocked-ham">{p.next.blockedHam}</td>
            </tr>
            <tr>
              <th scope="row">Missed spam (spam published)</th>
              <td>{p.current.missedSpam}</td>
              <td data-testid="preview-missed-spam">{p.next.missedSpam}</td>
            </tr>
            <tr>
              <th scope="row">Held for a moderator</th>
              <td>
                {p.current.held} ({pct(p.current.heldShare)})
              </td>
              <td data-testid="preview-held">
                {p.next.held} ({pct(p.next.heldShare)})
              </td>
            </tr>
          </tbody>
        </table>
      )}
      <p class="help">Uses each comment's score from when it arrived: it previews the cutoffs, not a retrained model.</p>
    </section>
  );
}
