import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Hono } from "hono";
import { AkismetClient } from "akismet-api";
import {
  FIELD_LIMITS,
  FORM_LIMITS,
  THANKS,
  checkAnswer,
  extractKey,
  fixedVerdict,
  invalidAnswer,
  jsonAnswer,
  keyFromHost,
  keySitesCsv,
  keySitesJson,
  mergeForms,
  parseAkismetDate,
  parseComment,
  parseJsonForm,
  parseFlag,
  parseForm,
  parseKeySites,
  thanksAnswer,
  toResponse,
  usageLimitBody,
  verifyAnswer,
  type AkismetComment,
  type FormFields,
} from "../src/akismet/wire.js";
import { resolveLocalhostSubdomains, startServer, type RunningServer } from "./helpers/akismet-harness.js";

function form(body: string): FormFields {
  const f = parseForm(body);
  if (!f) throw new Error("form refused");
  return f;
}

function comment(body: string): AkismetComment {
  const r = parseComment(form(body));
  if (!r.ok) throw new Error(r.help);
  return r.value;
}

const BASE = "blog=https%3A%2F%2Fexample.org&user_ip=203.0.113.9";

describe("parseForm", () => {
  it("decodes percent escapes and + as a space", () => {
    const f = form("comment_content=Hello+world%21%20%C3%A9t%C3%A9&blog=x");
    expect(f.scalars.get("comment_content")).toBe("Hello world! été");
    expect(f.scalars.get("blog")).toBe("x");
  });

  it("collects comment_context[]= in arrival order", () => {
    const f = form("comment_context%5B%5D=cooking&comment_context[]=recipes");
    expect(f.arrays.get("comment_context")).toEqual(["cooking", "recipes"]);
  });

  it("orders comment_context[N]= by index, not arrival", () => {
    const f = form("comment_context[1]=second&comment_context[0]=first&comment_context%5B2%5D=third");
    expect(f.arrays.get("comment_context")).toEqual(["first", "second", "third"]);
  });

  it("keeps the last value of a repeated scalar, as PHP does", () => {
    expect(form("a=1&a=2").scalars.get("a")).toBe("2");
  });

  it("reads a field without = as empty, and skips empty pairs", () => {
    const f = form("&flag&&x=1&");
    expect(f.scalars.get("flag")).toBe("");
    expect(f.scalars.get("x")).toBe("1");
  });

  it("removes NUL characters, which Postgres cannot store", () => {
    expect(form("comment_content=a%00b").scalars.get("comment_content")).toBe("ab");
  });

  it("turns broken UTF-8 into U+FFFD instead of failing", () => {
    expect(form("comment_content=a%FFb").scalars.get("comment_content")).toBe("a\uFFFDb");
  });

  it("never yields a lone surrogate, even from an encoded one", () => {
    const v = form("comment_content=a%ED%A0%80b").scalars.get("comment_content") ?? "";
    expect(v.startsWith("a") && v.endsWith("b")).toBe(true);
    expect(v).not.toMatch(/[\uD800-\uDFFF]/);
    expect(v).toContain("\uFFFD");
  });

  it("keeps raw non-ASCII characters sent unencoded", () => {
    expect(form("comment_content=caf\u00e9+\u{1F600}").scalars.get("comment_content")).toBe("caf\u00e9 \u{1F600}");
    expect(form("comment_content=caf\u00e9%21&blog_charset=ISO-8859-1").scalars.get("comment_content")).toBe("caf\u00e9!");
  });

  it("decodes values in blog_charset when the body names one", () => {
    // 0xE9 is é in ISO-8859-1 (old WordPress blogs).
    const f = form("comment_content=caf%E9&blog_charset=ISO-8859-1");
    expect(f.scalars.get("comment_content")).toBe("café");
  });

  it("falls back to UTF-8 for an unknown blog_charset", () => {
    expect(form("comment_content=caf%C3%A9&blog_charset=klingon").scalars.get("comment_content")).toBe("café");
  });

  it("refuses a body with more fields than the cap", () => {
    const body = Array.from({ length: FORM_LIMITS.maxFields + 1 }, (_, i) => `f${i}=1`).join("&");
    expect(parseForm(body)).toBeUndefined();
  });

  it("refuses an array longer than the cap", () => {
    const body = Array.from({ length: FORM_LIMITS.maxArrayItems + 1 }, () => "comment_context[]=x").join("&");
    expect(parseForm(body)).toBeUndefined();
  });

  it("lets body fields override query fields when merged", () => {
    const merged = mergeForms(form("api_key=aaaaaaaaaaaa&month=2026-01"), form("api_key=bbbbbbbbbbbb"));
    expect(merged.scalars.get("api_key")).toBe("bbbbbbbbbbbb");
    expect(merged.scalars.get("month")).toBe("2026-01");
  });
});

