import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenize } from "../src/classifier/index.js";
import { recordDecision } from "../src/comments/decisions.js";
import { commentRow, storeComment, type CommentInput } from "../src/comments/intake.js";
import { erasePerson, exportPerson, EmptyMatchError } from "../src/comments/privacy.js";
import { hashEmail, truncateIp } from "../src/comments/privacy-settings.js";
import { purgeAll, purgeSite } from "../src/comments/retention.js";
import { retrain } from "../src/comments/retrain.js";
import { featuresOf } from "../src/comments/scoring.js";
import { ConfirmMismatchError, deleteSite } from "../src/comments/sites.js";
import { dumpCounts } from "../src/db/queries/model.js";
import type { Deps } from "../src/deps.js";
import { ADMIN_TOKEN, call, createSite, eventually, freshDatabase, harness, uniqueName, type Harness, type TestSite } from "./helpers.js";

const DAY = 86_400_000;

async function decided(deps: Deps, siteId: string, input: CommentInput, label: "spam" | "ham") {
  const { comment } = await storeComment(deps.db, siteId, input);
  const out = await recordDecision(deps.db, { siteId, commentId: comment.id, label, actor: "moderator" });
  if (!out) throw new Error("decision not recorded");
  return out.comment;
}

const spamText = (i: number) => `cheap pills ${i} buy now at https://pills${i % 3}.example casino bonus`;
const hamText = (i: number) => `thanks for the write-up ${i}, the part about postgres locks helped`;

