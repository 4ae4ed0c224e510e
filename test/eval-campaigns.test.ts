import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_SCORE_OPTIONS } from "../src/classifier/index.js";
import { campaignEval, interleave, plantCampaigns, repeatsOf, replayStream, rewordCopy, spamCaughtAtBlockedHam, summarizeSeeds } from "../src/eval/campaigns.js";
import type { Example } from "../src/eval/data.js";
import { REPO_ROOT } from "../src/eval/paths.js";

const CAMPAIGN = "Earn money fast from home with this one weird trick everyone is using now, sign up at https://weird-trick.example";
// Short ham that repeats almost word for word: people say these innocently, they form no campaign.
const HAM = ["love this song so much", "best part is the chorus", "who is still listening", "great beat here"];

function site(source: string, n: number): Example[] {
  const out: Example[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ source, label: "spam", text: i % 2 === 0 ? CAMPAIGN : `${CAMPAIGN} ${source}` });
    out.push({ source, label: "ham", text: `${HAM[i % HAM.length]!} ${source} ${i}` });
  }
  return out;
}

describe("eval --campaigns", () => {
  it("interleaves the files as sites and clusters a campaign across them", () => {
    const stream = interleave([...site("a.csv", 6), ...site("b.csv", 6)]);
    expect(stream.slice(0, 4).map((e) => e.source)).toEqual(["a.csv", "b.csv", "a.csv", "b.csv"]);
    const options = { scoreOptions: { ...DEFAULT_SCORE_OPTIONS, minPerLabel: 1 }, moderator: "all" as const, reportRate: 0.5, seed: 1 };
    const withCampaigns = replayStream(stream, { ...options, campaigns: true });
    expect(withCampaigns.campaigns).toEqual({ campaigns: 1, members: 12 });
    expect(withCampaigns.scoredInCampaign).toBe(11);
    expect(replayStream(stream, { ...options, campaigns: false }).scoredInCampaign).toBe(0);
  });

  it("marks repeats and near-repeats of earlier comments, short ones too, and not their first copy", () => {
    const long = "the quick brown fox jumps over the lazy dog and runs far away into the woods";
    const stream: Example[] = [long, "nice video", `${long} today`, "NICE video!!", "something else entirely, about cooking pasta at home tonight", long].map((text) => ({ source: "a", label: "ham", text }));
    expect(repeatsOf(stream)).toEqual([false, false, true, true, false, true]);
  });

  it("bounds what campaign signals can add: the plain run with members or repeats scored perfectly", () => {
    const examples = [...site("a.csv", 8), ...site("b.csv", 8)];
    const options = { scoreOptions: { ...DEFAULT_SCORE_OPTIONS, minPerLabel: 1 }, moderator: "held+reported" as const, reportRate: 0.5, seed: 1 };
    const report = campaignEval(examples, options);
    expect(report.ceilings.members.comments).toBe(report.runs.campaigns.scoredInCampaign);
    // Every spam here is a campaign copy but the first: scored perfectly, all but one is caught.
    expect(report.ceilings.members.whole).toBeCloseTo(15 / 16);
    expect(report.ceilings.repeats.comments).toBeGreaterThanOrEqual(report.ceilings.members.comments);
    const seeds = summarizeSeeds([1, 2, 3].map((seed) => campaignEval(examples, { ...options, seed })));
    expect(seeds.seeds).toEqual([1, 2, 3]);
    expect(seeds.change.whole.min).toBeLessThanOrEqual(seeds.change.whole.mean);
    expect(seeds.change.whole.max).toBeGreaterThanOrEqual(seeds.change.whole.mean);
  });

  it("plants reworded copies of spam on other sites, later in the stream, and they cluster with the original", () => {
    const random = () => 0.5;
    expect(rewordCopy("win at https://x.example/a now", random)).toBe("win at https://x.example/a?ref=500000 now");
    expect(rewordCopy("one two three four five six seven eight nine", random).split(" ")).toHaveLength(8);
    const stream = interleave([...site("a.csv", 10), ...site("b.csv", 10), ...site("c.csv", 10)]).map((e, i) => (e.label === "spam" ? { ...e, text: `offer number ${i} for you, claim it today at https://deal${i}.example/x before it is gone` } : e));
    const planted = plantCampaigns(stream, { spam: 1, ham: 0, seed: 1 });
    const copies = planted.filter((e) => !stream.includes(e));
    expect(copies.length).toBeGreaterThanOrEqual(30);
    expect(copies.every((e) => e.label === "spam")).toBe(true);
    for (const copy of copies.slice(0, 10)) {
      const deal = /deal\d+\.example/.exec(copy.text)![0];
      const original = stream.find((e) => e.text.includes(`https://${deal}/x `))!;
      expect(copy.source).not.toBe(original.source);
      expect(planted.indexOf(copy)).toBeGreaterThan(planted.indexOf(original));
    }
    expect(plantCampaigns(stream, { spam: 1, ham: 0, seed: 1 })).toEqual(planted);
    const options = { scoreOptions: { ...DEFAULT_SCORE_OPTIONS, minPerLabel: 1 }, moderator: "all" as const, reportRate: 0.5, seed: 1, campaigns: true };
    expect(replayStream(planted, options).scoredInCampaign).toBeGreaterThanOrEqual(copies.length);
  });

  it("takes spam caught at a blocked-ham rate from the scores themselves", () => {
    const p = (label: "spam" | "ham", probability: number) => ({ label, probability, verdict: "unsure" as const });
    const ham = Array.from({ length: 1000 }, (_, i) => p("ham", i / 1000));
    // Three ham above 0.996 may be blocked at 0.3 %; the fourth-highest ham score is the threshold.
    const spam = [p("spam", 0.9995), p("spam", 0.997), p("spam", 0.5)];
    const at = spamCaughtAtBlockedHam([...ham, ...spam], 0.003);
    expect(at.threshold).toBe(0.996);
    expect(at.blockedHam).toBe(0.003);
    expect(at.spamCaught).toBeCloseTo(2 / 3);
  });

  it("prints both runs from the CLI and rejects a bad policy", () => {
    const dir = mkdtempSync(join(tmpdir(), "commentinel-campaigns-"));
    for (const name of ["a", "b"]) {
      writeFileSync(join(dir, `${name}.jsonl`), site(name, 6).map((e) => JSON.stringify({ label: e.label, text: e.text })).join("\n") + "\n");
    }
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ["--import", join(REPO_ROOT, "node_modules/tsx/dist/esm/index.mjs"), join(REPO_ROOT, "src/cli/eval.ts"), ...args], { cwd: dir, encoding: "utf8", timeout: 60_000 });
    const run = cli("a.jsonl", "b.jsonl", "--campaigns", "--json", "--min-per-label", "1");
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { sites: number; runs: { campaigns: { scoredInCampaign: number }; plain: { whole: { spamCaughtAtBlockedHam03: number } } } };
    expect(out.sites).toBe(2);
    expect(out.runs.campaigns.scoredInCampaign).toBeGreaterThan(0);
    expect(typeof out.runs.plain.whole.spamCaughtAtBlockedHam03).toBe("number");
    const seeds = cli("a.jsonl", "b.jsonl", "--campaigns", "--seeds", "2", "--min-per-label", "1");
    expect(seeds.status, seeds.stderr).toBe(0);
    expect(seeds.stdout).toMatch(/ceiling, the plain run/);
    expect(seeds.stdout).toMatch(/over 2 moderator seeds \(1–2\)/);
    const bad = cli("a.jsonl", "--campaigns", "--moderator", "nobody");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--moderator/);
  });
});
