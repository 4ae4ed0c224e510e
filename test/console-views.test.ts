import { describe, expect, it } from "vitest";
import { describeSignal, highlightClues, ipv4Prefix24, linksIn, previewCutoffs, revealControls } from "../src/comments/moderation.js";

const clue = (token: string, direction: "spam" | "ham", weight = 0.5) => ({ token, direction, probability: direction === "spam" ? 0.9 : 0.1, weight });

describe("console views (pure)", () => {
  it("highlights whole words, pairs across spaces and 5-letter pieces, strongest first, never inside a longer word", () => {
    const segments = highlightClues("Casino  bonus! casinos and Recipes", [clue("casino bonus", "spam", 0.9), clue("casino", "spam", 0.5), clue("gram:recip", "ham", 0.3)]);
    expect(segments).toEqual([
      { text: "Casino  bonus", mark: "spam", token: "casino bonus" },
      { text: "! casinos and " },
      { text: "Recip", mark: "ham", token: "gram:recip" },
      { text: "es" },
    ]);
    // Signal tokens are not looked for in the text.
    expect(highlightClues("url:domain:x", [clue("url:domain:x", "spam")])).toEqual([{ text: "url:domain:x" }]);
    // Regex metacharacters in a token are literal.
    expect(highlightClues("a (b) c", [clue("(b)", "spam")]).filter((s) => s.mark)).toEqual([{ text: "(b)", mark: "spam", token: "(b)" }]);
    expect(highlightClues("axb", [clue("a.b", "spam")]).filter((s) => s.mark)).toEqual([]);
  });

  it("bounds the work on a 20,000-character body", () => {
    const text = "spam ".repeat(4000);
    const t = performance.now();
    const segments = highlightClues(text, [clue("spam", "spam")]);
    expect(segments.filter((s) => s.mark)).toHaveLength(200);
    expect(segments.map((s) => s.text).join("")).toBe(text);
    expect(performance.now() - t).toBeLessThan(1000);
  });

  it("shows bidi overrides and zero-width characters as visible markers", () => {
    expect(revealControls("abc\u202Etxt.exe\u200B")).toBe("abc[U+202E]txt.exe[U+200B]");
    expect(revealControls("plain")).toBe("plain");
  });

  it("finds links in text and markup with the host a browser would reach", () => {
    expect(linksIn(`<a href="javascript:alert(1)">x</a> see http://p\u0430ypal.example/login, www.example.org.`)).toEqual([
      { text: "javascript:alert(1)", host: null, scheme: "javascript" },
      { text: "http://p\u0430ypal.example/login", host: "xn--pypal-4ve.example", scheme: "http" },
      { text: "www.example.org", host: "www.example.org", scheme: "http" },
    ]);
  });

  it("describes signal tokens in plain words", () => {
    expect(describeSignal("url:domain:pills.example")).toBe("a link at the domain pills.example");
    expect(describeSignal("author-email:tld:ru")).toBe("the author's e-mail in the .ru top-level domain");
    expect(describeSignal("meta:honeypot")).toBe("the hidden form field was filled in");
    expect(describeSignal("ip:203.0.113.0/24")).toBe("sent from the network 203.0.113.0/24");
  });

  it("previews cutoffs as a confusion table", () => {
    const rows = [
      { score: 0.1, label: "ham" as const },
      { score: 0.5, label: "ham" as const },
      { score: 0.8, label: "ham" as const },
      { score: 0.2, label: "spam" as const },
      { score: 0.9, label: "spam" as const },
    ];
    expect(previewCutoffs(rows, 0.3, 0.75)).toMatchObject({ decided: 5, blockedHam: 1, missedSpam: 1, held: 1, heldShare: 0.2 });
    expect(previewCutoffs(rows, 0.05, 0.95)).toMatchObject({ blockedHam: 0, missedSpam: 0, held: 5, heldShare: 1 });
    expect(previewCutoffs([], 0.3, 0.75)).toMatchObject({ decided: 0, heldShare: 0 });
  });

  it("takes the /24 of an IPv4 address only", () => {
    expect(ipv4Prefix24("203.0.113.7")).toBe("203.0.113");
    expect(ipv4Prefix24("203.0.113.700")).toBeUndefined();
    expect(ipv4Prefix24("2001:db8::1")).toBeUndefined();
  });
});
