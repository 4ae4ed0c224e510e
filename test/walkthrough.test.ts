import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, freshDatabase, harness, type Harness } from "./helpers.js";

/**
 * The README's curl walkthrough, step by step, on its own database (so "not trained yet" really
 * means nothing learned) with the real Redis queue and an in-process worker.
 */
describe("README walkthrough", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let h: Harness;

  beforeAll(async () => {
    db = await freshDatabase();
    h = harness({ databaseUrl: db.url });
    h.startWorker();
  });
  afterAll(async () => {
    await h?.close();
    await db?.drop();
  });

  it("creates a site, scores a comment, takes corrections, and learns from them at once", async () => {
    const { app } = h;
    // 1. Create a site (admin token): the keys are shown once.
    const created = await call(app, "POST", "/v1/sites", { key: ADMIN_TOKEN, body: { name: "My blog", url: "https://blog.example" } });
    expect(created.status).toBe(201);
    const apiKey = created.body.apiKey as string;
    const moderatorKey = created.body.moderatorKey as string;
    const siteId = (created.body.site as { id: string }).id;
    expect(apiKey).toMatch(/^[a-z0-9]{12}$/);

    // 2. Post a comment and read its verdict: nothing learned yet, so it is held for a moderator.
    const first = await call(app, "POST", "/v1/comments?wait=2000", {
      key: apiKey,
      body: { thread: "hello-world", content: "Buy cheap viagra pills online, casino bonus at http://pills.example", author: { name: "Bot" } },
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: "held", verdict: "unsure", insufficientTraining: { spam: 0, ham: 0, required: 10 } });
    const read = await call(app, "GET", `/v1/comments/${first.body.id as string}`, { key: apiKey });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: first.body.id, status: "held", decisions: [] });

    // 3. Teach it: the moderator labels a few comments (the site's minimum training is 2 per label).
    const patched = await call(app, "PATCH", `/v1/sites/${siteId}`, { key: ADMIN_TOKEN, body: { settings: { minPerLabel: 2 } } });
    expect(patched.status).toBe(200);
    const correct = async (content: string, label: "spam" | "ham") => {
      const posted = await call(app, "POST", "/v1/comments", { key: apiKey, body: { thread: "hello-world", content } });
      expect(posted.status).toBe(202);
      const decided = await call(app, "POST", `/v1/comments/${posted.body.id as string}/decision`, { key: moderatorKey, body: { label } });
      expect(decided.status).toBe(200);
      expect(decided.body).toMatchObject({ status: label === "spam" ? "spam" : "published" });
      return decided;
    };
    const decided = await call(app, "POST", `/v1/comments/${first.body.id as string}/decision`, {
      key: moderatorKey,
      body: { label: "spam", note: "pill spam" },
    });
    expect(decided.status).toBe(200);
    expect(decided.body).toMatchObject({ status: "spam", decisions: [{ label: "spam", note: "pill spam", actor: "moderator" }] });
    await correct("Cheap pills and casino bonus, buy viagra now at http://pills.example", "spam");
    await correct("Thanks for the clear explanation, the second example helped me a lot.", "ham");
    await correct("Great post! I tried the recipe this weekend and my family loved it.", "ham");

    // 4. The next similar comment is caught, and a normal one is published.
    const spam = await call(app, "POST", "/v1/comments?wait=2000", {
      key: apiKey,
      body: { thread: "hello-world", content: "Casino bonus: cheap viagra pills at http://pills.example" },
    });
    expect(spam.status).toBe(200);
    expect(spam.body).toMatchObject({ status: "spam", verdict: "spam", insufficientTraining: null });
    const reasons = spam.body.reasons as { token: string; probability: number; direction: string }[];
    expect(Array.isArray(reasons)).toBe(true);
    expect(reasons[0]).toMatchObject({ token: expect.any(String) as string, probability: expect.any(Number) as number });
    expect(reasons.some((r) => r.direction === "spam")).toBe(true);

    const ham = await call(app, "POST", "/v1/comments?wait=2000", {
      key: apiKey,
      body: { thread: "hello-world", content: "Thanks, great explanation of the recipe, my family loved the example." },
    });
    expect(ham.status).toBe(200);
    expect(ham.body).toMatchObject({ status: "published", verdict: "ham" });

    // 5. The thread shows only what is published, oldest first.
    const thread = await call(app, "GET", "/v1/threads/hello-world/comments", { key: apiKey });
    expect(thread.status).toBe(200);
    const shown = (thread.body.comments as { id: string; content: string }[]).map((c) => c.content);
    expect(shown).toEqual([
      "Thanks for the clear explanation, the second example helped me a lot.",
      "Great post! I tried the recipe this weekend and my family loved it.",
      "Thanks, great explanation of the recipe, my family loved the example.",
    ]);
  });
});