describe("the key", () => {
  it("is the first label of the Host name when it has a key's shape", () => {
    expect(keyFromHost("abcdef123456.localhost:3000")).toBe("abcdef123456");
    expect(keyFromHost("abcdef123456.rest.example.com")).toBe("abcdef123456");
  });

  it("is lowercased from the Host name, which is case-insensitive", () => {
    expect(keyFromHost("ABCDEF123456.Example.COM")).toBe("abcdef123456");
  });

  it("is not taken from a Host without a key-shaped first label", () => {
    expect(keyFromHost("localhost:3000")).toBeUndefined();
    expect(keyFromHost("abcdef123456:3000")).toBeUndefined(); // a single label is the host itself
    expect(keyFromHost("abcdef12345.example.com")).toBeUndefined(); // 11 characters
    expect(keyFromHost("abcdef-12345.example.com")).toBeUndefined();
    expect(keyFromHost("[::1]:3000")).toBeUndefined();
    expect(keyFromHost(undefined)).toBeUndefined();
  });

  it("comes from api_key in the body before the Host name", () => {
    expect(extractKey(form("api_key=bodykey12345"), "hostkey12345.example.com", { allowKeyField: false })).toEqual({
      key: "bodykey12345",
      source: "api_key",
    });
  });

  it("comes from key on verify-key only", () => {
    const f = form("key=bodykey12345");
    expect(extractKey(f, "localhost", { allowKeyField: true })).toEqual({ key: "bodykey12345", source: "key" });
    expect(extractKey(f, "localhost", { allowKeyField: false })).toBeUndefined();
  });

  it("falls back to the Host name", () => {
    expect(extractKey(form("blog=x"), "hostkey12345.localhost:8080", { allowKeyField: true })).toEqual({
      key: "hostkey12345",
      source: "host",
    });
  });

  it("falls back to X-Forwarded-Host when a proxy rewrote Host", () => {
    expect(extractKey(form("blog=x"), "127.0.0.1:3000", { allowKeyField: false, forwardedHost: "hostkey12345.rest.example.com, proxy.internal" })).toEqual({
      key: "hostkey12345",
      source: "host",
    });
    // Host itself still wins.
    expect(extractKey(form("blog=x"), "aaaaaaaaaaaa.example.com", { allowKeyField: false, forwardedHost: "bbbbbbbbbbbb.example.com" })?.key).toBe("aaaaaaaaaaaa");
  });

  it("is absent when no source has one, and an empty api_key does not count", () => {
    expect(extractKey(form("api_key=&blog=x"), "localhost", { allowKeyField: true })).toBeUndefined();
  });
});

describe("field values", () => {
  it("reads is_test as true for true and 1 only", () => {
    expect(parseFlag("true")).toBe(true);
    expect(parseFlag("TRUE")).toBe(true);
    expect(parseFlag("1")).toBe(true);
    expect(parseFlag("0")).toBe(false);
    expect(parseFlag("false")).toBe(false);
    expect(parseFlag("")).toBe(false);
    expect(parseFlag(undefined)).toBe(false);
  });

  it("reads dates in ISO-8601", () => {
    expect(parseAkismetDate("2026-11-28T07:51:52Z")?.toISOString()).toBe("2026-11-28T07:51:52.000Z");
    expect(parseAkismetDate("2026-11-28T08:51:52+01:00")?.toISOString()).toBe("2026-11-28T07:51:52.000Z");
    expect(parseAkismetDate("2026-11-28T07:51:52.250Z")?.toISOString()).toBe("2026-11-28T07:51:52.250Z");
    expect(parseAkismetDate("2026-11-28")?.toISOString()).toBe("2026-11-28T00:00:00.000Z");
  });

  it("reads a zone-less ISO time in a _gmt field as UTC", () => {
    expect(parseAkismetDate("2026-11-28T07:51:52")?.toISOString()).toBe("2026-11-28T07:51:52.000Z");
  });

  it("reads WordPress's YYYY-MM-DD HH:MM:SS as UTC", () => {
    expect(parseAkismetDate("2026-11-28 07:51:52")?.toISOString()).toBe("2026-11-28T07:51:52.000Z");
  });

  it("drops dates it cannot read instead of refusing", () => {
    expect(parseAkismetDate("2026-02-31 10:00:00")).toBeUndefined();
    expect(parseAkismetDate("2026-01-01 24:00:00")).toBeUndefined();
    expect(parseAkismetDate("yesterday")).toBeUndefined();
    expect(parseAkismetDate("1764316312")).toBeUndefined();
  });
});

