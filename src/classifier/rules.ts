/**
 * Hard signals that override the model's verdict (issue 13): a filled honeypot is spam whatever the
 * text, and a form sent faster than a person can type is at least held. Both signals also stay
 * tokens (`meta:honeypot`, `meta:tts=…`) that the model learns from like any other.
 */
import type { Clue, CommentFeatures, ScoreResult } from "./contract.js";

export type HardRule = "honeypot" | "too-fast";

export interface HardRules {
  /** A filled honeypot field makes the verdict `spam`. */
  honeypot: boolean;
  /** A time-to-submit below this many milliseconds makes the verdict at least `unsure`; null: off. */
  minSubmitMs: number | null;
}

/** On by default; 2 s: bots post at once, and no one reads a page and types a comment that fast. */
export const DEFAULT_HARD_RULES: HardRules = { honeypot: true, minSubmitMs: 2000 };

/** The reason a rule adds, first in the list: `token` names the rule, `rule` marks it as one. */
function ruleReason(rule: HardRule): Clue {
  return { token: rule, probability: 1, direction: "spam", weight: 1, rule };
}

/** The rules that fire for these features. */
export function firedRules(features: Pick<CommentFeatures, "honeypotFilled" | "timeToSubmitMs">, rules: HardRules): HardRule[] {
  const fired: HardRule[] = [];
  if (rules.honeypot && features.honeypotFilled === true) fired.push("honeypot");
  const tts = features.timeToSubmitMs;
  if (rules.minSubmitMs !== null && tts !== undefined && Number.isFinite(tts) && tts < rules.minSubmitMs) fired.push("too-fast");
  return fired;
}

/**
 * The model's result with the hard rules applied: `honeypot` → `spam`, `too-fast` → `unsure` unless
 * already `spam`. The probability stays the model's own (it is what calibration and cutoffs read);
 * each fired rule is listed first among the reasons and in `rules`.
 */
export function applyHardRules(result: ScoreResult, features: Pick<CommentFeatures, "honeypotFilled" | "timeToSubmitMs">, rules: HardRules): ScoreResult {
  const fired = firedRules(features, rules);
  if (fired.length === 0) return result;
  let verdict = result.verdict;
  if (fired.includes("honeypot")) verdict = "spam";
  else if (verdict === "ham") verdict = "unsure";
  return { ...result, verdict, reasons: [...fired.map(ruleReason), ...result.reasons], rules: fired };
}
