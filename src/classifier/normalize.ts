/**
 * The normalization stage: runs on the cleaned text (HTML stripped, entities decoded) before URLs
 * are read and words are split. Today it is NFKC plus lower-casing; folding look-alike letters,
 * dropping invisible characters and undoing digit swaps (issue 5) belong here too, and may report
 * what they found as extra signal tokens.
 */
export interface NormalizedText {
  text: string;
  /** Signal tokens the normalization itself produced (e.g. "hidden characters were present"). */
  signals: string[];
}

export function normalizeText(text: string): NormalizedText {
  return { text: text.normalize("NFKC").toLowerCase(), signals: [] };
}
