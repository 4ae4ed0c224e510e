import { AkismetClient } from "akismet-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkComment, checkedRow, toCommentInput } from "../src/akismet/calls.js";
import { storeComment } from "../src/comments/intake.js";
import { parseComment, parseForm } from "../src/akismet/wire.js";
import { featuresOf } from "../src/comments/scoring.js";
import { findSiteComment } from "../src/db/queries/comments.js";
import { findSiteById } from "../src/db/queries/sites.js";
import { listDecisions } from "../src/db/queries/decisions.js";
import { resolveLocalhostSubdomains, startServer, type RunningServer } from "./helpers/akismet-harness.js";
import { ADMIN_TOKEN, call, createSite, eventually, freshDatabase, harness, removeSite, type Harness, type TestSite } from "./helpers.js";

const BLOG = "https://blog.example";
const TEXT = "text/plain; charset=utf-8";

/** Posts a form the way Akismet clients do; `host` carries a key-in-the-Host-name. */
async function post(
  h: Harness,
  path: string,
  fields: Record<string, string> | string,
  opts: { host?: string; contentType?: string } = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const body = typeof fields === "string" ? fields : new URLSearchParams(fields).toString();
  const headers: Record<string, string> = { "content-type": opts.contentType ?? "application/x-www-form-urlencoded" };
  if (opts.host) headers.host = opts.host;
  const res = await h.app.request(`http://${opts.host ?? "localhost"}${path}`, { method: "POST", headers, body });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

async function get(h: Harness, path: string): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await h.app.request(`http://localhost${path}`);
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** Every Akismet answer is 200 text/plain; `invalid` always says why, nothing else does. */
function expectInvalid(res: { status: number; text: string; headers: Headers }, help: string | RegExp) {
  expect(res.status).toBe(200);
  expect(res.text).toBe("invalid");
  expect(res.headers.get("content-type")).toBe(TEXT);
  const said = res.headers.get("x-akismet-debug-help");
  if (typeof help === "string") expect(said).toBe(help);
  else expect(said).toMatch(help);
}

const spamTexts = [
  "Buy cheap viagra pills online now, best casino bonus at http://pills.example",
  "Cheap pills, casino jackpot and viagra discount, click http://pills.example today",
  "Earn money fast with our casino bonus, free spins and cheap viagra http://pills.example",
  "Best online casino: huge bonus, cheap pills, viagra without prescription http://pills.example",
  "Viagra cialis cheap pills, discount pharmacy, casino bonus code http://pills.example",
  "Win big at the casino, claim your bonus, buy pills cheap http://pills.example",
  "Discount viagra and cheap pills shipped fast, casino free spins http://pills.example",
  "Casino bonus, jackpot, cheap viagra, free pills trial http://pills.example",
  "Cheap replica pills and viagra deals plus casino cash bonus http://pills.example",
  "Order cheap pills online, viagra sale, casino welcome bonus http://pills.example",
  "Hot casino bonus today only, cheap viagra, pills discount http://pills.example",
  "Get viagra pills cheap, play casino, double bonus http://pills.example",
];

const hamTexts = [
  "Thanks for the detailed write-up, the section on garden soil helped me a lot.",
  "I tried your sourdough recipe this weekend and the crust came out great.",
  "Interesting point about the history of the town library, I had no idea.",
  "Could you share which camera lens you used for the mountain photos?",
  "My grandmother grew tomatoes the same way, this brought back memories.",
  "Great article, I especially liked the part about pruning roses in spring.",
  "The hiking trail you described sounds lovely, we will try it next month.",
  "I disagree a little about the bread flour, but the recipe worked well anyway.",
  "Thank you for explaining compost so clearly, my kids enjoyed reading it too.",
  "Lovely photos of the lake, the autumn colours are beautiful this year.",
  "We visited the museum after reading this post and enjoyed the exhibition.",
  "Your notes on watering the herb garden in summer were really useful.",
];

describe("Akismet API with the real akismet-api client", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let h: Harness;
  let server: RunningServer;
  let undoDns: () => void;
  let site: TestSite;
  let client: AkismetClient;

  // Its own database: "nothing learned yet" really means nothing, whatever other suites teach.
  beforeAll(async () => {
    db = await freshDatabase();
    h = harness({ databaseUrl: db.url });
    undoDns = resolveLocalhostSubdomains();
    server = await startServer(h.app);
    site = await createSite(h.app);
    client = new AkismetClient({ key: site.apiKey, blog: BLOG, host: server.host, protocol: "http" });
  });
  afterAll(async () => {
    await server?.close();
    undoDns?.();
    await h?.close();
    await db?.drop();
  });

  it("verifies a valid key and refuses an invalid one", async () => {
    expect(await client.verifyKey()).toBe(true);
    const wrong = new AkismetClient({ key: "zzzzzzzzzzzz", blog: BLOG, host: server.host, protocol: "http" });
    expect(await wrong.verifyKey()).toBe(false);
    const malformed = new AkismetClient({ key: "not-a-key", blog: BLOG, host: server.host, protocol: "http" });
    expect(await malformed.verifyKey()).toBe(false);
  });

  it("makes comment-check fail loudly for an unknown key", async () => {
    const wrong = new AkismetClient({ key: "zzzzzzzzzzzz", blog: BLOG, host: server.host, protocol: "http" });
    await expect(wrong.checkSpam({ ip: "203.0.113.1", content: "hello" })).rejects.toThrow("Invalid API key");
  });

  it("answers false for an untrained model's unsure verdict by default, and holds the comment", async () => {
    const res = await post(h, "/1.1/comment-check", {
      api_key: site.apiKey,
      blog: BLOG,
      user_ip: "203.0.113.2",
      comment_content: "A first comment before anything was learned",
      permalink: `${BLOG}/first-post`,
    });
    expect(res.status).toBe(200);
    expect(res.text).toBe("false");
    expect(res.headers.get("x-akismet-debug-help")).toBeNull();
    const guid = res.headers.get("x-akismet-guid") ?? "";
    const row = await findSiteComment(h.deps.db, site.id, guid);
    expect(row).toMatchObject({ source: "akismet", status: "held", verdict: "unsure", thread: `${BLOG}/first-post` });
    expect(row?.meta).toMatchObject({ blog: BLOG, permalink: `${BLOG}/first-post` });
  });

  it("answers Akismet's test values without asking the model", async () => {
    expect(await client.checkSpam({ ip: "203.0.113.3", name: "viagra-test-123", content: "anything" })).toBe(true);
    expect(await client.checkSpam({ ip: "203.0.113.3", role: "administrator", content: "Buy cheap viagra pills casino" })).toBe(false);
    expect(await client.checkSpam({ ip: "203.0.113.3", name: "viagra-test-123", isTest: true })).toBe(true);
  });

  it("learns from submit-spam and submit-ham with no earlier check (new labeled examples)", async () => {
    for (const [i, content] of spamTexts.entries()) {
      await client.submitSpam({ ip: `198.51.100.${i + 1}`, name: `spammer${i}`, content });
    }
    for (const [i, content] of hamTexts.entries()) {
      await client.submitHam({ ip: `192.0.2.${i + 1}`, name: `reader${i}`, content });
    }
    const decisions = await h.deps.sql<{ actor: string; label: string; n: string }[]>`
      SELECT d.actor, d.label, count(*) AS n FROM decisions d JOIN comments c ON c.id = d.comment_id
      WHERE d.site_id = ${site.id} AND c.source = 'akismet' GROUP BY 1, 2 ORDER BY 2`;
    expect(decisions.map((d) => ({ ...d, n: Number(d.n) }))).toEqual([
      { actor: "akismet", label: "ham", n: hamTexts.length },
      { actor: "akismet", label: "spam", n: spamTexts.length },
    ]);
  });

  it("checks ham and spam once trained", async () => {
    expect(
      await client.checkSpam({ ip: "198.51.100.200", name: "Sam", content: "Cheap viagra pills and casino bonus, buy now http://pills.example" }),
    ).toBe(true);
    expect(
      await client.checkSpam({ ip: "192.0.2.200", name: "Ada", content: "Thanks for the recipe, the bread and the garden photos were lovely." }),
    ).toBe(false);
  });

  it("changes the next verdict for similar text after a submit-spam", async () => {
    const kind = {
      ip: "203.0.113.77",
      name: "Wallet Helper",
      content: "Recover your lost crypto wallet seed phrase today, contact our recovery agent on telegram",
    };
    const similar = {
      ip: "203.0.113.78",
      name: "Wallet Helper",
      content: "Lost your crypto wallet? Our recovery agent restores any seed phrase, contact us on telegram",
    };
    // Before: these words were never seen, so the model is not sure and the default answers false.
    expect(await client.checkSpam(similar)).toBe(false);
    // The site's moderator marks the first one spam from its own admin screen: akismet-api sends
    // the same fields again, and the service finds the check by content, author and IP.
    expect(await client.checkSpam(kind)).toBe(false);
    await client.submitSpam(kind);
    await client.submitSpam({ ...kind, ip: "203.0.113.79", content: `${kind.content}, fast and safe` });
    expect(await client.checkSpam({ ...similar, ip: "203.0.113.80" })).toBe(true);
  });

  it("changes the next verdict after a submit-ham", async () => {
    // Words the model learned as spam around new ones: spam until the site says otherwise.
    const kind = { ip: "100.64.0.20", name: "Harriet", content: "Cheap casino bonus, Millbrook orchard volunteers evening http://pills.example" };
    expect(await client.checkSpam(kind)).toBe(true);
    await client.submitHam(kind);
    await client.submitHam({ ...kind, ip: "100.64.0.21", content: "Millbrook orchard volunteers evening, cheap casino bonus raffle http://pills.example" });
    expect(
      await client.checkSpam({ ...kind, ip: "100.64.0.22", content: "Millbrook orchard volunteers raffle evening: cheap casino bonus http://pills.example" }),
    ).toBe(false);
  });
});