describe("parseComment", () => {
  it("maps every Akismet field to our names", () => {
    const c = comment(
      [
        BASE,
        "user_agent=Mozilla%2F5.0",
        "referrer=https%3A%2F%2Fsearch.example%2F",
        "permalink=https%3A%2F%2Fexample.org%2Fpost%2F1",
        "comment_type=Comment",
        "comment_author=Ada",
        "comment_author_email=ada%40example.org",
        "comment_author_url=https%3A%2F%2Fada.example",
        "comment_content=Nice+post",
        "comment_date_gmt=2026-11-28+07%3A00%3A00",
        "comment_post_modified_gmt=2026-11-01T00%3A00%3A00Z",
        "blog_lang=en_us",
        "blog_charset=UTF-8",
        "user_role=Subscriber",
        "recheck_reason=edit",
        "comment_context[]=food",
      ].join("&"),
    );
    expect(c).toEqual({
      blog: "https://example.org",
      ip: "203.0.113.9",
      userAgent: "Mozilla/5.0",
      referrer: "https://search.example/",
      permalink: "https://example.org/post/1",
      commentType: "comment",
      author: { name: "Ada", email: "ada@example.org", url: "https://ada.example" },
      content: "Nice post",
      commentDate: new Date("2026-11-28T07:00:00Z"),
      postModifiedDate: new Date("2026-11-01T00:00:00Z"),
      blogLang: "en_us",
      blogCharset: "UTF-8",
      userRole: "subscriber",
      honeypotFilled: false,
      recheckReason: "edit",
      context: ["food"],
      isTest: false,
      guid: undefined,
    });
  });

  it("ignores fields it does not know", () => {
    const c = comment(`${BASE}&comment_content=hi&wp_plugin_version=5.3&POST_foo=bar&x[]=1&y[7]=2`);
    expect(c.content).toBe("hi");
  });

  it("reads empty optional fields as absent", () => {
    const c = comment(`${BASE}&comment_author=&comment_author_email=&comment_content=`);
    expect(c.author).toEqual({});
    expect(c.content).toBe("");
  });

  it("takes Discourse's content_type as comment_type", () => {
    expect(comment(`${BASE}&content_type=forum-post`).commentType).toBe("forum-post");
    expect(comment(`${BASE}&content_type=forum-post&comment_type=reply`).commentType).toBe("reply");
  });

  it("accepts both comment_context array forms and a lone value", () => {
    expect(comment(`${BASE}&comment_context[0]=a&comment_context[1]=b`).context).toEqual(["a", "b"]);
    expect(comment(`${BASE}&comment_context[]=a&comment_context[]=b`).context).toEqual(["a", "b"]);
    expect(comment(`${BASE}&comment_context=a`).context).toEqual(["a"]);
  });

  it("reads is_test in both forms clients send", () => {
    expect(comment(`${BASE}&is_test=true`).isTest).toBe(true);
    expect(comment(`${BASE}&is_test=1`).isTest).toBe(true);
    expect(comment(`${BASE}&is_test=0`).isTest).toBe(false);
    expect(comment(BASE).isTest).toBe(false);
  });

  it("sees a honeypot filled only when the named field is non-empty", () => {
    expect(comment(`${BASE}&honeypot_field_name=hp_url&hp_url=http%3A%2F%2Fspam`).honeypotFilled).toBe(true);
    expect(comment(`${BASE}&honeypot_field_name=hp_url&hp_url=`).honeypotFilled).toBe(false);
    expect(comment(`${BASE}&honeypot_field_name=hp_url`).honeypotFilled).toBe(false);
    expect(comment(`${BASE}&hp_url=filled`).honeypotFilled).toBe(false);
  });

  it("accepts IPv6 addresses", () => {
    expect(comment("blog=x&user_ip=2001%3Adb8%3A%3A1").ip).toBe("2001:db8::1");
  });

  it("carries the guid of an earlier check", () => {
    expect(comment(`${BASE}&guid=42`).guid).toBe("42");
  });

  it("refuses a body without blog, saying so", () => {
    expect(parseComment(form("user_ip=203.0.113.9"))).toEqual({ ok: false, help: "Missing required field: blog." });
  });

  it("refuses a body without user_ip, saying so", () => {
    expect(parseComment(form("blog=x&user_ip="))).toEqual({ ok: false, help: "Missing required field: user_ip." });
  });

  it("refuses a user_ip that is not an address", () => {
    expect(parseComment(form("blog=x&user_ip=not-an-ip"))).toEqual({
      ok: false,
      help: 'Field "user_ip" is not an IP address.',
    });
  });

  it("refuses content over the size cap", () => {
    const r = parseComment(form(`${BASE}&comment_content=${"a".repeat(FIELD_LIMITS.content + 1)}`));
    expect(r).toEqual({ ok: false, help: `Field "comment_content" is longer than ${FIELD_LIMITS.content} characters.` });
  });

  it("accepts content at the size cap", () => {
    expect(comment(`${BASE}&comment_content=${"a".repeat(FIELD_LIMITS.content)}`).content).toHaveLength(FIELD_LIMITS.content);
  });
});

