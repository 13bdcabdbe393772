/**
 * Offline embeddings for retrieval.
 *
 * Dense: latent semantic analysis. A TF-IDF matrix of a support-domain corpus (stemmed words, function words
 * dropped) is factorised by a randomized truncated SVD; a text's embedding is its TF-IDF row projected onto the
 * top singular directions and L2-normalised, so "refund" and "money back" land near each other when the corpus
 * uses them alike. Deterministic (seeded sketch) and cached on disk like the classifier.
 *
 * Sparse: hashed word ids with BM25-saturated term frequencies for documents and raw counts for queries; the
 * IDF is left to the store (Qdrant `modifier: idf`) or to the eval's `HybridIndex` (evaluation.ts).
 */
import type { Embedder, SparseEncoder, SparseVector } from '../connectors/ai/ports';
import { findDataDir, loadBanking77, loadBitext } from './datasets';
import { type SparseMatrix, randomizedSvd } from './linalg';
import { decodeFloat32, encodeArray, loadOrBuild, sha256 } from './model-cache';
import {
  type TfidfJson,
  type TfidfModel,
  type TfidfOptions,
  fitTfidf,
  tfidfFromJSON,
  tfidfToJSON,
  vectorize,
} from './tfidf';
import { DEFAULT_FEATURE_OPTIONS, ENGLISH_STOPWORDS, fnv1a32, lightStem, tokenize } from './text';

export interface LsaOptions {
  dimensions: number;
  /** Extra random directions in the sketch; they make the top ones more accurate. */
  oversampling: number;
  powerIterations: number;
  seed: number;
  tfidf: TfidfOptions;
}

/**
 * 128 dimensions: on the eval's Bitext FAQ test they beat 256 (dense recall@1 0.77 vs 0.69) — the corpus has
 * only about 2,000 stems, and more dimensions keep more of its noise.
 */
export const DEFAULT_LSA_OPTIONS: LsaOptions = {
  dimensions: 128,
  oversampling: 16,
  powerIterations: 2,
  seed: 7,
  tfidf: {
    features: {
      ...DEFAULT_FEATURE_OPTIONS,
      wordNgramMax: 1,
      charNgramMax: 0,
      dropStopwords: true,
      stem: true,
    },
    minDf: 2,
    maxFeatures: 30000,
    sublinearTf: true,
  },
};

export interface LsaModel {
  readonly tfidf: TfidfModel;
  /** terms × dimensions, row-major: each term's coordinates on the singular directions. */
  readonly projection: Float32Array;
  readonly dimensions: number;
  readonly singularValues: Float32Array;
}

export function trainLsa(corpus: readonly string[], options: Partial<LsaOptions> = {}): LsaModel {
  const settings = { ...DEFAULT_LSA_OPTIONS, ...options };
  const tfidf = fitTfidf(corpus, settings.tfidf);
  const matrix: SparseMatrix = {
    rows: corpus.map((text) => vectorize(tfidf, text).row),
    cols: tfidf.terms.length,
  };
  const svd = randomizedSvd(matrix, settings.dimensions, settings);
  const dimensions = svd.singularValues.length;
  return {
    tfidf,
    projection: Float32Array.from(svd.v.data),
    dimensions,
    singularValues: Float32Array.from(svd.singularValues),
  };
}

/** The L2-normalised LSA embedding of a text (all zeros when it shares no word with the corpus). */
export function lsaEmbed(model: LsaModel, text: string): number[] {
  const { row } = vectorize(model.tfidf, text);
  const k = model.dimensions;
  const out = new Float64Array(k);
  for (let i = 0; i < row.indices.length; i++) {
    const base = row.indices[i]! * k;
    const value = row.values[i]!;
    for (let j = 0; j < k; j++) out[j]! += value * model.projection[base + j]!;
  }
  return normalise(out);
}

function normalise(vector: Float64Array): number[] {
  let norm = 0;
  for (const value of vector) norm += value * value;
  norm = Math.sqrt(norm);
  return Array.from(vector, (value) => (norm > 0 ? value / norm : 0));
}

export interface LsaJson {
  kind: 'lsa';
  version: 1;
  tfidf: TfidfJson;
  projection: string;
  dimensions: number;
  singularValues: string;
}

