/**
 * An embedded vector store: no server, data in one folder, the whole index in memory. For development, tests and
 * small single-process deployments; Qdrant is the production store.
 *
 * Persistence: an append-only JSON-lines log plus compaction, rather than a snapshot rewritten on every change.
 * A chunk carries a dense vector (kilobytes of JSON), so rewriting a snapshot per upsert would cost the size of
 * the whole knowledge base each time; appending costs only the change. Each call writes one line (all its
 * points in one record), fsynced before the call returns, so a call is either wholly on disk or not at all:
 * after a crash a torn last line has no newline, is dropped on replay and cut off the file. When the log holds
 * more superseded entries than live ones (and at least `compactAfter`), it is rewritten to the live chunks in a
 * temporary file that atomically replaces it (rename), so a crash during compaction leaves the old log intact.
 *
 * Scoring mirrors Qdrant: cosine on normalised dense vectors; sparse weights times BM25 IDF computed at query
 * time over the tenant's current chunks (Qdrant's `modifier: idf`); the two rankings fused by Reciprocal Rank
 * Fusion on ranks only (or, with `fusion` weights, the weighted sum of both scores); ties broken by chunk id so
 * results are deterministic.
 *
 * Concurrency: writes run one at a time through a queue and touch memory only after their line is on disk;
 * reads are synchronous over memory, so they see a change wholly or not at all. One process per folder.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { VectorStoreError } from './errors';
import type { KbChunkPoint, VectorHit, VectorSearchQuery, VectorStore } from './ports';
import {
  candidatePoolSize,
  checkDimensions,
  checkDocumentRef,
  checkPoint,
  checkSearch,
  normaliseChunkId,
  topByScore,
  weightedFusion,
} from './scoring';
import { RRF_K, bm25Idf, byScoreThenId, dot, reciprocalRankFusion, unitVector } from '../../ml/ranking';

export const LOG_FILE = 'chunks.jsonl';
const FORMAT = 1;

export interface EmbeddedVectorStoreOptions {
  /** Folder holding the log; created if missing. */
  dir: string;
  /** Compact once the log holds at least this many superseded entries (and more than live ones). */
  compactAfter?: number;
  /** fsync every write (default true). Off only for throwaway data. */
  durable?: boolean;
  /** Reciprocal Rank Fusion constant (default 60, the original paper's). */
  rrfK?: number;
}

type LogRecord =
  | { op: 'meta'; format: number; dimensions: number }
  | { op: 'upsert'; points: KbChunkPoint[] }
  | { op: 'archive'; tenantId: string; documentId: string }
  | { op: 'delete'; tenantId: string; documentId: string };

interface StoredChunk {
  point: KbChunkPoint;
  unit: number[];
  terms: Map<number, number>;
}

/** One tenant's chunks, with document frequencies over its current chunks for IDF. */
interface TenantIndex {
  chunks: Map<string, StoredChunk>;
  documentFrequency: Map<number, number>;
  currentCount: number;
}

interface State {
  dimensions: number | undefined;
  tenants: Map<string, TenantIndex>;
  /** Which tenant holds a chunk id, so re-upserting an id replaces it wherever it was (like a Qdrant point). */
  tenantOf: Map<string, string>;
  /** Entries in the log (points upserted + archive/delete records), to know when compaction pays. */
  logEntries: number;
}