describe("Akismet's test values", () => {
  it("make viagra-test-123 spam", () => {
    expect(fixedVerdict(comment(`${BASE}&comment_author=viagra-test-123`))).toBe("spam");
  });

  it("make akismet-guaranteed-spam@example.com spam", () => {
    expect(fixedVerdict(comment(`${BASE}&comment_author_email=akismet-guaranteed-spam%40example.com`))).toBe("spam");
  });

  it("leave an administrator to the classifier (a trusted author: answered false, still scored)", () => {
    expect(fixedVerdict(comment(`${BASE}&user_role=administrator`))).toBeUndefined();
    expect(fixedVerdict(comment(`${BASE}&user_role=administrator&comment_author=viagra-test-123`))).toBe("spam");
  });

  it("leave every other comment to the classifier", () => {
    expect(fixedVerdict(comment(`${BASE}&comment_author=viagra-test-1234&user_role=editor`))).toBeUndefined();
  });
});

describe("parseKeySites", () => {
  it("defaults to JSON, 10 rows from 0", () => {
    expect(parseKeySites(form(""))).toEqual({
      ok: true,
      value: { month: undefined, limit: 10, offset: 0, urlFilter: undefined, format: "json" },
    });
  });

  it("reads month, paging, filter and csv", () => {
    expect(parseKeySites(form("month=2026-11&limit=5&offset=10&url_filter=blog&format=CSV"))).toEqual({
      ok: true,
      value: { month: "2026-11", limit: 5, offset: 10, urlFilter: "blog", format: "csv" },
    });
  });

  it("refuses a malformed month", () => {
    expect(parseKeySites(form("month=2026-13"))).toEqual({ ok: false, help: 'Field "month" must look like YYYY-MM.' });
  });

  it("refuses a negative offset", () => {
    const r = parseKeySites(form("offset=-1"));
    expect(r.ok).toBe(false);
  });
});

