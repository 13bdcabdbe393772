/**
 * TF-IDF over hashed features: sublinear term frequency, smoothed IDF, and L2 normalisation per block (word
 * n-grams and character n-grams are normalised apart, then weighted by a fixed share, so the many character
 * n-grams do not drown the few words). Only features seen in at least `minDf` training documents get a column.
 */
import { decodeFloat32, decodeUint32, encodeArray } from './model-cache';
import { type FeatureOptions, hashedFeatures } from './text';

export interface TfidfOptions {
  features: FeatureOptions;
  /** A feature needs this many training documents to get a column. */
  minDf: number;
  /** Keep at most this many columns, the most frequent first (undefined: no cap). */
  maxFeatures?: number;
  /** 1 + ln(tf) instead of tf: a word said five times is not five times the evidence. */
  sublinearTf: boolean;
  /** Share of the squared norm given to the character block (default ½: both blocks weigh the same). */
  charShare?: number;
}

export interface TfidfModel {
  readonly options: TfidfOptions;
  /** The FNV-1a id of each column's feature. */
  readonly terms: Uint32Array;
  readonly idf: Float32Array;
  readonly columnOf: ReadonlyMap<number, number>;
}

/** A sparse row: column indices (ascending) and their weights. */
export interface SparseRow {
  indices: Int32Array;
  values: Float32Array;
}

/**
 * Learns the columns and IDF from `texts`. `background` texts only count towards document frequencies: with a
 * few class descriptions as `texts`, a background of ordinary tickets teaches that "cannot" or "add" are
 * common and say little about any class. The background's counts are computed once per background array and
 * feature options (a tenant's few-shot model is built on its list's first ticket, on the worker's event loop).
 */
export function fitTfidf(
  texts: readonly string[],
  options: TfidfOptions,
  background: readonly string[] = [],
): TfidfModel {
  const documentFrequency = new Map<number, number>();
  for (const text of texts) {
    const { words, chars } = hashedFeatures(text, options.features);
    for (const id of words.keys()) documentFrequency.set(id, (documentFrequency.get(id) ?? 0) + 1);
    for (const id of chars.keys()) documentFrequency.set(id, (documentFrequency.get(id) ?? 0) + 1);
  }
  if (background.length > 0) {
    const counts = backgroundCounts(background, options.features);
    for (const [id, df] of documentFrequency) documentFrequency.set(id, df + (counts.get(id) ?? 0));
  }
  const documentCount = texts.length + background.length;
  let kept = [...documentFrequency.entries()].filter(([, df]) => df >= options.minDf);
  if (options.maxFeatures !== undefined && kept.length > options.maxFeatures) {
    kept = kept.sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, options.maxFeatures);
  }
  kept.sort((a, b) => a[0] - b[0]);
  const terms = Uint32Array.from(kept.map(([id]) => id));
  const idf = Float32Array.from(kept.map(([, df]) => Math.log((1 + documentCount) / (1 + df)) + 1));
  return { options, terms, idf, columnOf: columnIndex(terms) };
}

const backgroundCache = new WeakMap<readonly string[], Map<string, Map<number, number>>>();

/** In how many background texts each feature occurs (a word and a character block each count). */
function backgroundCounts(background: readonly string[], features: FeatureOptions): Map<number, number> {
  const key = JSON.stringify(features);
  const byOptions = backgroundCache.get(background) ?? new Map<string, Map<number, number>>();
  backgroundCache.set(background, byOptions);
  const known = byOptions.get(key);
  if (known) return known;
  const counts = new Map<number, number>();
  for (const text of background) {
    const { words, chars } = hashedFeatures(text, features);
    for (const id of words.keys()) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const id of chars.keys()) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  byOptions.set(key, counts);
  return counts;
}

function columnIndex(terms: Uint32Array): Map<number, number> {
  return new Map(Array.from(terms, (id, column) => [id, column]));
}

/**
 * The TF-IDF row of a text. With `withNames`, also the readable name (word, bigram, or the word a character
 * n-gram came from) of each column present, for explanations.
 */
export function vectorize(
  model: TfidfModel,
  text: string,
  withNames = false,
): { row: SparseRow; names?: Map<number, string> } {
  const { words, chars, names } = hashedFeatures(text, model.options.features, withNames);
  const charShare = model.options.features.charNgramMax > 0 ? (model.options.charShare ?? 0.5) : 0;
  const wordShare = model.options.features.wordNgramMax > 0 ? 1 - charShare : 0;
  // Each block keeps its fixed share even when the other is empty: a text whose words are all unknown
  // should not look like a perfect match on character fragments alone.
  const entries = [
    ...weighBlock(model, words).map(([column, value]) => [column, value * Math.sqrt(wordShare)] as const),
    ...weighBlock(model, chars).map(([column, value]) => [column, value * Math.sqrt(charShare)] as const),
  ];
  entries.sort((a, b) => a[0] - b[0]);
  const row: SparseRow = {
    indices: Int32Array.from(entries, ([column]) => column),
    values: Float32Array.from(entries, ([, value]) => value),
  };
  if (!names) return { row };
  const columnNames = new Map<number, string>();
  for (const [id, name] of names) {
    const column = model.columnOf.get(id);
    if (column !== undefined) columnNames.set(column, name);
  }
  return { row, names: columnNames };
}

function weighBlock(model: TfidfModel, counts: Map<number, number>): Array<[number, number]> {
  const weighted: Array<[number, number]> = [];
  let sumOfSquares = 0;
  for (const [id, count] of counts) {
    const column = model.columnOf.get(id);
    if (column === undefined) continue;
    const tf = model.options.sublinearTf ? 1 + Math.log(count) : count;
    const value = tf * model.idf[column]!;
    weighted.push([column, value]);
    sumOfSquares += value * value;
  }
  const norm = Math.sqrt(sumOfSquares);
  return norm > 0 ? weighted.map(([column, value]) => [column, value / norm]) : [];
}

/** Dot product of two sparse rows with ascending indices. */
export function sparseDot(a: SparseRow, b: SparseRow): number {
  let sum = 0;
  let i = 0;
  let j = 0;
  while (i < a.indices.length && j < b.indices.length) {
    const ai = a.indices[i]!;
    const bj = b.indices[j]!;
    if (ai === bj) sum += a.values[i++]! * b.values[j++]!;
    else if (ai < bj) i++;
    else j++;
  }
  return sum;
}

export interface TfidfJson {
  options: TfidfOptions;
  terms: string;
  idf: string;
}

export function tfidfToJSON(model: TfidfModel): TfidfJson {
  return { options: model.options, terms: encodeArray(model.terms), idf: encodeArray(model.idf) };
}

export function tfidfFromJSON(json: TfidfJson): TfidfModel {
  const terms = decodeUint32(json.terms);
  return { options: json.options, terms, idf: decodeFloat32(json.idf), columnOf: columnIndex(terms) };
}
