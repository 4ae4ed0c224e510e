import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, createSite, harness, removeSite, type Harness, type TestSite } from "./helpers.js";

let h: Harness;
let site: TestSite;
beforeAll(async () => {
  h = harness();
  site = await createSite(h.app);
});
afterAll(async () => {
  await removeSite(h.deps, site.id);
  await h.close();
});

describe("the admin site views", () => {
  it("show the effective Akismet settings of a site that never set any", async () => {
    const one = await call(h.app, "GET", `/v1/sites/${site.id}`, { key: ADMIN_TOKEN });
    expect(one.status).toBe(200);
    expect((one.body.site as { settings: unknown }).settings).toMatchObject({ akismet: { unsureAnswer: "ham", discardCutoff: 0.99 } });
    const all = await call(h.app, "GET", "/v1/sites", { key: ADMIN_TOKEN });
    const listed = (all.body.sites as { id: string; settings: unknown }[]).find((s) => s.id === site.id);
    expect(listed?.settings).toMatchObject({ akismet: { unsureAnswer: "ham", discardCutoff: 0.99 } });
  });

  it("show a changed Akismet setting beside the defaults of the others", async () => {
    expect((await call(h.app, "PATCH", `/v1/sites/${site.id}/akismet`, { key: ADMIN_TOKEN, body: { unsureAnswer: "spam" } })).status).toBe(200);
    const res = await call(h.app, "PATCH", `/v1/sites/${site.id}`, { key: ADMIN_TOKEN, body: { settings: { minPerLabel: 3 } } });
    expect(res.status).toBe(200);
    expect((res.body.site as { settings: unknown }).settings).toMatchObject({ minPerLabel: 3, akismet: { unsureAnswer: "spam", discardCutoff: 0.99 } });
  });
});
