import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../src/eval/paths.js";

const dir = mkdtempSync(join(tmpdir(), "commentinel-obfuscate-cli-"));
const spam = ["buy cheap pills now", "free money click here", "subscribe to my channel", "cheap pills free shipping", "click here to win money", "free pills for money"];
const ham = ["love this song", "great video thanks", "this beat is amazing", "who is here in 2015", "the chorus is so good", "best song of the year"];
const jsonl = (suffix: string) =>
  [...spam.map((t) => ({ label: "spam", text: `${t} ${suffix}` })), ...ham.map((t) => ({ label: "ham", text: `${t} ${suffix}` }))]
    .map((row) => JSON.stringify(row))
    .join("\n") + "\n";
writeFileSync(join(dir, "train.jsonl"), jsonl("one"));
writeFileSync(join(dir, "test.jsonl"), jsonl("two"));

function evalCli(...args: string[]) {
  return spawnSync(process.execPath, ["--import", join(REPO_ROOT, "node_modules/tsx/dist/esm/index.mjs"), join(REPO_ROOT, "src/cli/eval.ts"), ...args], { cwd: dir, encoding: "utf8", timeout: 60_000 });
}

describe("npm run eval -- --obfuscate-spam SEED", () => {
  it("scores disguised test spam and says so", () => {
    const run = evalCli("--train", "train.jsonl", "--test", "test.jsonl", "--obfuscate-spam", "7", "--no-baseline", "--json", "--min-per-label", "1");
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { description: string; recall: number };
    expect(out.description).toContain("disguised with seed 7");
    expect(out.recall).toBeGreaterThan(0.5);
  });

  it("rejects a seed that is not an integer", () => {
    const run = evalCli("--train", "train.jsonl", "--test", "test.jsonl", "--obfuscate-spam", "x");
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--obfuscate-spam/);
  });
});
