import { describe, expect, it } from "vitest";
import { DEFAULT_SCORE_OPTIONS, createMemoryModel, learnSite, score, scoringData, tokenize } from "../src/classifier/index.js";
import { stretchesOf } from "../src/classifier/redundancy.js";

describe("redundancy stretches", () => {
  it("groups a word with its pairs and pieces, and one URL's host, domain and TLD", () => {
    const s = stretchesOf(["subscribe", "gram:subsc", "please subscribe", "url:host:www.spam.example", "url:domain:spam.example", "url:tld:example", "meta:links=1"]);
    expect(s.get("gram:subsc")).toEqual(["subscribe"]);
    expect(s.get("please subscribe")).toEqual(["please", "subscribe"]);
    expect(s.get("url:host:www.spam.example")).toEqual(["url@spam.example"]);
    expect(s.get("url:tld:example")).toEqual(["url@spam.example"]);
    expect(s.get("meta:links=1")).toEqual(["meta:links=1"]);
  });
});

describe("score options", () => {
  const model = createMemoryModel();
  for (let i = 0; i < 20; i++) {
    learnSite(model, "s", tokenize({ content: `please subscribe to my channel number ${i % 5}` }), "spam");
    learnSite(model, "s", tokenize({ content: `lovely melody and great singing ${i % 5}` }), "ham");
  }
  const tokens = tokenize({ content: "please subscribe to my channel" });
  const data = scoringData(model, "s", tokens);

  it("lets only the strongest clue of each stretch vote with `exclusive`", () => {
    const plain = score(tokens, data, { ...DEFAULT_SCORE_OPTIONS, maxReasons: 200 });
    const tiled = score(tokens, data, { ...DEFAULT_SCORE_OPTIONS, redundancy: "exclusive", maxReasons: 200 });
    expect(tiled.reasons.length).toBeLessThan(plain.reasons.length);
    const covered = new Set<string>();
    const stretches = stretchesOf(tiled.reasons.map((r) => r.token));
    for (const reason of tiled.reasons) {
      for (const stretch of stretches.get(reason.token) ?? []) {
        expect(covered.has(stretch), reason.token).toBe(false);
        covered.add(stretch);
      }
    }
    expect(tiled.verdict).toBe("spam");
  });

  it("combines by a length-normalized log-odds sum when asked, ranking spam above ham", () => {
    const options = { ...DEFAULT_SCORE_OPTIONS, combining: "logodds" as const, lengthNorm: 0.5 };
    const spam = score(tokens, data, options).probability;
    const hamTokens = tokenize({ content: "lovely singing" });
    const ham = score(hamTokens, scoringData(model, "s", hamTokens), options).probability;
    expect(spam).toBeGreaterThan(0.9);
    expect(ham).toBeLessThan(0.1);
  });
});
