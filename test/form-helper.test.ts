/// <reference lib="dom" />
import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FORM_SCRIPT } from "../src/http/form/script.js";
import { call, isolatedSuite, type IsolatedSuite } from "./helpers.js";
import { findChromium, IN_CI } from "./helpers/chromium.js";
import { listen } from "./helpers/listen.js";

const CHROMIUM = findChromium();
if (!CHROMIUM && !IN_CI) console.log("form helper browser tests skipped: chromium is not installed (apt-get install -y chromium); with CI=true they fail instead");
const SCREENSHOT_DIR = new URL("../test-artifacts/screenshots/", import.meta.url);

describe("GET /v1/form.js", () => {
  let s: IsolatedSuite;
  beforeAll(async () => {
    s = await isolatedSuite();
  });
  afterAll(async () => {
    await s.close();
  });

  it("is public, cacheable JavaScript of at most 2 KB gzipped", async () => {
    const res = await s.h.app.request("/v1/form.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("public, max-age=86400");
    expect(res.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    const body = await res.text();
    expect(body).toBe(FORM_SCRIPT);
    expect(gzipSync(body, { level: 9 }).byteLength).toBeLessThanOrEqual(2048);
    expect(body).not.toMatch(/\bimport\b|\brequire\(|https?:\/\//);
    const again = await s.h.app.request("/v1/form.js", { headers: { "if-none-match": res.headers.get("etag") ?? "" } });
    expect(again.status).toBe(304);
  });
});

/**
 * The helper on a site's page in Chromium. The "site" is a local HTTP server (the one double allowed:
 * it stands in for a third-party site): its page loads /v1/form.js from the real service, and its
 * form handler passes the two fields on to POST /v1/comments, as the README shows.
 */
describe.skipIf(!CHROMIUM && !IN_CI)("the form helper in Chromium", () => {
  let s: IsolatedSuite;
  let service: { url: string; close(): Promise<void> };
  let site: Server;
  let siteUrl = "";
  let browser: Browser;
  const received: { fields: Record<string, string>; comment: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    if (!CHROMIUM) throw new Error("CI is set but chromium is not installed: .ci/run installs it with apt-get");
    s = await isolatedSuite();
    s.h.startWorker();
    service = await listen(s.h.app.fetch);
    site = createServer((req, res) => {
      if (req.method === "GET") {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        res.end(`<!doctype html><html lang="en"><title>A blog</title>
<form method="post" action="/comment" data-commentinel>
  <label>Name <input name="author"></label>
  <label>Comment <textarea name="comment"></textarea></label>
  <button>Post comment</button>
</form>
<script src="${service.url}/v1/form.js" defer></script>`);
        return;
      }
      let raw = "";
      req.on("data", (d: Buffer) => (raw += d.toString()));
      req.on("end", () => {
        void (async () => {
          const fields = Object.fromEntries(new URLSearchParams(raw));
          // What the README tells a site's server to do with the two fields.
          const posted = await call(s.h.app, "POST", "/v1/comments?wait=2000", {
            key: s.site.apiKey,
            body: {
              thread: "form-helper",
              content: fields.comment ?? "",
              author: { name: fields.author },
              honeypot: fields.cmt_homepage ?? "",
              timeToSubmitMs: Number(fields.cmt_time_ms) || undefined,
            },
          });
          received.push({ fields, comment: posted.body });
          res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
          res.end("<p>Thanks</p>");
        })();
      });
    });
    await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve()));
    await service?.close();
    await s?.close();
  });

  const shot = async (page: Page, name: string) => {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOT_DIR).pathname });
  };

  it("a person never sees or reaches the honeypot, and the time to submit is recorded", async () => {
    const page = await browser.newPage();
    await page.goto(siteUrl);
    const honeypot = page.locator('input[name="cmt_homepage"]');
    await honeypot.waitFor({ state: "attached" });
    // Hidden from sight, from screen readers, from the keyboard and from autofill.
    expect(await honeypot.evaluate((el) => ({ tab: (el as HTMLInputElement).tabIndex, auto: el.getAttribute("autocomplete"), hidden: el.closest("[aria-hidden=true]") !== null }))).toEqual({ tab: -1, auto: "off", hidden: true });
    const box = await honeypot.boundingBox();
    expect(box === null || box.x + box.width <= 0).toBe(true);
    expect(await page.getByRole("textbox").count()).toBe(2);
    await shot(page, "form-helper");

    await page.getByLabel("Name").click();
    await page.keyboard.type("Ada");
    await page.keyboard.press("Tab");
    await page.keyboard.type("Thanks for the clear write-up, the second example helped.");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe("BUTTON");
    await page.waitForTimeout(2200);
    await Promise.all([page.waitForURL("**/comment"), page.keyboard.press("Enter")]);
    await page.close();

    const got = received.at(-1);
    expect(got?.fields.cmt_homepage).toBe("");
    expect(Number(got?.fields.cmt_time_ms)).toBeGreaterThanOrEqual(2000);
    expect(Number(got?.fields.cmt_time_ms)).toBeLessThan(30_000);
    expect((got?.comment.reasons as { token: string }[] | undefined)?.map((r) => r.token) ?? []).not.toContain("honeypot");
  });

  it("a bot that fills every field and posts at once is caught by the honeypot and the clock", async () => {
    const page = await browser.newPage();
    await page.goto(siteUrl);
    await page.locator('input[name="cmt_homepage"]').waitFor({ state: "attached" });
    // What a form-filling bot does: every input it finds in the DOM, then submit.
    await page.evaluate(() => {
      for (const el of Array.from(document.querySelectorAll("input:not([type=hidden]), textarea"))) (el as HTMLInputElement).value = "http://cheap-pills.example";
      document.querySelector("form")?.requestSubmit();
    });
    await page.waitForURL("**/comment");
    await page.close();

    const got = received.at(-1);
    expect(got?.fields.cmt_homepage).toBe("http://cheap-pills.example");
    expect(Number(got?.fields.cmt_time_ms)).toBeLessThan(2000);
    expect(got?.comment.status).toBe("spam");
    expect(got?.comment.reasons).toEqual(expect.arrayContaining([expect.objectContaining({ token: "honeypot", rule: "honeypot" })]));
  });
});
