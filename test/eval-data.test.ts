import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dedupe, loadExamples, parseFile, parseLabel } from "../src/eval/data.js";
import { stratifiedFolds } from "../src/eval/folds.js";

describe("eval data loaders", () => {
  it("reads the YouTube CSV format by CONTENT and CLASS with quoted newlines; DATE only as the stream order", () => {
    const csv = 'COMMENT_ID,AUTHOR,DATE,CONTENT,CLASS\nid1,Ann,,"check out my channel, please",1\nid2,Bob,2013-11-07T06:20:48,"nice\nsong",0\n';
    expect(parseFile(csv, "/x/Youtube09-Test.csv")).toEqual([
      { text: "check out my channel, please", label: "spam", source: "Youtube09-Test.csv", author: "Ann" },
      { text: "nice\nsong", label: "ham", source: "Youtube09-Test.csv", author: "Bob", date: "2013-11-07T06:20:48" },
    ]);
  });

  it("reads any CSV whose header names a label and a text column", () => {
    const csv = "id,message,label\n1,hello there,ham\n2,buy pills,spam\n3,unlabeled,maybe\n";
    expect(parseFile(csv, "generic.csv").map((e) => [e.label, e.text])).toEqual([
      ["ham", "hello there"],
      ["spam", "buy pills"],
    ]);
    expect(() => parseFile("a,b\n1,2\n", "bad.csv")).toThrow(/label column/);
  });

  it("reads JSONL and tab-separated lines", () => {
    const jsonl = '{"label":"spam","text":"win now"}\n\n{"label":"ham","text":"see you"}\n';
    expect(parseFile(jsonl, "a.jsonl").map((e) => e.label)).toEqual(["spam", "ham"]);
    const tsv = "ham\tGo until jurong point\nspam\tFree entry in 2 a wkly comp\n";
    expect(parseFile(tsv, "SMSSpamCollection.txt").map((e) => [e.label, e.text])).toEqual([
      ["ham", "Go until jurong point"],
      ["spam", "Free entry in 2 a wkly comp"],
    ]);
  });

  it("reads every data file of a folder", () => {
    const dir = mkdtempSync(join(tmpdir(), "commentinel-eval-"));
    writeFileSync(join(dir, "a.tsv"), "ham\thi\n");
    writeFileSync(join(dir, "b.jsonl"), '{"label":"spam","text":"x"}\n');
    writeFileSync(join(dir, "README.md"), "# not data\n");
    expect(loadExamples([dir]).map((e) => e.source)).toEqual(["a.tsv", "b.jsonl"]);
  });

  it("maps label spellings", () => {
    expect([parseLabel("1"), parseLabel(" SPAM "), parseLabel("0"), parseLabel("ham"), parseLabel("?")]).toEqual(["spam", "spam", "ham", "ham", undefined]);
  });

  it("drops exact duplicates, keeping the first, and counts label conflicts", () => {
    const examples = [
      { text: "a", label: "spam" as const, source: "s" },
      { text: "a", label: "spam" as const, source: "s" },
      { text: "b", label: "ham" as const, source: "s" },
      { text: "b", label: "spam" as const, source: "s" },
    ];
    expect(dedupe(examples)).toEqual({ examples: [examples[0], examples[2]], dropped: 2, conflicts: 1 });
  });
});

describe("folds", () => {
  it("are seeded, stratified and cover every item once", () => {
    const items = Array.from({ length: 103 }, (_, i) => ({ label: i % 3 === 0 ? "spam" : "ham" }));
    const a = stratifiedFolds(items, 10, 5, (x) => x.label);
    expect(stratifiedFolds(items, 10, 5, (x) => x.label)).toEqual(a);
    expect(stratifiedFolds(items, 10, 6, (x) => x.label)).not.toEqual(a);
    for (let f = 0; f < 10; f++) {
      const spam = items.filter((x, i) => a[i] === f && x.label === "spam").length;
      expect(spam === 3 || spam === 4).toBe(true);
    }
    expect(a.every((f) => f >= 0 && f < 10)).toBe(true);
  });
});
