import { describe, expect, it } from "vitest";
import { operatingPoint, pooled, tally, thresholdFor } from "../src/eval/operating.js";
import type { Prediction } from "../src/eval/metrics.js";

const ham = (probability: number): Prediction => ({ label: "ham", probability });
const spam = (probability: number): Prediction => ({ label: "spam", probability });

describe("operating points", () => {
  it("takes the threshold from the ham scores themselves, so bunched scores near 1 are told apart", () => {
    // 1,000 ham: one at 0.9999995, one at 0.9999990, the rest low. A 0.005 grid cannot split them.
    const hams = [ham(0.9999995), ham(0.999999), ...Array.from({ length: 998 }, (_, i) => ham(i / 2000))];
    const spams = [spam(0.9999999), spam(0.9999997), spam(0.9999993), spam(0.5)];
    const all = [...hams, ...spams];
    // 0.1 % of 1,000 = 1 ham may be blocked: the threshold is the second-highest ham score.
    expect(thresholdFor(all, 0.001)).toBe(0.999999);
    const point = operatingPoint(all, 0.001);
    expect(point.blockedHam).toBeCloseTo(0.001, 10);
    expect(point.spamCaught).toBe(0.75);
    // No ham may be blocked at 0: only spam above the top ham counts.
    expect(operatingPoint(all, 0).spamCaught).toBe(0.5);
  });

  it("never exceeds the allowance when ham scores tie at the threshold", () => {
    const all = [ham(0.9), ham(0.9), ham(0.9), ham(0.1), spam(0.95), spam(0.9)];
    const point = operatingPoint(all, 0.5);
    expect(point.blockedHam).toBe(0);
    expect(point.spamCaught).toBe(0.5);
  });

  it("pools honest tallies over test parts, each at its own threshold", () => {
    const a = tally([ham(0.2), spam(0.9), spam(0.1)], 0.5);
    const b = tally([ham(0.7), ham(0.1), spam(0.8)], 0.5);
    expect(pooled([a, b])).toEqual({ spamCaught: 2 / 3, blockedHam: 1 / 3 });
  });
});
