/// <reference lib="dom" />
import { execSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { sql } from "drizzle-orm";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dumpCounts } from "../src/db/queries/model.js";
import { ADMIN_TOKEN, call, createSite, freshDatabase, harness, type Harness, type TestSite } from "./helpers.js";
import { postComment } from "./helpers/console.js";
import { listen } from "./helpers/listen.js";

/**
 * The moderation console in a real browser: Debian's Chromium driven by playwright-core, against
 * the real service (an HTTP server on 127.0.0.1, real Postgres and Redis, a worker), on a database
 * of its own so the counts checked are the whole model's.
 */

/** `CHROMIUM` names the binary (a path that does not exist means "no browser"); else Debian's `chromium` on PATH. */
function findChromium(): string | undefined {
  const given = process.env.CHROMIUM;
  if (given !== undefined && given !== "") return existsSync(given) ? given : undefined;
  try {
    return execSync("command -v chromium || command -v chromium-browser", { shell: "/bin/sh", encoding: "utf8" }).trim().split("\n")[0] || undefined;
  } catch {
    return undefined;
  }
}
const CHROMIUM = findChromium();
const IN_CI = /^(1|true)$/i.test(process.env.CI ?? "");
if (!CHROMIUM && !IN_CI) console.log("console browser tests skipped: chromium is not installed (apt-get install -y chromium); with CI=true they fail instead");

/** Screenshots of each main view land here (gitignored; the README names it). */
export const SCREENSHOT_DIR = new URL("../test-artifacts/screenshots/", import.meta.url);
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

