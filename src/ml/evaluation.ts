/**
 * Benchmarks shared by scripts/eval.ts and the tests: classifier quality on a labelled test set, and a FAQ
 * retrieval test built from Bitext over an in-memory hybrid index.
 */
import fs from 'node:fs';
import type { TextModel, TrainingExample } from './classifier';
import type { BitextRow } from './datasets';
import type { Embedder, SparseEncoder } from '../connectors/ai/ports';
import { createSparseEncoder } from './embedding';
import { accuracy, expectedCalibrationError, macroF1, meanReciprocalRank, recallAtK } from './metrics';
import { stratifiedSplit } from './random';
import { bm25Idf, byScoreThenId, dot, reciprocalRankFusion } from './ranking';
import { type TfidfOptions, fitTfidf, sparseDot, vectorize } from './tfidf';
import { DEFAULT_FEATURE_OPTIONS } from './text';

export interface ClassificationReport {
  examples: number;
  accuracy: number;
  macroF1: number;
  /** Expected calibration error of the confidences on this test set (15 bins). */
  ece: number;
}

export function evaluateClassifier(model: TextModel, test: readonly TrainingExample[]): ClassificationReport {
  const predictions = test.map((example) => model.predict(example.text));
  const expected = test.map((example) => example.label);
  const predicted = predictions.map((prediction) => prediction.label);
  return {
    examples: test.length,
    accuracy: round(accuracy(expected, predicted)),
    macroF1: round(macroF1(expected, predicted)),
    ece: round(
      expectedCalibrationError(
        predictions.map((prediction) => prediction.confidence),
        predictions.map((prediction, i) => prediction.label === expected[i]),
      ),
    ),
  };
}

export interface IndexedDocument {
  id: string;
  text: string;
  title?: string;
}

export interface SearchHit {
  id: string;
  score: number;
}

export type SearchMode = 'bm25' | 'dense' | 'hybrid';

/**
 * BM25 (IDF computed here over the indexed documents, as Qdrant's `modifier: idf` would) and dense cosine
 * search over the same documents, each over all documents, fused by Reciprocal Rank Fusion. In memory, for the
 * eval and small tests; the vector stores take its place in the product (with the same arithmetic, ranking.ts).
 */
export class HybridIndex {
  private readonly ids: string[] = [];
  private readonly dense: number[][] = [];
  private readonly postings = new Map<number, Array<{ doc: number; weight: number }>>();

  constructor(
    private readonly embedder: Embedder,
    private readonly encoder: SparseEncoder = createSparseEncoder(),
  ) {}

  get size(): number {
    return this.ids.length;
  }

  async add(documents: readonly IndexedDocument[]): Promise<void> {
    const texts = documents.map((doc) => (doc.title ? `${doc.title}\n${doc.text}` : doc.text));
    const vectors = await this.embedder.embed(texts);
    documents.forEach((doc, i) => {
      const index = this.ids.length;
      this.ids.push(doc.id);
      this.dense.push(vectors[i]!);
      const sparse = this.encoder.encode(texts[i]!, 'document');
      sparse.indices.forEach((term, k) => {
        const list = this.postings.get(term) ?? [];
        list.push({ doc: index, weight: sparse.values[k]! });
        this.postings.set(term, list);
      });
    });
  }

  async search(query: string, options: { limit?: number; mode?: SearchMode } = {}): Promise<SearchHit[]> {
    const limit = options.limit ?? 10;
    const mode = options.mode ?? 'hybrid';
    if (mode === 'bm25') return this.bm25(query).slice(0, limit);
    const [queryVector] = await this.embedder.embed([query]);
    const dense = this.denseSearch(queryVector!);
    if (mode === 'dense') return dense.slice(0, limit);
    const fused = reciprocalRankFusion([this.bm25(query).map((hit) => hit.id), dense.map((hit) => hit.id)]);
    return [...fused.entries()]
      .map(([id, score]) => ({ id, score }))
      .sort(byScoreThenId)
      .slice(0, limit);
  }