export function createEmbeddedVectorStore(options: EmbeddedVectorStoreOptions): VectorStore {
  const logPath = path.join(options.dir, LOG_FILE);
  const compactPath = `${logPath}.compact`;
  const compactAfter = options.compactAfter ?? 1000;
  const durable = options.durable ?? true;
  const rrfK = options.rrfK ?? RRF_K;

  const state: State = { dimensions: undefined, tenants: new Map(), tenantOf: new Map(), logEntries: 0 };
  let handle: fs.FileHandle | undefined;
  let logBytes = 0;
  let closed = false;
  let loading: Promise<void> | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  // ---- memory ----

  function tenantIndex(tenantId: string): TenantIndex {
    let index = state.tenants.get(tenantId);
    if (!index) {
      index = { chunks: new Map(), documentFrequency: new Map(), currentCount: 0 };
      state.tenants.set(tenantId, index);
    }
    return index;
  }

  function countTerms(index: TenantIndex, chunk: StoredChunk, delta: 1 | -1): void {
    index.currentCount += delta;
    for (const term of chunk.terms.keys()) {
      const next = (index.documentFrequency.get(term) ?? 0) + delta;
      if (next === 0) index.documentFrequency.delete(term);
      else index.documentFrequency.set(term, next);
    }
  }

  function removeChunk(chunkId: string): void {
    const tenantId = state.tenantOf.get(chunkId);
    if (tenantId === undefined) return;
    const index = tenantIndex(tenantId);
    const chunk = index.chunks.get(chunkId);
    if (chunk?.point.isCurrent) countTerms(index, chunk, -1);
    index.chunks.delete(chunkId);
    state.tenantOf.delete(chunkId);
  }

  function applyUpsert(point: KbChunkPoint): void {
    removeChunk(point.chunkId);
    const index = tenantIndex(point.tenantId);
    const terms = new Map<number, number>();
    point.sparse.indices.forEach((term, i) => terms.set(term, point.sparse.values[i]!));
    const chunk: StoredChunk = { point, unit: unitVector(point.dense), terms };
    index.chunks.set(point.chunkId, chunk);
    state.tenantOf.set(point.chunkId, point.tenantId);
    if (point.isCurrent) countTerms(index, chunk, 1);
  }

  function chunksOf(tenantId: string, documentId: string): StoredChunk[] {
    const index = state.tenants.get(tenantId);
    return index ? [...index.chunks.values()].filter((c) => c.point.documentId === documentId) : [];
  }

  function applyArchive(tenantId: string, documentId: string): void {
    const index = tenantIndex(tenantId);
    for (const chunk of chunksOf(tenantId, documentId)) {
      if (!chunk.point.isCurrent) continue;
      countTerms(index, chunk, -1);
      chunk.point = { ...chunk.point, isCurrent: false };
    }
  }

  function applyDelete(tenantId: string, documentId: string): void {
    for (const chunk of chunksOf(tenantId, documentId)) removeChunk(chunk.point.chunkId);
  }

  function apply(record: LogRecord): void {
    switch (record.op) {
      case 'meta':
        state.dimensions = record.dimensions;
        return;
      case 'upsert':
        record.points.forEach(applyUpsert);
        state.logEntries += record.points.length;
        return;
      case 'archive':
        applyArchive(record.tenantId, record.documentId);
        state.logEntries += 1;
        return;
      case 'delete':
        applyDelete(record.tenantId, record.documentId);
        state.logEntries += 1;
        return;
    }
  }

  function liveChunks(): number {
    return state.tenantOf.size;
  }

  // ---- disk ----

  async function load(): Promise<void> {
    await fs.mkdir(options.dir, { recursive: true });
    // A leftover from a compaction that crashed before its rename: the log itself is still whole.
    await fs.rm(compactPath, { force: true });
    let text = '';
    try {
      text = await fs.readFile(logPath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const lines = text.split('\n');
    const torn = lines.pop() ?? ''; // what follows the last newline: empty unless a write was cut short
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let record: LogRecord;
      try {
        record = JSON.parse(line) as LogRecord;
      } catch (error) {
        throw new VectorStoreError('corrupt', `${logPath} line ${i + 1} is not valid JSON`, { cause: error });
      }
      if (!['meta', 'upsert', 'archive', 'delete'].includes(record.op)) {
        throw new VectorStoreError('corrupt', `${logPath} line ${i + 1} has an unknown record`);
      }
      apply(record);
    });
    logBytes = Buffer.byteLength(text) - Buffer.byteLength(torn);
    if (torn !== '') await fs.truncate(logPath, logBytes);
  }

  function ready(): Promise<void> {
    if (closed) return Promise.reject(new VectorStoreError('closed', 'the vector store is closed'));
    loading ??= load();
    return loading;
  }

  /** Runs writes one at a time, in call order, after the log is loaded. */
  function exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = queue.then(async () => {
      await ready();
      return work();
    });
    queue = run.catch(() => undefined);
    return run;
  }

  async function append(records: LogRecord[]): Promise<void> {
    const data = records.map((record) => `${JSON.stringify(record)}\n`).join('');
    handle ??= await fs.open(logPath, 'a');
    try {
      await handle.appendFile(data, 'utf8');
      if (durable) await handle.datasync();
    } catch (error) {
      // Cut a partial write off, so the next record does not start in the middle of a line.
      await handle.truncate(logBytes).catch(() => undefined);
      throw error;
    }
    logBytes += Buffer.byteLength(data);
  }

  async function maybeCompact(): Promise<void> {
    const superseded = state.logEntries - liveChunks();
    if (superseded < compactAfter || superseded <= liveChunks()) return;
    const chunks = [...state.tenantOf.keys()].sort().map((id) => {
      return state.tenants.get(state.tenantOf.get(id)!)!.chunks.get(id)!.point;
    });
    const records: LogRecord[] = [
      { op: 'meta', format: FORMAT, dimensions: state.dimensions! },
      ...chunks.map((point): LogRecord => ({ op: 'upsert', points: [point] })),
    ];
    const data = records.map((record) => `${JSON.stringify(record)}\n`).join('');
    try {
      const temp = await fs.open(compactPath, 'w');
      try {
        await temp.writeFile(data, 'utf8');
        await temp.datasync();
      } finally {
        await temp.close();
      }
      await fs.rename(compactPath, logPath);
    } catch {
      // Compaction only saves space: the old log is intact, so keep appending to it and try again later.
      await fs.rm(compactPath, { force: true }).catch(() => undefined);
      return;
    }
    await syncFolder();
    await handle?.close();
    handle = undefined; // reopened on the next write, on the new file
    logBytes = Buffer.byteLength(data);
    state.logEntries = chunks.length;
  }

  /** Makes the rename itself durable (directory entry); not every platform allows fsync on a folder. */
  async function syncFolder(): Promise<void> {
    if (!durable) return;
    const folder = await fs.open(options.dir, 'r').catch(() => undefined);
    await folder?.datasync().catch(() => undefined);
    await folder?.close();
  }

  function requireDimensions(): number {
    if (state.dimensions === undefined) {
      throw new VectorStoreError(
        'not_ready',
        'the vector store has no collection yet: call ensureReady first',
      );
    }
    return state.dimensions;
  }

  // ---- the port ----

  async function readable(): Promise<number> {
    await ready();
    if (closed) throw new VectorStoreError('closed', 'the vector store is closed');
    return requireDimensions();
  }

  return {
    kind: 'embedded',

    ensureReady: (dimensions) =>
      exclusive(async () => {
        checkDimensions(dimensions);
        if (state.dimensions === dimensions) return;
        if (state.dimensions !== undefined) {
          throw new VectorStoreError(
            'schema_mismatch',
            `the store in ${options.dir} holds ${state.dimensions}-dimensional vectors, not ${dimensions}`,
          );
        }
        const record: LogRecord = { op: 'meta', format: FORMAT, dimensions };
        await append([record]);
        apply(record);
      }),

    upsert: (points) =>
      exclusive(async () => {
        const dimensions = requireDimensions();
        points.forEach((point) => checkPoint(point, dimensions));
        if (points.length === 0) return;
        // A copy, so later changes to the caller's arrays cannot reach the index.
        const copies = points.map((point) => ({
          ...structuredClone(point),
          chunkId: normaliseChunkId(point.chunkId),
        }));
        const record: LogRecord = { op: 'upsert', points: copies };
        await append([record]);
        apply(record);
        await maybeCompact();
      }),

    archiveDocument: (tenantId, documentId) =>
      exclusive(async () => {
        requireDimensions();
        checkDocumentRef(tenantId, documentId);
        if (!chunksOf(tenantId, documentId).some((chunk) => chunk.point.isCurrent)) return;
        const record: LogRecord = { op: 'archive', tenantId, documentId };
        await append([record]);
        apply(record);
        await maybeCompact();
      }),

    deleteDocument: (tenantId, documentId) =>
      exclusive(async () => {
        requireDimensions();
        checkDocumentRef(tenantId, documentId);
        if (chunksOf(tenantId, documentId).length === 0) return;
        const record: LogRecord = { op: 'delete', tenantId, documentId };
        await append([record]);
        apply(record);
        await maybeCompact();
      }),

    async search(query: VectorSearchQuery): Promise<VectorHit[]> {
      const dimensions = await readable();
      checkSearch(query, dimensions);
      const index = state.tenants.get(query.tenantId);
      if (!index || index.currentCount === 0) return [];
      const current = [...index.chunks.values()].filter((chunk) => chunk.point.isCurrent);
      const pool = candidatePoolSize(query.limit);

      const queryUnit = unitVector(query.dense);
      const dense = topByScore(
        current.map((chunk) => ({ id: chunk.point.chunkId, score: dot(queryUnit, chunk.unit) })),
        pool,
      );

      const weights = query.sparse.indices.map((term, i) => ({
        term,
        weight: query.sparse.values[i]! * bm25Idf(index.currentCount, index.documentFrequency.get(term) ?? 0),
      }));
      const lexicalScores: Array<{ id: string; score: number }> = [];
      for (const chunk of current) {
        let score = 0;
        let matched = false;
        for (const { term, weight } of weights) {
          const value = chunk.terms.get(term);
          if (value === undefined) continue;
          matched = true;
          score += weight * value;
        }
        if (matched) lexicalScores.push({ id: chunk.point.chunkId, score });
      }
      const lexical = topByScore(lexicalScores, pool);

      const fused = query.fusion
        ? weightedFusion(dense, lexical, query.fusion)
        : [...reciprocalRankFusion([dense.map((hit) => hit.id), lexical.map((hit) => hit.id)], rrfK)]
            .map(([id, score]) => ({ id, score }))
            .sort(byScoreThenId);
      return fused.slice(0, query.limit).map(({ id, score }) => {
        const { point } = index.chunks.get(id)!;
        return {
          chunkId: point.chunkId,
          documentId: point.documentId,
          externalId: point.externalId,
          title: point.title,
          text: point.text,
          score,
        };
      });
    },

    async count(tenantId: string): Promise<number> {
      await readable();
      return state.tenants.get(tenantId)?.currentCount ?? 0;
    },

    close: () => {
      const run = queue.then(async () => {
        closed = true;
        await handle?.close();
        handle = undefined;
      });
      queue = run.catch(() => undefined);
      return run;
    },
  };
}
