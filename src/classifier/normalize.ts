import { deobfuscate, type DeobfuscateOptions } from "./deobfuscate/index.js";

/**
 * The normalization stage: runs on the cleaned text (HTML stripped, entities decoded) before URLs
 * are read and words are split: NFKC, then the disguises of issue 5 undone (invisible characters,
 * look-alike letters in mixed-script words, digit swaps and spaced letters into known words; see
 * ./deobfuscate/), then lower-casing. What was undone comes back as signal tokens.
 */
export interface NormalizedText {
  text: string;
  /** The same text before lower-casing (capitals and scripts are signals of their own). */
  cased: string;
  /** Signal tokens the normalization itself produced (e.g. "hidden characters were present"). */
  signals: string[];
}

export function normalizeText(text: string, options: DeobfuscateOptions = {}): NormalizedText {
  const clear = deobfuscate(text, options);
  return { text: clear.text.toLowerCase(), cased: clear.text, signals: clear.signals };
}
