/** Seeded randomness: every shuffle and random projection in the models is reproducible from its seed. */

/** Mulberry32: a small, fast 32-bit generator; uniform numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A shuffled copy (Fisher–Yates). */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** Standard normal numbers (Box–Muller), for Gaussian random projections. */
export function gaussian(random: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    const u = 1 - random();
    const v = random();
    const radius = Math.sqrt(-2 * Math.log(u));
    spare = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  };
}

/**
 * Splits items into train and test so each label keeps its share (at least one test item per label that
 * has two or more). The order inside each part follows a seeded shuffle, so a split is reproducible.
 */
export function stratifiedSplit<T>(
  items: readonly T[],
  labelOf: (item: T) => string,
  testFraction: number,
  seed: number,
): { train: T[]; test: T[] } {
  const byLabel = new Map<string, T[]>();
  for (const item of items) {
    const label = labelOf(item);
    const group = byLabel.get(label) ?? [];
    group.push(item);
    byLabel.set(label, group);
  }
  const random = seededRandom(seed);
  const train: T[] = [];
  const test: T[] = [];
  for (const label of [...byLabel.keys()].sort()) {
    const group = shuffled(byLabel.get(label)!, random);
    const testCount = group.length < 2 ? 0 : Math.max(1, Math.round(group.length * testFraction));
    test.push(...group.slice(0, testCount));
    train.push(...group.slice(testCount));
  }
  return { train: shuffled(train, random), test: shuffled(test, random) };
}
