import { describe, expect, it } from "vitest";
import { DEFAULT_HARD_RULES, applyHardRules, proposeCutoffs, type ScoreResult } from "../src/classifier/index.js";

const ham: ScoreResult = { probability: 0.11, verdict: "ham", reasons: [{ token: "recipe", probability: 0.1, direction: "ham", weight: 0.8 }] };

describe("applyHardRules", () => {
  it("makes a filled honeypot spam whatever the model said, keeping the model's probability", () => {
    const out = applyHardRules(ham, { honeypotFilled: true }, DEFAULT_HARD_RULES);
    expect(out).toMatchObject({ verdict: "spam", probability: 0.11, rules: ["honeypot"] });
    expect(out.reasons.map((r) => r.token)).toEqual(["honeypot", "recipe"]);
    // Also when the model has learned too little to give a verdict of its own.
    const untrained = { ...ham, verdict: "unsure" as const, insufficientTraining: { spam: 0, ham: 0, required: 10 } };
    expect(applyHardRules(untrained, { honeypotFilled: true }, DEFAULT_HARD_RULES).verdict).toBe("spam");
  });

  it("holds a ham sent under the minimum time, leaves spam spam, and lets either rule be turned off", () => {
    expect(applyHardRules(ham, { timeToSubmitMs: 1999 }, DEFAULT_HARD_RULES)).toMatchObject({ verdict: "unsure", rules: ["too-fast"] });
    expect(applyHardRules(ham, { timeToSubmitMs: 2000 }, DEFAULT_HARD_RULES)).toBe(ham);
    expect(applyHardRules({ ...ham, verdict: "spam" }, { timeToSubmitMs: 10 }, DEFAULT_HARD_RULES).verdict).toBe("spam");
    expect(applyHardRules(ham, { timeToSubmitMs: 10, honeypotFilled: true }, { honeypot: false, minSubmitMs: null })).toBe(ham);
    expect(applyHardRules(ham, { honeypotFilled: false }, DEFAULT_HARD_RULES)).toBe(ham);
  });
});

describe("proposeCutoffs", () => {
  it("meets the blocked-ham and passed-spam targets on the decided scores with the fewest held", () => {
    const decided = [
      ...Array.from({ length: 1000 }, (_, i) => ({ label: "ham" as const, probability: i / 1000 })),
      ...Array.from({ length: 500 }, (_, i) => ({ label: "spam" as const, probability: 0.5 + i / 1000 })),
    ];
    const p = proposeCutoffs(decided, { maxBlockedHam: 0.003, maxPassedSpam: 0.02, minPerLabel: 30 });
    if (!p.ok) throw new Error("expected a proposal");
    // Three ham (0.997, 0.998, 0.999) may be blocked: the cutoff sits just above 0.996.
    expect(p.blockedHam).toBeCloseTo(0.003, 10);
    expect(p.spamCutoff).toBeGreaterThan(0.996);
    expect(p.spamCutoff).toBeLessThanOrEqual(0.997);
    // Ten spam (0.500..0.509) may pass as ham: the ham cutoff is the eleventh-lowest spam score.
    expect(p.hamCutoff).toBeCloseTo(0.51, 10);
    expect(p.passedSpam).toBeCloseTo(0.02, 10);
  });

  it("gives no proposal below the minimum of decided comments per label", () => {
    expect(proposeCutoffs([{ label: "ham", probability: 0.1 }])).toEqual({ ok: false, reason: "insufficient", spam: 0, ham: 1, required: 30 });
  });
});
