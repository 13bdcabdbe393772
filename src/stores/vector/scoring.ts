/**
 * Input checks and the scoring arithmetic shared by the stores. Both stores check input the same way so the
 * contract suite sees the same errors, and the embedded store scores the way Qdrant does (cosine on normalised
 * vectors, BM25 IDF applied to sparse weights at query time, rank-based fusion), with the arithmetic in src/ml/ranking.ts.
 */
import { VectorStoreError } from './errors';
import type { KbChunkPoint, SparseVector, VectorSearchQuery } from './ports';
import { byScoreThenId } from '../../ml/ranking';

/**
 * How many candidates each signal contributes before fusion. Fusion can only reorder what the two rankings
 * return, so each must look deeper than the final limit; four times the limit (at least 20) keeps a chunk that
 * only one signal finds in play without scoring the whole tenant twice.
 */
export function candidatePoolSize(limit: number): number {
  return Math.max(limit * 4, 20);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_SPARSE_INDEX = 0xffffffff; // Qdrant sparse indices are uint32

function invalid(message: string): VectorStoreError {
  return new VectorStoreError('invalid_input', message);
}

function requireText(value: unknown, field: string): void {
  if (typeof value !== 'string' || value.length === 0) throw invalid(`${field} must be a non-empty string`);
}

/** Qdrant answers point ids in lower case, so both stores keep them that way to compare equal. */
export function normaliseChunkId(chunkId: string): string {
  if (typeof chunkId !== 'string' || !UUID.test(chunkId))
    throw invalid(`chunkId must be a UUID, got ${chunkId}`);
  return chunkId.toLowerCase();
}

export function checkDense(dense: unknown, dimensions: number | undefined, what: string): void {
  if (!Array.isArray(dense) || dense.length === 0)
    throw invalid(`${what} dense vector must be a non-empty array`);
  if (dimensions !== undefined && dense.length !== dimensions) {
    throw invalid(`${what} dense vector has ${dense.length} dimensions, the store has ${dimensions}`);
  }
  if (!dense.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw invalid(`${what} dense vector must hold finite numbers`);
  }
}

/** Qdrant's SparseVector rules: same length, unique uint32 indices, float values. */
export function checkSparse(sparse: SparseVector | undefined, what: string): void {
  if (!sparse || !Array.isArray(sparse.indices) || !Array.isArray(sparse.values)) {
    throw invalid(`${what} sparse vector must have indices and values arrays`);
  }
  if (sparse.indices.length !== sparse.values.length) {
    throw invalid(
      `${what} sparse vector has ${sparse.indices.length} indices but ${sparse.values.length} values`,
    );
  }
  const seen = new Set<number>();
  for (const index of sparse.indices) {
    if (!Number.isInteger(index) || index < 0 || index > MAX_SPARSE_INDEX) {
      throw invalid(`${what} sparse index ${index} is not a uint32`);
    }
    if (seen.has(index)) throw invalid(`${what} sparse index ${index} is repeated`);
    seen.add(index);
  }
  if (!sparse.values.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw invalid(`${what} sparse vector must hold finite values`);
  }
}

export function checkPoint(point: KbChunkPoint, dimensions: number | undefined): void {
  const what = `chunk ${point.chunkId}`;
  normaliseChunkId(point.chunkId);
  requireText(point.tenantId, 'tenantId');
  requireText(point.documentId, 'documentId');
  if (point.externalId !== null && typeof point.externalId !== 'string') {
    throw invalid('externalId must be a string or null');
  }
  if (typeof point.title !== 'string' || typeof point.text !== 'string')
    throw invalid('title and text must be strings');
  if (!Number.isInteger(point.version)) throw invalid('version must be an integer');
  if (typeof point.isCurrent !== 'boolean') throw invalid('isCurrent must be a boolean');
  checkDense(point.dense, dimensions, what);
  checkSparse(point.sparse, what);
}

export function checkSearch(query: VectorSearchQuery, dimensions: number | undefined): void {
  requireText(query.tenantId, 'tenantId');
  if (!Number.isInteger(query.limit) || query.limit < 1) throw invalid(`limit must be a positive integer`);
  checkDense(query.dense, dimensions, 'query');
  checkSparse(query.sparse, 'query');
  checkFusion(query.fusion);
}

export function checkDocumentRef(tenantId: string, documentId: string): void {
  requireText(tenantId, 'tenantId');
  requireText(documentId, 'documentId');
}

export function checkDimensions(dimensions: number): void {
  if (!Number.isInteger(dimensions) || dimensions < 1) throw invalid('dimensions must be a positive integer');
}

/**
 * The k best of `items` in `byScoreThenId` order, without sorting them all: a search over a large tenant
 * scores every chunk but keeps only a candidate pool.
 */
export function topByScore<T extends { id: string; score: number }>(items: Iterable<T>, k: number): T[] {
  const kept: T[] = [];
  let worst = -1;
  const findWorst = () => {
    worst = 0;
    for (let i = 1; i < kept.length; i++) if (byScoreThenId(kept[worst]!, kept[i]!) < 0) worst = i;
  };
  for (const item of items) {
    if (kept.length < k) {
      kept.push(item);
      if (kept.length === k) findWorst();
    } else if (k > 0 && byScoreThenId(item, kept[worst]!) < 0) {
      kept[worst] = item;
      findWorst();
    }
  }
  return kept.sort(byScoreThenId);
}

/** A chunk id with one signal's raw score (cosine for dense, Σ query weight × IDF × term weight for lexical). */
export interface ScoredId {
  id: string;
  score: number;
}

/**
 * Weighted score fusion (a convex combination, Bruch et al. 2023, "An analysis of fusion functions for hybrid
 * retrieval"): score = dense × cosine + lexical × lexical score, over the union of both candidate lists; a chunk
 * missing from one list scores 0 for that signal. The caller puts the lexical normalisation into its weight
 * (1 / the query's highest possible lexical score), so with dense weight 0 the order is exactly the lexical one.
 * Both stores fuse with this function, so they rank alike.
 */
export function weightedFusion(
  dense: readonly ScoredId[],
  lexical: readonly ScoredId[],
  weights: FusionWeights,
): ScoredId[] {
  const fused = new Map<string, number>();
  for (const hit of dense) fused.set(hit.id, weights.dense * hit.score);
  for (const hit of lexical) fused.set(hit.id, (fused.get(hit.id) ?? 0) + weights.lexical * hit.score);
  return [...fused.entries()].map(([id, score]) => ({ id, score })).sort(byScoreThenId);
}

export interface FusionWeights {
  dense: number;
  lexical: number;
}

export function checkFusion(fusion: FusionWeights | undefined): void {
  if (fusion === undefined) return;
  const ok = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x >= 0;
  if (!ok(fusion.dense) || !ok(fusion.lexical)) {
    throw invalid('fusion weights must be finite numbers ≥ 0');
  }
}
