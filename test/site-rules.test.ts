import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { comments } from "../src/db/schema.js";
import { findSiteById } from "../src/db/queries/sites.js";
import { findSiteComment } from "../src/db/queries/comments.js";
import { ADMIN_TOKEN, call, createSite, isolatedSuite, type Harness, type IsolatedSuite, type TestSite } from "./helpers.js";

const FRIENDLY = "What a lovely recipe, thank you for sharing it with us!";

interface Reason {
  token: string;
  rule?: string;
}

describe("hard signal rules and calibrated cutoffs", () => {
  let suite: IsolatedSuite | undefined;
  let h: Harness;
  let site: TestSite;

  // Its own database: the verdicts below must not depend on what other suites teach the global scope.
  beforeAll(async () => {
    suite = await isolatedSuite();
    ({ h, site } = suite);
    // Nothing is learned, so every score is 0.5: with these cutoffs the model's verdict is `ham`.
    const patched = await call(h.app, "PATCH", `/v1/sites/${site.id}`, { key: ADMIN_TOKEN, body: { settings: { minPerLabel: 0, hamCutoff: 0.9, spamCutoff: 0.95 } } });
    expect(patched.status).toBe(200);
  });
  afterAll(async () => {
    await suite?.close();
  });

  const post = (body: Record<string, unknown>) => call(h.app, "POST", "/v1/comments?wait=2000", { key: site.apiKey, body: { thread: "/recipes/1", ...body } });

  it("POST /v1/comments with a filled honeypot is spam with the reason `honeypot`, whatever the text", async () => {
    const res = await post({ content: FRIENDLY, honeypot: "http://bot.example", timeToSubmitMs: 300 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "spam", verdict: "spam" });
    const reasons = res.body.reasons as Reason[];
    expect(reasons[0]).toMatchObject({ token: "honeypot", rule: "honeypot" });
    expect(reasons.map((r) => r.token)).toContain("too-fast");
  });

  it("POST /v1/comments sent faster than the site's minimum is held with the reason `too-fast`", async () => {
    const fast = await post({ content: FRIENDLY, timeToSubmitMs: 300 });
    expect(fast.body).toMatchObject({ status: "held", verdict: "unsure" });
    expect((fast.body.reasons as Reason[])[0]).toMatchObject({ token: "too-fast", rule: "too-fast" });
    const slow = await post({ content: FRIENDLY, timeToSubmitMs: 45_000 });
    expect(slow.body).toMatchObject({ status: "published", verdict: "ham" });
    expect((slow.body.reasons as Reason[]).some((r) => r.rule !== undefined)).toBe(false);
  });

  it("PATCH /v1/sites/:id/signals turns either rule off and moves the minimum", async () => {
    const off = await call(h.app, "PATCH", `/v1/sites/${site.id}/signals`, { key: ADMIN_TOKEN, body: { honeypot: false, minSubmitMs: 100 } });
    expect(off.status).toBe(200);
    expect(off.body).toEqual({ signals: { honeypot: false, tooFast: true, minSubmitMs: 100 } });
    const res = await post({ content: FRIENDLY, honeypot: true, timeToSubmitMs: 300 });
    expect(res.body).toMatchObject({ status: "published", verdict: "ham" });
    const noFast = await call(h.app, "PATCH", `/v1/sites/${site.id}/signals`, { key: ADMIN_TOKEN, body: { honeypot: true, tooFast: false } });
    expect(noFast.body).toEqual({ signals: { honeypot: true, tooFast: false, minSubmitMs: 100 } });
    expect((await post({ content: FRIENDLY, timeToSubmitMs: 10 })).body).toMatchObject({ verdict: "ham" });
    expect((await call(h.app, "GET", `/v1/sites/${site.id}/signals`, { key: ADMIN_TOKEN })).body).toEqual({ signals: { honeypot: true, tooFast: false, minSubmitMs: 100 } });
    // The admin site view shows the effective rules too.
    const view = await call(h.app, "GET", `/v1/sites/${site.id}`, { key: ADMIN_TOKEN });
    expect((view.body.site as { settings: unknown }).settings).toMatchObject({ signals: { honeypot: true, tooFast: false, minSubmitMs: 100 }, cutoffs: { autoApply: false } });
    await call(h.app, "PATCH", `/v1/sites/${site.id}/signals`, { key: ADMIN_TOKEN, body: { tooFast: true, minSubmitMs: 2000 } });
  });

  it("PATCH /v1/sites/:id/signals rejects a bad body with 400, an unknown site with 404, and no admin token with 401", async () => {
    const bad = await call(h.app, "PATCH", `/v1/sites/${site.id}/signals`, { key: ADMIN_TOKEN, body: { minSubmitMs: -1 } });
    expect(bad.status).toBe(400);
    expect((bad.body.error as { code: string }).code).toBe("BAD_REQUEST");
    const unknown = await call(h.app, "PATCH", `/v1/sites/00000000-0000-4000-8000-000000000000/signals`, { key: ADMIN_TOKEN, body: {} });
    expect(unknown.status).toBe(404);
    const anon = await call(h.app, "GET", `/v1/sites/${site.id}/signals`, { key: site.apiKey });
    expect(anon.status).toBe(401);
  });

  it("the Akismet comment-check path applies the honeypot rule (honeypot_field_name)", async () => {
    const form = new URLSearchParams({
      api_key: site.apiKey,
      blog: "https://blog.example",
      user_ip: "203.0.113.9",
      comment_content: FRIENDLY,
      honeypot_field_name: "hp_url",
      hp_url: "http://bot.example",
    });
    const res = await h.app.request("http://localhost/1.1/comment-check", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form.toString() });
    expect(await res.text()).toBe("true");
    const row = await findSiteComment(h.deps.db, site.id, res.headers.get("x-akismet-guid") ?? "");
    expect(row).toMatchObject({ verdict: "spam", status: "spam", honeypotFilled: true });
    expect((row?.reasons as Reason[])[0]).toMatchObject({ token: "honeypot", rule: "honeypot" });

    form.delete("hp_url");
    const clean = await h.app.request("http://localhost/1.1/comment-check", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form.toString() });
    expect(await clean.text()).toBe("false");
  });

  it("GET /v1/sites/:id/cutoffs proposes cutoffs from the site's decided comments, and autoApply makes them the site's", async () => {
    const other = await createSite(h.app);
    const empty = await call(h.app, "GET", `/v1/sites/${other.id}/cutoffs`, { key: ADMIN_TOKEN });
    expect(empty.status).toBe(200);
    expect(empty.body.proposed).toMatchObject({ ok: false, reason: "insufficient", spam: 0, ham: 0, required: 30 });
    expect(empty.body.settings).toEqual({ targetBlockedHam: 0.003, maxPassedSpam: 0.02, window: 1000, autoApply: false });

    // 100 decided ham scored 0.00..0.99 (one ham per step) and 100 decided spam scored 0.60..0.99.
    const decidedAt = new Date();
    const rows = [
      ...Array.from({ length: 100 }, (_, i) => ({ score: i / 100, learnedLabel: "ham" as const, status: "published" as const })),
      ...Array.from({ length: 100 }, (_, i) => ({ score: 0.6 + (0.39 * i) / 99, learnedLabel: "spam" as const, status: "spam" as const })),
    ].map((r, i) => ({ siteId: other.id, thread: "/t", content: `decided ${i}`, learnedTokens: [], decidedAt, verdict: "unsure" as const, ...r }));
    await h.deps.db.insert(comments).values(rows);

    const res = await call(h.app, "GET", `/v1/sites/${other.id}/cutoffs`, { key: ADMIN_TOKEN });
    const proposed = res.body.proposed as { ok: boolean; spamCutoff: number; hamCutoff: number; blockedHam: number; passedSpam: number };
    // 0.3 % of 100 ham allows none blocked: just above the top ham (0.99), halfway to the next score.
    expect(proposed.ok).toBe(true);
    expect(proposed.blockedHam).toBe(0);
    expect(proposed.spamCutoff).toBeGreaterThan(0.99);
    // 2 % of 100 spam may pass: the ham cutoff is the third-lowest spam score.
    expect(proposed.hamCutoff).toBeCloseTo(0.6 + (0.39 * 2) / 99, 10);
    expect(proposed.passedSpam).toBe(0.02);
    expect(res.body.current).toEqual({ hamCutoff: 0.3, spamCutoff: 0.75 });

    const applied = await call(h.app, "PATCH", `/v1/sites/${other.id}/cutoffs`, { key: ADMIN_TOKEN, body: { autoApply: true, targetBlockedHam: 0.05 } });
    expect(applied.status).toBe(200);
    const current = applied.body.current as { hamCutoff: number; spamCutoff: number };
    // 5 % of 100 ham: five may be blocked, so the cutoff sits just above the 6th-highest ham (0.94).
    expect(current.spamCutoff).toBeGreaterThan(0.94);
    expect(current.spamCutoff).toBeLessThan(0.95);
    const stored = await findSiteById(h.deps.db, other.id);
    expect(stored?.spamCutoff).toBeCloseTo(current.spamCutoff, 6);

    // A decision re-computes the proposal: one more ham scored high moves the spam cutoff up.
    const [fresh] = await h.deps.db.insert(comments).values({ siteId: other.id, thread: "/t", content: "a kind reader", score: 0.995, verdict: "spam", status: "spam" }).returning();
    const decided = await call(h.app, "POST", `/v1/comments/${fresh?.id ?? ""}/decision`, { key: other.moderatorKey, body: { label: "ham" } });
    expect(decided.status).toBe(200);
    const after = await findSiteById(h.deps.db, other.id);
    expect(after?.spamCutoff ?? 0).toBeGreaterThan(0.95);

    const bad = await call(h.app, "PATCH", `/v1/sites/${other.id}/cutoffs`, { key: ADMIN_TOKEN, body: { targetBlockedHam: 2 } });
    expect(bad.status).toBe(400);
    expect((await call(h.app, "GET", `/v1/sites/${other.id}/cutoffs`, { key: other.moderatorKey })).status).toBe(401);
  });
});
