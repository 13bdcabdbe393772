/**
 * The behaviour every VectorStore must have, run against each implementation (embedded-store.test.ts,
 * qdrant-store.test.ts). Vectors are 4-dimensional and crafted so the expected rankings hold both for the
 * embedded store's fusion constant and Qdrant's.
 */
import { VectorStoreError } from '../../../src/stores/vector/errors';
import type { KbChunkPoint, SparseVector, VectorStore } from '../../../src/stores/vector/ports';
import { candidatePoolSize } from '../../../src/stores/vector/scoring';

export interface StoreHarness {
  store: VectorStore;
  /** Closes `store` and opens a new store over the same data (a process restart). */
  reopen(): Promise<VectorStore>;
}

const DIMENSIONS = 4;

/** Deterministic UUIDs, so tie-breaking by id is predictable. */
export function uuid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

const noTerms: SparseVector = { indices: [], values: [] };

export function chunk(n: number, overrides: Partial<KbChunkPoint> = {}): KbChunkPoint {
  return {
    chunkId: uuid(n),
    tenantId: 'tenant-a',
    documentId: 'doc-1',
    externalId: 'guides/doc-1.md',
    title: 'Doc one',
    text: `chunk ${n}`,
    version: 1,
    isCurrent: true,
    dense: [1, 0, 0, 0],
    sparse: { indices: [n], values: [1] },
    ...overrides,
  };
}

function expectStoreError(code: VectorStoreError['code']) {
  return expect.objectContaining({ name: 'VectorStoreError', code });
}