  /** Documents sharing a term with the query, by BM25 score. */
  bm25(query: string): SearchHit[] {
    const sparse = this.encoder.encode(query, 'query');
    const scores = new Map<number, number>();
    const n = this.ids.length;
    sparse.indices.forEach((term, k) => {
      const list = this.postings.get(term);
      if (!list) return;
      const idf = bm25Idf(n, list.length);
      for (const { doc, weight } of list)
        scores.set(doc, (scores.get(doc) ?? 0) + sparse.values[k]! * idf * weight);
    });
    return [...scores.entries()].map(([doc, score]) => ({ id: this.ids[doc]!, score })).sort(byScoreThenId);
  }

  private denseSearch(queryVector: readonly number[]): SearchHit[] {
    return this.dense
      .map((vector, doc) => ({ id: this.ids[doc]!, score: dot(vector, queryVector) }))
      .sort(byScoreThenId);
  }
}

export interface RetrievalQuery {
  query: string;
  /** Ids of the documents that answer it (any one found counts). */
  relevantIds: string[];
}

export interface RetrievalReport {
  queries: number;
  recallAt1: number;
  recallAt5: number;
  mrr: number;
}

export async function evaluateRetrieval(
  index: HybridIndex,
  queries: readonly RetrievalQuery[],
  mode: SearchMode,
): Promise<RetrievalReport> {
  const rankings: string[][] = [];
  for (const { query } of queries)
    rankings.push((await index.search(query, { mode, limit: 10 })).map((hit) => hit.id));
  const relevant = queries.map((query) => query.relevantIds);
  return {
    queries: queries.length,
    recallAt1: round(recallAtK(rankings, relevant, 1)),
    recallAt5: round(recallAtK(rankings, relevant, 5)),
    mrr: round(meanReciprocalRank(rankings, relevant)),
  };
}

export interface FaqBenchmark {
  /** One FAQ entry per intent: its name as title, its most typical reference answer as text. */
  documents: IndexedDocument[];
  /** Held-out customer requests, each relevant to its intent's entry. */
  queries: RetrievalQuery[];
  /** The rows not held out: what an embedding model may be trained on. */
  trainRows: BitextRow[];
}

const ANSWER_TFIDF: TfidfOptions = {
  features: { ...DEFAULT_FEATURE_OPTIONS, wordNgramMax: 1, charNgramMax: 0, dropStopwords: true, stem: true },
  minDf: 1,
  sublinearTf: true,
};

/**
 * A FAQ retrieval test from Bitext: the rows are split per intent (stratified, seeded); each intent's FAQ entry
 * is the medoid of its training rows' reference answers (the answer most similar, by TF-IDF cosine, to all the
 * others), titled with the intent's name; the held-out rows' customer requests are the queries.
 */
export function buildBitextFaq(rows: readonly BitextRow[], testFraction = 0.2, seed = 42): FaqBenchmark {
  const { train, test } = stratifiedSplit(rows, (row) => row.intent, testFraction, seed);
  const tfidf = fitTfidf(
    train.map((row) => row.response),
    ANSWER_TFIDF,
  );
  const intents = [...new Set(train.map((row) => row.intent))].sort();
  const documents = intents.map((intent) => {
    const answers = train.filter((row) => row.intent === intent).map((row) => row.response);
    const vectors = answers.map((answer) => vectorize(tfidf, answer).row);
    const centrality = vectors.map((vector) =>
      vectors.reduce((sum, other) => sum + sparseDot(vector, other), 0),
    );
    const medoid = centrality.indexOf(Math.max(...centrality));
    return { id: intent, title: intent.replace(/_/g, ' '), text: answers[medoid]! };
  });
  return {
    documents,
    queries: test.map((row) => ({ query: row.instruction, relevantIds: [row.intent] })),
    trainRows: train,
  };
}

/** Objects of a JSON Lines file (blank lines skipped). */
export function readJsonl(file: string): unknown[] {
  const objects: unknown[] = [];
  fs.readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .forEach((line, index) => {
      if (line.trim() === '') return;
      try {
        objects.push(JSON.parse(line));
      } catch {
        throw new Error(`${file}:${index + 1}: not JSON`);
      }
    });
  return objects;
}

export function round(value: number, digits = 4): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
