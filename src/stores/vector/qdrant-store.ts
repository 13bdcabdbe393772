/**
 * The Qdrant vector store, over the official REST client. Request bodies follow Qdrant's published OpenAPI
 * spec v1.15.x (the server in docker-compose.yml is 1.15.5); test/fixtures/fake-qdrant checks every request
 * this module sends against that spec.
 *
 * Tenant isolation: ONE collection for all tenants, each point carrying `tenant_id`, indexed as a keyword with
 * `is_tenant: true`, and every search, count and update filtered on it. This is Qdrant's multitenancy guidance
 * for many small, similar tenants: a collection per tenant multiplies per-collection overhead (Qdrant Cloud caps a
 * cluster at 1000 collections) and needs creating at tenant sign-up, while `is_tenant` lets Qdrant store each
 * tenant's points together so a tenant-filtered search reads them sequentially. The filter is built in one
 * place (`tenantFilter`) and nothing here queries without it.
 *
 * Hybrid search: named vectors `dense` (Cosine) and sparse `lexical` with `modifier: idf` (Qdrant applies BM25
 * IDF over the collection at query time), two prefetches fused by Reciprocal Rank Fusion in the Query API; or,
 * when the caller passes fusion weights (a tenant's fitted retrieval model), weighted fusion client-side.
 */
import {
  QdrantClient,
  QdrantClientResourceExhaustedError,
  QdrantClientTimeoutError,
  QdrantClientUnexpectedResponseError,
  type Schemas,
} from '@qdrant/js-client-rest';
import { VectorStoreError } from './errors';
import type { FusionWeights, KbChunkPoint, VectorHit, VectorSearchQuery, VectorStore } from './ports';
import {
  candidatePoolSize,
  checkDimensions,
  checkDocumentRef,
  checkPoint,
  checkSearch,
  normaliseChunkId,
  weightedFusion,
} from './scoring';
import { byScoreThenId } from '../../ml/ranking';
import { ownValue } from '../../domain/lookup';

export const DENSE_VECTOR = 'dense';
export const LEXICAL_VECTOR = 'lexical';
const RETURNED_PAYLOAD = ['document_id', 'external_id', 'title', 'text'];

/** The payload indexes every filter here relies on; Qdrant's strict mode refuses filters on unindexed fields. */
const PAYLOAD_INDEXES: Array<{ field: string; schema: Schemas['PayloadFieldSchema'] }> = [
  { field: 'tenant_id', schema: { type: 'keyword', is_tenant: true } },
  { field: 'document_id', schema: { type: 'keyword' } },
  { field: 'is_current', schema: { type: 'bool' } },
];

export interface QdrantVectorStoreOptions {
  url: string;
  apiKey?: string;
  collection?: string;
  /** A client to use instead of building one from url/apiKey (tests, a shared client). */
  client?: QdrantClient;
  /** Points per upsert request, so a large document never makes one huge request. */
  batchSize?: number;
  /** Per-request timeout of the client built here. */
  timeoutMs?: number;
  /**
   * The client's start-up version check (it warns when server and client minor versions differ by more than
   * one). Off by default: the client is 1.18, the server 1.15, and the bodies sent here follow the 1.15 spec.
   */
  checkCompatibility?: boolean;
}

interface ChunkPayload {
  tenant_id: string;
  document_id: string;
  external_id: string | null;
  title: string;
  text: string;
  version: number;
  is_current: boolean;
}

function tenantFilter(tenantId: string, ...more: Schemas['FieldCondition'][]): Schemas['Filter'] {
  return { must: [{ key: 'tenant_id', match: { value: tenantId } }, ...more] };
}

function currentChunksOf(tenantId: string): Schemas['Filter'] {
  return tenantFilter(tenantId, { key: 'is_current', match: { value: true } });
}

function chunksOfDocument(tenantId: string, documentId: string): Schemas['Filter'] {
  return tenantFilter(tenantId, { key: 'document_id', match: { value: documentId } });
}

function toQdrantPoint(point: KbChunkPoint): Schemas['PointStruct'] {
  const payload: ChunkPayload = {
    tenant_id: point.tenantId,
    document_id: point.documentId,
    external_id: point.externalId,
    title: point.title,
    text: point.text,
    version: point.version,
    is_current: point.isCurrent,
  };
  // A chunk without lexical terms simply has no sparse vector: named vectors are optional per point.
  const vector: Record<string, Schemas['Vector']> = { [DENSE_VECTOR]: point.dense };
  if (point.sparse.indices.length > 0) {
    vector[LEXICAL_VECTOR] = { indices: point.sparse.indices, values: point.sparse.values };
  }
  return { id: normaliseChunkId(point.chunkId), vector, payload: { ...payload } };
}

function toHit(id: string, score: number, payload: Record<string, unknown>): VectorHit {
  return {
    chunkId: id,
    documentId: String(payload.document_id),
    externalId: typeof payload.external_id === 'string' ? payload.external_id : null,
    title: String(payload.title ?? ''),
    text: String(payload.text ?? ''),
    score,
  };
}

