import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SCORE_OPTIONS } from "../src/classifier/index.js";
import { ADMIN_TOKEN, call, createSite, harness, removeSite, type Harness } from "./helpers.js";

let h: Harness;
beforeAll(() => {
  h = harness();
});
afterAll(async () => {
  await h.close();
});

describe("/v1/sites", () => {
  it("creates a site and shows its keys only once", async () => {
    const site = await createSite(h.app);
    try {
      const listed = await call(h.app, "GET", "/v1/sites", { key: ADMIN_TOKEN });
      const found = (listed.body.sites as { id: string }[]).find((s) => s.id === site.id);
      expect(found).toMatchObject({ keys: { api: "active", moderator: "active" } });
      expect(JSON.stringify(listed.body)).not.toContain(site.apiKey);
      expect(site.moderatorKey).toMatch(/^mod_/);
    } finally {
      await removeSite(h.deps, site.id);
    }
  });

  it("validates the site and its settings", async () => {
    expect((await call(h.app, "POST", "/v1/sites", { key: ADMIN_TOKEN, body: { name: "x", url: "ftp://x" } })).status).toBe(400);
    expect((await call(h.app, "POST", "/v1/sites", { key: ADMIN_TOKEN, body: { name: "", url: "https://x.example" } })).status).toBe(400);
    const site = await createSite(h.app);
    try {
      const bad = await call(h.app, "PATCH", `/v1/sites/${site.id}`, { key: ADMIN_TOKEN, body: { settings: { hamCutoff: 0.95, spamCutoff: 0.9 } } });
      expect(bad.status).toBe(400);
      const ok = await call(h.app, "PATCH", `/v1/sites/${site.id}`, { key: ADMIN_TOKEN, body: { settings: { spamCutoff: 0.8, minPerLabel: 3 } } });
      const settings = (ok.body.site as { settings: { spamCutoff: number; minPerLabel: number } }).settings;
      expect(settings.spamCutoff).toBeCloseTo(0.8, 5);
      expect(settings.minPerLabel).toBe(3);
      const reset = await call(h.app, "PATCH", `/v1/sites/${site.id}`, { key: ADMIN_TOKEN, body: { settings: { spamCutoff: null } } });
      // Back to the classifier's default.
      expect(reset.body).toMatchObject({ site: { settings: { spamCutoff: DEFAULT_SCORE_OPTIONS.spamCutoff, minPerLabel: 3 } } });
    } finally {
      await removeSite(h.deps, site.id);
    }
  });
});