async function count(deps: Deps, table: string, where: ReturnType<typeof sql>): Promise<number> {
  const rows = await deps.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM ${sql.identifier(table)} WHERE ${where}`);
  return rows[0]?.n ?? 0;
}

/** Every process's in-memory model follows the change log: within a second it shows Postgres's totals. */
async function modelFollows(deps: Deps, scope: string): Promise<void> {
  const rows = await deps.db.execute<{ spam: number; ham: number }>(sql`SELECT spam, ham FROM scope_totals WHERE scope = ${scope}`);
  const want = rows[0] ?? { spam: 0, ham: 0 };
  await eventually(() => {
    const t = deps.model.dump().totals.get(scope) ?? { spam: 0, ham: 0 };
    return Promise.resolve(t.spam === want.spam && t.ham === want.ham ? true : undefined);
  }, 1000);
}

describe("retention, erasure and site deletion on a database of their own", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let h: Harness;

  beforeAll(async () => {
    db = await freshDatabase();
    h = harness({ databaseUrl: db.url });
    h.startWorker();
    await h.deps.model.ready();
  });
  afterAll(async () => {
    await h.close();
    await db.drop();
  });

  const setPrivacy = async (site: TestSite, body: unknown) => {
    const res = await call(h.app, "PATCH", `/v1/sites/${site.id}/privacy`, { key: ADMIN_TOKEN, body });
    expect(res.status).toBe(200);
    return res.body.privacy as Record<string, unknown>;
  };

  it("PATCH /v1/sites/:id/privacy stores the settings; retention is off by default and unlearning is the default", async () => {
    const site = await createSite(h.app);
    const before = await call(h.app, "GET", `/v1/sites/${site.id}/privacy`, { key: ADMIN_TOKEN });
    expect(before.body).toEqual({ privacy: { truncateIp: false, hashEmail: false, retention: { spamDays: null, allDays: null, keepLearnedCounts: false } } });
    expect(await setPrivacy(site, { truncateIp: true, retention: { spamDays: 30 } })).toEqual({
      truncateIp: true,
      hashEmail: false,
      retention: { spamDays: 30, allDays: null, keepLearnedCounts: false },
    });
    const bad = await call(h.app, "PATCH", `/v1/sites/${site.id}/privacy`, { key: ADMIN_TOKEN, body: { retention: { spamDays: 0 } } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: "BAD_REQUEST", details: [{ path: "retention.spamDays" }] } });
    const moderator = await call(h.app, "PATCH", `/v1/sites/${site.id}/privacy`, { key: site.moderatorKey, body: { truncateIp: false } });
    expect(moderator.status).toBe(401);
  });

  it("purges spam past spamDays and unlearns it: the counts are exactly those before it was learned", async () => {
    const site = await createSite(h.app);
    for (let i = 0; i < 3; i++) await decided(h.deps, site.id, { thread: "t", content: hamText(i) }, "ham");
    const beforeSpam = await dumpCounts(h.deps.db);
    for (let i = 0; i < 4; i++) await decided(h.deps, site.id, { thread: "t", content: spamText(i) }, "spam");
    expect(await dumpCounts(h.deps.db)).not.toEqual(beforeSpam);
    await setPrivacy(site, { retention: { spamDays: 30 } });

    // Nothing is old enough yet.
    expect(await purgeSite(h.deps.db, site.id)).toEqual({ purged: 0, unlearned: 0 });
    const progress: number[] = [];
    const out = await purgeSite(h.deps.db, site.id, { now: new Date(Date.now() + 31 * DAY), batchSize: 3, onProgress: (n) => progress.push(n) });
    expect(out).toEqual({ purged: 4, unlearned: 4 });
    expect(progress).toEqual([3, 4]);
    expect(await dumpCounts(h.deps.db)).toEqual(beforeSpam);
    expect(await count(h.deps, "comments", sql`site_id = ${site.id}`)).toBe(3);
    expect(await count(h.deps, "decisions", sql`site_id = ${site.id}`)).toBe(3);
    await modelFollows(h.deps, site.id);
    await modelFollows(h.deps, "global");
    // And a retrain agrees with the incremental result.
    await retrain(h.deps.db);
    expect(await dumpCounts(h.deps.db)).toEqual(beforeSpam);
  });

  it("with keepLearnedCounts the purged comments go but their counts stay, through a retrain too", async () => {
    const site = await createSite(h.app);
    await setPrivacy(site, { retention: { allDays: 10, keepLearnedCounts: true } });
    for (let i = 0; i < 3; i++) await decided(h.deps, site.id, { thread: "t", content: spamText(i + 10) }, "spam");
    await decided(h.deps, site.id, { thread: "t", content: hamText(10) }, "ham");
    await storeComment(h.deps.db, site.id, { thread: "t", content: "never decided" });
    const learned = await dumpCounts(h.deps.db);

    const out = await purgeSite(h.deps.db, site.id, { now: new Date(Date.now() + 11 * DAY) });
    expect(out).toEqual({ purged: 5, unlearned: 0 });
    expect(await count(h.deps, "comments", sql`site_id = ${site.id}`)).toBe(0);
    expect(await dumpCounts(h.deps.db)).toEqual(learned);
    const totals = await h.deps.db.execute<{ spam: number; ham: number }>(sql`SELECT spam, ham FROM retained_totals WHERE site_id = ${site.id}`);
    expect([...totals]).toEqual([{ spam: 3, ham: 1 }]);
    await retrain(h.deps.db);
    expect(await dumpCounts(h.deps.db)).toEqual(learned);
  });

  it("purgeAll visits only sites with retention, and leaves recent comments alone", async () => {
    const keep = await createSite(h.app);
    const purge = await createSite(h.app);
    await setPrivacy(purge, { retention: { allDays: 5 } });
    await storeComment(h.deps.db, keep.id, { thread: "t", content: "old but kept" });
    await storeComment(h.deps.db, purge.id, { thread: "t", content: "old and purged" });
    const now = new Date(Date.now() + 6 * DAY);
    const out = await purgeAll(h.deps.db, { now });
    expect(out.purged).toBeGreaterThanOrEqual(1);
    expect(await count(h.deps, "comments", sql`site_id = ${purge.id}`)).toBe(0);
    expect(await count(h.deps, "comments", sql`site_id = ${keep.id}`)).toBe(1);
    await storeComment(h.deps.db, purge.id, { thread: "t", content: "new" });
    expect((await purgeSite(h.deps.db, purge.id)).purged).toBe(0);
  });

  describe("erase and export", () => {
    let a: TestSite;
    let b: TestSite;
    const person = { email: "Ada@Example.org", url: "https://ada.example", ip: "198.51.100.7" };

    beforeAll(async () => {
      a = await createSite(h.app);
      b = await createSite(h.app);
    });

    it("exports every comment, decision and verdict of a person on one site, and nothing of anyone else", async () => {
      const mine = await decided(h.deps, a.id, { thread: "t1", content: hamText(20), author: { name: "Ada", email: person.email } }, "ham");
      await recordDecision(h.deps.db, { siteId: a.id, commentId: mine.id, label: "spam", actor: "moderator", note: "changed my mind" });
      // Posted through the API and scored by the worker: it carries a verdict.
      const posted = await call(h.app, "POST", "/v1/comments", { key: a.apiKey, body: { thread: "t2", content: "another one", ip: person.ip } });
      expect(posted.status).toBe(202);
      await eventually(async () => {
        const r = await h.deps.db.execute<{ verdict: string | null }>(sql`SELECT verdict FROM comments WHERE id = ${posted.body.id as string}`);
        return r[0]?.verdict ?? undefined;
      });
      await storeComment(h.deps.db, a.id, { thread: "t1", content: "someone else", author: { email: "bob@example.org" }, ip: "198.51.100.8" });
      await storeComment(h.deps.db, b.id, { thread: "t1", content: "same person, other site", author: { email: person.email } });

      const res = await call(h.app, "POST", `/v1/sites/${a.id}/people/export`, { key: ADMIN_TOKEN, body: { email: "ada@example.org", ip: person.ip } });
      expect(res.status).toBe(200);
      const exp = res.body.export as Awaited<ReturnType<typeof exportPerson>>;
      expect(exp.site.id).toBe(a.id);
      expect(exp.matchedOn).toEqual(["email", "ip"]);
      expect(exp.comments.map((c) => c.content)).toEqual([hamText(20), "another one"]);
      const [first, second] = exp.comments;
      expect(first?.decisions.map((d) => [d.label, d.actor, d.note])).toEqual([
        ["ham", "moderator", null],
        ["spam", "moderator", "changed my mind"],
      ]);
      expect(first?.learnedLabel).toBe("spam");
      expect(first?.author.email).toBe(person.email);
      expect(second?.verdict.verdict).toMatch(/^(ham|unsure|spam)$/);
      expect(second?.verdict.modelVersion).toMatch(/^tok/);
      expect(second?.ip).toBe(person.ip);
      // The domain function gives the same thing (the CLI's export).
      const direct = await exportPerson(h.deps.db, a.id, { email: person.email, ip: person.ip });
      expect(direct.comments.map((c) => c.id)).toEqual(exp.comments.map((c) => c.id));
      await expect(exportPerson(h.deps.db, a.id, {})).rejects.toBeInstanceOf(EmptyMatchError);
    });

    it("refuses export and erase without the admin token, even with the site's own keys", async () => {
      for (const key of [a.apiKey, a.moderatorKey, b.moderatorKey, undefined]) {
        for (const verb of ["export", "erase"]) {
          const res = await call(h.app, "POST", `/v1/sites/${a.id}/people/${verb}`, { ...(key ? { key } : {}), body: { email: person.email } });
          expect(res.status).toBe(401);
          expect(res.body).toMatchObject({ error: { code: "UNAUTHORIZED" } });
        }
      }
      const empty = await call(h.app, "POST", `/v1/sites/${a.id}/people/erase`, { key: ADMIN_TOKEN, body: {} });
      expect(empty.status).toBe(400);
      expect(empty.body).toMatchObject({ error: { code: "BAD_REQUEST", message: "Invalid request body" } });
      const unknown = await call(h.app, "POST", `/v1/sites/00000000-0000-4000-8000-000000000000/people/export`, { key: ADMIN_TOKEN, body: { ip: person.ip } });
      expect(unknown.status).toBe(404);
    });

    it("erases a person on one site in one go: deleted, unlearned exactly, recorded without personal data", async () => {
      const site = await createSite(h.app);
      const other = await decided(h.deps, site.id, { thread: "t", content: hamText(30), author: { email: "carol@example.org" } }, "ham");
      // The same person on another site is not touched.
      const elsewhere = await decided(h.deps, b.id, { thread: "t", content: spamText(31), author: { url: person.url } }, "spam");
      const before = await dumpCounts(h.deps.db);
      await decided(h.deps, site.id, { thread: "t", content: spamText(30), author: { url: person.url } }, "spam");
      await decided(h.deps, site.id, { thread: "t", content: hamText(31), ip: person.ip }, "ham");
      await storeComment(h.deps.db, site.id, { thread: "t", content: "pending one", author: { url: person.url } });

      const res = await call(h.app, "POST", `/v1/sites/${site.id}/people/erase`, { key: ADMIN_TOKEN, body: { url: person.url, ip: person.ip } });
      expect(res.status).toBe(200);
      const erasure = res.body.erasure as { erasureId: string; comments: number; decisions: number; unlearned: number };
      expect(erasure).toMatchObject({ comments: 3, decisions: 2, unlearned: 2 });
      expect(await dumpCounts(h.deps.db)).toEqual(before);
      await modelFollows(h.deps, site.id);
      expect(await count(h.deps, "comments", sql`site_id = ${site.id}`)).toBe(1);
      expect(await count(h.deps, "comments", sql`id = ${other.id}`)).toBe(1);
      expect(await count(h.deps, "comments", sql`id = ${elsewhere.id}`)).toBe(1);

      const record = await h.deps.db.execute<Record<string, unknown>>(sql`SELECT * FROM erasures WHERE id = ${erasure.erasureId}`);
      expect(record.length).toBe(1);
      const text = JSON.stringify(record[0]);
      for (const value of [person.url, person.ip, "ada", "198.51.100"]) expect(text).not.toContain(value);
      expect(record[0]).toMatchObject({ site_id: site.id, kind: "person", matched_on: ["url", "ip"], actor: "admin", comments: 3, decisions: 2 });
      const listed = await call(h.app, "GET", `/v1/sites/${site.id}/erasures`, { key: ADMIN_TOKEN });
      expect(listed.body).toMatchObject({ erasures: [{ id: erasure.erasureId, kind: "person", matchedOn: ["url", "ip"], comments: 3, decisions: 2 }] });

      // Erasing again finds nothing, and says so.
      expect(await erasePerson(h.deps.db, site.id, { url: person.url }, "cli")).toMatchObject({ comments: 0, decisions: 0 });
    });
  });

  describe("IP truncation and e-mail hashing at intake", () => {
    it("stores only the /24 and a keyed hash, yields the same tokens as the full values, and still scores", async () => {
      const site = await createSite(h.app);
      await setPrivacy(site, { truncateIp: true, hashEmail: true });
      const input = { thread: "t", content: hamText(40), author: { name: "Dee", email: "Dee@Example.org", url: "https://dee.example" }, ip: "203.0.113.77" };
      const res = await call(h.app, "POST", "/v1/comments", { key: site.apiKey, body: input });
      expect(res.status).toBe(202);
      const verdict = await eventually(async () => {
        const r = await h.deps.db.execute<{ verdict: string | null }>(sql`SELECT verdict FROM comments WHERE id = ${res.body.id as string}`);
        return r[0]?.verdict ?? undefined;
      });
      expect(verdict).toMatch(/^(ham|unsure|spam)$/);
      const rows = await h.deps.db.execute<{ ip: string; author_email: string }>(sql`SELECT ip, author_email FROM comments WHERE id = ${res.body.id as string}`);
      const stored = rows[0];
      expect(stored?.ip).toBe("203.0.113.0");
      expect(stored?.author_email).toMatch(/^hmac:[0-9a-f]{32}@example\.org$/);
      expect(JSON.stringify(rows)).not.toContain("Dee@");
      // Scoring reads the same tokens from the stored forms as from the raw ones.
      const raw = tokenize(featuresOf(commentRow(site.id, input)));
      const kept = tokenize(featuresOf({ ...commentRow(site.id, input), ip: stored?.ip ?? null, authorEmail: stored?.author_email ?? null }));
      expect(kept).toEqual(raw);
      expect(raw).toContain("ip:203.0.113.0/24");
      // The same address hashes the same every time (case and spaces aside), so the person is still one person.
      const again = await call(h.app, "POST", "/v1/comments", { key: site.apiKey, body: { ...input, content: "second", author: { email: " dee@example.ORG " } } });
      const rows2 = await h.deps.db.execute<{ author_email: string }>(sql`SELECT author_email FROM comments WHERE id = ${again.body.id as string}`);
      expect(rows2[0]?.author_email).toBe(stored?.author_email);
      // Erase and export by the plain address still find the hashed rows.
      const exp = await exportPerson(h.deps.db, site.id, { email: "dee@example.org" });
      expect(exp.comments.length).toBe(2);
      expect((await erasePerson(h.deps.db, site.id, { email: "DEE@example.org" }, "admin")).comments).toBe(2);
    });

    it("truncates IPv6 to its /48 and drops what is no address", () => {
      expect(truncateIp("2001:db8:abcd:12::1")).toBe("2001:db8:abcd::");
      expect(truncateIp("::ffff:192.0.2.9")).toBe("192.0.2.0");
      expect(truncateIp("not an ip")).toBeUndefined();
      const row = (ip: string) => ({ thread: "t", content: "x", ip });
      expect(tokenize(featuresOf(commentRow("s", row("2001:db8:abcd::"))))).toEqual(tokenize(featuresOf(commentRow("s", row("2001:db8:abcd:12::1")))));
      expect(commentRow("s", row("2001:db8:abcd:12::1"), { truncateIp: true }).ip).toBe("2001:db8:abcd::");
      expect(commentRow("s", row("garbage"), { truncateIp: true }).ip).toBeNull();
      expect(hashEmail("A@B.example", "k1")).toBe(hashEmail("a@b.example", "k1"));
      expect(hashEmail("a@b.example", "k1")).not.toBe(hashEmail("a@b.example", "k2"));
    });

    it("applies them to Akismet's comment-check too, before scoring", async () => {
      const site = await createSite(h.app);
      await setPrivacy(site, { truncateIp: true, hashEmail: true });
      const body = new URLSearchParams({
        api_key: site.apiKey,
        blog: "https://blog.example",
        user_ip: "192.0.2.201",
        comment_content: "Hello from WordPress",
        comment_author_email: "wp@Example.net",
      }).toString();
      const res = await h.app.request("http://localhost/1.1/comment-check", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
      expect(res.status).toBe(200);
      const guid = res.headers.get("x-akismet-guid") ?? "";
      const rows = await h.deps.db.execute<{ ip: string; author_email: string; status: string }>(sql`SELECT ip, author_email, status FROM comments WHERE id = ${guid}`);
      expect(rows[0]?.ip).toBe("192.0.2.0");
      expect(rows[0]?.author_email).toMatch(/^hmac:[0-9a-f]{32}@example\.net$/);
      expect(rows[0]?.status).not.toBe("pending");
      // submit-spam without a guid still finds that check: its fingerprint is over the stored forms.
      const submit = await h.app.request("http://localhost/1.1/submit-spam", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
      expect(submit.status).toBe(200);
      expect(await count(h.deps, "comments", sql`site_id = ${site.id}`)).toBe(1);
      expect(await count(h.deps, "decisions", sql`comment_id = ${guid} AND label = 'spam'`)).toBe(1);
    });
  });

  describe("DELETE /v1/sites/:id", () => {
    it("needs the admin token and the site's exact name, else 401 / 400 and nothing is deleted", async () => {
      const name = uniqueName("doomed");
      const site = await createSite(h.app, name);
      const noAuth = await call(h.app, "DELETE", `/v1/sites/${site.id}?confirm=${name}`, { key: site.apiKey });
      expect(noAuth.status).toBe(401);
      const missing = await call(h.app, "DELETE", `/v1/sites/${site.id}`, { key: ADMIN_TOKEN });
      expect(missing.status).toBe(400);
      expect(missing.body).toMatchObject({
        error: { code: "BAD_REQUEST", message: "Deleting a site needs its name: DELETE /v1/sites/:id?confirm=<site name>", details: [{ path: "confirm" }] },
      });
      const wrong = await call(h.app, "DELETE", `/v1/sites/${site.id}?confirm=${name}x`, { key: ADMIN_TOKEN });
      expect(wrong.status).toBe(400);
      expect(wrong.body).toMatchObject({ error: { code: "BAD_REQUEST", message: "confirm does not match the site's name; nothing was deleted" } });
      const wrongBody = await call(h.app, "DELETE", `/v1/sites/${site.id}`, { key: ADMIN_TOKEN, body: { confirm: name.toUpperCase() } });
      expect(wrongBody.status).toBe(400);
      await expect(deleteSite(h.deps.db, site.id, "nope")).rejects.toBeInstanceOf(ConfirmMismatchError);
      // The keys still work: nothing happened.
      const still = await call(h.app, "POST", "/v1/comments", { key: site.apiKey, body: { thread: "t", content: "still here" } });
      expect(still.status).toBe(202);

      const ok = await call(h.app, "DELETE", `/v1/sites/${site.id}`, { key: ADMIN_TOKEN, body: { confirm: name } });
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ deleted: { id: site.id, comments: 1, decisions: 0 } });
      expect((await call(h.app, "GET", `/v1/sites/${site.id}`, { key: ADMIN_TOKEN })).status).toBe(404);
      expect((await call(h.app, "POST", "/v1/comments", { key: site.apiKey, body: { thread: "t", content: "gone" } })).status).toBe(401);
    });

    it("removes everything of the site and unlearns it exactly, in batches: retrain then gives the same counts", async () => {
      const stays = await createSite(h.app);
      for (let i = 0; i < 3; i++) await decided(h.deps, stays.id, { thread: "t", content: spamText(50 + i) }, "spam");
      await decided(h.deps, stays.id, { thread: "t", content: hamText(50) }, "ham");
      const without = await dumpCounts(h.deps.db);

      const name = uniqueName("big");
      const site = await createSite(h.app, name);
      for (let i = 0; i < 7; i++) await decided(h.deps, site.id, { thread: "t", content: spamText(60 + i) }, "spam");
      for (let i = 0; i < 5; i++) await decided(h.deps, site.id, { thread: "t", content: hamText(60 + i) }, i === 0 ? "spam" : "ham");
      const flipped = await decided(h.deps, site.id, { thread: "t", content: hamText(70) }, "spam");
      await recordDecision(h.deps.db, { siteId: site.id, commentId: flipped.id, label: "ham", actor: "moderator" });
      await storeComment(h.deps.db, site.id, { thread: "t", content: "never decided" });
      // Some of its comments were purged earlier with their counts kept: those must go too.
      await setPrivacy({ ...site }, { retention: { allDays: 30, keepLearnedCounts: true } });
      await storeComment(h.deps.db, site.id, { thread: "t", content: "pending but old" });
      await h.deps.db.execute(sql`UPDATE comments SET created_at = now() - interval '40 days' WHERE site_id = ${site.id} AND content LIKE 'cheap pills 6%'`);
      expect((await purgeSite(h.deps.db, site.id)).purged).toBe(7);
      const akismet = await h.app.request("http://localhost/1.1/comment-check", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ api_key: site.apiKey, blog: "https://b.example", user_ip: "192.0.2.1", comment_content: "via akismet" }).toString(),
      });
      expect(akismet.status).toBe(200);

      const progress: number[] = [];
      const out = await deleteSite(h.deps.db, site.id, name, { batchSize: 4, onProgress: (n) => progress.push(n) });
      // Left after the purge: 5 + the flipped one + 2 undecided + the Akismet check; 5 + 2 decisions.
      expect(out).toEqual({ comments: 9, decisions: 7 });
      expect(progress).toEqual([4, 8, 9]);
      expect(await dumpCounts(h.deps.db)).toEqual(without);
      await modelFollows(h.deps, "global");
      for (const table of ["comments", "decisions", "akismet_checks", "akismet_usage", "retained_counts", "retained_totals", "webhook_endpoints", "webhook_deliveries"]) {
        expect(await count(h.deps, table, sql`site_id = ${site.id}`), table).toBe(0);
      }
      expect(await count(h.deps, "comment_fingerprints", sql`site_id = ${site.id}`)).toBe(0);
      expect(await count(h.deps, "token_counts", sql`scope = ${site.id}`)).toBe(0);
      expect(await count(h.deps, "sites", sql`id = ${site.id}`)).toBe(0);
      expect(await count(h.deps, "erasures", sql`site_id = ${site.id} AND kind = 'site' AND comments = 9`)).toBe(1);
      await retrain(h.deps.db);
      expect(await dumpCounts(h.deps.db)).toEqual(without);
    });
  });
});

describe("the scheduled retention purge", () => {
  for (const kind of ["redis", "postgres"] as const) {
    it(`runs as a BullMQ job scheduler on the ${kind} backend and purges expired comments`, async (ctx) => {
      const db = await freshDatabase();
      const { TEST_REDIS_URL } = await import("./env.js");
      if (kind === "redis" && !TEST_REDIS_URL) {
        await db.drop();
        return ctx.skip("no Redis");
      }
      const h = harness({
        databaseUrl: db.url,
        queueBackend: kind === "redis" ? { kind, url: TEST_REDIS_URL ?? "" } : { kind, url: db.url },
        config: { RETENTION_PURGE_INTERVAL_MS: "300" },
      });
      try {
        const site = await createSite(h.app);
        await call(h.app, "PATCH", `/v1/sites/${site.id}/privacy`, { key: ADMIN_TOKEN, body: { retention: { spamDays: 7 } } });
        await decided(h.deps, site.id, { thread: "t", content: spamText(1) }, "spam");
        await decided(h.deps, site.id, { thread: "t", content: spamText(2) }, "spam");
        await decided(h.deps, site.id, { thread: "t", content: hamText(1) }, "ham");
        await h.deps.db.execute(sql`UPDATE comments SET created_at = now() - interval '8 days' WHERE site_id = ${site.id}`);
        h.startWorker();
        await eventually(async () => ((await count(h.deps, "comments", sql`site_id = ${site.id}`)) === 1 ? true : undefined), 15_000);
        const totals = await h.deps.db.execute<{ spam: number; ham: number }>(sql`SELECT spam, ham FROM scope_totals WHERE scope = ${site.id}`);
        expect([...totals]).toEqual([{ spam: 0, ham: 1 }]);
      } finally {
        await h.close();
        await db.drop();
      }
    });
  }
});
