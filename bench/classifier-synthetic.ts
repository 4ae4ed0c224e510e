import { seededRandom } from "../src/eval/folds.js";
import type { Label } from "../src/classifier/index.js";

export interface SyntheticDoc {
  text: string;
  label: Label;
}

/**
 * A seeded corpus of comment-like texts: words drawn from a Zipf-distributed shared vocabulary,
 * with each label favouring its own slice of it, spam longer than ham and sometimes carrying a
 * link, as in the YouTube set. Only ASCII letters, because natural's tokenizer drops the rest.
 */
export function syntheticCorpus(count: number, seed: number, vocabularySize = 30_000): SyntheticDoc[] {
  const random = seededRandom(seed);
  const letters = "abcdefghijklmnopqrstuvwxyz";
  const vocabulary: string[] = [];
  for (let i = 0; i < vocabularySize; i++) {
    const length = 3 + Math.floor(random() * 7);
    let word = "";
    for (let j = 0; j < length; j++) word += letters[Math.floor(random() * 26)] ?? "a";
    vocabulary.push(word);
  }
  // Zipf(1) via the inverse of the harmonic CDF, approximated by exp(u·ln n).
  const zipf = () => Math.min(vocabularySize - 1, Math.floor(Math.exp(random() * Math.log(vocabularySize))) - 1);
  const docs: SyntheticDoc[] = [];
  for (let i = 0; i < count; i++) {
    const label: Label = random() < 0.5 ? "spam" : "ham";
    const length = label === "spam" ? 8 + Math.floor(random() * 30) : 3 + Math.floor(random() * 15);
    const words: string[] = [];
    for (let j = 0; j < length; j++) {
      let index = zipf();
      // A third of the words come from the label's own half of the vocabulary.
      if (random() < 0.33) index = label === "spam" ? index - (index % 2) : index | 1;
      words.push(vocabulary[Math.min(index, vocabularySize - 1)] ?? "word");
    }
    if (label === "spam" && random() < 0.3) words.push(`http://www.${vocabulary[zipf()] ?? "x"}.com/${vocabulary[zipf()] ?? "y"}`);
    docs.push({ text: words.join(" "), label });
  }
  return docs;
}
