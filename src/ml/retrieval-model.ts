/**
 * A retrieval model fitted to one tenant's knowledge base, at ingestion time, from nothing but its documents.
 *
 * - Dense part: an LSA model fitted on the tenant's chunks, with the shipped support corpus as a capped prior
 *   whose rows weigh at most as much, in all, as the tenant's (so the prior teaches word associations but
 *   never decides the directions on its own).
 * - Fusion: score = w × cosine + (1 − w) × lexical coverage, where lexical coverage is the chunk's BM25 score
 *   divided by the highest BM25 score the query could reach (Σ query term weight × IDF × (k1 + 1)), so both
 *   parts lie in [0, 1] whatever the knowledge base. The dense weight w is chosen by evidence: self-supervised
 *   pseudo-queries (a sentence taken out of a chunk, words dropped, searched against the knowledge base
 *   without that sentence) are run at every w of a grid, and w > 0 is kept only if it beats BM25 alone (w = 0)
 *   on them by a margin and by more than their noise (`chooseDenseWeight`). Where the dense model does not
 *   help, retrieval is exactly BM25.
 * - Relevance: Platt scaling (a logistic fit) of the fused score, and of how far the hit stands out from the
 *   others, on the same pseudo-queries, so a hit's score is the
 *   probability that it is the passage the query came from — a number that means the same on every tenant's
 *   knowledge base (escalation's "weak match" and the drafter's "nothing relevant" read it).
 *
 * The same arithmetic runs in the vector stores (`weightedFusion` in stores/vector/scoring.ts) with the
 * weights `fusionWeights` returns, so the in-memory evaluation here ranks as a ticket's retrieval does.
 */
import {
  DEFAULT_BM25_OPTIONS,
  DEFAULT_LSA_OPTIONS,
  type LsaJson,
  type LsaModel,
  createSparseEncoder,
  lsaEmbed,
  lsaFromJSON,
  lsaToJSON,
} from './embedding';
import type { SparseVector } from '../connectors/ai/ports';
import { randomizedSvd } from './linalg';
import { decodeUint32, encodeArray } from './model-cache';
import { seededRandom, shuffled } from './random';
import { bm25Idf, dot } from './ranking';
import { fitTfidf, vectorize } from './tfidf';
import { ENGLISH_STOPWORDS, tokenize } from './text';

export interface RetrievalDocument {
  id: string;
  /** What is indexed (for a chunk: its text, which starts with its heading line). */
  text: string;
}

export interface FitOptions {
  /** Texts of another corpus that teach word associations (the shipped support corpus); capped and down-weighted. */
  prior: readonly string[];
  /** Dense vectors are padded to this length (the vector store's), whatever rank the knowledge base allows. */
  dimensions: number;
  /** At most this many pseudo-queries. */
  pseudoQueries: number;
  /** Dense weights tried; 0 (BM25 alone) is always among them. */
  weightGrid: readonly number[];
  /** A dense weight above 0 must beat BM25 alone by this much MRR on the pseudo-queries. */
  margin: number;
  /** At most this many prior texts join the fit. */
  maxPrior: number;
  seed: number;
}

export const DEFAULT_FIT_OPTIONS: FitOptions = {
  prior: [],
  dimensions: DEFAULT_LSA_OPTIONS.dimensions,
  pseudoQueries: 400,
  weightGrid: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
  margin: 0.01,
  maxPrior: 3000,
  seed: 11,
};

/** Up to this many chunks the final model is refitted on the full texts (cheap there). */
const REFIT_BELOW = 2000;

/** Candidates per signal before fusion, as the stores take them (`candidatePoolSize` of a limit of 10). */
const POOL = 40;

export interface WeightEvidence {
  weight: number;
  mrr: number;
  recallAt1: number;
}

export interface TenantRetrievalModel {
  /** The dense part: the tenant's LSA model, fitted here (absent when an embeddings API is the dense model). */
  lsa?: LsaModel;
  /**
   * The embeddings API model whose vectors are the dense part (`Embedder.model`), when there is one: the fit
   * then chose the fusion weight and the calibration for those vectors, and the chunks keep the API's vectors.
   */
  denseModel?: string;
  /** Length of the dense vectors (padded with zeros beyond the LSA rank). */
  dimensions: number;
  denseWeight: number;
  /**
   * Logistic weights over the relevance features (bias first): P(relevant) = σ(w · [1, features]). `features`
   * names the feature set: 'relative' (`relevanceFeatures`), 'score' (the fused score alone: Platt scaling, for
   * a knowledge base too small for more); absent in models fitted before these existed, which keep the
   * absolute features they were fitted with (`absoluteRelevanceFeatures`).
   */
  calibration: { weights: number[]; features?: 'relative' | 'score' };
  /** Document frequencies of lexical term ids over the chunks it was fitted on, for the query normalisation. */
  lexical: { documents: number; terms: Uint32Array; df: Uint32Array; dfOf: ReadonlyMap<number, number> };
  fit: {
    chunks: number;
    priorTexts: number;
    pseudoQueries: number;
    evidence: WeightEvidence[];
    ms: number;
    /**
     * When its chunks were read (the database's clock, ISO): chunks written later were embedded with an older
     * model and are folded into this one. Set by the ingestion's fit; absent in models from before.
     */
    chunksReadAt?: string;
  };
}

