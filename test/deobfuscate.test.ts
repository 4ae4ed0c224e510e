import { describe, expect, it } from "vitest";
import {
  deobfuscate,
  foldWord,
  joinSpacedLetters,
  OBFUSCATION_SIGNALS,
  stripInvisible,
  undoDigitSwaps,
} from "../src/classifier/deobfuscate/index.js";

const VOCABULARY = new Set([
  "free", "money", "viagra", "casino", "now", "look", "out", "check", "my", "channel", "cash",
  "phone", "subscribe", "left", "only", "paypal", "hello", "win", "big", "привет", "соус", "pop",
  "mp3", "is", "bonus", "pills", "visit", "iphone",
]);
const isKnownWord = (w: string): boolean => VOCABULARY.has(w);

/** Texts a real comment section holds that no step may alter beyond NFKC (which the tokenizer applies anyway). */
const GENUINE = {
  russian: "Привет! Отличная песня, слушаю каждый день. Спасибо автору",
  russianLookalikeLetters: "Сорок сосен, рыбу везут в город", // Cyrillic words spelt only with Latin look-alikes
  greek: "Καλημέρα σε όλους, πολύ ωραίο τραγούδι",
  arabic: "مرحبا بالعالم، هذه أغنية جميلة جدا",
  persianWithZwnj: "من می‌خواهم این آهنگ را دوباره بشنوم",
  hindiWithJoiners: "क्‍ष और र्‍य हिंदी में",
  chinese: "这首歌真好听，我每天都听",
  japanese: "この曲が大好きです。iPhoneケースを買った",
  korean: "이 노래 정말 좋아요",
  thaiWithZwsp: "เพลงนี้\u200Bเพราะมาก",
  emoji: "Love it ❤️ 👨‍👩‍👧‍👦 1️⃣ 🏴󠁧󠁢󠁳󠁣󠁴󠁿 🇫🇷 👍🏽",
  numbers: "Only $100, since 2014, call 555-1234, 1,000 views, 3.50 EUR, 10am, 100k subs, 4th time",
};

describe("deobfuscate leaves genuine text alone", () => {
  for (const [name, text] of Object.entries(GENUINE)) {
    it(`keeps ${name} unchanged and raises no signal`, () => {
      const result = deobfuscate(text, { isKnownWord });
      expect(result.text).toBe(text.normalize("NFKC"));
      expect(result.signals).toEqual([]);
    });
  }

  it("keeps a whole Cyrillic word that happens to look Latin (рор is not pop)", () => {
    expect(deobfuscate("рор", { isKnownWord }).text).toBe("рор");
  });
});

describe("invisible characters", () => {
  const hidden: Record<string, string> = {
    "zero-width space": "\u200B",
    "zero-width non-joiner": "\u200C",
    "zero-width joiner": "\u200D",
    "word joiner": "\u2060",
    "soft hyphen": "\u00AD",
    "BOM / zero-width no-break space": "\uFEFF",
    "left-to-right mark": "\u200E",
    "right-to-left mark": "\u200F",
    "right-to-left override": "\u202E",
    "first-strong isolate": "\u2068",
    "invisible separator": "\u2063",
    "combining grapheme joiner": "\u034F",
    "variation selector": "\uFE0F",
    "Hangul filler": "\u3164",
    "tag character": "\u{E0041}",
  };
  for (const [name, ch] of Object.entries(hidden)) {
    it(`removes a ${name} inside a word and signals it`, () => {
      const result = deobfuscate(`buy vi${ch}agra now`);
      expect(result.text).toBe("buy viagra now");
      expect(result.signals).toContain(OBFUSCATION_SIGNALS.hiddenChars);
    });
  }

  it("removes a trailing BOM without calling it hidden (YouTube comments end in one)", () => {
    const result = deobfuscate("nice song\uFEFF");
    expect(result.text).toBe("nice song");
    expect(result.signals).toEqual([]);
    expect(result.stats.invisibleRemoved).toBe(1);
  });

  it("does not count invisibles between words as hidden", () => {
    expect(stripInvisible("nice \u200B song \u2060")).toEqual({ text: "nice  song ", removed: 2, insideWords: 0 });
  });

  it("counts a cluster of invisibles inside a word", () => {
    expect(stripInvisible("ca\u200B\u200C\u2060sh").insideWords).toBe(3);
  });

  it("removes a zero-width joiner between Latin letters but keeps it in an emoji sequence", () => {
    expect(stripInvisible("ca\u200Dsh 👩\u200D💻").text).toBe("cash 👩\u200D💻");
  });
});

describe("look-alike letters (TR39 confusables) in mixed-script words", () => {
  it("folds Cyrillic look-alikes inside a Latin word", () => {
    expect(deobfuscate("Buy vіаgrа").text).toBe("Buy viagra"); // і, а, а are Cyrillic
  });

  it("folds Greek look-alikes and signals it", () => {
    const result = deobfuscate("free mοnеy"); // Greek ο, Cyrillic е
    expect(result.text).toBe("free money");
    expect(result.signals).toEqual([OBFUSCATION_SIGNALS.confusables]);
  });

  it("reads an upper-case Cyrillic І as I, not l", () => {
    expect(foldWord("VІAGRA")).toBe("VIAGRA");
  });

  it("folds look-alikes from rarer scripts (Cherokee, Armenian)", () => {
    expect(foldWord("ᏟASINO")).toBe("CASINO");
    expect(foldWord("bօnus")).toBe("bonus");
  });

  it("folds a mixed-script host name", () => {
    expect(deobfuscate("visit раураl.com").text).toBe("visit paypal.com");
  });

  it("folds a Russian word with one Latin letter into Cyrillic", () => {
    expect(foldWord("пpивет")).toBe("привет"); // Latin p
  });

  it("lets the vocabulary choose the script when both readings are possible", () => {
    expect(foldWord("cоус", isKnownWord)).toBe("соус"); // Latin c + Cyrillic оус: the Russian word
    expect(foldWord("pоp", isKnownWord)).toBe("pop");
  });

  it("leaves a genuine mix alone when a letter has no look-alike", () => {
    expect(foldWord("iPhoneケース")).toBe("iPhoneケース");
    expect(foldWord("Мcdonalds")).toBe("Mcdonalds"); // every foreign letter has a look-alike: folded
    expect(foldWord("COVIDвирус")).toBe("COVIDвирус"); // в, и have none in Latin, C/O/V/I/D none in Cyrillic
  });

  it("keeps accents of a folded word", () => {
    expect(foldWord("cаfé")).toBe("café");
  });
});

