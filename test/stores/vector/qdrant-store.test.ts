import { QdrantClient } from '@qdrant/js-client-rest';
import { createQdrantVectorStore } from '../../../src/stores/vector/qdrant-store';
import type { VectorStore } from '../../../src/stores/vector/ports';
import { startFakeQdrant, type FakeQdrant } from '../../fixtures/fake-qdrant';
import { chunk, describeVectorStoreContract, uuid } from './contract';

let fake: FakeQdrant;
let collections = 0;

beforeAll(async () => {
  fake = await startFakeQdrant();
});

afterAll(async () => {
  await fake.close();
});

afterEach(() => {
  // Every request the adapter sent must match Qdrant's published API.
  expect(fake.violations()).toEqual([]);
});

function freshStore(collection = `kb_test_${++collections}`): VectorStore {
  return createQdrantVectorStore({ url: fake.url, collection });
}

describeVectorStoreContract('qdrant (fake server)', async () => {
  const collection = `kb_test_${++collections}`;
  let store = freshStore(collection);
  return {
    store,
    async reopen() {
      await store.close();
      store = freshStore(collection);
      return store;
    },
  };
});

describe('qdrant store requests', () => {
  const sent = (from: number, method: string, pathEnd: string) =>
    fake.requests.slice(from).filter((r) => r.method === method && r.path.endsWith(pathEnd));

  test('ensureReady creates the collection with named dense and idf sparse vectors, and tenant indexes', async () => {
    const from = fake.requests.length;
    const store = freshStore('kb_shapes');
    await store.ensureReady(4);
    expect(sent(from, 'PUT', '/collections/kb_shapes')[0]!.body).toEqual({
      vectors: { dense: { size: 4, distance: 'Cosine' } },
      sparse_vectors: { lexical: { modifier: 'idf' } },
    });
    expect(sent(from, 'PUT', '/collections/kb_shapes/index').map((r) => [r.body, r.query])).toEqual([
      [{ field_name: 'tenant_id', field_schema: { type: 'keyword', is_tenant: true } }, { wait: 'true' }],
      [{ field_name: 'document_id', field_schema: { type: 'keyword' } }, { wait: 'true' }],
      [{ field_name: 'is_current', field_schema: { type: 'bool' } }, { wait: 'true' }],
    ]);

    // A second ensureReady (another process starting) finds everything in place and changes nothing.
    const again = fake.requests.length;
    await freshStore('kb_shapes').ensureReady(4);
    expect(fake.requests.slice(again).map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /collections/kb_shapes/exists',
      'GET /collections/kb_shapes',
    ]);
  });

  test('upsert, archive, delete, search and count send the documented bodies, all tenant-scoped', async () => {
    const store = freshStore('kb_bodies');
    await store.ensureReady(4);
    const from = fake.requests.length;
    await store.upsert([
      chunk(1, { sparse: { indices: [3, 9], values: [0.5, 1.5] } }),
      chunk(2, { sparse: { indices: [], values: [] } }),
    ]);
    await store.archiveDocument('tenant-a', 'doc-1');
    await store.deleteDocument('tenant-a', 'doc-1');
    await store.search({
      tenantId: 'tenant-a',
      dense: [1, 0, 0, 0],
      sparse: { indices: [3], values: [1] },
      limit: 3,
    });
    await store.count('tenant-a');

    const tenantDoc = {
      must: [
        { key: 'tenant_id', match: { value: 'tenant-a' } },
        { key: 'document_id', match: { value: 'doc-1' } },
      ],
    };
    const current = {
      must: [
        { key: 'tenant_id', match: { value: 'tenant-a' } },
        { key: 'is_current', match: { value: true } },
      ],
    };
    const [upsert] = sent(from, 'PUT', '/points');
    expect(upsert!.query).toEqual({ wait: 'true' });
    expect(upsert!.body).toEqual({
      points: [
        {
          id: uuid(1),
          vector: { dense: [1, 0, 0, 0], lexical: { indices: [3, 9], values: [0.5, 1.5] } },
          payload: {
            tenant_id: 'tenant-a',
            document_id: 'doc-1',
            external_id: 'guides/doc-1.md',
            title: 'Doc one',
            text: 'chunk 1',
            version: 1,
            is_current: true,
          },
        },
        // No lexical terms: the point has no sparse vector at all.
        expect.objectContaining({ id: uuid(2), vector: { dense: [1, 0, 0, 0] } }),
      ],
    });
    expect(sent(from, 'POST', '/points/payload')[0]!.body).toEqual({
      payload: { is_current: false },
      filter: tenantDoc,
    });
    expect(sent(from, 'POST', '/points/delete')[0]!.body).toEqual({ filter: tenantDoc });
    expect(sent(from, 'POST', '/points/delete')[0]!.query).toEqual({ wait: 'true' });
    expect(sent(from, 'POST', '/points/query')[0]!.body).toEqual({
      prefetch: [
        { query: [1, 0, 0, 0], using: 'dense', filter: current, limit: 20 },
        { query: { indices: [3], values: [1] }, using: 'lexical', filter: current, limit: 20 },
      ],
      query: { fusion: 'rrf' },
      filter: current,
      limit: 3,
      with_payload: ['document_id', 'external_id', 'title', 'text'],
    });
    expect(sent(from, 'POST', '/points/count')[0]!.body).toEqual({ filter: current, exact: true });
  });

  test('large upserts go in batches', async () => {
    const store = createQdrantVectorStore({ url: fake.url, collection: 'kb_batches', batchSize: 4 });
    await store.ensureReady(4);
    const from = fake.requests.length;
    await store.upsert(Array.from({ length: 10 }, (_, i) => chunk(i + 1)));
    expect(sent(from, 'PUT', '/points').map((r) => (r.body as { points: unknown[] }).points.length)).toEqual([
      4, 4, 2,
    ]);
    expect(await store.count('tenant-a')).toBe(10);
  });

  test('archive really sets is_current false in Qdrant', async () => {
    const store = freshStore('kb_archive');
    await store.ensureReady(4);
    await store.upsert([chunk(1), chunk(2, { documentId: 'doc-2' })]);
    await store.archiveDocument('tenant-a', 'doc-1');
    const client = new QdrantClient({ url: fake.url, checkCompatibility: false });
    const { points } = await client.scroll('kb_archive', { with_payload: ['document_id', 'is_current'] });
    expect(points.map((p) => [p.id, p.payload])).toEqual([
      [uuid(1), { document_id: 'doc-1', is_current: false }],
      [uuid(2), { document_id: 'doc-2', is_current: true }],
    ]);
  });

  test('an existing collection made for other vectors is refused', async () => {
    const client = new QdrantClient({ url: fake.url, checkCompatibility: false });
    await client.createCollection('kb_foreign', { vectors: { dense: { size: 4, distance: 'Dot' } } });
    await expect(freshStore('kb_foreign').ensureReady(4)).rejects.toThrow(
      /kb_foreign exists with distance Dot, not Cosine, no sparse vector named "lexical"/,
    );
  });
});