// ---------------------------------------------------------------------------------------------------------
// Use.

/** The dense vector of a text under the tenant's model: its LSA embedding, padded. */
export function embedText(model: TenantRetrievalModel, text: string): number[] {
  if (!model.lsa) throw new Error(`the dense part of this model is ${model.denseModel}'s, not a tenant LSA`);
  const vector = lsaEmbed(model.lsa, text);
  while (vector.length < model.dimensions) vector.push(0);
  return vector;
}

/** The highest BM25 score a query can reach on this knowledge base: every term matched at saturation. */
export function maxLexicalScore(model: TenantRetrievalModel, query: SparseVector): number {
  const { k1 } = DEFAULT_BM25_OPTIONS;
  let max = 0;
  query.indices.forEach((term, i) => {
    max += query.values[i]! * bm25Idf(model.lexical.documents, model.lexical.dfOf.get(term) ?? 0) * (k1 + 1);
  });
  return max;
}

/** The weights the stores fuse with for this query (`weightedFusion`). */
export function fusionWeights(
  model: TenantRetrievalModel,
  query: SparseVector,
): { dense: number; lexical: number } {
  const max = maxLexicalScore(model, query);
  const w = model.denseWeight;
  // A query without a known term has no lexical side: dense alone decides (its score is still calibrated).
  return max > 0 ? { dense: w, lexical: (1 - w) / max } : { dense: w, lexical: 0 };
}

/**
 * What the calibration looks at for the hit at `index` of a result list (fused scores, best first, the first
 * one > 0): its score relative to the best, its lead over the next hit relative to its own score, whether it
 * is the top hit, and the best score itself. The first three do not change when a query's scores all shrink
 * by a factor — as they do when a ticket carries words no chunk has (names, numbers, greetings, typos), which
 * lower the lexical coverage without making the ranking less right — so they carry over from pseudo-queries
 * to people's queries; the best score is the absolute evidence (a query that matches nothing well stays
 * unlikely to be answered). A hit that stands out from the rest is more likely the answer than one among many
 * alike.
 */
export function relevanceFeatures(scores: readonly number[], index: number): number[] {
  const score = scores[index]!;
  const best = scores[0]!;
  const next = Math.max(0, scores[index + 1] ?? 0);
  return [score / best, (score - next) / score, index === 0 ? 1 : 0, best];
}

/** The features of models fitted before `relevanceFeatures`: score, lead over the next, distance to the best. */
export function absoluteRelevanceFeatures(scores: readonly number[], index: number): number[] {
  const score = scores[index]!;
  return [score, score - (scores[index + 1] ?? 0), scores[0]! - score];
}

/**
 * The calibrated probability that each hit answers the query, from the fused scores of a result list (best
 * first; pass one hit more than is shown, so the last shown hit's lead is known).
 */
