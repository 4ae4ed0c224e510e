import { describe, expect, it } from "vitest";
import { deobfuscate } from "../src/classifier/deobfuscate/index.js";
import { seededRandom } from "../src/eval/folds.js";
import { obfuscate, obfuscateSpam, type Trick } from "../src/eval/obfuscate.js";

// Spam-like sentences written for these tests (no shared data in fixtures).
const CORPUS = [
  "Check out my new channel and please subscribe, I post music covers every week",
  "Win a free iPhone today, only five left: visit http://example.com/prize now",
  "Make money online from home, earn thousands every month with this simple trick",
  "Hey guys watch my video and like it, follow me for more funny videos",
  "Cheap pills without prescription, best prices guaranteed, order today",
];

const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;
const words = (text: string): string[] => text.toLowerCase().match(/\p{L}+/gu) ?? [];
const vocabulary = new Set(CORPUS.flatMap(words));
const isKnownWord = (w: string): boolean => vocabulary.has(w);

describe("seededRandom", () => {
  it("is deterministic per seed and stays in [0, 1)", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBeGreaterThan(990);
  });
});

describe("obfuscate", () => {
  it("gives the same output for the same text and seed, whatever else was obfuscated before", () => {
    const first = CORPUS.map((t) => obfuscate(t, 7));
    const reversed = [...CORPUS].reverse().map((t) => obfuscate(t, 7)).reverse();
    expect(reversed).toEqual(first);
  });

  it("gives different output for different seeds", () => {
    const outputs = new Set([1, 2, 3, 4, 5].map((seed) => obfuscate(CORPUS[0]!, seed)));
    expect(outputs.size).toBeGreaterThan(1);
  });

  it("changes nothing at rate 0, and every eligible word at rate 1", () => {
    expect(obfuscate(CORPUS[0]!, 1, { rate: 0 })).toBe(CORPUS[0]);
    const out = obfuscate("please subscribe", 1, { rate: 1, tricks: ["digits"] });
    expect(out).not.toMatch(/please|subscribe/);
  });

  it("leaves links and e-mail addresses working", () => {
    const text = "visit http://example.com/prize or www.example.org or mail winner@prize.net or cheap.example.co";
    for (let seed = 0; seed < 20; seed++) {
      const out = obfuscate(text, seed, { rate: 1 });
      for (const link of ["http://example.com/prize", "www.example.org", "winner@prize.net", "cheap.example.co"]) {
        expect(out).toContain(link);
      }
    }
  });

  it("leaves HTML tags and entities intact", () => {
    const text = 'Visit <a href="http://example.com/x">my channel</a> &quot;today&quot; &amp; subscribe<br />';
    for (let seed = 0; seed < 20; seed++) {
      const out = obfuscate(text, seed, { rate: 1 });
      for (const markup of ['<a href="http://example.com/x">', "</a>", "&quot;", "&amp;", "<br />"]) expect(out).toContain(markup);
    }
  });

  it("leaves non-Latin text and numbers alone", () => {
    const text = "Привет мир, Καλημέρα, مرحبا, 你好世界, こんにちは, ❤️ 2014 $100";
    expect(obfuscate(text, 3, { rate: 1 })).toBe(text);
  });

  const only = (trick: Trick, seed: number): string => obfuscate(CORPUS[0]!, seed, { rate: 1, tricks: [trick] });

  it("confusables: swaps letters for non-Latin look-alikes, keeping a Latin letter in each word", () => {
    for (let seed = 0; seed < 20; seed++) {
      const out = only("confusables", seed);
      expect(out).toMatch(/[\u0080-\u{10FFFF}]/u);
      for (const word of out.split(/[\s,]+/)) expect(word).toMatch(/\p{Script=Latin}/u);
    }
  });

  it("invisible: only adds invisible characters", () => {
    for (let seed = 0; seed < 20; seed++) {
      const out = only("invisible", seed);
      expect(out).not.toBe(CORPUS[0]);
      expect(out.replace(INVISIBLE, "")).toBe(CORPUS[0]);
    }
  });

  it("digits: swaps letters for digits or symbols in place", () => {
    for (let seed = 0; seed < 20; seed++) {
      const out = only("digits", seed);
      expect(out).toMatch(/[0-9@$!]/);
      expect(out.length).toBe(CORPUS[0]!.length);
    }
  });

  it("spaced: separates the letters of words", () => {
    for (let seed = 0; seed < 20; seed++) {
      const out = only("spaced", seed);
      expect(out.replace(/[\s.\-_*]/g, "")).toBe(CORPUS[0]!.replace(/\s/g, ""));
      expect(out.length).toBeGreaterThan(CORPUS[0]!.length);
    }
  });
});

describe("obfuscateSpam (the eval's --obfuscate-spam)", () => {
  it("disguises the spam rows only and keeps every other field", () => {
    const rows = CORPUS.map((text, i) => ({ label: i % 2 === 0 ? "spam" : "ham", text, source: `s${i}` }));
    const out = obfuscateSpam(rows, 5, { rate: 1 });
    out.forEach((row, i) => {
      expect(row.source).toBe(rows[i]!.source);
      expect(row.label).toBe(rows[i]!.label);
      if (row.label === "ham") expect(row.text).toBe(rows[i]!.text);
      else expect(row.text).not.toBe(rows[i]!.text);
    });
  });
});

describe("deobfuscate undoes obfuscate", () => {
  it("restores at least 97 % of the disguised words, given the vocabulary", () => {
    let total = 0;
    let restored = 0;
    for (let seed = 0; seed < 100; seed++) {
      for (const text of CORPUS) {
        const expected = words(text);
        const got = words(deobfuscate(obfuscate(text, seed), { isKnownWord }).text);
        const remaining = new Map<string, number>();
        for (const w of got) remaining.set(w, (remaining.get(w) ?? 0) + 1);
        for (const w of expected) {
          total++;
          const n = remaining.get(w) ?? 0;
          if (n > 0) {
            restored++;
            remaining.set(w, n - 1);
          }
        }
      }
    }
    expect(restored / total).toBeGreaterThanOrEqual(0.97);
  });

  it("restores look-alikes and invisibles exactly, even without a vocabulary", () => {
    for (let seed = 0; seed < 50; seed++) {
      for (const text of CORPUS) {
        const out = obfuscate(text, seed, { rate: 1, tricks: ["confusables", "invisible"] });
        expect(deobfuscate(out).text).toBe(text);
      }
    }
  });
});
