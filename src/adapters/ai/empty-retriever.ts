import type { Retriever } from './ports';

/** No knowledge base is configured yet (issue #4 brings ingestion and Qdrant): retrieval finds nothing. */
export function createEmptyRetriever(): Retriever {
  return { retrieve: async () => [] };
}
