/** Seeded shuffling and stratified folds, so that a run can be repeated exactly. */

/** mulberry32: a tiny, well-mixed 32-bit PRNG (https://gist.github.com/tommyettinger/46a874533244883189143505d203312c). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}

/**
 * Splits into `k` folds, stratified by `key` (each label spread evenly), after a seeded shuffle.
 * Returns the fold index of each item.
 */
export function stratifiedFolds<T>(items: readonly T[], k: number, seed: number, key: (item: T) => string): number[] {
  const random = seededRandom(seed);
  const byKey = new Map<string, number[]>();
  items.forEach((item, index) => {
    const list = byKey.get(key(item)) ?? [];
    list.push(index);
    byKey.set(key(item), list);
  });
  const fold = new Array<number>(items.length).fill(0);
  let offset = 0;
  for (const name of [...byKey.keys()].sort()) {
    const indices = shuffle(byKey.get(name) ?? [], random);
    indices.forEach((index, position) => {
      fold[index] = (position + offset) % k;
    });
    offset += indices.length;
  }
  return fold;
}