export function lsaToJSON(model: LsaModel): LsaJson {
  return {
    kind: 'lsa',
    version: 1,
    tfidf: tfidfToJSON(model.tfidf),
    projection: encodeArray(model.projection),
    dimensions: model.dimensions,
    singularValues: encodeArray(model.singularValues),
  };
}

export function lsaFromJSON(json: LsaJson): LsaModel {
  if (json.kind !== 'lsa' || json.version !== 1) throw new Error('not an LSA v1 model');
  return {
    tfidf: tfidfFromJSON(json.tfidf),
    projection: decodeFloat32(json.projection),
    dimensions: json.dimensions,
    singularValues: decodeFloat32(json.singularValues),
  };
}

/** An `Embedder` over an LSA model; `embedSync` for callers that need no promise (the eval, tests). */
export interface LsaEmbedder extends Embedder {
  readonly lsa: LsaModel;
  embedSync(texts: readonly string[]): number[][];
}

export function createLsaEmbedder(lsa: LsaModel): LsaEmbedder {
  const embedSync = (texts: readonly string[]) => texts.map((text) => lsaEmbed(lsa, text));
  return {
    model: `offline-lsa-${lsa.dimensions}-v1`,
    dimensions: lsa.dimensions,
    lsa,
    embedSync,
    embed: async (texts) => embedSync(texts),
  };
}

/**
 * The shipped support-domain corpus: each Bitext request together with its reference answer (so words of
 * questions and of answers co-occur), and BANKING77's customer queries.
 */
export function defaultEmbeddingCorpus(dataDir = findDataDir()): string[] {
  return [
    ...loadBitext(dataDir).map((row) => `${row.instruction}\n${row.response}`),
    ...loadBanking77(dataDir).map((example) => example.text),
  ];
}

/**
 * The LSA embedder trained on `corpus` (default: the shipped corpus), loaded from `cacheDir` when a model of
 * the same corpus and options is there, otherwise trained (a few seconds) and stored.
 */
export function loadLsaEmbedder(
  options: { cacheDir?: string; corpus?: readonly string[]; lsa?: Partial<LsaOptions> } = {},
): { embedder: LsaEmbedder; fromCache: boolean } {
  const corpus = options.corpus ?? defaultEmbeddingCorpus();
  const settings = { ...DEFAULT_LSA_OPTIONS, ...options.lsa };
  const key = sha256('lsa-v1', JSON.stringify(settings), ...corpus);
  const { model, fromCache } = loadOrBuild(
    { dir: options.cacheDir, name: 'lsa', key },
    () => trainLsa(corpus, settings),
    { toJSON: lsaToJSON, fromJSON: (json) => lsaFromJSON(json as LsaJson) },
  );
  return { embedder: createLsaEmbedder(model), fromCache };
}

// ---------------------------------------------------------------------------------------------------------
// Sparse (lexical) vectors.

export interface Bm25Options {
  k1: number;
  b: number;
  /** The document length (in counted terms) BM25 normalises against; fixed so documents encode independently. */
  averageDocumentLength: number;
}

export const DEFAULT_BM25_OPTIONS: Bm25Options = { k1: 1.2, b: 0.75, averageDocumentLength: 60 };

/** Stemmed content words of a text: what the lexical index counts. */
export function lexicalTerms(text: string): string[] {
  return tokenize(text)
    .filter((token) => !ENGLISH_STOPWORDS.has(token))
    .map(lightStem);
}

export function createSparseEncoder(options: Partial<Bm25Options> = {}): SparseEncoder {
  const { k1, b, averageDocumentLength } = { ...DEFAULT_BM25_OPTIONS, ...options };
  return {
    encode(text: string, kind: 'document' | 'query'): SparseVector {
      const terms = lexicalTerms(text);
      const counts = new Map<number, number>();
      for (const term of terms) {
        const id = fnv1a32(term);
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      const lengthNorm = 1 - b + (b * terms.length) / averageDocumentLength;
      const entries = [...counts.entries()].sort((x, y) => x[0] - y[0]);
      return {
        indices: entries.map(([id]) => id),
        values: entries.map(([, tf]) => (kind === 'query' ? tf : (tf * (k1 + 1)) / (tf + k1 * lengthNorm))),
      };
    },
  };
}
