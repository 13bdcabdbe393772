/**
 * Retrieval over a tenant's knowledge base: dense + lexical search in the vector store, then each hit's
 * relevance.
 *
 * With the tenant's fitted retrieval model (fitted at ingestion, `src/ml/retrieval-model.ts`): the query is
 * embedded by the tenant's own LSA model (or, with an embeddings API, by the API: the model then holds the
 * fusion weight and calibration fitted for the API's vectors), the store fuses the two signals with the
 * tenant's weights (weight 0 for dense where it did not help on the tenant's pseudo-queries: then exactly
 * BM25), and `score` is the calibrated probability that the passage answers the query — the same units on
 * every knowledge base. Without one (no document ingested since models are fitted): the stack's embedder,
 * Reciprocal Rank Fusion, and `score` the cosine similarity of passage and query.
 */
import type { Embedder, Retriever, SparseEncoder } from './ports';
import type { Passage } from '../../domain/triage';
import type { VectorStore } from '../../stores/vector';
import { type TenantRetrievalModel, embedText, fusionWeights, relevance } from '../../ml/retrieval-model';
import { dot } from '../../ml/ranking';

export interface KnowledgeHit extends Passage {
  externalId: string | null;
}

export interface KnowledgeSearch extends Retriever {
  search(input: { tenantId: string; query: string; limit: number }): Promise<KnowledgeHit[]>;
}

/** Where the retriever finds a tenant's current fitted model (Postgres in the product; memory in the eval). */
export interface RetrievalModelSource {
  current(tenantId: string): Promise<{ version: number; model: TenantRetrievalModel } | null>;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export function createKnowledgeSearch(deps: {
  embedder: Embedder;
  sparse: SparseEncoder;
  store: VectorStore;
  models?: RetrievalModelSource;
  /** The embedder is an embeddings API: only models fitted for its vectors apply (not a tenant LSA). */
  externalDense?: boolean;
}): KnowledgeSearch {
  // A tenant with no documents yet searches an empty index, not a missing one.
  let ready: Promise<void> | undefined;
  async function search(input: { tenantId: string; query: string; limit: number }): Promise<KnowledgeHit[]> {
    ready ??= deps.store.ensureReady(deps.embedder.dimensions).catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    await ready;
    const sparse = deps.sparse.encode(input.query, 'query');
    const fitted = await deps.models?.current(input.tenantId);
    // A model fitted for another dense model (the stack's embedder changed since) does not apply.
    if (
      fitted &&
      (deps.externalDense ? fitted.model.denseModel === deps.embedder.model : fitted.model.lsa !== undefined)
    ) {
      const { model } = fitted;
      const dense = model.lsa
        ? embedText(model, input.query)
        : (await deps.embedder.embed([input.query]))[0]!;
      // One hit more than asked for: the calibration looks at how far each hit leads the next one.
      const hits = await deps.store.search({
        tenantId: input.tenantId,
        dense,
        sparse,
        limit: input.limit + 1,
        fusion: fusionWeights(model, sparse),
      });
      const probabilities = relevance(
        model,
        hits.map((hit) => hit.score),
      );
      return hits.slice(0, input.limit).map((hit, i) => ({
        documentId: hit.documentId,
        externalId: hit.externalId,
        chunkId: hit.chunkId,
        title: hit.title,
        text: hit.text,
        score: round3(probabilities[i]!),
      }));
    }
    const [dense] = await deps.embedder.embed([input.query]);
    const hits = await deps.store.search({
      tenantId: input.tenantId,
      dense: dense!,
      sparse,
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
      score: round3(Math.max(0, Math.min(1, dot(dense!, vectors[i]!)))),
    }));
  }
  return {
    search,
    async retrieve(input) {
      return (await search(input)).map(({ externalId: _externalId, ...passage }) => passage);
    },
  };
}