describe.skipIf(!CHROMIUM && !IN_CI)("moderation console in Chromium", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let h: Harness;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let site: TestSite;
  let other: TestSite;
  const hostileIds: string[] = [];
  const dialogs: string[] = [];

  const shot = async (name: string) => {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOT_DIR).pathname, fullPage: false });
  };
  const statusOf = async (id: string) => (await h.deps.db.execute(sql`SELECT status FROM comments WHERE id = ${id}`))[0]?.status;
  const signIn = async (key: string) => {
    await page.goto(`${server.url}/moderate`);
    await page.getByLabel("Moderator key of your site, or the admin token").fill(key);
    await page.getByRole("button", { name: "Sign in" }).click();
  };
  const activeId = () => page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.id ?? null);
  const cardIds = () => page.$$eval("article.comment", (els) => els.map((e) => (e as HTMLElement).dataset.id ?? ""));
  const axe = async (name: string) => {
    await page.evaluate(AXE_SOURCE);
    const result = await page.evaluate(async () => {
      const run = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown }[] }[] }> } }).axe;
      const r = await run.run(document, { resultTypes: ["violations"] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)) }));
    });
    const bad = result.filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(bad, `${name}: ${JSON.stringify(bad)}`).toEqual([]);
  };

  beforeAll(async () => {
    if (!CHROMIUM) throw new Error("CI is set but chromium is not installed: .ci/run installs it with apt-get");
    db = await freshDatabase();
    h = harness({ databaseUrl: db.url });
    h.startWorker();
    server = await listen(h.app.fetch);
    site = await createSite(h.app, "Browser blog");
    other = await createSite(h.app, "Other blog");
    // A little training so verdicts carry clues, with wide cutoffs so most comments wait in `held`.
    await call(h.app, "PATCH", `/v1/sites/${site.id}`, { key: ADMIN_TOKEN, body: { settings: { minPerLabel: 2, hamCutoff: 0.02, spamCutoff: 0.999 } } });
    const teach = async (content: string, label: "spam" | "ham") => {
      const id = await postComment(h.app, site, { thread: "training", content });
      // Known scores, so the settings preview below has a known answer.
      await h.deps.db.execute(sql`UPDATE comments SET score = ${label === "spam" ? 0.9 : 0.1} WHERE id = ${id}`);
      expect((await call(h.app, "POST", `/v1/comments/${id}/decision`, { key: site.moderatorKey, body: { label } })).status).toBe(200);
    };
    await teach("Cheap pills casino bonus, buy viagra now at http://pills.example", "spam");
    await teach("Casino bonus and cheap pills online, visit http://pills.example today", "spam");
    await teach("Thanks for the clear explanation, the second example helped me a lot.", "ham");
    await teach("Great post! I tried the recipe this weekend and my family loved it.", "ham");

    for (const [thread, content, name] of [
      ["recipes/bread", "Loved the recipe, my family asked for seconds. Thanks for the clear explanation!", "Ana"],
      ["recipes/bread", "Cheap pills and casino bonus here: http://pills.example/buy now", "Deals"],
      ["travel/lisbon", "Great post, the second example about the tram helped a lot", "Jo"],
      ["travel/lisbon", "Buy viagra casino bonus at http://xn--pypal-4ve.example and win", "Winner"],
      ["recipes/soup", "This recipe is great, my family loved it, thanks again", "Sam"],
    ] as const) {
      await postComment(h.app, site, { thread, content, author: { name, email: `${name.toLowerCase()}@mail.example` }, ip: "203.0.113.20" });
    }
    // Hostile content: every trick must stay text.
    const flag = "window.__pwned=1";
    hostileIds.push(
      await postComment(h.app, site, {
        thread: `hostile"><script>${flag}</script>`,
        content: `<script>${flag}</script><img src=x onerror="${flag}"><a href="javascript:${flag}">click</a> ' onmouseover='${flag} ${"Z".repeat(400)} \u202Eevil\u202C ${"lorem ".repeat(3400)}`.slice(0, 20_000),
        author: { name: `"><svg onload=${flag}>\u202Etxt.exe`, url: `javascript:${flag}`, email: `"onfocus="${flag}"@x.example` },
        ip: "198.51.100.7",
      }),
    );
    await postComment(h.app, other, { thread: "other-site-thread", content: "A comment only the other site may ever see" });

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await h?.close();
    await db?.drop();
  });

  it("signs in with the moderator key, shows the held queue, and signs out", async () => {
    await page.goto(`${server.url}/moderate`);
    expect(new URL(page.url()).pathname).toBe("/moderate/login");
    await shot("login");
    await axe("login");
    await page.getByLabel("Moderator key of your site, or the admin token").fill("mod_wrong");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain("Unknown or revoked key");
    await signIn(site.moderatorKey);
    await page.getByRole("heading", { name: "Moderation queue" }).waitFor();
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === "commentinel_console")).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/moderate" });
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in to moderate" }).waitFor();
    await page.goto(`${server.url}/moderate`);
    expect(new URL(page.url()).pathname).toBe("/moderate/login");
  });

  it("renders hostile comments inert: no script runs, no dialog opens, bidi overrides are shown", async () => {
    await signIn(site.moderatorKey);
    await page.waitForSelector(`article[data-id="${hostileIds[0]}"]`);
    await page.hover(`article[data-id="${hostileIds[0]}"] .body`);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await page.goto(`${server.url}/moderate/comments/${hostileIds[0]}`);
    await page.hover("article.comment .body");
    await page.focus("article.comment");
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(dialogs).toEqual([]);
    const text = await page.textContent("article.comment");
    expect(text).toContain("<script>window.__pwned=1</script>");
    expect(text).toContain("[U+202E]txt.exe");
    expect(text).toContain("not a web link (javascript)");
    // The 400-letter word wraps inside the card instead of widening the page.
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await shot("comment");
    await axe("comment");
  });

  it("clears held comments with the keyboard: j moves, s marks spam in place, z undoes", async () => {
    await page.goto(`${server.url}/moderate?tab=held`);
    await page.waitForFunction(() => document.body.dataset.enhanced === "true");
    const before = await cardIds();
    expect(before.length).toBeGreaterThanOrEqual(4);
    expect(await activeId()).toBe(before[0]);
    await shot("queue");
    await axe("queue");
    // The README's picture: ordinary comments with their clues highlighted.
    await page.goto(`${server.url}/moderate?tab=held&ip=${encodeURIComponent("203.0.113.0/24")}&order=priority`);
    await page.waitForFunction(() => document.body.dataset.enhanced === "true");
    await shot("queue-filtered");
    await axe("queue-filtered");
    await page.goto(`${server.url}/moderate?tab=held`);
    await page.waitForFunction(() => document.body.dataset.enhanced === "true");
    const countsBefore = await dumpCounts(h.deps.db);

    await page.keyboard.press("j");
    expect(await activeId()).toBe(before[1]);
    await page.keyboard.press("k");
    await page.keyboard.press("j");
    const url = page.url();
    await page.keyboard.press("s");
    await page.waitForFunction((id) => !document.querySelector(`article[data-id="${id}"]`), before[1]);
    expect(page.url()).toBe(url);
    // The next comment takes the focus, without a reload.
    expect(await activeId()).toBe(before[2]);
    expect(await statusOf(before[1]!)).toBe("spam");
    await expect(page.locator("#live-status").textContent()).resolves.toContain("Press z to undo");

    await page.keyboard.press("z");
    await page.waitForSelector(`article[data-id="${before[1]}"]`);
    expect(await activeId()).toBe(before[1]);
    expect(await statusOf(before[1]!)).toBe("held");
    expect(await dumpCounts(h.deps.db)).toEqual(countsBefore);
  });

  it("bulk-selects with shift-click, decides the selection, and undo restores the exact counts", async () => {
    await page.goto(`${server.url}/moderate?tab=held`);
    await page.waitForFunction(() => document.body.dataset.enhanced === "true");
    const ids = await cardIds();
    const countsBefore = await dumpCounts(h.deps.db);
    const statusesBefore = await h.deps.db.execute(sql`SELECT id, status, learned_label FROM comments ORDER BY id`);
    await page.locator(`article[data-id="${ids[0]}"] input.select`).click();
    await page.locator(`article[data-id="${ids[2]}"] input.select`).click({ modifiers: ["Shift"] });
    expect(await page.$$eval("input.select:checked", (els) => els.length)).toBe(3);
    await page.locator("#bulk-form").getByRole("button", { name: "Spam", exact: true }).click();
    await page.waitForFunction((first) => !document.querySelector(`article[data-id="${first}"]`), ids[0]);
    for (const id of ids.slice(0, 3)) expect(await statusOf(id)).toBe("spam");
    expect(await statusOf(ids[3]!)).toBe("held");
    const during = await dumpCounts(h.deps.db);
    const siteTotals = (c: typeof during) => c.totals.find((t) => t.scope === site.id);
    expect(siteTotals(during)).toEqual({ scope: site.id, spam: siteTotals(countsBefore)!.spam + 3, ham: siteTotals(countsBefore)!.ham });

    await page.getByRole("button", { name: /Undo/ }).click();
    await page.waitForSelector(`article[data-id="${ids[0]}"]`);
    expect(await dumpCounts(h.deps.db)).toEqual(countsBefore);
    expect(await h.deps.db.execute(sql`SELECT id, status, learned_label FROM comments ORDER BY id`)).toEqual(statusesBefore);
  });

  it("the author view shows one author's comments across threads with counts, and decides all of them", async () => {
    await page.goto(`${server.url}/moderate?tab=held`);
    await page.locator("article.comment", { hasText: "203.0.113.20" }).first().getByRole("link", { name: "203.0.113.0/24" }).click();
    await page.getByRole("heading", { name: /Everything from the network 203\.0\.113\.0\/24/ }).waitFor();
    expect(await page.textContent('[data-testid="author-total"]')).toBe("5");
    expect(await page.textContent('[data-testid="author-threads"]')).toBe("3");
    await shot("author");
    await axe("author");
    const countsBefore = await dumpCounts(h.deps.db);
    await page.getByRole("button", { name: "All spam" }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid="author-spam"]')?.textContent === "5");
    await page.getByRole("button", { name: /Undo/ }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid="author-spam"]')?.textContent === "0");
    expect(await dumpCounts(h.deps.db)).toEqual(countsBefore);
  });

  it("a comment's campaign: this site's members, only counts of the other site, decided as one action and undone", async () => {
    const text = (w: string) => `Make ${w} money from home with our crypto robot, join thousands of happy members at robot-profit.example today`;
    await postComment(h.app, site, { thread: "news/a", content: text("easy") });
    const second = await postComment(h.app, site, { thread: "news/b", content: text("easy") });
    await postComment(h.app, other, { thread: "other-site-thread", content: `${text("quick")} secret-other-site-words` });
    await page.goto(`${server.url}/moderate/comments/${second}`);
    await page.getByTestId("campaign-link").click();
    await page.getByRole("heading", { name: /A campaign/ }).waitFor();
    expect(await page.textContent('[data-testid="campaign-here"]')).toBe("2");
    expect(await page.textContent('[data-testid="campaign-other-sites"]')).toBe("1");
    expect(await page.textContent('[data-testid="campaign-other-copies"]')).toBe("1");
    expect(await page.locator("article.comment").count()).toBe(2);
    const content = await page.content();
    expect(content).not.toContain("secret-other-site-words");
    expect(content).not.toContain("other-site-thread");
    await shot("campaign");
    await axe("campaign");
    const countsBefore = await dumpCounts(h.deps.db);
    await page.getByRole("button", { name: "All spam" }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid="campaign-here-spam"]')?.textContent === "2");
    expect(await page.textContent("p.notice")).toMatch(/Marked 2 as spam/);
    expect(await dumpCounts(h.deps.db)).not.toEqual(countsBefore);
    // The console's one Undo takes the campaign action back, exactly.
    await page.waitForFunction(() => document.body.dataset.enhanced === "true");
    await page.keyboard.press("z");
    await page.waitForFunction(() => document.querySelector('[data-testid="campaign-here-spam"]')?.textContent === "0");
    expect(await dumpCounts(h.deps.db)).toEqual(countsBefore);
  });

  it("the settings preview follows the cutoffs as they are typed", async () => {
    await page.goto(`${server.url}/moderate/settings`);
    await page.waitForFunction(() => document.body.dataset.enhanced === "true");
    const heldBefore = await page.textContent('[data-testid="preview-held"]');
    expect(heldBefore).toMatch(/^4 \(100%\)$/);
    await page.getByLabel(/Spam cutoff/).fill("0.5");
    await page.getByLabel(/Ham cutoff/).fill("0.4");
    await page.waitForFunction(() => document.querySelector('[data-testid="preview-held"]')?.textContent === "0 (0%)");
    expect(await page.textContent('[data-testid="preview-blocked-ham"]')).toBe("0");
    // Four decided comments: too few for cutoffs proposed from the site's own decisions, and it says why.
    await expect(page.getByRole("region", { name: "Proposed from this site's decisions" }).textContent()).resolves.toContain("this site has 2 spam and 2 not spam");
    await shot("settings");
    await axe("settings");
  });

  it("refuses a form posted without its CSRF token, with the script and without it", async () => {
    await page.goto(`${server.url}/moderate?tab=held`);
    await page.waitForFunction(() => document.body.dataset.enhanced === "true");
    const [first] = await cardIds();
    // The script's in-place decision: the server refuses it and the page says so.
    await page.evaluate((id) => document.querySelector(`article[data-id="${id}"] form.decide input[name="csrf"]`)?.remove(), first);
    await page.locator(`article[data-id="${first}"]`).getByRole("button", { name: /^Spam/ }).click();
    await page.waitForFunction(() => document.getElementById("live-status")?.textContent?.includes("security token"));
    expect(await statusOf(first!)).toBe("held");
    // A plain form post (settings): a 403 page, and nothing saved.
    await page.goto(`${server.url}/moderate/settings`);
    await page.evaluate(() => document.querySelector('#settings-form input[name="csrf"]')?.remove());
    await page.getByLabel(/Ham cutoff/).fill("0.01");
    const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === "POST"), page.getByRole("button", { name: "Save" }).click()]);
    expect(response.status()).toBe(403);
    await expect(page.getByRole("alert").textContent()).resolves.toContain("security token");
    const row = await h.deps.db.execute(sql`SELECT ham_cutoff FROM sites WHERE id = ${site.id}`);
    expect(row[0]!.ham_cutoff).toBeCloseTo(0.02, 5);
  });

  it("the dashboard shows what waits, what was decided and how well trained the model is", async () => {
    await page.goto(`${server.url}/moderate/dashboard`);
    expect(Number(await page.textContent('[data-testid="held-count"]'))).toBeGreaterThanOrEqual(6);
    expect(await page.textContent('[data-testid="site-spam"]')).toBe("2");
    expect(await page.locator("svg.chart").count()).toBe(2);
    await shot("dashboard");
    await axe("dashboard");
  });

  it("never shows a second site's comments", async () => {
    for (const tab of ["held", "spam", "published", "pending"]) {
      await page.goto(`${server.url}/moderate?tab=${tab}`);
      expect(await page.content()).not.toContain("other-site-thread");
    }
    await page.goto(`${server.url}/moderate?q=${encodeURIComponent("only the other site")}`);
    expect(await page.locator("article.comment").count()).toBe(0);
  });

  it("a held queue can be cleared with the keyboard alone", async () => {
    await page.goto(`${server.url}/moderate?tab=held`);
    await page.waitForFunction(() => document.body.dataset.enhanced === "true");
    const n = (await cardIds()).length;
    for (let i = 0; i < n; i++) {
      const current = await activeId();
      await page.keyboard.press(i % 2 === 0 ? "a" : "s");
      await page.waitForFunction((id) => !document.querySelector(`article[data-id="${id}"]`), current);
    }
    await page.getByText("the held queue is clear").waitFor();
    const held = await h.deps.db.execute(sql`SELECT count(*)::int AS n FROM comments WHERE site_id = ${site.id} AND status = 'held'`);
    expect(held[0]!.n).toBe(0);
  });
});
