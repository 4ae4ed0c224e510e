import { describe, expect, it } from "vitest";
import { seededRandom as rng } from "../src/eval/folds.js";
import {
  COUNT_SCALE,
  DAMPING_LENGTH,
  DEFAULT_SCORE_OPTIONS,
  SUBWORD_PREFIX,
  TOKEN_TOTAL,
  createMemoryModel,
  documentWeight,
  learn,
  learnDeltas,
  learnSite,
  score,
  scoringData,
  tokenProbability,
  tokenize,
  unlearn,
  unlearnSite,
  type Label,
  type MemoryModel,
} from "../src/classifier/index.js";

function snapshot(model: MemoryModel) {
  return [...model.scopes.entries()]
    .map(([name, scope]) => [name, scope.totals, [...scope.tokens.entries()].sort(([a], [b]) => (a < b ? -1 : 1))] as const)
    .sort(([a], [b]) => (a < b ? -1 : 1));
}

const SPAM = ["check out my channel", "subscribe to my channel please", "free money click here http://spam.example.com", "visit my site www.cheap-pills.com", "win a free iphone now"];
const HAM = ["love this song", "this video is amazing", "the best song ever made", "who is watching in 2015", "such a great beat"];

function trained(perLabel: number): MemoryModel {
  const model = createMemoryModel();
  for (let i = 0; i < perLabel; i++) {
    learnSite(model, "site-a", tokenize({ content: SPAM[i % SPAM.length] ?? "" }), "spam");
    learnSite(model, "site-a", tokenize({ content: HAM[i % HAM.length] ?? "" }), "ham");
  }
  return model;
}

describe("learnDeltas", () => {
  it("changes each distinct token once by the sign, on the label only (one document: COUNT_SCALE)", () => {
    expect(learnDeltas(["a", "b", "a"], "spam", 1)).toEqual([
      { token: "a", spam: COUNT_SCALE, ham: 0 },
      { token: "b", spam: COUNT_SCALE, ham: 0 },
    ]);
    expect(learnDeltas(["a"], "ham", -1)).toEqual([{ token: "a", spam: 0, ham: -COUNT_SCALE }]);
  });

  it("weighs a tokenized document by √(DAMPING_LENGTH / n) when damping is asked for, and counts it into the TOKEN_TOTAL row", () => {
    const w = Math.floor(COUNT_SCALE * Math.sqrt(DAMPING_LENGTH / 2));
    expect(learnDeltas(["a", TOKEN_TOTAL, "b", "a"], "spam", 1, { damping: "sqrt" })).toEqual([
      { token: "a", spam: w, ham: 0 },
      { token: "b", spam: w, ham: 0 },
      { token: TOKEN_TOTAL, spam: 2 * w, ham: 0 },
    ]);
    expect(learnDeltas([TOKEN_TOTAL], "ham", -1)).toEqual([]);
    expect(tokenize({ content: "hi there" })).toContain(TOKEN_TOTAL);
  });

  it("gives a document of DAMPING_LENGTH tokens one document's weight, a longer one less, a shorter one more", () => {
    const sqrt = { damping: "sqrt" } as const;
    expect(documentWeight(DAMPING_LENGTH, true, sqrt)).toBe(COUNT_SCALE);
    expect(documentWeight(4 * DAMPING_LENGTH, true, sqrt)).toBe(COUNT_SCALE / 2);
    expect(documentWeight(DAMPING_LENGTH / 4, true, sqrt)).toBe(2 * COUNT_SCALE);
    expect(documentWeight(7, false, sqrt)).toBe(COUNT_SCALE);
    expect(documentWeight(7, true, { damping: "none" })).toBe(COUNT_SCALE);
    // The service's default is undamped: every document weighs one.
    expect(documentWeight(7, true)).toBe(COUNT_SCALE);
    expect(documentWeight(400, true)).toBe(COUNT_SCALE);
    for (let n = 1; n < 500; n++) expect(Number.isInteger(documentWeight(n, true, sqrt))).toBe(true);
  });

  it("a tokenized comment's deltas and its unlearn's cancel exactly, whatever its length", () => {
    const random = rng(7);
    for (let i = 0; i < 50; i++) {
      const words = Array.from({ length: 1 + Math.floor(random() * 60) }, () => `w${Math.floor(random() * 200)}`);
      const tokens = tokenize({ content: words.join(" ") });
      const up = learnDeltas(tokens, "spam", 1, { damping: "sqrt" });
      const down = learnDeltas(tokens, "spam", -1, { damping: "sqrt" });
      expect(up.map((d, j) => d.spam + (down[j]?.spam ?? NaN))).toEqual(up.map(() => 0));
    }
  });
});

