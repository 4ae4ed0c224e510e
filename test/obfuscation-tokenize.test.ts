import { describe, expect, it } from "vitest";
import {
  GLOBAL_SCOPE,
  OBFUSCATION_SIGNALS,
  TOKENIZER_VERSION,
  createMemoryModel,
  knownWordQueries,
  knownWordsIn,
  knownWordsOf,
  learnSite,
  scoringData,
  tokenize,
} from "../src/classifier/index.js";

const CLEAN = "Get free money at my casino channel, subscribe now";
const words = (tokens: readonly string[]) => tokens.filter((t) => !t.includes(":")).sort();

function modelKnowing(text: string) {
  const model = createMemoryModel();
  learnSite(model, "site-a", tokenize({ content: text }), "spam");
  return model;
}

describe("tokenize sees through disguises", () => {
  it("bumped the tokenizer version so stored counts get rebuilt", () => {
    expect(TOKENIZER_VERSION).toBeGreaterThanOrEqual(3);
  });

  it("gives a disguised comment the words of the plain one, plus the signals", () => {
    const isKnownWord = knownWordsOf(modelKnowing(CLEAN));
    const disguised = "Get fr33 mоnеy at my c a s i n o chan\u200Bnel, sub$cribe now";
    const tokens = tokenize({ content: disguised }, { isKnownWord });
    expect(words(tokens)).toEqual(words(tokenize({ content: CLEAN })));
    for (const signal of Object.values(OBFUSCATION_SIGNALS)) expect(tokens).toContain(signal);
  });

  it("undoes look-alikes and hidden characters even without a vocabulary (the learning path)", () => {
    const tokens = tokenize({ content: "vіаgrа\uFEFF for\u00ADsale" });
    expect(tokens).toContain("viagra");
    expect(tokens).toContain("forsale");
    expect(tokens).toContain(OBFUSCATION_SIGNALS.hiddenChars);
  });

  it("reads the scripts of the text as a reader sees it: a look-alike is not a second script", () => {
    const tokens = tokenize({ content: "Buy vіаgrа now" }); // Cyrillic і, а, а
    expect(tokens).toContain("meta:script=latin");
    expect(tokens).not.toContain("meta:script=cyrillic");
    expect(tokens).not.toContain("meta:scripts=mixed");
    expect(tokens).toContain(OBFUSCATION_SIGNALS.confusables);
  });

  it("does not undo digit swaps without a vocabulary, so learn and unlearn see the same tokens", () => {
    expect(tokenize({ content: "fr33 m0ney" })).toEqual(tokenize({ content: "fr33 m0ney" }));
    expect(tokenize({ content: "fr33 m0ney" })).not.toContain("free");
  });

  it("keeps a trailing BOM out of the tokens and the signals", () => {
    const tokens = tokenize({ content: "great song\uFEFF" });
    expect(tokens).toContain("song");
    expect(tokens).not.toContain(OBFUSCATION_SIGNALS.hiddenChars);
  });

  it("leaves Russian, Greek and Japanese words as they are", () => {
    const tokens = tokenize({ content: "Привет мир, Καλημέρα κόσμε, 東京タワー" }, { isKnownWord: () => true });
    for (const w of ["привет", "мир", "καλημέρα", "κόσμε"]) expect(tokens).toContain(w);
    expect(tokens.some((t) => t.startsWith("meta:") && Object.values(OBFUSCATION_SIGNALS).includes(t as never))).toBe(false);
  });
});

describe("known-word lookups for storage backends", () => {
  it("lists the words tokenize may ask about, so a backend can fetch their rows first", () => {
    const queries = knownWordQueries({ content: "fr33 m0ney c a s i n o" });
    expect(queries).toEqual(expect.arrayContaining(["free", "money", "casino"]));
    expect(knownWordQueries({ content: "plain words only" })).toEqual([]);
  });

  it("answers from a scoring slice, fetched in rounds, exactly as from the whole model", () => {
    const model = modelKnowing(CLEAN);
    const content = "fr33 m0ney n o w c a s i n o";
    let fetched = new Set<string>();
    for (;;) {
      const data = scoringData(model, "site-a", [...fetched]);
      const asked = knownWordQueries({ content }, knownWordsIn(data));
      if (asked.every((w) => fetched.has(w))) break;
      fetched = new Set([...fetched, ...asked]);
    }
    const data = scoringData(model, "site-a", [...fetched]);
    expect(tokenize({ content }, { isKnownWord: knownWordsIn(data) })).toEqual(tokenize({ content }, { isKnownWord: knownWordsOf(model) }));
    expect(model.scopes.has(GLOBAL_SCOPE)).toBe(true);
  });
});