describe("answers", () => {
  it("are HTTP 200 text/plain, errors included", async () => {
    const res = toResponse(invalidAnswer("Missing required field: blog."));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(res.headers.get("x-akismet-debug-help")).toBe("Missing required field: blog.");
    expect(await res.text()).toBe("invalid");
  });

  it("carry X-akismet-debug-help only alongside invalid", () => {
    for (const a of [
      verifyAnswer(true),
      checkAnswer({ spam: true, guid: "1", discard: true }),
      checkAnswer({ spam: false, guid: "1", discard: false }),
      thanksAnswer(),
      jsonAnswer(usageLimitBody(0)),
    ]) {
      expect(Object.keys(a.headers).map((h) => h.toLowerCase())).not.toContain("x-akismet-debug-help");
    }
    expect(verifyAnswer(false).body).toBe("invalid");
    expect(verifyAnswer(false).headers["X-akismet-debug-help"]).toBe("The API key is not valid.");
  });

  it("keep debug help to one line of ASCII", () => {
    expect(invalidAnswer("bad\r\nX-Evil: 1 é").headers["X-akismet-debug-help"]).toBe("bad??X-Evil: 1 ?");
  });

  it("answer comment-check with the guid, and discard only for spam past the cutoff", () => {
    expect(checkAnswer({ spam: true, guid: "c-7", discard: true })).toEqual({
      body: "true",
      headers: { "Content-Type": "text/plain; charset=utf-8", "X-akismet-guid": "c-7", "X-akismet-pro-tip": "discard" },
    });
    expect(checkAnswer({ spam: true, guid: "c-7", discard: false }).headers["X-akismet-pro-tip"]).toBeUndefined();
    expect(checkAnswer({ spam: false, guid: "c-7", discard: true })).toEqual({
      body: "false",
      headers: { "Content-Type": "text/plain; charset=utf-8", "X-akismet-guid": "c-7" },
    });
  });

  it("thank submissions in Akismet's words", () => {
    expect(thanksAnswer().body).toBe("Thanks for making the web a better place.");
    expect(THANKS).toBe("Thanks for making the web a better place.");
  });

  it("report usage without a limit", () => {
    expect(usageLimitBody(12)).toEqual({ limit: "none", usage: 12, percentage: "0.00", throttled: false });
  });

  it("list key sites per month in Akismet's JSON and CSV", () => {
    const rows = [
      { month: "2026-11", site: "example.org", apiCalls: 9, spam: 3, ham: 6, missedSpam: 1, falsePositives: 0, isRevoked: false },
    ];
    expect(keySitesJson("2026-11", rows, { limit: 10, offset: 0, total: 1 })).toEqual({
      "2026-11": [
        { site: "example.org", api_calls: "9", spam: "3", ham: "6", missed_spam: "1", false_positives: "0", is_revoked: false },
      ],
      limit: 10,
      offset: 0,
      total: 1,
    });
    expect(keySitesCsv("2026-11", rows)).toBe(
      'Active sites for 2026-11\nSite,Total API Calls,Spam,Ham,Missed Spam,False Positives,Is Revoked\n"example.org",9,3,6,1,0,false\n',
    );
  });
});

// What the real npm client puts on the wire, read back by the wire module on a loopback server.
// The server here only parses and answers; the service's behaviour is tested in akismet.test.ts.
describe("akismet-api v6 on the wire", () => {
  let server: RunningServer;
  let undoDns: () => void;
  const seen: { path: string; host: string | undefined; key: ReturnType<typeof extractKey>; body: FormFields }[] = [];
  let nextAnswer = checkAnswer({ spam: false, guid: "g", discard: false });

  beforeAll(async () => {
    undoDns = resolveLocalhostSubdomains();
    const app = new Hono();
    app.post("/1.1/:endpoint", async (c) => {
      const body = form(await c.req.text());
      const host = c.req.header("host");
      seen.push({
        path: c.req.param("endpoint"),
        host,
        key: extractKey(body, host, { allowKeyField: c.req.param("endpoint") === "verify-key" }),
        body,
      });
      return toResponse(nextAnswer);
    });
    server = await startServer(app);
  });

  afterAll(async () => {
    await server.close();
    undoDns();
  });

  const client = (key: string) => new AkismetClient({ key, blog: "https://example.org", host: server.host, protocol: "http" });

  it("sends verify-key to the bare host with the key in the body", async () => {
    nextAnswer = verifyAnswer(true);
    expect(await client("abcdef123456").verifyKey()).toBe(true);
    const req = seen.at(-1);
    expect(req?.path).toBe("verify-key");
    expect(req?.host).toBe(server.host);
    expect(req?.key).toEqual({ key: "abcdef123456", source: "key" });
  });

  it("reads our invalid as an invalid key", async () => {
    nextAnswer = verifyAnswer(false);
    expect(await client("abcdef123456").verifyKey()).toBe(false);
  });

  it("sends comment-check with the key only in the Host name, and its fields parse", async () => {
    nextAnswer = checkAnswer({ spam: true, guid: "g", discard: false });
    const isSpam = await client("abcdef123456").checkSpam({
      ip: "203.0.113.9",
      useragent: "Mozilla/5.0",
      name: "Ada",
      email: "ada@example.org",
      content: "Hello & welcome = 100% é",
      permalink: "https://example.org/post/1",
      type: "comment",
      date: "2026-11-28T07:00:00Z",
      isTest: true,
      honeypot: "i am a bot",
    });
    expect(isSpam).toBe(true);
    const req = seen.at(-1);
    expect(req?.path).toBe("comment-check");
    expect(req?.host).toBe(`abcdef123456.${server.host}`);
    expect(req?.key).toEqual({ key: "abcdef123456", source: "host" });
    expect(req?.body.scalars.has("api_key")).toBe(false);
    const parsed = parseComment(req?.body ?? form(""));
    expect(parsed.ok && parsed.value).toMatchObject({
      blog: "https://example.org",
      ip: "203.0.113.9",
      userAgent: "Mozilla/5.0",
      author: { name: "Ada", email: "ada@example.org" },
      content: "Hello & welcome = 100% é",
      permalink: "https://example.org/post/1",
      commentType: "comment",
      commentDate: new Date("2026-11-28T07:00:00Z"),
      isTest: true,
      honeypotFilled: true,
    });
  });

  it("reads false as ham", async () => {
    nextAnswer = checkAnswer({ spam: false, guid: "g", discard: false });
    expect(await client("abcdef123456").checkSpam({ ip: "203.0.113.9", content: "hi" })).toBe(false);
  });

  it("throws on invalid from comment-check, so the site knows the check failed", async () => {
    nextAnswer = invalidAnswer("The API key is not valid.");
    await expect(client("abcdef123456").checkSpam({ ip: "203.0.113.9" })).rejects.toThrow("Invalid API key");
  });

  it("sends submit-spam and submit-ham the same way and accepts our thanks", async () => {
    nextAnswer = thanksAnswer();
    await client("abcdef123456").submitSpam({ ip: "203.0.113.9", content: "buy now" });
    expect(seen.at(-1)?.path).toBe("submit-spam");
    await client("abcdef123456").submitHam({ ip: "203.0.113.9", content: "nice" });
    expect(seen.at(-1)?.path).toBe("submit-ham");
    expect(seen.at(-1)?.key).toEqual({ key: "abcdef123456", source: "host" });
  });
});

