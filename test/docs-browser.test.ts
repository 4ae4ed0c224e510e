/// <reference lib="dom" />
import { mkdirSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolatedSuite, type IsolatedSuite } from "./helpers.js";
import { findChromium, IN_CI } from "./helpers/chromium.js";
import { listen } from "./helpers/listen.js";

const CHROMIUM = findChromium();
const SCREENSHOT_DIR = new URL("../test-artifacts/screenshots/", import.meta.url);

/** /docs in Chromium: Swagger UI renders the document, and the browser asks nothing of another origin. */
describe.skipIf(!CHROMIUM && !IN_CI)("GET /docs in Chromium", () => {
  let s: IsolatedSuite;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  beforeAll(async () => {
    if (!CHROMIUM) throw new Error("CI is set but chromium is not installed: .ci/run installs it with apt-get");
    s = await isolatedSuite();
    server = await listen(s.h.app.fetch);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await s?.close();
  });

  it("shows every operation of the document, loading only from our own origin", async () => {
    const page = await browser.newPage();
    const requested: string[] = [];
    page.on("request", (r) => requested.push(r.url()));
    await page.goto(`${server.url}/docs`);
    await page.getByText("Commentinel API").first().waitFor();
    await page.locator(".opblock").first().waitFor();
    const doc = (await (await s.h.app.request("/openapi.json")).json()) as { paths: Record<string, object> };
    const operations = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
    expect(await page.locator(".opblock").count()).toBe(operations);
    await expect(page.getByRole("button", { name: "Authorize" }).isVisible()).resolves.toBe(true);
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: new URL("api-docs.png", SCREENSHOT_DIR).pathname });
    await page.close();
    const foreign = requested.filter((u) => !u.startsWith(`${server.url}/`) && !u.startsWith("data:"));
    expect(foreign).toEqual([]);
    expect(requested).toContain(`${server.url}/openapi.json`);
  });
});
