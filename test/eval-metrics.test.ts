import { describe, expect, it } from "vitest";
import { calibrateCutoffs } from "../src/eval/evaluate.js";
import { computeMetrics, fprAtRecall, rocAuc, wilson, type Prediction } from "../src/eval/metrics.js";
import { rocSvg } from "../src/eval/plot.js";

const p = (label: "spam" | "ham", probability: number, verdict?: "ham" | "unsure" | "spam"): Prediction =>
  verdict ? { label, probability, verdict } : { label, probability };

describe("metrics", () => {
  it("computes the confusion-based figures at the threshold", () => {
    const predictions = [p("spam", 0.9), p("spam", 0.8), p("spam", 0.3), p("ham", 0.6), p("ham", 0.1), p("ham", 0.2)];
    const m = computeMetrics(predictions, 0.5, 50);
    expect(m.accuracy).toBeCloseTo(4 / 6);
    expect(m.precision).toBeCloseTo(2 / 3);
    expect(m.recall).toBeCloseTo(2 / 3);
    expect(m.fpr).toBeCloseTo(1 / 3);
    expect(m.f1).toBeCloseTo(2 / 3);
    expect(m.mcc).toBeCloseTo((2 * 2 - 1 * 1) / Math.sqrt(3 * 3 * 3 * 3));
    expect(m.ci.accuracy.low).toBeLessThan(m.accuracy);
    expect(m.ci.accuracy.high).toBeGreaterThan(m.accuracy);
  });

  it("computes ROC AUC with ties counted half", () => {
    expect(rocAuc([p("spam", 0.9), p("ham", 0.1)])).toBe(1);
    expect(rocAuc([p("spam", 0.1), p("ham", 0.9)])).toBe(0);
    expect(rocAuc([p("spam", 0.5), p("ham", 0.5)])).toBe(0.5);
    expect(rocAuc([p("spam", 0.9), p("spam", 0.4), p("ham", 0.5), p("ham", 0.1)])).toBe(0.75);
  });

  it("finds blocked ham at a spam-recall target", () => {
    const predictions = [...[0.9, 0.8, 0.7, 0.6].map((x) => p("spam", x)), ...[0.65, 0.5, 0.1, 0.05].map((x) => p("ham", x))];
    expect(fprAtRecall(predictions, 0.75)).toBe(0);
    expect(fprAtRecall(predictions, 1)).toBe(0.25);
  });

  it("gives Wilson intervals inside [0, 1] that contain the estimate", () => {
    const i = wilson(0, 50);
    expect(i.low).toBe(0);
    expect(i.high).toBeGreaterThan(0.05);
    const j = wilson(45, 50);
    expect(j.low).toBeLessThan(0.9);
    expect(j.high).toBeGreaterThan(0.9);
  });

  it("reports the three-way rates and the unsure share", () => {
    const m = computeMetrics([p("spam", 0.95, "spam"), p("spam", 0.6, "unsure"), p("ham", 0.1, "ham"), p("ham", 0.95, "spam")], 0.5, 10);
    expect(m.threeWay?.spam).toEqual({ ham: 0, unsure: 0.5, spam: 0.5 });
    expect(m.threeWay?.ham).toEqual({ ham: 0.5, unsure: 0, spam: 0.5 });
    expect(m.unsure).toBe(0.25);
  });

  it("calibrates cutoffs to the blocked-ham and passed-spam targets", () => {
    const predictions = [
      ...Array.from({ length: 100 }, (_, i) => p("ham", i < 98 ? i / 400 : 0.8)),
      ...Array.from({ length: 100 }, (_, i) => p("spam", i < 3 ? 0.1 : 0.5 + i / 250)),
    ];
    const { hamCutoff, spamCutoff } = calibrateCutoffs(predictions, 0.02, 0.05);
    expect(predictions.filter((x) => x.label === "ham" && x.probability >= spamCutoff).length).toBeLessThanOrEqual(2);
    expect(predictions.filter((x) => x.label === "spam" && x.probability < hamCutoff).length).toBeLessThanOrEqual(5);
    expect(hamCutoff).toBeLessThanOrEqual(spamCutoff);
  });

  it("draws the ROC curve as an SVG", () => {
    const svg = rocSvg("t <1>", [{ name: "a", predictions: [p("spam", 0.9), p("ham", 0.1)], colour: "red" }]);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("polyline");
    expect(svg).toContain("t &#60;1&#62;");
  });
});
