import http from "node:http";
import { Author, Blog, CheckResult, Client, Comment } from "@cedx/akismet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { THANKS } from "../src/akismet/wire.js";
import { call, isolatedSuite, type IsolatedSuite } from "./helpers.js";
import { startServer, type RunningServer } from "./helpers/akismet-harness.js";

/**
 * Akismet integrations beyond WordPress, akismet-api and the PHP plugins, each with the exact field
 * set and transport its source uses (read from the projects' repositories), against the real server
 * on a real socket, the real Postgres and Redis. How each client reads an answer is asserted as that
 * client reads it: Artalk and Commento take any body but `true`/`false` as an error (Commento then
 * as spam), Coral's newer release compares the exact text, @cedx/akismet throws on debug and alert
 * headers.
 */

const BLOG = "https://blog.example";

/** One raw HTTP request, as the Go and node-fetch clients send it (`Host` is what DNS would give). */
function post(server: RunningServer, path: string, opts: { host?: string; type: string; body: string }): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port: server.port, path, method: "POST", headers: { host: opts.host ?? server.host, "content-type": opts.type, "content-length": Buffer.byteLength(opts.body) } },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

/** go-akismet's Check (Commento): a non-boolean body is an error, and Commento files an error as spam. */
function commentoVerdict(body: string): boolean {
  if (body === "true") return true;
  if (body === "false") return false;
  return true;
}

/** Artalk's AkismetChecker: `true` spam, `false` ham, anything else an error. */
function artalkVerdict(body: string): "spam" | "ham" | "error" {
  return body === "true" ? "spam" : body === "false" ? "ham" : "error";
}