describe("memory model", () => {
  it("unlearn is the exact inverse of learn over random sequences (compared with a rebuild)", () => {
    const random = rng(42);
    const words = Array.from({ length: 30 }, (_, i) => `w${i}`);
    const model = createMemoryModel();
    const kept: Array<{ scope: string; tokens: string[]; label: Label }> = [];
    for (let step = 0; step < 2000; step++) {
      if (kept.length > 0 && random() < 0.4) {
        const doc = kept.splice(Math.floor(random() * kept.length), 1)[0];
        if (doc) unlearnSite(model, doc.scope, doc.tokens, doc.label);
      } else {
        const tokens = Array.from({ length: 1 + Math.floor(random() * 8) }, () => words[Math.floor(random() * words.length)] ?? "w0");
        const label: Label = random() < 0.5 ? "spam" : "ham";
        const doc = { scope: random() < 0.5 ? "site-a" : "site-b", tokens, label };
        learnSite(model, doc.scope, doc.tokens, doc.label);
        kept.push(doc);
      }
    }
    const rebuilt = createMemoryModel();
    for (const doc of kept) learnSite(rebuilt, doc.scope, doc.tokens, doc.label);
    expect(snapshot(model)).toEqual(snapshot(rebuilt));
    for (const doc of kept) unlearnSite(model, doc.scope, doc.tokens, doc.label);
    expect(model.scopes.size).toBe(0);
  });

  it("unlearn is the exact inverse of learn on tokenized comments, word pieces included", () => {
    const model = createMemoryModel();
    const docs: Array<[string, Label]> = [
      ["Subscribe to my channel for amazing giveaways", "spam"],
      ["Subscribers, check my playlist!!!", "spam"],
      ["This melody is amazing, I love it", "ham"],
      ["Привет, отличная песня", "ham"],
    ];
    for (const [text, label] of docs) learnSite(model, "site-a", tokenize({ content: text }), label);
    expect([...(model.scopes.get("global")?.tokens.keys() ?? [])].some((t) => t.startsWith(SUBWORD_PREFIX))).toBe(true);
    for (const [text, label] of [...docs].reverse()) unlearnSite(model, "site-a", tokenize({ content: text }), label);
    expect(model.scopes.size).toBe(0);
  });

  it("learn on a site scope does not touch global; learnSite touches both", () => {
    const model = createMemoryModel();
    learn(model, "site-a", ["x"], "spam");
    expect(model.scopes.has("global")).toBe(false);
    learnSite(model, "site-b", ["x"], "ham");
    expect(model.scopes.get("global")?.totals).toEqual({ spam: 0, ham: 1 });
    expect(model.scopes.get("site-b")?.tokens.get("x")).toEqual({ spam: 0, ham: COUNT_SCALE });
    unlearn(model, "site-a", ["x"], "spam");
    expect(model.scopes.has("site-a")).toBe(false);
  });

  it("scoringData returns only the requested tokens with both scopes' totals", () => {
    const model = trained(12);
    const data = scoringData(model, "site-a", ["channel", "never-seen"]);
    expect(data.global.totals).toEqual({ spam: 12, ham: 12 });
    expect(data.site?.totals).toEqual({ spam: 12, ham: 12 });
    expect([...data.global.tokens.keys()]).toEqual(["channel"]);
    expect(scoringData(model, undefined, ["channel"]).site).toBeUndefined();
  });
});