describe("digit-for-letter swaps", () => {
  it("repairs fr33 m0ney and v1agra into known words", () => {
    const result = deobfuscate("get fr33 m0ney and v1agra", { isKnownWord });
    expect(result.text).toBe("get free money and viagra");
    expect(result.stats.digitSwapWords).toBe(3);
    // No signal token: learning never sees the vocabulary, so it could never be learned.
    expect(result.signals).toEqual([]);
  });

  it("repairs symbol swaps", () => {
    expect(undoDigitSwaps("c@sh v!agra $ubscribe !phone |eft", isKnownWord).text).toBe("cash viagra subscribe iphone left");
  });

  it("keeps shouting in capitals", () => {
    expect(undoDigitSwaps("FR33 M0NEY", isKnownWord).text).toBe("FREE MONEY");
  });

  it("leaves real numbers alone", () => {
    const text = "$100 in 2014, 555-1234, 1,000, 3.50, 10am, 100k, 1080p, 4th, 32gb";
    expect(undoDigitSwaps(text, (w) => w.length > 0).text).toBe(text);
  });

  it("keeps a known original form (mp3) and leaves unknown repairs alone", () => {
    expect(undoDigitSwaps("mp3 b0rk", isKnownWord).text).toBe("mp3 b0rk");
  });

  it("does nothing without a vocabulary", () => {
    expect(deobfuscate("fr33 m0ney").text).toBe("fr33 m0ney");
  });

  it("leaves links and e-mail addresses alone", () => {
    const text = "see fr33m0ney.com, http://x.io/fr33 or me@fr33.net";
    expect(deobfuscate(text, { isKnownWord }).text).toBe(text);
  });
});

describe("spaced-out letters", () => {
  for (const text of ["c a s i n o", "c.a.s.i.n.o", "c-a-s-i-n-o", "c_a_s_i_n_o", "c*a*s*i*n*o", "c . a . s . i . n . o"]) {
    it(`joins ${JSON.stringify(text)} into a known word`, () => {
      const result = deobfuscate(`play ${text} now`, { isKnownWord });
      expect(result.text).toBe("play casino now");
      expect(result.stats.spacedRuns).toBe(1);
    });
  }

  it("splits a run into known words", () => {
    expect(joinSpacedLetters("f r e e m o n e y", isKnownWord).text).toBe("free money");
  });

  it("separates a real number from the spaced word after it", () => {
    expect(joinSpacedLetters("only 5 l e f t", isKnownWord).text).toBe("only 5 left");
  });

  it("undoes digit swaps inside a spaced run", () => {
    expect(joinSpacedLetters("f r 3 3", isKnownWord).text).toBe("free");
  });

  it("keeps capitals", () => {
    expect(joinSpacedLetters("C A S I N O", isKnownWord).text).toBe("CASINO");
  });

  it("leaves unknown letter runs alone", () => {
    expect(joinSpacedLetters("A B C D", isKnownWord).text).toBe("A B C D");
  });

  it("never joins numbers, CJK characters or pairs, whatever the vocabulary", () => {
    for (const text of ["1 2 3 4", "1.2.3", "我 爱 你 们", "a b"]) {
      expect(joinSpacedLetters(text, () => true).text).toBe(text);
    }
  });
});

describe("cost on hostile input", () => {
  // 64 KiB comments built to make the patterns backtrack or the word search explode once took up to
  // 34 s; the chunked link test, bounded runs and the lookup budget keep each well under a second.
  // Asserted by behaviour (the text comes back, a bounded number of lookups), not by time.
  const N = 65536;
  const rep = (s: string) => s.repeat(Math.ceil(N / s.length)).slice(0, N);
  for (const [name, text] of Object.entries({ dotted: rep("a."), spaced: rep("a "), leetSpaced: rep("f r 3 3 "), leet: rep("a1"), bangs: rep("!a") })) {
    it(`spends a bounded number of vocabulary lookups on 64 KiB of ${name}`, () => {
      let lookups = 0;
      const result = deobfuscate(text, { isKnownWord: (w) => (lookups++, w === "free") });
      expect(lookups).toBeLessThanOrEqual(5000 + 20_000);
      expect(result.text.length).toBeGreaterThan(0);
    });
  }
});

describe("all tricks at once", () => {
  it("reads a comment that stacks every trick and reports each", () => {
    const result = deobfuscate("Ch\u200Beck my сhаnnеl: fr33 c a s i n o b0nus", { isKnownWord });
    expect(result.text).toBe("Check my channel: free casino bonus");
    expect(result.signals.sort()).toEqual(Object.values(OBFUSCATION_SIGNALS).sort());
    expect(result.stats).toMatchObject({ hiddenInWords: 1, confusableWords: 1, digitSwapWords: 2, spacedRuns: 1 });
  });
});