describe("Akismet clients beyond the first three, on the real server", () => {
  let s: IsolatedSuite;
  let server: RunningServer;
  const keyHost = () => `${s.site.apiKey}.localhost:${server.port}`;

  beforeAll(async () => {
    s = await isolatedSuite();
    server = await startServer(s.h.app);
  });
  afterAll(async () => {
    await server?.close();
    await s?.close();
  });

  /** The site's comments with this exact text, with their decisions. */
  async function storedWith(content: string) {
    const found = [];
    for (const status of ["pending", "held", "spam", "published"]) {
      const q = await call(s.h.app, "GET", `/v1/moderation/queue?status=${status}&limit=200`, { key: s.site.moderatorKey });
      for (const c of q.body.comments as { id: string; content: string }[]) if (c.content === content) found.push(c.id);
    }
    return Promise.all(found.map(async (id) => (await call(s.h.app, "GET", `/v1/comments/${id}`, { key: s.site.moderatorKey })).body));
  }

  it("Coral Talk (older releases) posts submit-spam and submit-ham as JSON without blog: accepted and learned", async () => {
    // coralproject/talk src/core/server/services/spam: createBody, POSTed to https://{key}.rest.akismet.com.
    const body = {
      user_ip: "198.51.100.20",
      user_agent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
      referrer: "https://news.example/story-1",
      permalink: "https://news.example/story-1",
      comment_type: "comment",
      comment_author: "coral-reader",
      comment_content: "Coral JSON: buy cheap followers at http://followers.example",
      comment_date_gmt: "2026-11-30T10:00:00.000Z",
      is_test: false,
    };
    const spam = await post(server, "/1.1/submit-spam", { host: keyHost(), type: "application/json", body: JSON.stringify(body) });
    // Coral reads `response.ok`; Akismet's own answer is the thanks.
    expect({ status: spam.status, body: spam.body }).toEqual({ status: 200, body: THANKS });
    const [stored] = await storedWith(body.comment_content);
    expect(stored).toMatchObject({ status: "spam", source: "akismet", ip: "198.51.100.20", decisions: [{ label: "spam", actor: "akismet" }] });

    const ham = await post(server, "/1.1/submit-ham", { host: keyHost(), type: "application/json; charset=utf-8", body: JSON.stringify(body) });
    expect({ status: ham.status, body: ham.body }).toEqual({ status: 200, body: THANKS });
    const [again] = await storedWith(body.comment_content);
    // The same comment (same content, author and IP), now decided ham: one row, two decisions.
    expect(again).toMatchObject({ id: stored?.id, status: "published" });
    expect((again?.decisions as { label: string }[]).map((d) => d.label)).toEqual(["spam", "ham"]);
  });

  it("Coral Talk answers a JSON body that is not one object with invalid and the reason", async () => {
    const res = await post(server, "/1.1/submit-spam", { host: keyHost(), type: "application/json", body: "[1,2]" });
    expect({ status: res.status, body: res.body, help: res.headers["x-akismet-debug-help"] }).toEqual({
      status: 200,
      body: "invalid",
      help: "A JSON body must be one object of fields (at most 200).",
    });
  });

  it("Coral Talk (current) sends the key as api_key to the bare host, blog included, and compares exact texts", async () => {
    const fields = {
      api_key: s.site.apiKey,
      blog: "https://news.example",
      user_ip: "198.51.100.21",
      permalink: "https://news.example/story-2",
      comment_type: "comment",
      comment_author: "coral-writer",
      comment_content: "A measured reply about the council budget, with sources.",
      user_agent: "Mozilla/5.0 (Macintosh) Safari/605.1.15",
      referrer: "https://news.example/story-2",
    };
    const check = await post(server, "/1.1/comment-check", { type: "application/x-www-form-urlencoded", body: form(fields) });
    expect(check.status).toBe(200);
    expect(["true", "false"]).toContain(check.body);
    const submit = await post(server, "/1.1/submit-ham", { type: "application/x-www-form-urlencoded", body: form({ ...fields, comment_date_gmt: "2026-11-30T10:05:00.000Z" }) });
    expect({ status: submit.status, body: submit.body }).toEqual({ status: 200, body: THANKS });
    // Without blog on a submission the site's URL stands in (as the Coral JSON case relies on).
    const { blog: _blog, ...noBlog } = fields;
    const bare = await post(server, "/1.1/submit-spam", { type: "application/x-www-form-urlencoded", body: form({ ...noBlog, comment_content: "Coral form without blog: casino bonus" }) });
    expect({ status: bare.status, body: bare.body }).toEqual({ status: 200, body: THANKS });
    // comment-check still requires blog, as Akismet documents.
    const noBlogCheck = await post(server, "/1.1/comment-check", { type: "application/x-www-form-urlencoded", body: form(noBlog) });
    expect({ body: noBlogCheck.body, help: noBlogCheck.headers["x-akismet-debug-help"] }).toEqual({ body: "invalid", help: "Missing required field: blog." });
  });

  it("Waline calls verify-key before every comment-check through @cedx/akismet 16, with no user_agent, and never throws", async () => {
    // walinejs/waline packages/server/src/service/akismet.js: new Client(key, new Blog({url})),
    // verifyKey() then checkComment(new Comment({author: {ipAddress, name, email}, content, permalink})).
    const client = new Client(s.site.apiKey, new Blog({ url: BLOG }), { baseUrl: `http://127.0.0.1:${server.port}` });
    const texts = ["Waline: lovely photos, which lens was this?", "Waline: cheap pills and casino bonus http://pills.example", "Waline: thanks, it worked"];
    for (const [i, content] of texts.entries()) {
      expect(await client.verifyKey()).toBe(true);
      const result = await client.checkComment(
        new Comment({ author: new Author({ ipAddress: `203.0.113.${10 + i}`, name: `waline-${i}`, email: `w${i}@example.test` }), content, permalink: `${BLOG}/posts/${i}` }),
      );
      expect([CheckResult.ham, CheckResult.spam, CheckResult.pervasiveSpam]).toContain(result);
      const [stored] = await storedWith(content);
      expect(stored).toMatchObject({ source: "akismet", userAgent: null, thread: `${BLOG}/posts/${i}` });
    }
    // Its submissions (Waline's admin marks spam) take the same path and answer the exact thanks.
    await client.submitSpam(new Comment({ author: new Author({ ipAddress: "203.0.113.11", name: "waline-1", email: "w1@example.test" }), content: texts[1] ?? "", permalink: `${BLOG}/posts/1` }));
    const [marked] = await storedWith(texts[1] ?? "");
    expect(marked).toMatchObject({ status: "spam", decisions: [{ label: "spam", actor: "akismet" }] });
    // A wrong key is `invalid` (verifyKey false), and a check with it throws on the debug header, as against Akismet.
    const wrong = new Client("zzzzzzzzzzzz", new Blog({ url: BLOG }), { baseUrl: `http://127.0.0.1:${server.port}` });
    expect(await wrong.verifyKey()).toBe(false);
    await expect(wrong.checkComment(new Comment({ author: new Author({ ipAddress: "203.0.113.1" }), content: "x" }))).rejects.toThrow("The API key is not valid.");
  });

  it("Artalk's field set gets exactly true or false, never another body", async () => {
    // ArtalkJS/Artalk internal/anti_spam/akismet.go: only non-empty fields, key in the host name.
    const cases: Record<string, string>[] = [
      { blog: "https://artalk.example", user_ip: "192.0.2.40", user_agent: "Mozilla/5.0 Chrome/131.0", comment_author: "读者", comment_author_email: "reader@example.test", comment_content: "写得很好，谢谢分享！" },
      { blog: "https://artalk.example", user_ip: "2001:db8::40", comment_author: "bot", comment_content: "cheap viagra http://pills.example" },
      { blog: "https://artalk.example", user_ip: "192.0.2.41", comment_content: "" },
    ];
    for (const fields of cases) {
      const res = await post(server, "/1.1/comment-check", { host: keyHost(), type: "application/x-www-form-urlencoded", body: form(fields) });
      expect(res.status).toBe(200);
      expect(artalkVerdict(res.body), JSON.stringify(fields)).not.toBe("error");
      expect(res.headers["x-akismet-debug-help"]).toBeUndefined();
    }
  });

  it("Commento's go-akismet field set (bare domain as blog, empty fields sent) gets true or false, so an error is never filed as spam", async () => {
    // adtac/commento api/akismet.go and adtac/go-akismet: every struct field is sent, empty or not
    // (the author URL under go-akismet's own name, commento_author_url).
    const fields = {
      blog: "blog.example",
      user_ip: "192.0.2.50",
      user_agent: "Mozilla/5.0 Firefox/133.0",
      referrer: "",
      permalink: "",
      comment_type: "comment",
      comment_author: "Grace",
      comment_author_email: "grace@example.test",
      commento_author_url: "",
      comment_content: "**Markdown** reply: the second diagram cleared it up for me.",
      blog_lang: "",
      blog_charset: "",
      user_role: "",
    };
    const res = await post(server, "/1.1/comment-check", { host: keyHost(), type: "application/x-www-form-urlencoded", body: form(fields) });
    expect(res.status).toBe(200);
    expect(["true", "false"]).toContain(res.body);
    // A fresh site has learned nothing, so this friendly comment is unsure, and unsure answers ham by default.
    expect(commentoVerdict(res.body)).toBe(false);
    const [stored] = await storedWith(fields.comment_content);
    expect(stored).toMatchObject({ source: "akismet", author: { url: null }, thread: "blog.example" });
  });
});