describe("Akismet wire rules on the service", () => {
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

  const base = () => ({ blog: BLOG, user_ip: "203.0.113.50", comment_content: "Hello there", comment_author: "Ada" });

  it("takes the key from the first label of the Host name", async () => {
    const res = await post(h, "/1.1/comment-check", base(), { host: `${site.apiKey}.localhost:3000` });
    expect(res.status).toBe(200);
    expect(["true", "false"]).toContain(res.text);
    expect(res.headers.get("x-akismet-guid")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("takes the key from api_key in the body", async () => {
    const res = await post(h, "/1.1/comment-check", { ...base(), api_key: site.apiKey });
    expect(["true", "false"]).toContain(res.text);
  });

  it("refuses a comment-check without a key, saying why", async () => {
    expectInvalid(await post(h, "/1.1/comment-check", base()), /Missing required field: api_key/);
  });

  it("refuses the moderator key as an Akismet key", async () => {
    expectInvalid(await post(h, "/1.1/comment-check", { ...base(), api_key: site.moderatorKey }), "The API key is not valid.");
  });

  it("refuses verify-key without a key", async () => {
    expectInvalid(await post(h, "/1.1/verify-key", { blog: BLOG }), "Missing required field: key.");
  });

  it("answers verify-key with key in the body", async () => {
    const res = await post(h, "/1.1/verify-key", { key: site.apiKey, blog: BLOG });
    expect({ status: res.status, text: res.text, help: res.headers.get("x-akismet-debug-help") }).toEqual({
      status: 200,
      text: "valid",
      help: null,
    });
  });

  it("refuses a missing user_ip with debug help", async () => {
    expectInvalid(await post(h, "/1.1/comment-check", { api_key: site.apiKey, blog: BLOG }), "Missing required field: user_ip.");
  });

  it("refuses a body that is not a form", async () => {
    expectInvalid(
      await post(h, "/1.1/comment-check", JSON.stringify({ api_key: site.apiKey }), { contentType: "application/json" }),
      "Send the body as application/x-www-form-urlencoded.",
    );
  });

  it("refuses a body with too many fields, saying so", async () => {
    const many = Array.from({ length: 300 }, (_, i) => `f${i}=1`).join("&");
    expectInvalid(await post(h, "/1.1/comment-check", `api_key=${site.apiKey}&${many}`), /^Too many fields/);
  });

  it("answers an oversized body with invalid, still HTTP 200", async () => {
    const res = await post(h, "/1.1/comment-check", { ...base(), api_key: site.apiKey, comment_content: "x".repeat(1_000_000) });
    expectInvalid(res, /^The body exceeds \d+ bytes\.$/);
  });

  it("refuses content over the service's limit", async () => {
    const res = await post(h, "/1.1/comment-check", { ...base(), api_key: site.apiKey, comment_content: "x".repeat(20_001) });
    expectInvalid(res, 'Field "comment_content" is longer than 20000 characters.');
  });

  it("ignores unknown fields and reads both array forms and Discourse's content_type", async () => {
    const body = [
      `api_key=${site.apiKey}`,
      "blog=https%3A%2F%2Fblog.example",
      "user_ip=203.0.113.51",
      "comment_content=Nice+post",
      "content_type=forum-post",
      "comment_context%5B%5D=gardening",
      "comment_context[]=soil",
      "some_plugin_field=whatever",
      "comment_date_gmt=2026-11-28+07%3A00%3A00",
      "honeypot_field_name=hp&hp=filled",
    ].join("&");
    const res = await post(h, "/1.1/comment-check", body);
    expect(["true", "false"]).toContain(res.text);
    const row = await findSiteComment(h.deps.db, site.id, res.headers.get("x-akismet-guid") ?? "");
    expect(row).toMatchObject({ honeypotFilled: true, thread: BLOG });
    expect(row?.meta).toMatchObject({ commentType: "forum-post", context: ["gardening", "soil"], commentDate: "2026-11-28T07:00:00.000Z" });
  });

  it("scores is_test checks without storing or counting them", async () => {
    const before = JSON.parse((await get(h, `/1.2/usage-limit?api_key=${site.apiKey}`)).text) as { usage: number };
    for (const isTest of ["true", "1"]) {
      const res = await post(h, "/1.1/comment-check", { ...base(), api_key: site.apiKey, is_test: isTest });
      expect(["true", "false"]).toContain(res.text);
      const guid = res.headers.get("x-akismet-guid") ?? "";
      expect(guid).not.toBe("");
      expect(await findSiteComment(h.deps.db, site.id, guid)).toBeUndefined();
    }
    const after = JSON.parse((await get(h, `/1.2/usage-limit?api_key=${site.apiKey}`)).text) as { usage: number };
    expect(after.usage).toBe(before.usage);
  });

  it("stores nothing for an is_test submission", async () => {
    const content = `test submission ${site.id}`;
    const res = await post(h, "/1.1/submit-spam", { ...base(), api_key: site.apiKey, is_test: "1", comment_content: content });
    expect(res.text).toBe("Thanks for making the web a better place.");
    const rows = await h.deps.sql`SELECT 1 FROM comments WHERE site_id = ${site.id} AND content = ${content}`;
    expect(rows.length).toBe(0);
  });

  it("records submit-spam by guid as an akismet decision and counts missed spam", async () => {
    const checked = await post(h, "/1.1/comment-check", { ...base(), api_key: site.apiKey, user_role: "administrator" });
    expect(checked.text).toBe("false");
    const guid = checked.headers.get("x-akismet-guid") ?? "";
    // A different IP: only the guid can find it.
    const res = await post(h, "/1.1/submit-spam", { ...base(), api_key: site.apiKey, user_ip: "203.0.113.99", guid });
    expect({ status: res.status, text: res.text, type: res.headers.get("content-type") }).toEqual({
      status: 200,
      text: "Thanks for making the web a better place.",
      type: TEXT,
    });
    const decisions = await listDecisions(h.deps.db, guid);
    expect(decisions).toMatchObject([{ label: "spam", actor: "akismet", note: "akismet submit-spam" }]);
    expect(await findSiteComment(h.deps.db, site.id, guid)).toMatchObject({ status: "spam", learnedLabel: "spam" });
  });

  it("reports usage per month through usage-limit and key-sites", async () => {
    const fresh = await createSite(h.app);
    try {
      const k = fresh.apiKey;
      await post(h, "/1.1/comment-check", { ...base(), api_key: k, comment_author: "viagra-test-123" });
      await post(h, "/1.1/comment-check", { ...base(), api_key: k, user_role: "administrator" });
      await post(h, "/1.1/comment-check", { ...base(), api_key: k, user_role: "administrator", blog: "https://other.example/x" });
      // Corrects the administrator check (answered false): missed spam.
      await post(h, "/1.1/submit-spam", { ...base(), api_key: k, user_role: "administrator" });
      // Confirms the spam answer: neither counter moves. Then one never checked: a false positive.
      await post(h, "/1.1/submit-spam", { ...base(), api_key: k, comment_author: "viagra-test-123" });
      await post(h, "/1.1/submit-ham", { ...base(), api_key: k, comment_content: "never checked" });

      const usage = await get(h, `/1.2/usage-limit?api_key=${k}`);
      expect(usage.status).toBe(200);
      expect(usage.headers.get("content-type")).toBe("application/json; charset=utf-8");
      expect(JSON.parse(usage.text)).toEqual({ limit: "none", usage: 3, percentage: "0.00", throttled: false });

      const month = new Date().toISOString().slice(0, 7);
      const sites = await post(h, "/1.2/key-sites", { api_key: k });
      expect(JSON.parse(sites.text)).toEqual({
        [month]: [
          { site: "blog.example", api_calls: "2", spam: "1", ham: "1", missed_spam: "1", false_positives: "1", is_revoked: false },
          { site: "other.example", api_calls: "1", spam: "0", ham: "1", missed_spam: "0", false_positives: "0", is_revoked: false },
        ],
        limit: 10,
        offset: 0,
        total: 2,
      });
      const filtered = await get(h, `/1.2/key-sites?api_key=${k}&url_filter=other&format=csv&month=${month}`);
      expect(filtered.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      expect(filtered.text).toBe(
        `Active sites for ${month}\nSite,Total API Calls,Spam,Ham,Missed Spam,False Positives,Is Revoked\n"other.example",1,0,1,0,0,false\n`,
      );
      const empty = await get(h, `/1.2/key-sites?api_key=${k}&month=2001-01`);
      expect(JSON.parse(empty.text)).toEqual({ "2001-01": [], limit: 10, offset: 0, total: 0 });
    } finally {
      await removeSite(h.deps, fresh.id);
    }
  });

  it("scores from the same features the worker reads from the stored row", async () => {
    const body = `blog=${BLOG}&user_ip=203.0.113.52&comment_author=Ada&comment_author_email=ada%40example.org&comment_author_url=https%3A%2F%2Fada.example&user_agent=UA&comment_content=Hi+there&honeypot_field_name=hp&hp=x&api_key=${site.apiKey}`;
    const res = await post(h, "/1.1/comment-check", body);
    const row = await findSiteComment(h.deps.db, site.id, res.headers.get("x-akismet-guid") ?? "");
    const parsed = parseComment(parseForm(body) ?? { scalars: new Map(), arrays: new Map() });
    if (!row || !parsed.ok) throw new Error("setup failed");
    expect(featuresOf(checkedRow(site.id, row.id, parsed.value))).toEqual(featuresOf(row));
  });

  it("stores a check in the same columns the service's intake would", async () => {
    const body = `blog=${BLOG}&user_ip=203.0.113.54&comment_author=Bo&comment_author_email=bo%40example.org&user_agent=UA&referrer=https%3A%2F%2Fr.example&permalink=${encodeURIComponent(`${BLOG}/p/9`)}&comment_content=Same+columns&honeypot_field_name=hp&hp=x&comment_type=reply&api_key=${site.apiKey}`;
    const res = await post(h, "/1.1/comment-check", body);
    const viaCheck = await findSiteComment(h.deps.db, site.id, res.headers.get("x-akismet-guid") ?? "");
    const parsed = parseComment(parseForm(body) ?? { scalars: new Map(), arrays: new Map() });
    if (!viaCheck || !parsed.ok) throw new Error("setup failed");
    const { comment: viaIntake } = await storeComment(h.deps.db, site.id, toCommentInput(parsed.value));
    const columns = (r: typeof viaCheck) => {
      const { id: _i, status: _s, verdict: _v, score: _sc, reasons: _r, insufficientTraining: _it, modelVersion: _m, createdAt: _c, updatedAt: _u, scoredAt: _sa, ...rest } = r;
      return rest;
    };
    expect(columns(viaCheck)).toEqual(columns(viaIntake));
    expect(viaCheck).toMatchObject({ source: "akismet", thread: `${BLOG}/p/9`, honeypotFilled: true, referrer: "https://r.example" });
  });

  it("answers by the unsure policy when the model is not loaded within the budget, and the worker scores it", async () => {
    h.startWorker();
    const siteRow = await findSiteById(h.deps.db, site.id);
    const parsed = parseComment(parseForm(`blog=${BLOG}&user_ip=203.0.113.53&comment_content=late+one`) ?? { scalars: new Map(), arrays: new Map() });
    if (!siteRow || !parsed.ok) throw new Error("setup failed");
    const result = await checkComment(h.deps, siteRow, parsed.value, { budgetMs: 0 });
    expect(result).toMatchObject({ late: true, spam: false, verdict: "unsure" });
    const landed = await eventually(async () => {
      const row = await findSiteComment(h.deps.db, site.id, result.guid);
      return row?.status === "pending" ? undefined : row;
    });
    expect(landed.verdict).not.toBeNull();
  });

  it("answers HTTP 503 with Retry-After, not invalid, when the database is unreachable", async () => {
    // `invalid` would tell the client its key broke; a non-2xx is a transport failure to it, and it
    // applies its own fail-open or fail-closed setting.
    const down = harness({ databaseUrl: "postgres://postgres@127.0.0.1:1/nowhere" });
    try {
      const res = await post(down, "/1.1/comment-check", { ...base(), api_key: "abcdefabcdef" });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
      expect(res.headers.get("x-akismet-debug-help")).toBeNull();
      expect(res.text).toMatch(/^Service unavailable; retry later \(request [\w.:-]+\)\.$/);
    } finally {
      await down.close().catch(() => undefined);
    }
  });

  it("answers a recheck for the comment already stored, without storing it again", async () => {
    const fresh = await createSite(h.app);
    try {
      const fields = { ...base(), api_key: fresh.apiKey, comment_content: "Recheck me please" };
      const first = await post(h, "/1.1/comment-check", fields);
      const guid = first.headers.get("x-akismet-guid");
      const again = await post(h, "/1.1/comment-check", { ...fields, recheck_reason: "recheck_queue" });
      expect({ text: again.text, guid: again.headers.get("x-akismet-guid") }).toEqual({ text: first.text, guid });
      // The site's moderator called it spam: a recheck now says so.
      await post(h, "/1.1/submit-spam", { ...fields, guid: guid ?? "" });
      const afterDecision = await post(h, "/1.1/comment-check", { ...fields, recheck_reason: "edit" });
      expect({ text: afterDecision.text, guid: afterDecision.headers.get("x-akismet-guid") }).toEqual({ text: "true", guid });
      const rows = await h.deps.sql`SELECT 1 FROM comments WHERE site_id = ${fresh.id}`;
      expect(rows.length).toBe(1);
      const usage = JSON.parse((await get(h, `/1.2/usage-limit?api_key=${fresh.apiKey}`)).text) as { usage: number };
      expect(usage.usage).toBe(3);
    } finally {
      await removeSite(h.deps, fresh.id);
    }
  });

  it("refuses usage-limit for an unknown key", async () => {
    expectInvalid(await get(h, "/1.2/usage-limit?api_key=zzzzzzzzzzzz"), "The API key is not valid.");
  });

  it("refuses a malformed key-sites month", async () => {
    expectInvalid(await get(h, `/1.2/key-sites?api_key=${site.apiKey}&month=2026-13`), 'Field "month" must look like YYYY-MM.');
  });
});

describe("per-site Akismet settings", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let h: Harness;
  let site: TestSite;

  beforeAll(async () => {
    db = await freshDatabase();
    h = harness({ databaseUrl: db.url });
    site = await createSite(h.app);
  });
  afterAll(async () => {
    await h?.close();
    await db?.drop();
  });

  const check = (content: string) =>
    post(h, "/1.1/comment-check", { api_key: site.apiKey, blog: BLOG, user_ip: "203.0.113.60", comment_content: content });

  it("shows the defaults", async () => {
    const res = await call(h.app, "GET", `/v1/sites/${site.id}/akismet`, { key: ADMIN_TOKEN });
    expect(res).toMatchObject({ status: 200, body: { akismet: { unsureAnswer: "ham", discardCutoff: 0.99 } } });
  });

  it("needs the admin token", async () => {
    const res = await call(h.app, "PATCH", `/v1/sites/${site.id}/akismet`, { key: site.apiKey, body: { unsureAnswer: "spam" } });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: { code: "UNAUTHORIZED" } });
  });

  it("refuses a bad value with 400", async () => {
    const res = await call(h.app, "PATCH", `/v1/sites/${site.id}/akismet`, { key: ADMIN_TOKEN, body: { discardCutoff: 2 } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: "BAD_REQUEST" } });
  });

  it("answers 404 for an unknown site", async () => {
    const res = await call(h.app, "GET", "/v1/sites/00000000-0000-0000-0000-000000000000/akismet", { key: ADMIN_TOKEN });
    expect(res.status).toBe(404);
  });

  it("answers true for unsure verdicts when the site asks for it", async () => {
    expect((await check("Nothing learned yet on this database")).text).toBe("false");
    const res = await call(h.app, "PATCH", `/v1/sites/${site.id}/akismet`, { key: ADMIN_TOKEN, body: { unsureAnswer: "spam" } });
    expect(res).toMatchObject({ status: 200, body: { akismet: { unsureAnswer: "spam", discardCutoff: 0.99 } } });
    expect((await check("Nothing learned yet on this database")).text).toBe("true");
  });

  it("tells the client to discard blatant spam past the cutoff, and only then", async () => {
    await call(h.app, "PATCH", `/v1/sites/${site.id}/akismet`, { key: ADMIN_TOKEN, body: { unsureAnswer: "ham" } });
    for (const [i, content] of spamTexts.entries()) {
      await post(h, "/1.1/submit-spam", { api_key: site.apiKey, blog: BLOG, user_ip: `198.51.100.${i + 1}`, comment_content: content });
    }
    for (const [i, content] of hamTexts.entries()) {
      await post(h, "/1.1/submit-ham", { api_key: site.apiKey, blog: BLOG, user_ip: `192.0.2.${i + 1}`, comment_content: content });
    }
    const blatant = "Cheap viagra pills, casino bonus, free spins, discount pills http://pills.example";
    const res = await check(blatant);
    expect(res.text).toBe("true");
    expect(res.headers.get("x-akismet-pro-tip")).toBe("discard");
    const row = await findSiteComment(h.deps.db, site.id, res.headers.get("x-akismet-guid") ?? "");
    expect(row?.score).toBeGreaterThanOrEqual(0.99);

    await call(h.app, "PATCH", `/v1/sites/${site.id}/akismet`, { key: ADMIN_TOKEN, body: { discardCutoff: null } });
    const kept = await check(blatant);
    expect(kept.text).toBe("true");
    expect(kept.headers.get("x-akismet-pro-tip")).toBeNull();
    const ham = await check("Thanks for the recipe, the garden photos were lovely.");
    expect(ham.text).toBe("false");
    expect(ham.headers.get("x-akismet-pro-tip")).toBeNull();
  });
});
