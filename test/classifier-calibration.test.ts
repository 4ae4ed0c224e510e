import { describe, expect, it } from "vitest";
import { calibrate, fitIsotonic, fitPlatt, type ScoredLabel } from "../src/classifier/index.js";
import { seededRandom } from "../src/eval/folds.js";

/** Scores whose true spam share is σ(2·logit(p) − 1): Platt should find a ≈ 2, b ≈ −1. */
function sample(n: number, seed: number): ScoredLabel[] {
  const random = seededRandom(seed);
  const out: ScoredLabel[] = [];
  for (let i = 0; i < n; i++) {
    const p = 0.02 + 0.96 * random();
    const z = Math.log(p / (1 - p));
    const share = 1 / (1 + Math.exp(-(2 * z - 1)));
    out.push({ probability: p, label: random() < share ? "spam" : "ham" });
  }
  return out;
}

describe("calibration", () => {
  it("Platt scaling recovers the slope and offset of a known miscalibration", () => {
    const map = fitPlatt(sample(20_000, 3));
    expect(map.kind).toBe("platt");
    if (map.kind !== "platt") return;
    expect(map.a).toBeCloseTo(2, 1);
    expect(map.b).toBeCloseTo(-1, 1);
  });

  it("Platt scaling stays finite on perfectly separated scores (smoothed targets)", () => {
    const scored: ScoredLabel[] = [
      ...Array.from({ length: 50 }, () => ({ probability: 1, label: "spam" as const })),
      ...Array.from({ length: 50 }, () => ({ probability: 0, label: "ham" as const })),
    ];
    const map = fitPlatt(scored);
    const high = calibrate(map, 1);
    expect(Number.isFinite(high)).toBe(true);
    expect(high).toBeLessThan(1);
    expect(high).toBeGreaterThan(0.9);
    expect(calibrate(map, 0)).toBeLessThan(0.1);
  });

  it("isotonic regression pools adjacent violators into a non-decreasing map", () => {
    const scored: ScoredLabel[] = [
      { probability: 0.1, label: "ham" },
      { probability: 0.2, label: "spam" },
      { probability: 0.3, label: "ham" },
      { probability: 0.4, label: "spam" },
      { probability: 0.5, label: "spam" },
    ];
    const map = fitIsotonic(scored);
    if (map.kind !== "isotonic") throw new Error("expected isotonic");
    // 0.2 (spam) and 0.3 (ham) violate the order and pool to 0.5 at their mean score 0.25.
    expect(map.x).toEqual([0.1, 0.25, 0.45]);
    expect(map.y).toEqual([0, 0.5, 1]);
    expect(calibrate(map, 0.05)).toBe(0);
    expect(calibrate(map, 0.175)).toBeCloseTo(0.25, 10);
    expect(calibrate(map, 0.9)).toBe(1);
  });

  it("both maps keep the order of scores (a map cannot change the ranking)", () => {
    const scored = sample(2_000, 5);
    for (const map of [fitPlatt(scored), fitIsotonic(scored)]) {
      const xs = Array.from({ length: 101 }, (_, i) => i / 100);
      const ys = xs.map((x) => calibrate(map, x));
      for (let i = 1; i < ys.length; i++) expect(ys[i]).toBeGreaterThanOrEqual(ys[i - 1] ?? 0);
    }
  });
});