describe("score", () => {
  it("is unsure with the reason until both labels reach minPerLabel", () => {
    const model = trained(5);
    const tokens = tokenize({ content: "subscribe to my channel" });
    const result = score(tokens, scoringData(model, "site-a", tokens), { ...DEFAULT_SCORE_OPTIONS, minPerLabel: 10 });
    expect(result.verdict).toBe("unsure");
    expect(result.insufficientTraining).toEqual({ spam: 5, ham: 5, required: 10 });
    expect(result.probability).toBeGreaterThan(0.5);
  });

  it("separates spam from ham once trained and explains with the strongest clues", () => {
    const model = trained(20);
    const spamTokens = tokenize({ content: "please subscribe to my channel" });
    const spam = score(spamTokens, scoringData(model, "site-a", spamTokens), DEFAULT_SCORE_OPTIONS);
    expect(spam.verdict).toBe("spam");
    expect(spam.insufficientTraining).toBeUndefined();
    expect(spam.reasons.length).toBeGreaterThan(0);
    expect(spam.reasons.length).toBeLessThanOrEqual(DEFAULT_SCORE_OPTIONS.maxReasons ?? 8);
    expect(spam.reasons.map((c) => c.token)).toEqual(expect.arrayContaining(["subscribe", "channel"]));
    for (const clue of spam.reasons) {
      expect(clue.direction).toBe(clue.probability >= 0.5 ? "spam" : "ham");
      expect(clue.weight).toBeCloseTo(Math.abs(clue.probability - 0.5) * 2, 10);
    }
    const weights = spam.reasons.map((c) => c.weight);
    expect([...weights].sort((a, b) => b - a)).toEqual(weights);

    const hamTokens = tokenize({ content: "love this song, amazing beat" });
    const ham = score(hamTokens, scoringData(model, "site-a", hamTokens), DEFAULT_SCORE_OPTIONS);
    expect(ham.verdict).toBe("ham");
    expect(ham.reasons[0]?.direction).toBe("ham");
  });

  it("halves the pull of a word's 5-letter pieces, since they repeat the word's evidence", () => {
    const model = trained(20);
    const tokens = tokenize({ content: "please subscribe to my channel" });
    const data = scoringData(model, "site-a", tokens);
    const options = { ...DEFAULT_SCORE_OPTIONS, maxReasons: 1000 };
    const clues = score(tokens, data, options).reasons;
    const piece = clues.find((c) => c.token === "gram:subsc");
    expect(piece).toBeDefined();
    const raw = tokenProbability("gram:subsc", data, options);
    expect((piece?.probability ?? 0) - 0.5).toBeCloseTo((raw - 0.5) * (DEFAULT_SCORE_OPTIONS.subwordWeight ?? 0), 10);
    expect(clues.find((c) => c.token === "subscribe")?.probability).toBe(tokenProbability("subscribe", data, options));
    const full = score(tokens, data, { ...options, subwordWeight: 1 }).reasons.find((c) => c.token === "gram:subsc");
    expect(full?.probability).toBe(raw);
  });

  it("gives 0.5 and unsure for a comment with no known tokens", () => {
    const model = trained(20);
    const tokens = ["zzz-unknown"];
    const result = score(tokens, scoringData(model, "site-a", tokens), DEFAULT_SCORE_OPTIONS);
    expect(result.probability).toBe(0.5);
    expect(result.verdict).toBe("unsure");
    expect(result.reasons).toEqual([]);
  });

  it("lets a small site lean on global and a trained site override it", () => {
    const model = trained(20);
    // On site-b "channel" is ham (e.g. a TV forum); one site document barely moves the global view.
    learnSite(model, "site-b", ["channel", "tv"], "ham");
    learnSite(model, "site-b", ["spammy"], "spam");
    const global = scoringData(model, undefined, ["channel"]);
    const small = scoringData(model, "site-b", ["channel"]);
    const pGlobal = score(["channel"], global, DEFAULT_SCORE_OPTIONS).probability;
    const pSmall = score(["channel"], small, DEFAULT_SCORE_OPTIONS).probability;
    expect(pGlobal).toBeGreaterThan(0.8);
    expect(pSmall).toBeGreaterThan(0.5);
    for (let i = 0; i < 30; i++) learnSite(model, "site-b", ["channel", `tv${i}`], "ham");
    const big = scoringData(model, "site-b", ["channel"]);
    expect(score(["channel"], big, DEFAULT_SCORE_OPTIONS).probability).toBeLessThan(0.5);
  });

  it("does not depend on token order", () => {
    const model = trained(20);
    const tokens = tokenize({ content: "free money, love this song, subscribe" });
    const data = scoringData(model, "site-a", tokens);
    expect(score([...tokens].reverse(), data, DEFAULT_SCORE_OPTIONS)).toEqual(score(tokens, data, DEFAULT_SCORE_OPTIONS));
  });
});

describe("robustness", () => {
  it("tokenizes and scores random code-unit soup without throwing, with a probability in [0, 1]", () => {
    const random = rng(7);
    const model = trained(20);
    for (let i = 0; i < 300; i++) {
      const units = Array.from({ length: Math.floor(random() * 200) }, () => {
        const r = random();
        // ASCII, Latin-1, BMP (surrogates included, so lone halves appear) and <>&.: to hit HTML/URL paths.
        if (r < 0.4) return String.fromCharCode(32 + Math.floor(random() * 95));
        if (r < 0.5) return "<>&.:/@#;"[Math.floor(random() * 9)] ?? "";
        return String.fromCharCode(Math.floor(random() * 0x10000));
      });
      const tokens = tokenize({ content: units.join(""), authorUrl: units.slice(0, 20).join(""), ip: units.slice(0, 15).join(""), timeToSubmitMs: random() * 1e6 - 1e3 });
      const result = score(tokens, scoringData(model, "site-a", tokens), DEFAULT_SCORE_OPTIONS);
      expect(Number.isFinite(result.probability)).toBe(true);
      expect(result.probability).toBeGreaterThanOrEqual(0);
      expect(result.probability).toBeLessThanOrEqual(1);
      for (const token of tokens) {
        expect(token.includes("\u0000")).toBe(false);
        expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(token)).toBe(false);
      }
    }
  });
});
