import { describe, expect, it } from "vitest";
import { SUBWORD_PREFIX, TOKENIZER_VERSION, tokenize } from "../src/classifier/index.js";

const tok = (content: string, extra: Record<string, unknown> = {}) => tokenize({ content, ...extra });

describe("tokenize", () => {
  it("has a positive integer version", () => {
    expect(Number.isInteger(TOKENIZER_VERSION) && TOKENIZER_VERSION >= 1).toBe(true);
  });

  it("lower-cases and applies NFKC (full-width and ligatures fold)", () => {
    const tokens = tok("ＦＲＥＥ Money ﬁnance");
    expect(tokens).toEqual(expect.arrayContaining(["free", "money", "finance"]));
  });

  it("keeps words in Cyrillic, Greek and Arabic intact", () => {
    const tokens = tok("Привет мир Καλημέρα κόσμε مرحبا بالعالم");
    expect(tokens).toEqual(expect.arrayContaining(["привет", "мир", "καλημέρα", "κόσμε", "مرحبا", "بالعالم"]));
    expect(tokens).toContain("meta:scripts=mixed");
  });

  it("splits Chinese, Japanese and Thai into words with Intl.Segmenter", () => {
    const zh = tok("我们今天去北京");
    expect(zh.length).toBeGreaterThan(2);
    expect(zh).toContain("北京");
    const th = tok("สวัสดีครับ ยินดีต้อนรับ");
    expect(th).toContain("สวัสดี");
    const ja = tok("東京に行きます");
    expect(ja).toContain("東京");
  });

  it("makes emoji tokens, including skin tones and ZWJ sequences", () => {
    const tokens = tok("great 😀 👍🏽 👨‍👩‍👧 ❤️");
    expect(tokens).toEqual(expect.arrayContaining(["😀", "👍🏽", "👨‍👩‍👧", "❤"]));
  });

  it("strips HTML, decodes entities and keeps the links of anchors", () => {
    const tokens = tok('Nice<br />song &amp; video &#8220;yes&#x201D; <a href="http://www.spam-shop.co.uk/buy?x=1">click</a>');
    expect(tokens).toEqual(expect.arrayContaining(["nice", "song", "video", "yes", "click", "html:br", "html:a"]));
    expect(tokens).toEqual(expect.arrayContaining(["url:host:www.spam-shop.co.uk", "url:domain:spam-shop.co.uk", "url:tld:uk", "url:word:buy"]));
    expect(tokens).not.toContain("br");
    expect(tokens).not.toContain("amp");
    expect(tokens).toContain("meta:links=1");
  });

  it("turns URLs in the text into host, registrable domain and TLD tokens", () => {
    const tokens = tok("watch https://m.youtube.com/watch?v=abc and visit bit.ly/xyz or www.example.org");
    expect(tokens).toEqual(expect.arrayContaining(["url:host:m.youtube.com", "url:domain:youtube.com", "url:tld:com", "url:domain:bit.ly", "url:domain:example.org", "url:word:watch"]));
    expect(tokens).not.toContain("youtube");
    expect(tokens).toContain("meta:links=3+");
  });

  it("finds the registrable domain by the Public Suffix List, private suffixes included", () => {
    const tokens = tok("see http://shop.example.ltd.uk and https://a.someone.github.io/x and http://news.city.kawasaki.jp and http://10.1.2.3/x");
    expect(tokens).toEqual(
      expect.arrayContaining(["url:domain:example.ltd.uk", "url:domain:someone.github.io", "url:host:a.someone.github.io", "url:domain:city.kawasaki.jp", "url:domain:10.1.2.3"]),
    );
    // The old hand-written list took `ltd.uk` and `github.io` for the owner.
    expect(tokens).not.toContain("url:domain:ltd.uk");
    expect(tokens).not.toContain("url:domain:github.io");
  });

  it("turns e-mail addresses into domain tokens", () => {
    const tokens = tok("write me at John.Doe@Mail.Example.com now");
    expect(tokens).toEqual(expect.arrayContaining(["email:domain:example.com", "email:host:mail.example.com", "email:tld:com"]));
    expect(tokens.some((t) => t.includes("john"))).toBe(false);
  });

  it("replaces numbers by their shape", () => {
    const tokens = tok("born 1999, paid 3.50 for 1,000,000 views");
    expect(tokens).toEqual(expect.arrayContaining(["num:4", "num:1.2", "num:1,3,3"]));
    expect(tokens).not.toContain("1999");
  });

  it("turns over-long words into skip tokens", () => {
    const tokens = tok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ok");
    expect(tokens).toContain("skip:a:40");
    expect(tokens.some((t) => t.startsWith("aaaa"))).toBe(false);
  });

  it("counts each token once and is deterministic", () => {
    const tokens = tok("spam spam SPAM Spam");
    expect(tokens.filter((t) => t === "spam")).toHaveLength(1);
    expect(tok("spam spam SPAM Spam")).toEqual(tokens);
  });

  it("survives NUL, byte-order marks and broken surrogates", () => {
    const tokens = tok("he\u0000llo wor\uD800ld \uDC00 end\uFEFF");
    expect(tokens).toEqual(expect.arrayContaining(["he", "llo", "wor", "ld", "end"]));
    for (const t of tokens) {
      expect(t.includes("\u0000") || t.includes("\uFEFF")).toBe(false);
      expect(t).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    }
  });

  it("cuts giant unbroken runs so that pattern matching stays linear, keeping a long URL's host", () => {
    const url = `https://spam.example.net/${"a/".repeat(5000)}`;
    const tokens = tok(`see ${url} ${"a.".repeat(30_000)} ${"我们今天去北京".repeat(3000)}`);
    expect(tokens).toContain("url:domain:example.net");
    expect(tokens).toContain("北京");
  });

  it("adds signal tokens from the caller's features", () => {
    const tokens = tok("hello", {
      authorUrl: "https://Shop.Example.co.uk/path",
      authorEmail: "x@Mailer.RU",
      ip: "203.0.113.77",
      userAgent: "curl/8.0",
      honeypotFilled: true,
      timeToSubmitMs: 800,
      seenBefore: true,
    });
    expect(tokens).toEqual(
      expect.arrayContaining([
        "author-url:domain:example.co.uk",
        "author-url:host:shop.example.co.uk",
        "author-email:domain:mailer.ru",
        "ip:203.0.113.0/24",
        "ua:script",
        "meta:honeypot",
        "meta:tts=lt2s",
        "meta:seen-before",
      ]),
    );
    expect(tok("x", { ip: "2001:db8:abcd:12::1" })).toContain("ip:2001:db8:abcd::/48");
    expect(tok("x", { userAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36" })).toContain("ua:chrome");
  });

  it("signals the share of capitals and repeated punctuation", () => {
    expect(tok("CHECK OUT MY CHANNEL NOW!!!")).toEqual(expect.arrayContaining(["meta:caps=ge80", "meta:punct=repeated"]));
    expect(tok("a calm and quiet sentence")).toContain("meta:caps=lt5");
  });

  it("adds the 5-letter pieces of words of six or more letters, once each", () => {
    const grams = (content: string) => tok(content).filter((t) => t.startsWith(SUBWORD_PREFIX));
    expect(grams("Subscribe")).toEqual(["gram:subsc", "gram:ubscr", "gram:bscri", "gram:scrib", "gram:cribe"]);
    // Spelling variants share pieces: that is what lets an unseen form borrow its relatives' evidence.
    expect(grams("subscribers")).toEqual(expect.arrayContaining(["gram:subsc", "gram:cribe"]));
    expect(grams("subscribe subscribed")).toHaveLength(6);
    expect(grams("hello world, 1234567 3.14159")).toEqual([]);
    expect(grams(`${"a".repeat(25)} привет`)).toEqual(["gram:приве", "gram:ривет"]);
    expect(tok("subscribe")).toContain("subscribe");
  });
});