export function describeVectorStoreContract(name: string, makeStore: () => Promise<StoreHarness>): void {
  describe(`VectorStore contract: ${name}`, () => {
    let harness: StoreHarness;
    let store: VectorStore;

    beforeEach(async () => {
      harness = await makeStore();
      store = harness.store;
    });

    afterEach(async () => {
      await store.close();
    });

    const search = (tenantId: string, dense: number[], sparse: SparseVector = noTerms, limit = 10) =>
      store.search({ tenantId, dense, sparse, limit });

    test('ensureReady is idempotent and keeps the data', async () => {
      await store.ensureReady(DIMENSIONS);
      await store.ensureReady(DIMENSIONS);
      await store.upsert([chunk(1)]);
      await store.ensureReady(DIMENSIONS);
      expect(await store.count('tenant-a')).toBe(1);
    });

    test('ensureReady refuses other dimensions than the store has', async () => {
      await store.ensureReady(DIMENSIONS);
      await expect(store.ensureReady(DIMENSIONS + 1)).rejects.toEqual(expectStoreError('schema_mismatch'));
    });

    test('calls before ensureReady fail as not ready', async () => {
      await expect(store.upsert([chunk(1)])).rejects.toEqual(expectStoreError('not_ready'));
      await expect(search('tenant-a', [1, 0, 0, 0])).rejects.toEqual(expectStoreError('not_ready'));
      await expect(store.count('tenant-a')).rejects.toEqual(expectStoreError('not_ready'));
    });

    test('upsert then search returns the chunk with its fields', async () => {
      await store.ensureReady(DIMENSIONS);
      await store.upsert([chunk(1, { text: 'Refunds take five days', title: 'Refunds', externalId: null })]);
      const hits = await search('tenant-a', [1, 0, 0, 0], { indices: [1], values: [1] });
      expect(hits).toEqual([
        {
          chunkId: uuid(1),
          documentId: 'doc-1',
          externalId: null,
          title: 'Refunds',
          text: 'Refunds take five days',
          score: expect.any(Number),
        },
      ]);
      expect(hits[0]!.score).toBeGreaterThan(0);
    });

    test('a tenant never sees, counts, archives or deletes another tenant’s chunks', async () => {
      await store.ensureReady(DIMENSIONS);
      // Same document id and same vectors in both tenants: only the tenant filter tells them apart.
      await store.upsert([
        chunk(1, { tenantId: 'tenant-a', text: 'A private' }),
        chunk(2, { tenantId: 'tenant-b', text: 'B private', sparse: { indices: [1], values: [1] } }),
        chunk(3, { tenantId: 'tenant-b', documentId: 'doc-2', text: 'B other' }),
      ]);
      const probe = { indices: [1], values: [1] };
      expect((await search('tenant-a', [1, 0, 0, 0], probe)).map((h) => h.text)).toEqual(['A private']);
      expect((await search('tenant-b', [1, 0, 0, 0], probe)).map((h) => h.text).sort()).toEqual([
        'B other',
        'B private',
      ]);
      expect(await search('tenant-c', [1, 0, 0, 0], probe)).toEqual([]);
      expect(await store.count('tenant-a')).toBe(1);
      expect(await store.count('tenant-b')).toBe(2);

      await store.archiveDocument('tenant-a', 'doc-1');
      expect(await store.count('tenant-b')).toBe(2);
      await store.deleteDocument('tenant-a', 'doc-2'); // tenant-b's document id, asked by tenant-a
      expect(await store.count('tenant-b')).toBe(2);
      await store.deleteDocument('tenant-b', 'doc-1');
      expect((await search('tenant-b', [1, 0, 0, 0], probe)).map((h) => h.text)).toEqual(['B other']);
    });

    test('archived chunks are never returned nor counted', async () => {
      await store.ensureReady(DIMENSIONS);
      await store.upsert([chunk(1, { text: 'v1 a' }), chunk(2, { text: 'v1 b' })]);
      await store.archiveDocument('tenant-a', 'doc-1');
      await store.upsert([chunk(3, { text: 'v2', version: 2 })]);
      expect(await store.count('tenant-a')).toBe(1);
      const hits = await search('tenant-a', [1, 0, 0, 0], { indices: [1, 2, 3], values: [1, 1, 1] });
      expect(hits.map((h) => h.text)).toEqual(['v2']);
      await store.archiveDocument('tenant-a', 'doc-1');
      expect(await search('tenant-a', [1, 0, 0, 0])).toEqual([]);
    });

    test('re-upserting a chunk id replaces the chunk', async () => {
      await store.ensureReady(DIMENSIONS);
      await store.upsert([chunk(1, { text: 'old text', sparse: { indices: [40], values: [1] } })]);
      await store.upsert([chunk(1, { text: 'new text', sparse: { indices: [41], values: [1] } })]);
      expect(await store.count('tenant-a')).toBe(1);
      const hits = await search('tenant-a', [1, 0, 0, 0], { indices: [40, 41], values: [1, 1] });
      expect(hits.map((h) => h.text)).toEqual(['new text']);
      // An archived chunk upserted again as current is current again.
      await store.archiveDocument('tenant-a', 'doc-1');
      await store.upsert([chunk(1, { text: 'back' })]);
      expect((await search('tenant-a', [1, 0, 0, 0])).map((h) => h.text)).toEqual(['back']);
    });

    test('hybrid search finds both a lexical-only and a dense-only match, where one signal alone misses one', async () => {
      await store.ensureReady(DIMENSIONS);
      const rareTerm = 7;
      await store.upsert([
        // Only the lexical signal finds it: shares the query's rare term, dense orthogonal to the query.
        chunk(1, {
          text: 'lexical match',
          dense: [0, 0, 0, 1],
          sparse: { indices: [rareTerm, 100], values: [1, 1] },
        }),
        // Only the dense signal finds it: closest to the query vector, no shared term.
        chunk(2, { text: 'dense match', dense: [1, 0, 0, 0], sparse: { indices: [100], values: [1] } }),
        // Noise: nearer the query than the lexical match, further than the dense one, no shared term.
        chunk(3, { text: 'noise 1', dense: [0.6, 0.8, 0, 0], sparse: { indices: [101], values: [1] } }),
        chunk(4, { text: 'noise 2', dense: [0.5, 0, 0.866, 0], sparse: { indices: [102], values: [1] } }),
        chunk(5, { text: 'noise 3', dense: [0.4, 0.9, 0.1, 0], sparse: { indices: [103], values: [1] } }),
        chunk(6, { text: 'noise 4', dense: [0.3, 0, 0, 0.95], sparse: { indices: [104], values: [1] } }),
      ]);
      const query = [1, 0, 0, 0];
      const hybrid = await search('tenant-a', query, { indices: [rareTerm], values: [1] }, 2);
      expect(hybrid.map((h) => h.text).sort()).toEqual(['dense match', 'lexical match']);
      // Dense alone (a query without terms) ranks noise above the lexical match.
      const denseOnly = await search('tenant-a', query, noTerms, 2);
      expect(denseOnly.map((h) => h.text)).toEqual(['dense match', 'noise 1']);
      // Lexical alone could not find the dense match at all: it shares no term with the query.
    });

    test('lexical scores weigh rare terms up (IDF), so a rare match outranks a heavier common one', async () => {
      await store.ensureReady(DIMENSIONS);
      const limit = 5;
      // Enough chunks near the query that the far ones below fall out of the dense candidates entirely,
      // leaving their order to the lexical signal alone.
      const near = Array.from({ length: candidatePoolSize(limit) }, (_, i) =>
        chunk(100 + i, {
          text: `near ${i}`,
          dense: [1, 0.01 * (i + 1), 0, 0],
          sparse: { indices: [900 + i], values: [1] },
        }),
      );
      const rare = 5;
      const common = 9;
      const far = [
        chunk(1, { text: 'rare match', dense: [-1, 0, 0, 0.1], sparse: { indices: [rare], values: [1.0] } }),
        chunk(2, {
          text: 'common match',
          dense: [-1, 0, 0.1, 0],
          sparse: { indices: [common], values: [1.3] },
        }),
        chunk(3, { text: 'common 2', dense: [-1, 0.1, 0, 0], sparse: { indices: [common], values: [1.2] } }),
        chunk(4, {
          text: 'common 3',
          dense: [-1, 0.1, 0.1, 0],
          sparse: { indices: [common], values: [1.1] },
        }),
      ];
      await store.upsert([...near, ...far]);
      const hits = await search('tenant-a', [1, 0, 0, 0], { indices: [rare, common], values: [1, 1] }, limit);
      const texts = hits.map((h) => h.text);
      expect(texts).toContain('rare match');
      expect(texts).toContain('common match');
      // Without IDF the common match (weight 1.3) would come first.
      expect(texts.indexOf('rare match')).toBeLessThan(texts.indexOf('common match'));
    });

    test('weighted fusion: weights choose between the signals, and the score is their weighted sum', async () => {
      await store.ensureReady(DIMENSIONS);
      const term = 7;
      await store.upsert([
        chunk(1, { text: 'lexical', dense: [0, 1, 0, 0], sparse: { indices: [term], values: [2] } }),
        chunk(2, { text: 'dense', dense: [1, 0, 0, 0], sparse: { indices: [100], values: [1] } }),
        chunk(3, { text: 'both', dense: [0.8, 0.6, 0, 0], sparse: { indices: [term], values: [1] } }),
        chunk(4, { text: 'other tenant', tenantId: 'tenant-b', sparse: { indices: [term], values: [5] } }),
      ]);
      const run = (dense: number, lexical: number) =>
        store.search({
          tenantId: 'tenant-a',
          dense: [1, 0, 0, 0],
          sparse: { indices: [term], values: [1] },
          limit: 3,
          fusion: { dense, lexical },
        });
      // Lexical only: the order of the lexical scores; the dense-only match comes last with score 0.
      const lexicalOnly = await run(0, 1);
      expect(lexicalOnly.map((h) => h.text)).toEqual(['lexical', 'both', 'dense']);
      expect(lexicalOnly[2]!.score).toBe(0);
      expect(lexicalOnly[0]!.score / lexicalOnly[1]!.score).toBeCloseTo(2, 5);
      // Dense only: cosine order, scores are the cosines.
      const denseOnly = await run(1, 0);
      expect(denseOnly.map((h) => h.text)).toEqual(['dense', 'both', 'lexical']);
      expect(denseOnly.map((h) => h.score)).toEqual([
        expect.closeTo(1, 5),
        expect.closeTo(0.8, 5),
        expect.closeTo(0, 5),
      ]);
      // Both: the weighted sum of the two scores above.
      const both = await run(0.6, 0.4 / lexicalOnly[0]!.score);
      const expected = (text: string) =>
        0.6 * denseOnly.find((h) => h.text === text)!.score +
        (0.4 * lexicalOnly.find((h) => h.text === text)!.score) / lexicalOnly[0]!.score;
      expect(both.map((h) => h.text)).toEqual(['both', 'dense', 'lexical']);
      for (const hit of both) expect(hit.score).toBeCloseTo(expected(hit.text), 5);
      await expect(run(-1, 1)).rejects.toEqual(expectStoreError('invalid_input'));
    });

    test('limit is respected and results come best first', async () => {
      await store.ensureReady(DIMENSIONS);
      await store.upsert(
        Array.from({ length: 10 }, (_, i) => chunk(i + 1, { dense: [1, i / 10, 0, 0], sparse: noTerms })),
      );
      const hits = await search('tenant-a', [1, 0, 0, 0], noTerms, 3);
      expect(hits).toHaveLength(3);
      expect(hits.map((h) => h.chunkId)).toEqual([uuid(1), uuid(2), uuid(3)]);
      const scores = hits.map((h) => h.score);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
      expect(await search('tenant-a', [1, 0, 0, 0], noTerms, 50)).toHaveLength(10);
    });

    test('count counts the tenant’s current chunks', async () => {
      await store.ensureReady(DIMENSIONS);
      expect(await store.count('tenant-a')).toBe(0);
      await store.upsert([
        chunk(1),
        chunk(2),
        chunk(3, { documentId: 'doc-2' }),
        chunk(4, { isCurrent: false }),
      ]);
      expect(await store.count('tenant-a')).toBe(3);
      await store.archiveDocument('tenant-a', 'doc-2');
      expect(await store.count('tenant-a')).toBe(2);
    });

    test('deleteDocument removes that document’s chunks, current and archived, and nothing else', async () => {
      await store.ensureReady(DIMENSIONS);
      await store.upsert([
        chunk(1),
        chunk(2, { isCurrent: false }),
        chunk(3, { documentId: 'doc-2', text: 'keep' }),
      ]);
      await store.deleteDocument('tenant-a', 'doc-1');
      expect(await store.count('tenant-a')).toBe(1);
      expect((await search('tenant-a', [1, 0, 0, 0])).map((h) => h.text)).toEqual(['keep']);
      // The archived chunk is gone too: upserting it back as current is the only way to see it again.
      await store.deleteDocument('tenant-a', 'doc-1');
      await store.deleteDocument('tenant-a', 'never-existed');
      expect(await store.count('tenant-a')).toBe(1);
    });

    test('data survives close and reopen', async () => {
      await store.ensureReady(DIMENSIONS);
      await store.upsert([chunk(1, { text: 'kept' }), chunk(2, { text: 'archived', documentId: 'doc-2' })]);
      await store.archiveDocument('tenant-a', 'doc-2');
      store = await harness.reopen();
      expect(await store.count('tenant-a')).toBe(1);
      expect((await search('tenant-a', [1, 0, 0, 0])).map((h) => h.text)).toEqual(['kept']);
      await store.ensureReady(DIMENSIONS);
      await store.upsert([chunk(3, { text: 'after restart' })]);
      expect(await store.count('tenant-a')).toBe(2);
    });

    test('invalid input is refused before anything is written', async () => {
      await store.ensureReady(DIMENSIONS);
      await expect(store.upsert([chunk(1, { chunkId: 'not-a-uuid' })])).rejects.toEqual(
        expectStoreError('invalid_input'),
      );
      await expect(store.upsert([chunk(1), chunk(2, { dense: [1, 0, 0] })])).rejects.toEqual(
        expectStoreError('invalid_input'),
      );
      await expect(store.upsert([chunk(1, { sparse: { indices: [3, 3], values: [1, 1] } })])).rejects.toEqual(
        expectStoreError('invalid_input'),
      );
      await expect(store.upsert([chunk(1, { sparse: { indices: [3], values: [] } })])).rejects.toEqual(
        expectStoreError('invalid_input'),
      );
      await expect(search('tenant-a', [1, 0, 0, 0], noTerms, 0)).rejects.toEqual(
        expectStoreError('invalid_input'),
      );
      await expect(search('tenant-a', [1, 0], noTerms)).rejects.toEqual(expectStoreError('invalid_input'));
      expect(await store.count('tenant-a')).toBe(0);
    });

    test('chunk ids are compared case-insensitively, answered in lower case', async () => {
      await store.ensureReady(DIMENSIONS);
      const upper = 'ABCDEF01-2345-4678-9ABC-DEF012345678';
      await store.upsert([chunk(1, { chunkId: upper, text: 'first' })]);
      await store.upsert([chunk(1, { chunkId: upper.toLowerCase(), text: 'second' })]);
      const hits = await search('tenant-a', [1, 0, 0, 0]);
      expect(hits.map((h) => [h.chunkId, h.text])).toEqual([[upper.toLowerCase(), 'second']]);
    });

    test('concurrent calls all take effect', async () => {
      await store.ensureReady(DIMENSIONS);
      await Promise.all([
        ...Array.from({ length: 20 }, (_, i) => store.upsert([chunk(i + 1, { documentId: `doc-${i % 4}` })])),
        search('tenant-a', [1, 0, 0, 0]),
        store.count('tenant-a'),
      ]);
      expect(await store.count('tenant-a')).toBe(20);
      await Promise.all([
        store.archiveDocument('tenant-a', 'doc-0'),
        store.deleteDocument('tenant-a', 'doc-1'),
      ]);
      expect(await store.count('tenant-a')).toBe(10);
    });

    test('search is deterministic', async () => {
      await store.ensureReady(DIMENSIONS);
      // Identical chunks: only the tie-break orders them.
      await store.upsert(
        Array.from({ length: 6 }, (_, i) => chunk(6 - i, { sparse: { indices: [1], values: [1] } })),
      );
      const first = await search('tenant-a', [1, 0, 0, 0], { indices: [1], values: [1] }, 4);
      const second = await search('tenant-a', [1, 0, 0, 0], { indices: [1], values: [1] }, 4);
      expect(second).toEqual(first);
      expect(first.map((h) => h.chunkId)).toEqual([uuid(1), uuid(2), uuid(3), uuid(4)]);
    });

    test('a closed store refuses calls', async () => {
      await store.ensureReady(DIMENSIONS);
      await store.close();
      await expect(store.count('tenant-a')).rejects.toEqual(expectStoreError('closed'));
      await expect(store.upsert([chunk(1)])).rejects.toEqual(expectStoreError('closed'));
    });
  });
}
