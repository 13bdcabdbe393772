/**
 * Retrieval over a tenant's knowledge base: hybrid dense + lexical search in the vector store (fused by rank),
 * then each hit's relevance as the cosine similarity of its text to the query, so "nothing relevant" can be
 * told apart from "the best of a bad lot".
 */
import type { Embedder, Retriever, SparseEncoder } from './ports';
import type { Passage } from '../../domain/triage';
import type { VectorStore } from '../../stores/vector';

export interface KnowledgeHit extends Passage {
  externalId: string | null;
}

export interface KnowledgeSearch extends Retriever {
  search(input: { tenantId: string; query: string; limit: number }): Promise<KnowledgeHit[]>;
}

function dot(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

export function createKnowledgeSearch(deps: {
  embedder: Embedder;
  sparse: SparseEncoder;
  store: VectorStore;
}): KnowledgeSearch {
  // A tenant with no documents yet searches an empty index, not a missing one.
  let ready: Promise<void> | undefined;
  async function search(input: { tenantId: string; query: string; limit: number }): Promise<KnowledgeHit[]> {
    ready ??= deps.store.ensureReady(deps.embedder.dimensions).catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    await ready;
    const [dense] = await deps.embedder.embed([input.query]);
    const hits = await deps.store.search({
      tenantId: input.tenantId,
      dense: dense!,
      sparse: deps.sparse.encode(input.query, 'query'),
      limit: input.limit,
    });
    if (hits.length === 0) return [];
    const vectors = await deps.embedder.embed(hits.map((h) => h.text));
    return hits.map((hit, i) => ({
      documentId: hit.documentId,
      externalId: hit.externalId,
      chunkId: hit.chunkId,
      title: hit.title,
      text: hit.text,
      score: Math.round(Math.max(0, Math.min(1, dot(dense!, vectors[i]!))) * 1000) / 1000,
    }));
  }
  return {
    search,
    async retrieve(input) {
      return (await search(input)).map(({ externalId: _externalId, ...passage }) => passage);
    },
  };
}
