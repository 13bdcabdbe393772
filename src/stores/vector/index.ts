export type { KbChunkPoint, SparseVector, VectorHit, VectorSearchQuery, VectorStore } from './ports';
export { VectorStoreError, type VectorStoreErrorCode } from './errors';
export { createEmbeddedVectorStore, type EmbeddedVectorStoreOptions } from './embedded-store';
export { createQdrantVectorStore, type QdrantVectorStoreOptions } from './qdrant-store';
