/** The AI ports the activities depend on. Local implementations ship; issue #4 adds OpenAI and Qdrant ones. */
import type { Classification, Draft, Passage } from '../../domain/triage';

/** A tenant's category: a name, and optionally a description and a few labelled examples. */
export interface CategorySpec {
  name: string;
  description?: string;
  examples?: readonly string[];
}

export interface ClassifyInput {
  text: string;
  categories: readonly (string | CategorySpec)[];
  products: readonly string[];
}

export function categoryName(category: string | CategorySpec): string {
  return typeof category === 'string' ? category : category.name;
}

export interface Classifier {
  classify(input: ClassifyInput): Promise<Classification>;
}

export interface Retriever {
  retrieve(input: { tenantId: string; query: string; limit: number }): Promise<Passage[]>;
}

export interface Drafter {
  draft(input: { text: string; classification: Classification; passages: Passage[] }): Promise<Draft>;
}

/** A sparse vector: term ids and weights (Qdrant's sparse vector format). */
export interface SparseVector {
  indices: number[];
  values: number[];
}

/** Dense text embeddings (L2-normalised), offline or from an embeddings API. */
export interface Embedder {
  readonly model: string;
  readonly dimensions: number;
  embed(texts: string[]): Promise<number[][]>;
}

/**
 * Lexical sparse vectors: term frequencies (BM25-saturated) per hashed term id. The IDF part is applied by the
 * store at query time (Qdrant's `modifier: idf`), so documents can be added without re-encoding the others.
 */
export interface SparseEncoder {
  encode(text: string, kind: 'document' | 'query'): SparseVector;
}
