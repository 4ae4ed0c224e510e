import { describe, expect, it } from "vitest";
import type { Example } from "../src/eval/data.js";
import { figuresOf, runOnline, streamOrder, DEFAULT_ONLINE_OPTIONS } from "../src/eval/online.js";

const ex = (text: string, label: "spam" | "ham", date?: string): Example => ({ text, label, source: "s.csv", ...(date ? { date } : {}) });

describe("prequential evaluation", () => {
  it("streams in time order when every row has a date, else in file order", () => {
    const dated = [ex("b", "ham", "2015-01-02T00:00:00"), ex("a", "ham", "2015-01-01T00:00:00")];
    expect(streamOrder(dated)).toEqual({ ordered: [dated[1], dated[0]], order: "time" });
    const partly = [ex("b", "ham", "2015-01-02T00:00:00"), ex("a", "spam")];
    expect(streamOrder(partly)).toEqual({ ordered: partly, order: "file" });
  });

  it("learns only what the moderator decides: held comments always, wrong verdicts at the report rate", () => {
    const stream: Example[] = [];
    for (let i = 0; i < 40; i++) {
      stream.push(ex(`buy cheap pills casino bonus ${i}`, "spam"));
      stream.push(ex(`lovely song, my daughter sings it ${i}`, "ham"));
    }
    const options = { ...DEFAULT_ONLINE_OPTIONS, scoreOptions: { ...DEFAULT_ONLINE_OPTIONS.scoreOptions, minPerLabel: 2 } };
    const none = runOnline(stream, { ...options, reportRate: 0 });
    for (const step of none.steps) {
      // With no reports, exactly the held comments are learned.
      expect(step.learned).toBe(step.verdict === "unsure");
    }
    const all = runOnline(stream, { ...options, policy: "all" });
    expect(all.whole.decisions).toBe(80);
    // Once learned, this easy stream is sorted without help.
    expect(all.secondHalf.held).toBe(0);
    expect(figuresOf(all.steps.slice(40)).blockedHam).toBe(0);
  });
});