describe("parseComment limits", () => {
  it("applies the content limit the route passes in", () => {
    const body = `${BASE}&comment_content=${"a".repeat(11)}`;
    expect(parseComment(form(body), { maxContentChars: 10 })).toEqual({
      ok: false,
      help: 'Field "comment_content" is longer than 10 characters.',
    });
    expect(parseComment(form(body), { maxContentChars: 11 }).ok).toBe(true);
  });
});

describe("parseJsonForm (Coral Talk's JSON submissions)", () => {
  it("reads strings, numbers and booleans as text, arrays as lists, and skips nulls and objects", () => {
    const f = parseJsonForm(JSON.stringify({ user_ip: "203.0.113.9", is_test: false, n: 3, comment_context: ["a", 1], x: null, y: { z: 1 } }));
    expect(f && Object.fromEntries(f.scalars)).toEqual({ user_ip: "203.0.113.9", is_test: "false", n: "3" });
    expect(f && Object.fromEntries(f.arrays)).toEqual({ comment_context: ["a", "1"] });
  });

  it("refuses what is not one JSON object, or too many fields", () => {
    expect(parseJsonForm("[1]")).toBeUndefined();
    expect(parseJsonForm("{")).toBeUndefined();
    expect(parseJsonForm("null")).toBeUndefined();
    expect(parseJsonForm(JSON.stringify(Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`f${i}`, "v"]))))).toBeUndefined();
  });

  it("lets a submission go without blog and user_ip, and a check not", () => {
    const fields = parseJsonForm(JSON.stringify({ comment_content: "hi" }));
    if (!fields) throw new Error("unparsed");
    expect(parseComment(fields, { maxContentChars: 100, submission: true })).toMatchObject({ ok: true, value: { blog: "", ip: "" } });
    expect(parseComment(fields, { maxContentChars: 100 })).toEqual({ ok: false, help: "Missing required field: blog." });
    const badIp = parseJsonForm(JSON.stringify({ user_ip: "nope" }));
    if (!badIp) throw new Error("unparsed");
    expect(parseComment(badIp, { maxContentChars: 100, submission: true })).toEqual({ ok: false, help: 'Field "user_ip" is not an IP address.' });
  });
});
