import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../src/eval/paths.js";

const dir = mkdtempSync(join(tmpdir(), "commentinel-cli-"));
const spam = ["buy cheap pills now", "free money click here", "subscribe to my channel", "visit www.win-big.com now", "cheap pills free shipping", "click here to win money"];
const ham = ["love this song", "great video thanks", "this beat is amazing", "who is here in 2015", "the chorus is so good", "best song of the year"];
const lines = (prefix: string) => [...spam.map((t) => JSON.stringify({ label: "spam", text: `${t} ${prefix}` })), ...ham.map((t) => JSON.stringify({ label: "ham", text: `${t} ${prefix}` }))];
writeFileSync(join(dir, "a.jsonl"), lines("one").join("\n") + "\n");
writeFileSync(join(dir, "b.tsv"), lines("two").map((l) => { const j = JSON.parse(l) as { label: string; text: string }; return `${j.label}\t${j.text}`; }).join("\n") + "\n");

function evalCli(...args: string[]) {
  return spawnSync(process.execPath, ["--import", join(REPO_ROOT, "node_modules/tsx/dist/esm/index.mjs"), join(REPO_ROOT, "src/cli/eval.ts"), ...args], { cwd: dir, encoding: "utf8", timeout: 60_000 });
}

describe("npm run eval", () => {
  it("prints one JSON object with the required keys for --folds", () => {
    const run = evalCli("a.jsonl", "b.tsv", "--folds", "3", "--json", "--min-per-label", "1");
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as Record<string, unknown>;
    for (const key of ["accuracy", "precision", "recall", "fpr", "f1", "mcc", "auc", "unsure"]) {
      expect(typeof out[key], key).toBe("number");
      expect(out[key] as number).toBeGreaterThanOrEqual(key === "mcc" ? -1 : 0);
      expect(out[key] as number).toBeLessThanOrEqual(1);
    }
    expect(out.natural).toBeDefined();
    const points = out.operatingPoints as Array<{ maxBlockedHam: number; oracle: { spamCaught: number }; honest: { spamCaught: number; blockedHam: number } }>;
    expect(points.map((p) => p.maxBlockedHam)).toEqual([0.001, 0.003, 0.01]);
    for (const p of points) {
      expect(p.oracle.spamCaught).toBeGreaterThanOrEqual(0);
      expect(p.honest.blockedHam).toBeGreaterThanOrEqual(0);
    }
  });

  it("writes every test comment's probability, verdict and label with --predictions", () => {
    const run = evalCli("a.jsonl", "b.tsv", "--folds", "3", "--no-baseline", "--inner-folds", "0", "--min-per-label", "1", "--predictions", "p.jsonl");
    expect(run.status, run.stderr).toBe(0);
    const rows = readFileSync(join(dir, "p.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toHaveLength(24);
    expect(rows.filter((r) => r.label === "spam")).toHaveLength(12);
    for (const r of rows) {
      expect(typeof r.probability).toBe("number");
      expect(["ham", "unsure", "spam"]).toContain(r.verdict);
    }
  });

  it("runs --train/--test and writes the ROC plot", () => {
    const run = evalCli("--train", "a.jsonl", "--test", "b.tsv", "--plot", "roc.svg", "--no-baseline", "--min-per-label", "1");
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("accuracy");
    expect(run.stdout).toContain("three-way");
    expect(readFileSync(join(dir, "roc.svg"), "utf8")).toContain("<svg");
  });

  it("streams each file as a new site with --online and reports blocked ham, spam published, held and decisions", () => {
    const run = evalCli("a.jsonl", "b.tsv", "--online", "--json", "--min-per-label", "1", "--plot", "curve.svg");
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as {
      sites: Array<{ source: string; order: string; whole: { count: number; decisions: number }; secondHalf: { count: number } }>;
      whole: { count: number; held: number; decisions: number };
    };
    expect(out.sites.map((s) => [s.source, s.order, s.whole.count, s.secondHalf.count])).toEqual([
      ["a.jsonl", "file", 12, 6],
      ["b.tsv", "file", 12, 6],
    ]);
    // Nothing is learned at first, so the first comments are held and decided.
    expect(out.whole.decisions).toBeGreaterThan(0);
    expect(out.whole.held).toBeGreaterThan(0);
    expect(readFileSync(join(dir, "curve.svg"), "utf8")).toContain("spam published");
    // Every label learned: every comment is a decision.
    const all = evalCli("a.jsonl", "b.tsv", "--online", "--json", "--moderator", "all");
    expect((JSON.parse(all.stdout) as { whole: { decisions: number } }).whole.decisions).toBe(24);
    expect(evalCli("a.jsonl", "--online", "--moderator", "some").status).toBe(2);
  });

  it("fails with a message on a bad option", () => {
    const run = evalCli("--folds", "x");
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/eval: /);
  });
});