/** Qdrant's error body is `{ status: { error } }`. */
function qdrantErrorText(data: unknown): string | undefined {
  const status = (data as { status?: { error?: unknown } } | undefined)?.status;
  return typeof status?.error === 'string' ? status.error : undefined;
}

export function createQdrantVectorStore(options: QdrantVectorStoreOptions): VectorStore {
  const collection = options.collection ?? 'kb_chunks';
  const batchSize = options.batchSize ?? 64;
  const client =
    options.client ??
    new QdrantClient({
      url: options.url,
      apiKey: options.apiKey,
      timeout: options.timeoutMs ?? 30_000,
      checkCompatibility: options.checkCompatibility ?? false,
    });
  // Known after ensureReady; lets bad dimensions fail here with a clear message instead of a round trip.
  let dimensions: number | undefined;
  let closed = false;

  function toStoreError(action: string, error: unknown): VectorStoreError {
    if (error instanceof VectorStoreError) return error;
    const where = `Qdrant (${options.url}, collection ${collection}) could not ${action}`;
    const http = error as { status?: unknown; statusText?: unknown; data?: unknown };
    if (typeof http?.status === 'number') {
      const status = http.status;
      const detail = qdrantErrorText(http.data) ?? String(http.statusText ?? '');
      const message = `${where}: HTTP ${status} ${detail}`.trim();
      if (status === 404) {
        return new VectorStoreError('not_ready', `${message} (call ensureReady first)`, {
          status,
          cause: error,
        });
      }
      if (status === 401 || status === 403) {
        return new VectorStoreError('unauthorized', `${message} (check the API key)`, {
          status,
          cause: error,
        });
      }
      if (status === 429 || status >= 500) {
        return new VectorStoreError('unavailable', message, { status, cause: error });
      }
      return new VectorStoreError('rejected', message, { status, cause: error });
    }
    if (error instanceof QdrantClientResourceExhaustedError) {
      return new VectorStoreError(
        'unavailable',
        `${where}: rate limited, retry after ${error.retry_after}s`,
        {
          status: 429,
          cause: error,
        },
      );
    }
    if (error instanceof QdrantClientTimeoutError) {
      return new VectorStoreError('unavailable', `${where}: timed out`, { cause: error });
    }
    if (error instanceof QdrantClientUnexpectedResponseError) {
      return new VectorStoreError('rejected', `${where}: ${error.message}`, {
        retryable: false,
        cause: error,
      });
    }
    // fetch failures (connection refused, DNS, reset) carry the system error as their cause.
    const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
    const reason = String(cause?.code ?? cause?.message ?? (error as Error)?.message ?? error);
    return new VectorStoreError('unavailable', `${where}: unreachable (${reason})`, { cause: error });
  }

  async function call<T>(action: string, request: () => Promise<T>): Promise<T> {
    if (closed) throw new VectorStoreError('closed', 'the vector store is closed');
    try {
      return await request();
    } catch (error) {
      throw toStoreError(action, error);
    }
  }

  async function createCollection(size: number): Promise<void> {
    try {
      await call('create the collection', () =>
        client.createCollection(collection, {
          vectors: { [DENSE_VECTOR]: { size, distance: 'Cosine' } },
          sparse_vectors: { [LEXICAL_VECTOR]: { modifier: 'idf' } },
        }),
      );
    } catch (error) {
      // Another process created it between our check and our request: what follows verifies its schema.
      const alreadyThere =
        error instanceof VectorStoreError &&
        (error.status === 409 || (error.status === 400 && /already exists/i.test(error.message)));
      if (!alreadyThere) throw error;
    }
  }

  /** Refuses a collection made for other vectors: writing into it would fail or, worse, mix embeddings. */
  function checkSchema(info: Schemas['CollectionInfo'], size: number): void {
    const vectors = info.config.params.vectors as
      Record<string, Schemas['VectorParams'] | undefined> | undefined;
    const dense = vectors?.[DENSE_VECTOR];
    const lexical = info.config.params.sparse_vectors?.[LEXICAL_VECTOR];
    const problems = [
      dense ? '' : `no dense vector named "${DENSE_VECTOR}"`,
      dense && dense.size !== size ? `${dense.size}-dimensional vectors, not ${size}` : '',
      dense && dense.distance !== 'Cosine' ? `distance ${dense.distance}, not Cosine` : '',
      lexical ? '' : `no sparse vector named "${LEXICAL_VECTOR}"`,
      lexical && lexical.modifier !== 'idf' ? `sparse modifier ${lexical.modifier ?? 'none'}, not idf` : '',
    ].filter(Boolean);
    if (problems.length > 0) {
      throw new VectorStoreError(
        'schema_mismatch',
        `Qdrant collection ${collection} exists with ${problems.join(', ')}`,
      );
    }
  }

  /**
   * Weighted fusion, client-side: one dense and one sparse nearest query (both tenant-filtered, in parallel),
   * fused here by `weightedFusion`, the function the embedded store uses. Qdrant 1.15's server-side fusions
   * (`rrf`, `dbsf`) take no weights; a formula query could sum weighted prefetch scores on the server, but
   * doing it here keeps one implementation for both stores, so a tenant's fitted weights rank the same way
   * wherever its chunks live, at the cost of a second (parallel) request.
   */
  async function weightedSearch(
    query: VectorSearchQuery,
    filter: Schemas['Filter'],
    limit: number,
    weights: FusionWeights,
  ): Promise<VectorHit[]> {
    const nearest = (vector: Schemas['VectorInput'], using: string) =>
      call('search', () =>
        client.query(collection, { query: vector, using, filter, limit, with_payload: RETURNED_PAYLOAD }),
      );
    const sparse = { indices: query.sparse.indices, values: query.sparse.values };
    const [dense, lexical] = await Promise.all([
      nearest(query.dense, DENSE_VECTOR),
      query.sparse.indices.length > 0 ? nearest(sparse, LEXICAL_VECTOR) : Promise.resolve({ points: [] }),
    ]);
    const payloads = new Map<string, Record<string, unknown>>();
    const scored = (points: Schemas['ScoredPoint'][]) =>
      points.map((point) => {
        const id = String(point.id);
        payloads.set(id, point.payload ?? {});
        return { id, score: point.score };
      });
    return weightedFusion(scored(dense.points), scored(lexical.points), weights)
      .slice(0, query.limit)
      .map(({ id, score }) => toHit(id, score, payloads.get(id)!));
  }

  return {
    kind: 'qdrant',

    async ensureReady(size: number): Promise<void> {
      checkDimensions(size);
      const { exists } = await call('check the collection', () => client.collectionExists(collection));
      if (!exists) await createCollection(size);
      const info = await call('read the collection', () => client.getCollection(collection));
      checkSchema(info, size);
      for (const { field, schema } of PAYLOAD_INDEXES) {
        if (ownValue(info.payload_schema, field)) continue;
        await call(`index ${field}`, () =>
          client.createPayloadIndex(collection, { field_name: field, field_schema: schema, wait: true }),
        );
      }
      dimensions = size;
    },

    async upsert(points: KbChunkPoint[]): Promise<void> {
      points.forEach((point) => checkPoint(point, dimensions));
      for (let start = 0; start < points.length; start += batchSize) {
        const batch = points.slice(start, start + batchSize).map(toQdrantPoint);
        await call('upsert chunks', () => client.upsert(collection, { wait: true, points: batch }));
      }
    },

    async archiveDocument(tenantId: string, documentId: string): Promise<void> {
      checkDocumentRef(tenantId, documentId);
      await call('archive a document', () =>
        client.setPayload(collection, {
          payload: { is_current: false },
          filter: chunksOfDocument(tenantId, documentId),
          wait: true,
        }),
      );
    },

    async deleteDocument(tenantId: string, documentId: string): Promise<void> {
      checkDocumentRef(tenantId, documentId);
      await call('delete a document', () =>
        client.delete(collection, { filter: chunksOfDocument(tenantId, documentId), wait: true }),
      );
    },

    async search(query: VectorSearchQuery): Promise<VectorHit[]> {
      checkSearch(query, dimensions);
      const filter = currentChunksOf(query.tenantId);
      const limit = candidatePoolSize(query.limit);
      // The tenant filter goes on each prefetch, so candidates are drawn from this tenant only, and on the
      // fused query too, so no future prefetch can forget it.
      const prefetch: Schemas['Prefetch'][] = [{ query: query.dense, using: DENSE_VECTOR, filter, limit }];
      if (query.sparse.indices.length > 0) {
        const sparse = { indices: query.sparse.indices, values: query.sparse.values };
        prefetch.push({ query: sparse, using: LEXICAL_VECTOR, filter, limit });
      }
      if (query.fusion) return weightedSearch(query, filter, limit, query.fusion);
      const result = await call('search', () =>
        client.query(collection, {
          prefetch,
          query: { fusion: 'rrf' },
          filter,
          limit: query.limit,
          with_payload: RETURNED_PAYLOAD,
        }),
      );
      // Qdrant does not break score ties; ordering them by id keeps results deterministic.
      return result.points
        .map((point) => ({ id: String(point.id), score: point.score, payload: point.payload ?? {} }))
        .sort(byScoreThenId)
        .map(({ id, score, payload }) => toHit(id, score, payload));
    },

    async count(tenantId: string): Promise<number> {
      const result = await call('count chunks', () =>
        client.count(collection, { filter: currentChunksOf(tenantId), exact: true }),
      );
      return result.count;
    },

    async close(): Promise<void> {
      // The REST client holds no resources of its own to release; refuse further calls like the other store.
      closed = true;
    },
  };
}
