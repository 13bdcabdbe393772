/**
 * The vector store port: where knowledge-base chunks live with their dense and sparse vectors, searched per
 * tenant with hybrid (dense + lexical) retrieval. Two implementations pass one contract suite
 * (test/vector/contract.ts): an embedded one for development and tests, and Qdrant for production.
 */
import type { SparseVector } from '../../connectors/ai/ports';
import type { FusionWeights } from './scoring';

export type { FusionWeights, SparseVector };

export interface KbChunkPoint {
  /** A UUID (Qdrant point ids are UUIDs or integers); re-upserting the same id replaces the chunk. */
  chunkId: string;
  tenantId: string;
  documentId: string;
  externalId: string | null;
  title: string;
  text: string;
  version: number;
  /** False once a newer version of the document replaced it: archived chunks are kept but never returned. */
  isCurrent: boolean;
  dense: number[];
  sparse: SparseVector;
}

export interface VectorHit {
  chunkId: string;
  documentId: string;
  externalId: string | null;
  title: string;
  text: string;
  /**
   * The fused score: by default Reciprocal Rank Fusion (only its order is meaningful, not its scale); with
   * `fusion` weights, the weighted sum of the chunk's cosine and lexical score.
   */
  score: number;
}

export interface VectorSearchQuery {
  tenantId: string;
  dense: number[];
  /** May be empty (a query without lexical terms): the search is then dense only. */
  sparse: SparseVector;
  limit: number;
  /**
   * Weighted score fusion instead of Reciprocal Rank Fusion: score = dense × cosine + lexical × lexical score,
   * each signal's candidates taken from its own top list (`candidatePoolSize(limit)`), 0 where a chunk is
   * missing from a list. The retriever sets it from the tenant's fitted retrieval model.
   */
  fusion?: FusionWeights;
}

export interface VectorStore {
  readonly kind: 'embedded' | 'qdrant';
  /** Creates the collection and its indexes if missing; idempotent. Fails if it exists with other dimensions. */
  ensureReady(dimensions: number): Promise<void>;
  /** Idempotent by chunkId. */
  upsert(points: KbChunkPoint[]): Promise<void>;
  /** Marks every chunk of the document as not current (isCurrent=false). */
  archiveDocument(tenantId: string, documentId: string): Promise<void>;
  deleteDocument(tenantId: string, documentId: string): Promise<void>;
  /** Only current chunks of that tenant; dense and sparse rankings fused by Reciprocal Rank Fusion. */
  search(query: VectorSearchQuery): Promise<VectorHit[]>;
  /** Number of current chunks of the tenant. */
  count(tenantId: string): Promise<number>;
  close(): Promise<void>;
}
