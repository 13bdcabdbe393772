/**
 * The ranking arithmetic every search path shares — the vector stores (src/stores/vector), the knowledge search
 * (src/connectors/ai/retriever.ts), the tenant retrieval models (retrieval-model.ts) and the eval's in-memory
 * index (evaluation.ts) — so they score alike: dot products and unit vectors (cosine as Qdrant computes it), BM25
 * IDF as Qdrant's `modifier: idf` applies it, Reciprocal Rank Fusion, and one deterministic order of hits.
 */

/** Σ a[i] × b[offset + i] over a's length: `offset` reads a vector out of a packed row-major matrix. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>, offset = 0): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[offset + i]!;
  return sum;
}

/** Qdrant's Cosine distance normalises stored and query vectors, then takes the dot product. */
export function unitVector(vector: readonly number[]): number[] {
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
  return norm === 0 ? vector.map(() => 0) : vector.map((x) => x / norm);
}

/**
 * The BM25 inverse document frequency Qdrant's `modifier: idf` applies to each query term:
 * ln((N - n + 0.5) / (n + 0.5) + 1), N documents in all, n of them containing the term.
 */
export function bm25Idf(totalDocuments: number, documentsWithTerm: number): number {
  return Math.log((totalDocuments - documentsWithTerm + 0.5) / (documentsWithTerm + 0.5) + 1);
}

/** Higher score first; equal scores by id, so results never depend on insertion or hash order. */
export function byScoreThenId<T extends { id: string; score: number }>(a: T, b: T): number {
  return b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Reciprocal Rank Fusion constant of the original paper (Cormack et al. 2009): score = Σ 1 / (k + rank). */
export const RRF_K = 60;

/**
 * Reciprocal Rank Fusion over rankings of ids (best first): each ranking adds 1 / (k + rank), rank from 1.
 * Only positions count, never the raw scores, which live on different scales for dense and sparse.
 */
export function reciprocalRankFusion(
  rankings: readonly (readonly string[])[],
  k = RRF_K,
): Map<string, number> {
  const fused = new Map<string, number>();
  for (const ranking of rankings) {
    ranking.forEach((id, position) => fused.set(id, (fused.get(id) ?? 0) + 1 / (k + position + 1)));
  }
  return fused;
}