export function relevance(model: TenantRetrievalModel, scores: readonly number[]): number[] {
  const features =
    model.calibration.features === 'relative'
      ? relevanceFeatures
      : model.calibration.features === 'score'
        ? (list: readonly number[], i: number) => [list[i]!]
        : absoluteRelevanceFeatures;
  return scores.map((score, i) => {
    // No shared term and no similarity at all: no evidence that it answers anything.
    if (score <= 0) return 0;
    const x = [1, ...features(scores, i)];
    return sigmoid(x.reduce((sum, value, j) => sum + value * model.calibration.weights[j]!, 0));
  });
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

// ---------------------------------------------------------------------------------------------------------
// Fit.

/** Sentences of a text (line breaks and sentence ends), without empty ones. */
export function sentences(text: string): string[] {
  return text
    .split(/\n+|(?<=[.!?])\s+(?=[A-Z0-9"'(])/)
    .map((s) => s.trim())
    .filter((s) => contentWords(s).length >= 2);
}

function contentWords(text: string): string[] {
  return tokenize(text).filter((token) => !ENGLISH_STOPWORDS.has(token));
}

export interface PseudoQuery {
  query: string;
  /** The chunk it came from (the one relevant answer). */
  source: number;
  /** The sentence of the source it was made from (taken out of the source when the query is searched). */
  sentence: string;
}

/**
 * Pseudo-queries: for a seeded sample of chunks with at least two sentences, a sentence is taken out (the
 * first one — often the heading line — for the first query of a chunk, others at random), shortened to at
 * most 12 words with about a quarter of its words dropped (queries are shorter and looser than prose); the
 * chunk is searched for without it. A small knowledge base gives up to three per chunk.
 */
export function makePseudoQueries(
  documents: readonly RetrievalDocument[],
  count: number,
  seed: number,
  maxPerDocument = 3,
): { queries: PseudoQuery[]; heldOutTexts: string[] } {
  const random = seededRandom(seed);
  const heldOutTexts = documents.map((doc) => doc.text);
  const queries: PseudoQuery[] = [];
  const perDocument = Math.min(maxPerDocument, Math.max(1, Math.ceil(count / Math.max(1, documents.length))));
  const order = shuffled(
    documents.map((_, i) => i),
    random,
  );
  for (const index of order) {
    if (queries.length >= count) break;
    const parts = sentences(documents[index]!.text);
    if (parts.length < 2) continue;
    const picks = [
      0,
      ...shuffled(
        parts.slice(1).map((_, i) => i + 1),
        random,
      ),
    ].slice(0, Math.min(perDocument, parts.length - 1));
    for (const pick of picks) {
      const sentence = parts[pick]!;
      const words = sentence.split(/\s+/).filter((word) => word.length > 0);
      const kept = words.filter(() => random() >= 0.1);
      const start = kept.length > 12 ? Math.floor(random() * (kept.length - 12)) : 0;
      const query = (kept.length >= 2 ? kept : words).slice(start, start + 12).join(' ');
      if (contentWords(query).length === 0) continue;
      heldOutTexts[index] = heldOutTexts[index]!.replace(sentence, ' ');
      queries.push({ query, source: index, sentence });
    }
  }
  return { queries, heldOutTexts };
}

/**
 * LSA over the tenant's texts plus a capped prior. Each prior row is scaled so that all prior rows together
 * weigh at most what the tenant's rows weigh (the SVD sees squared norms, hence the square root).
 */
export function fitTenantLsa(
  texts: readonly string[],
  prior: readonly string[],
  options: { dimensions: number; maxPrior: number; seed: number },
): LsaModel {
  const random = seededRandom(options.seed);
  // The prior grows with the knowledge base (20 texts per chunk, at least 500): enough to learn word
  // associations for a small one without paying for thousands of rows on every fit.
  const priorSample = shuffled(prior, random).slice(
    0,
    Math.min(options.maxPrior, Math.max(500, 20 * texts.length)),
  );
  const settings = { ...DEFAULT_LSA_OPTIONS, dimensions: options.dimensions, seed: options.seed };
  const tfidf = fitTfidf([...texts, ...priorSample], settings.tfidf);
  const priorScale = priorSample.length > texts.length ? Math.sqrt(texts.length / priorSample.length) : 1;
  const rows = [
    ...texts.map((text) => vectorize(tfidf, text).row),
    ...priorSample.map((text) => {
      const { row } = vectorize(tfidf, text);
      return { indices: row.indices, values: row.values.map((value) => value * priorScale) };
    }),
  ];
  const dimensions = Math.max(1, Math.min(options.dimensions, texts.length + priorSample.length - 1));
  const svd = randomizedSvd({ rows, cols: tfidf.terms.length }, dimensions, settings);
  return {
    tfidf,
    projection: Float32Array.from(svd.v.data),
    dimensions: svd.singularValues.length,
    singularValues: Float32Array.from(svd.singularValues),
  };
}

/** An in-memory index of dense and lexical vectors that ranks like the stores (`weightedFusion`). */
export class FusionIndex {
  private readonly dense: Float32Array;
  private readonly postings = new Map<number, Array<{ doc: number; weight: number }>>();
  private readonly terms: Array<ReadonlySet<number>> = [];
  readonly size: number;

  constructor(
    private readonly embed: (text: string) => number[],
    texts: readonly string[],
    private readonly dimensions: number,
  ) {
    this.size = texts.length;
    this.dense = new Float32Array(texts.length * dimensions);
    const encoder = createSparseEncoder();
    texts.forEach((text, doc) => {
      this.dense.set(embed(text).slice(0, dimensions), doc * dimensions);
      const sparse = encoder.encode(text, 'document');
      this.terms.push(new Set(sparse.indices));
      sparse.indices.forEach((term, k) => {
        const list = this.postings.get(term) ?? [];
        list.push({ doc, weight: sparse.values[k]! });
        this.postings.set(term, list);
      });
    });
  }

  /** The share of a text's IDF-weighted lexical terms that document `doc` holds: 1 for a copy of it. */
  heldShare(text: string, doc: number): number {
    let total = 0;
    let held = 0;
    for (const term of createSparseEncoder().encode(text, 'query').indices) {
      const termIdf = bm25Idf(this.size, this.postings.get(term)?.length ?? 0);
      total += termIdf;
      if (this.terms[doc]!.has(term)) held += termIdf;
    }
    return total > 0 ? held / total : 0;
  }

  /**
   * The largest share of a text's IDF-weighted lexical terms that one document other than `except` holds:
   * near 1 for a sentence that another chunk repeats.
   */
  sharedShare(text: string, except: number): number {
    const terms = createSparseEncoder().encode(text, 'query').indices;
    let total = 0;
    const held = new Map<number, number>();
    for (const term of terms) {
      const list = this.postings.get(term) ?? [];
      const termIdf = bm25Idf(this.size, list.length);
      total += termIdf;
      for (const { doc } of list) if (doc !== except) held.set(doc, (held.get(doc) ?? 0) + termIdf);
    }
    let best = 0;
    for (const mass of held.values()) best = Math.max(best, mass);
    return total > 0 ? best / total : 0;
  }

  /** Document frequency of each lexical term. */
  documentFrequencies(): Map<number, number> {
    return new Map([...this.postings].map(([term, list]) => [term, list.length]));
  }

  /**
   * Each signal's top candidates (raw cosine; raw BM25 and the query's highest possible BM25). With `replace`,
   * one document is scored as if its text were `replace.text` (the index's term statistics unchanged): a
   * pseudo-query's source without the sentence it came from, every other document whole. `denseQuery`: the
   * text the dense side embeds, when it is not `query` (a pseudo-query with words no chunk has: the dense side
   * sees the words that mean something, and an embeddings API has vectors only for the texts of the fit).
   */
  candidates(
    query: string,
    replace?: { doc: number; text: string },
    denseQuery: string = query,
  ): {
    dense: Array<{ doc: number; score: number }>;
    lexical: Array<{ doc: number; score: number }>;
    maxLexical: number;
  } {
    const d = this.dimensions;
    const q = this.embed(denseQuery).slice(0, d);
    const dense = new TopK(POOL);
    for (let doc = 0; doc < this.size; doc++) {
      if (doc !== replace?.doc) dense.offer(doc, dot(q, this.dense, doc * d));
    }
    if (replace) dense.offer(replace.doc, dot(q, this.embed(replace.text).slice(0, d), 0));
    const encoder = createSparseEncoder();
    const sparse = encoder.encode(query, 'query');
    const replaced = replace ? encoder.encode(replace.text, 'document') : undefined;
    const scores = new Map<number, number>();
    let maxLexical = 0;
    sparse.indices.forEach((term, k) => {
      const list = this.postings.get(term);
      const termIdf = bm25Idf(this.size, list?.length ?? 0);
      maxLexical += sparse.values[k]! * termIdf * (DEFAULT_BM25_OPTIONS.k1 + 1);
      for (const { doc, weight } of list ?? []) {
        if (doc !== replace?.doc)
          scores.set(doc, (scores.get(doc) ?? 0) + sparse.values[k]! * termIdf * weight);
      }
      if (replace && replaced) {
        const at = replaced.indices.indexOf(term);
        if (at >= 0)
          scores.set(
            replace.doc,
            (scores.get(replace.doc) ?? 0) + sparse.values[k]! * termIdf * replaced.values[at]!,
          );
      }
    });
    const lexical = new TopK(POOL);
    for (const [doc, score] of scores) lexical.offer(doc, score);
    return { dense: dense.sorted(), lexical: lexical.sorted(), maxLexical };
  }

  /** Documents best first with their fused score, for a dense weight w. */
  search(query: string, w: number, limit = 10): Array<{ doc: number; score: number }> {
    return fuse(this.candidates(query), w).slice(0, limit);
  }
}

/** The k best (score, then lower doc first) of a stream, without sorting all of it. */
class TopK {
  private readonly items: Array<{ doc: number; score: number }> = [];
  private worst = -1;

  constructor(private readonly k: number) {}

  private better(a: { doc: number; score: number }, b: { doc: number; score: number }): boolean {
    return a.score > b.score || (a.score === b.score && a.doc < b.doc);
  }

  offer(doc: number, score: number): void {
    const item = { doc, score };
    if (this.items.length < this.k) {
      this.items.push(item);
      if (this.items.length === this.k) this.findWorst();
      return;
    }
    if (!this.better(item, this.items[this.worst]!)) return;
    this.items[this.worst] = item;
    this.findWorst();
  }

  private findWorst(): void {
    this.worst = 0;
    for (let i = 1; i < this.items.length; i++) {
      if (this.better(this.items[this.worst]!, this.items[i]!)) this.worst = i;
    }
  }

  sorted(): Array<{ doc: number; score: number }> {
    return top(this.items, this.items.length);
  }
}

function top<T extends { doc: number; score: number }>(items: T[], n: number): T[] {
  return items.sort((a, b) => b.score - a.score || a.doc - b.doc).slice(0, n);
}

export function fuse(
  candidates: ReturnType<FusionIndex['candidates']>,
  w: number,
): Array<{ doc: number; score: number }> {
  const lexicalWeight = candidates.maxLexical > 0 ? (1 - w) / candidates.maxLexical : 0;
  const fused = new Map<number, number>();
  for (const hit of candidates.dense) fused.set(hit.doc, w * hit.score);
  for (const hit of candidates.lexical)
    fused.set(hit.doc, (fused.get(hit.doc) ?? 0) + lexicalWeight * hit.score);
  return top(
    [...fused].map(([doc, score]) => ({ doc, score })),
    fused.size,
  );
}

/**
 * Logistic regression (Platt scaling generalised to a few features, with Platt's smoothed targets so a
 * separable sample does not push the weights to infinity), by Newton's method with a small ridge.
 * Rows of `x` start with the bias 1.
 */
export function fitLogistic(x: readonly number[][], labels: readonly boolean[]): number[] {
  const d = x[0]?.length ?? 1;
  const positives = labels.filter(Boolean).length;
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return [positives > 0 ? 4 : -4, ...Array<number>(d - 1).fill(0)];
  const high = (positives + 1) / (positives + 2);
  const low = 1 / (negatives + 2);
  const w = new Array<number>(d).fill(0);
  const ridge = 1e-3;
  for (let iteration = 0; iteration < 50; iteration++) {
    const gradient = w.map((value) => ridge * value);
    const hessian = Array.from({ length: d }, (_, i) =>
      Array.from({ length: d }, (_, j) => (i === j ? ridge : 0)),
    );
    x.forEach((row, n) => {
      const p = sigmoid(row.reduce((sum, value, j) => sum + value * w[j]!, 0));
      const r = p - (labels[n] ? high : low);
      const v = Math.max(p * (1 - p), 1e-12);
      for (let i = 0; i < d; i++) {
        gradient[i]! += r * row[i]!;
        for (let j = 0; j < d; j++) hessian[i]![j]! += v * row[i]! * row[j]!;
      }
    });
    const step = solve(hessian, gradient);
    let size = 0;
    step.forEach((value, i) => {
      w[i]! -= value;
      size += Math.abs(value);
    });
    if (size < 1e-9) break;
  }
  return w;
}

/** Below this many calibration queries the calibration uses the fused score alone (more features would overfit). */
const FULL_CALIBRATION_QUERIES = 50;

/**
 * The calibration: all features (`relevanceFeatures`) with enough pseudo-queries, else Platt scaling on the
 * score alone; a fit in which more evidence makes a hit less likely relevant (a small, unlucky sample) falls
 * back to the score alone. `scores` are the fused score lists (best first, one more than the hits labelled).
 */
function calibrate(lists: readonly CalibrationList[]): TenantRetrievalModel['calibration'] {
  const rows: Array<{ features: number[]; score: number; label: boolean }> = [];
  for (const { scores, labels } of lists) {
    labels.forEach((label, i) => {
      // A hit without any evidence scores 0 whatever the calibration says.
      if (scores[i]! > 0) rows.push({ features: relevanceFeatures(scores, i), score: scores[i]!, label });
    });
  }
  const labels = rows.map((row) => row.label);
  const scoreOnly = (): TenantRetrievalModel['calibration'] => {
    // Nothing to calibrate on (chunks of one sentence each): an uncalibrated default, 0.5 at half coverage.
    if (rows.length === 0) return { weights: [-2, 4], features: 'score' };
    const [b, a] = fitLogistic(
      rows.map((row) => [1, row.score]),
      labels,
    );
    if (a! > 0) return { weights: [b!, a!], features: 'score' };
    // The score tells nothing here (chunks that repeat one another): the base rate for every hit.
    const [base] = fitLogistic(
      rows.map(() => [1]),
      labels,
    );
    return { weights: [base!, 0], features: 'score' };
  };
  if (distinctQueries(lists) < FULL_CALIBRATION_QUERIES) return scoreOnly();
  const weights = fitLogistic(
    rows.map((row) => [1, ...row.features]),
    labels,
  );
  // A higher score with the next hit unchanged, or a better best hit, must not make a hit less likely relevant.
  return weights[1]! + weights[2]! > 0 && weights[4]! >= 0 ? { weights, features: 'relative' } : scoreOnly();
}

/** Solves A x = b for a small symmetric positive definite A (Gaussian elimination with partial pivoting). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++)
      if (Math.abs(m[row]![col]!) > Math.abs(m[pivot]![col]!)) pivot = row;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    for (let row = col + 1; row < n; row++) {
      const factor = m[row]![col]! / m[col]![col]!;
      for (let k = col; k <= n; k++) m[row]![k]! -= factor * m[col]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let row = n - 1; row >= 0; row--) {
    let sum = m[row]![n]!;
    for (let k = row + 1; k < n; k++) sum -= m[row]![k]! * x[k]!;
    x[row] = sum / m[row]![row]!;
  }
  return x;
}

/**
 * Fits the tenant's retrieval model. Pseudo-queries are scored against an index of the chunks without their
 * held-out sentences, embedded by an LSA model fitted on those same reduced texts (so the dense part never
 * saw the sentence it is asked to find); the model kept is then refitted on the full texts.
 */
export function fitRetrievalModel(
  documents: readonly RetrievalDocument[],
  options: Partial<FitOptions> = {},
): TenantRetrievalModel {
  const started = performance.now();
  const settings = { ...DEFAULT_FIT_OPTIONS, ...options };
  const lsaOptions = { dimensions: settings.dimensions, maxPrior: settings.maxPrior, seed: settings.seed };
  const { heldOutTexts } = makePseudoQueries(documents, settings.pseudoQueries, settings.seed);
  const evalLsa = fitTenantLsa(heldOutTexts, settings.prior, lsaOptions);
  const chosen = chooseFusion(documents, settings, (text) => lsaEmbed(evalLsa, text), evalLsa.dimensions);

  // The model kept: refitted on the full texts, unless the knowledge base is large enough that the few
  // held-out sentences do not matter (then fitting twice would only double the cost).
  const texts = documents.map((doc) => doc.text);
  const lsa = documents.length > REFIT_BELOW ? evalLsa : fitTenantLsa(texts, settings.prior, lsaOptions);
  const parts = fittedParts(documents, settings, chosen, started);
  const priorTexts = Math.min(settings.prior.length, settings.maxPrior, Math.max(500, 20 * documents.length));
  return { lsa, ...parts, fit: { ...parts.fit, priorTexts } };
}

/**
 * Every text `fitExternalRetrievalModel` embeds for these documents and options: the chunks whole and
 * without their weight-choice sentences, the pseudo-queries, and the calibration queries' sources without
 * their sentence. The caller embeds them with the API (in batches) and passes the vectors.
 */
export function externalFitTexts(
  documents: readonly RetrievalDocument[],
  options: Partial<FitOptions> = {},
): string[] {
  const settings = { ...DEFAULT_FIT_OPTIONS, ...options };
  const { queries, heldOutTexts } = makePseudoQueries(documents, settings.pseudoQueries, settings.seed);
  const calibration = makePseudoQueries(
    documents,
    settings.pseudoQueries,
    settings.seed + 1,
    Infinity,
  ).queries;
  return [
    ...new Set([
      ...documents.map((doc) => doc.text),
      ...heldOutTexts,
      ...queries.map((q) => q.query),
      ...calibration.flatMap((q) => [q.query, documents[q.source]!.text.replace(q.sentence, ' ')]),
    ]),
  ];
}

/**
 * Fits a tenant's retrieval model whose dense part is an embeddings API's (`denseModel`): the same evidence
 * (pseudo-queries at every dense weight, weight 0 = BM25 unless dense beats it) and calibration as the LSA
 * model, on the API's vectors of `externalFitTexts` (an API model never saw the tenant's text, so nothing is
 * refitted).
 */
export function fitExternalRetrievalModel(
  documents: readonly RetrievalDocument[],
  vectors: ReadonlyMap<string, readonly number[]>,
  options: Partial<FitOptions> & { denseModel: string },
): TenantRetrievalModel {
  const started = performance.now();
  const settings = { ...DEFAULT_FIT_OPTIONS, ...options };
  const embed = (text: string): number[] => {
    const vector = vectors.get(text);
    if (!vector) throw new Error('a text of the fit was not embedded (externalFitTexts lists them)');
    return [...vector];
  };
  const chosen = chooseFusion(documents, settings, embed, settings.dimensions);
  const parts = fittedParts(documents, settings, chosen, started);
  return { denseModel: options.denseModel, ...parts, fit: { ...parts.fit, priorTexts: 0 } };
}

interface ChosenFusion {
  denseWeight: number;
  evidence: WeightEvidence[];
  pseudoQueries: number;
  calibration: TenantRetrievalModel['calibration'];
}

/** The dense weight (by the pseudo-queries' evidence) and the calibration, for a dense embedding of the texts. */
function chooseFusion(
  documents: readonly RetrievalDocument[],
  settings: FitOptions,
  embed: (text: string) => number[],
  dimensions: number,
): ChosenFusion {
  const { queries, heldOutTexts } = makePseudoQueries(documents, settings.pseudoQueries, settings.seed);
  const evalIndex = new FusionIndex(embed, heldOutTexts, dimensions);
  const candidates = queries.map((q) => evalIndex.candidates(q.query));
  const reciprocalRanks = settings.weightGrid.map((weight) =>
    candidates.map((c, i) => {
      const rank = fuse(c, weight).findIndex((hit) => hit.doc === queries[i]!.source);
      return rank >= 0 && rank < 10 ? 1 / (rank + 1) : 0;
    }),
  );
  const evidence = settings.weightGrid.map((weight, w) => {
    const n = Math.max(1, queries.length);
    const rr = reciprocalRanks[w]!;
    return {
      weight,
      mrr: rr.reduce((sum, x) => sum + x, 0) / n,
      recallAt1: rr.filter((x) => x === 1).length / n,
    };
  });
  const denseWeight = chooseDenseWeight(settings.weightGrid, reciprocalRanks, evidence, settings.margin);
  const calibration = calibrate(
    calibrationLists(documents, embed, dimensions, denseWeight, settings.pseudoQueries, settings.seed),
  );
  return { denseWeight, evidence, pseudoQueries: queries.length, calibration };
}

function fittedParts(
  documents: readonly RetrievalDocument[],
  settings: FitOptions,
  chosen: ChosenFusion,
  started: number,
): Omit<TenantRetrievalModel, 'lsa' | 'denseModel'> {
  const texts = documents.map((doc) => doc.text);
  return {
    dimensions: settings.dimensions,
    denseWeight: chosen.denseWeight,
    calibration: chosen.calibration,
    lexical: lexicalStats(texts.length, countDocumentFrequencies(texts)),
    fit: {
      chunks: documents.length,
      priorTexts: 0,
      pseudoQueries: chosen.pseudoQueries,
      evidence: chosen.evidence.map((e) => ({
        weight: e.weight,
        mrr: round(e.mrr),
        recallAt1: round(e.recallAt1),
      })),
      ms: Math.round(performance.now() - started),
    },
  };
}

/**
 * A pseudo-query whose sentence is mostly found in another chunk as well (boilerplate: "if you need further
 * help, contact our support team", a footer, a step every how-to shares) does not tell its chunk apart, and
 * people do not ask it: such sentences are left out of the calibration when another chunk holds at least this
 * share of their IDF-weighted terms.
 */
const SHARED_SENTENCE = 0.5;

/** A chunk holding at least this share of the source chunk's IDF-weighted terms is a copy of it: a right answer. */
const DUPLICATE_CHUNK = 0.8;

/**
 * The calibration's labelled result lists: the top five fused hits (and the score of the sixth) of pseudo-
 * queries made from any sentence of the chunks (a seed of their own), each searched against the whole
 * knowledge base with only its own sentence taken out of its source — as a person's question meets a chunk
 * that is whole — by the dense model that never saw the weight-choice sentences, at the chosen dense weight.
 * Boilerplate sentences are left out (`SHARED_SENTENCE`).
 */
function calibrationLists(
  documents: readonly RetrievalDocument[],
  embed: (text: string) => number[],
  dimensions: number,
  denseWeight: number,
  count: number,
  seed: number,
): CalibrationList[] {
  const texts = documents.map((doc) => doc.text);
  const index = new FusionIndex(embed, texts, dimensions);
  const { queries } = makePseudoQueries(documents, count, seed + 1, Infinity);
  const lists: CalibrationList[] = [];
  const shared: CalibrationList[] = [];
  const random = seededRandom(seed + 2);
  for (const [n, q] of queries.entries()) {
    const into = index.sharedShare(q.sentence, q.source) >= SHARED_SENTENCE ? shared : lists;
    for (const query of [q.query, withUnknownWords(q.query, random)]) {
      const hits = fuse(
        index.candidates(query, { doc: q.source, text: texts[q.source]!.replace(q.sentence, ' ') }, q.query),
        denseWeight,
      ).slice(0, 6);
      if (hits.length === 0) continue;
      into.push({
        query: n,
        scores: hits.map((hit) => hit.score),
        // A chunk that repeats the source answers what the source answers (knowledge bases repeat themselves).
        labels: hits
          .slice(0, 5)
          .map(
            (hit) => hit.doc === q.source || index.heldShare(texts[q.source]!, hit.doc) >= DUPLICATE_CHUNK,
          ),
      });
    }
  }
  // Chunks that all repeat one another (too few distinctive sentences): every sentence, as the best there is.
  return distinctQueries(lists) >= FULL_CALIBRATION_QUERIES ? lists : [...lists, ...shared];
}

/** One labelled result list of the calibration; `query` numbers the pseudo-query (its variants share it). */
interface CalibrationList {
  query: number;
  scores: number[];
  labels: boolean[];
}

/** Pseudo-queries behind the lists (a query and its variant with unknown words count once). */
function distinctQueries(lists: readonly CalibrationList[]): number {
  return new Set(lists.map((list) => list.query)).size;
}

/**
 * The pseudo-query again with up to as many words no chunk has (uniformly 0 to its own length), as people's
 * tickets carry names, numbers, greetings and typos: they lower the lexical coverage, and so the best score,
 * without changing the ranking. Calibrated on pseudo-queries alone, a modest best score meant a wrong answer
 * more often than it does for people's questions (on the out-of-domain Bitext FAQ, top hits scored 0.1–0.5
 * were right 43–56% of the time).
 */
function withUnknownWords(query: string, random: () => number): string {
  const count = Math.round(query.split(/\s+/).length * random());
  const unknown = Array.from({ length: count }, () => `zq${Math.floor(random() * 2 ** 40).toString(36)}`);
  return [query, ...unknown].join(' ');
}

/**
 * The dense weight the evidence supports. A weight is eligible when, query by query, it beats BM25 alone
 * (weight 0) by more than `margin` MRR and by more than two standard errors of the paired difference, without
 * losing recall@1; of the eligible ones, the smallest whose MRR is within one standard error of the best (the
 * one-standard-error rule: pseudo-queries are not real queries, so the weight that only fits them best is
 * not trusted over a more modest one that does about as well). None eligible: 0, exactly BM25.
 */
export function chooseDenseWeight(
  grid: readonly number[],
  reciprocalRanks: readonly (readonly number[])[],
  evidence: readonly WeightEvidence[],
  margin: number,
): number {
  const base = grid.indexOf(0);
  if (base < 0) return 0;
  const pairedStandardError = (a: readonly number[], b: readonly number[]) => {
    const n = a.length;
    if (n < 2) return Infinity;
    const d = a.map((x, i) => x - b[i]!);
    const mean = d.reduce((sum, x) => sum + x, 0) / n;
    const variance = d.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (n - 1);
    return Math.sqrt(variance / n);
  };
  const bm25 = evidence[base]!;
  const eligible = grid
    .map((weight, w) => ({ weight, w, e: evidence[w]! }))
    .filter(({ w, e }) => {
      if (w === base || e.recallAt1 < bm25.recallAt1) return false;
      const gain = e.mrr - bm25.mrr;
      return gain > margin && gain > 2 * pairedStandardError(reciprocalRanks[w]!, reciprocalRanks[base]!);
    });
  if (eligible.length === 0) return 0;
  const best = eligible.reduce((x, y) => (y.e.mrr > x.e.mrr ? y : x));
  const modest = eligible
    .filter(
      ({ w, e }) => best.e.mrr - e.mrr <= pairedStandardError(reciprocalRanks[best.w]!, reciprocalRanks[w]!),
    )
    .sort((x, y) => x.weight - y.weight)[0];
  return (modest ?? best).weight;
}

function countDocumentFrequencies(texts: readonly string[]): Map<number, number> {
  const encoder = createSparseEncoder();
  const df = new Map<number, number>();
  for (const text of texts) {
    for (const term of encoder.encode(text, 'document').indices) df.set(term, (df.get(term) ?? 0) + 1);
  }
  return df;
}

function lexicalStats(documents: number, df: ReadonlyMap<number, number>): TenantRetrievalModel['lexical'] {
  const entries = [...df].sort((a, b) => a[0] - b[0]);
  const terms = Uint32Array.from(entries, ([term]) => term);
  const counts = Uint32Array.from(entries, ([, count]) => count);
  return { documents, terms, df: counts, dfOf: new Map(entries) };
}

function round(value: number): number {
  return Math.round(value * 10000) / 10000;
}

// ---------------------------------------------------------------------------------------------------------
// Storage.

export interface TenantRetrievalModelJson {
  kind: 'tenant-retrieval';
  version: 1;
  /** Absent when `denseModel` (an embeddings API) is the dense part. */
  lsa?: LsaJson;
  denseModel?: string;
  dimensions: number;
  denseWeight: number;
  calibration: { weights: number[] };
  lexical: { documents: number; terms: string; df: string };
  fit: TenantRetrievalModel['fit'];
}

export function retrievalModelToJSON(model: TenantRetrievalModel): TenantRetrievalModelJson {
  return {
    kind: 'tenant-retrieval',
    version: 1,
    ...(model.lsa ? { lsa: lsaToJSON(model.lsa) } : {}),
    ...(model.denseModel ? { denseModel: model.denseModel } : {}),
    dimensions: model.dimensions,
    denseWeight: model.denseWeight,
    calibration: model.calibration,
    lexical: {
      documents: model.lexical.documents,
      terms: encodeArray(model.lexical.terms),
      df: encodeArray(model.lexical.df),
    },
    fit: model.fit,
  };
}

export function retrievalModelFromJSON(json: TenantRetrievalModelJson): TenantRetrievalModel {
  if (json.kind !== 'tenant-retrieval' || json.version !== 1)
    throw new Error('not a tenant retrieval model v1');
  const terms = decodeUint32(json.lexical.terms);
  const df = decodeUint32(json.lexical.df);
  return {
    ...(json.lsa ? { lsa: lsaFromJSON(json.lsa) } : {}),
    ...(json.denseModel ? { denseModel: json.denseModel } : {}),
    dimensions: json.dimensions,
    denseWeight: json.denseWeight,
    calibration: json.calibration,
    lexical: {
      documents: json.lexical.documents,
      terms,
      df,
      dfOf: new Map(Array.from(terms, (term, i) => [term, df[i]!])),
    },
    fit: json.fit,
  };
}