describe('qdrant errors', () => {
  test('server failures are retryable, rejections are not, both name Qdrant’s reason', async () => {
    const store = freshStore('kb_errors');
    await store.ensureReady(4);
    fake.failNext(503, 'Service unavailable: overloaded');
    await expect(store.count('tenant-a')).rejects.toEqual(
      expect.objectContaining({
        code: 'unavailable',
        retryable: true,
        status: 503,
        message: expect.stringContaining('Service unavailable: overloaded'),
      }),
    );
    fake.failNext(400, 'Wrong input: something');
    await expect(store.upsert([chunk(1)])).rejects.toEqual(
      expect.objectContaining({ code: 'rejected', retryable: false, status: 400 }),
    );
    fake.failNext(429, 'Too many requests');
    await expect(store.count('tenant-a')).rejects.toEqual(expect.objectContaining({ retryable: true }));
  });

  test('a dimension error from Qdrant itself (store not told the dimensions) is a rejection', async () => {
    await freshStore('kb_dims').ensureReady(4);
    const store = freshStore('kb_dims'); // a new process: ensureReady not called, dimensions unknown here
    await expect(store.upsert([chunk(1, { dense: [1, 0, 0] })])).rejects.toEqual(
      expect.objectContaining({ code: 'rejected', message: expect.stringMatching(/Vector dimension error/) }),
    );
  });

  test('an unreachable server is a retryable error naming the address', async () => {
    const closed = await startFakeQdrant();
    const url = closed.url;
    await closed.close();
    const store = createQdrantVectorStore({ url, collection: 'kb', timeoutMs: 2000 });
    await expect(store.count('tenant-a')).rejects.toEqual(
      expect.objectContaining({
        code: 'unavailable',
        retryable: true,
        message: expect.stringContaining(url),
      }),
    );
  });

  test('a wrong API key is reported as such', async () => {
    const guarded = await startFakeQdrant({ apiKey: 'right-key' });
    // The client warns that an API key travels over plain HTTP; true, and expected against a local fake.
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const client = new QdrantClient({ url: guarded.url, apiKey: 'wrong-key', checkCompatibility: false });
      const store = createQdrantVectorStore({ url: guarded.url, client });
      await expect(store.ensureReady(4)).rejects.toEqual(
        expect.objectContaining({ code: 'unauthorized', status: 401 }),
      );
    } finally {
      warn.mockRestore();
      await guarded.close();
    }
  });
});
