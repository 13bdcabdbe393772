/** The fake Qdrant itself: it must refuse what Qdrant's spec refuses, and compute like Qdrant. */
import { startFakeQdrant, type FakeQdrant } from '../../fixtures/fake-qdrant';

let fake: FakeQdrant;

beforeAll(async () => {
  fake = await startFakeQdrant();
  await call('PUT', '/collections/c', {
    vectors: { dense: { size: 2, distance: 'Cosine' } },
    sparse_vectors: { lexical: { modifier: 'idf' } },
  });
});

afterAll(async () => {
  await fake.close();
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${fake.url}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('fake Qdrant request checking', () => {
  test('unknown paths are 404, known paths with another method 405', async () => {
    expect((await call('GET', '/nope')).status).toBe(404);
    expect((await call('GET', '/collections/c/points/query')).status).toBe(405);
  });

  test('a body that breaks the spec is a 400 with a Qdrant error body, recorded as a violation', async () => {
    const before = fake.violations().length;
    const answer = await call('PUT', '/collections/c/points', { points: [{ id: uuid(1) }] }); // vector is required
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      status: { error: expect.stringContaining('PointInsertOperations') },
      time: expect.any(Number),
    });
    expect(fake.violations()).toHaveLength(before + 1);
  });

  test('Filter refuses unknown keys, as the spec says (additionalProperties: false)', async () => {
    const answer = await call('POST', '/collections/c/points/count', { filter: { must: [], mustnt: [] } });
    expect(answer.status).toBe(400);
  });

  test('in strict mode a field the spec does not declare is refused too', async () => {
    const answer = await call('POST', '/collections/c/points/query', { query: [1, 0], limt: 3 });
    expect(answer.status).toBe(400);
    expect(answer.body.status.error).toMatch(/field not in the spec.*limt/);
  });

  test('bad JSON, a wrong content type and unknown query parameters are refused', async () => {
    expect((await call('POST', '/collections/c/points/count', '{"filter":')).status).toBe(400);
    expect(
      (await call('POST', '/collections/c/points/count', '{}', { 'content-type': 'text/plain' })).status,
    ).toBe(400);
    expect((await call('POST', '/collections/c/points/count?wait=true', {})).status).toBe(400);
    expect((await call('PUT', '/collections/c/points?wait=yes', { points: [] })).status).toBe(400);
  });

  test('semantic errors answer like Qdrant without being spec violations', async () => {
    const before = fake.violations().length;
    expect((await call('POST', '/collections/missing/points/count', {})).status).toBe(404);
    const wrongDim = await call('PUT', '/collections/c/points', {
      points: [{ id: uuid(9), vector: { dense: [1, 0, 0] } }],
    });
    expect(wrongDim).toMatchObject({
      status: 400,
      body: { status: { error: 'Wrong input: Vector dimension error: expected dim: 2, got 3' } },
    });
    const unknownVector = await call('POST', '/collections/c/points/query', { query: [1, 0], using: 'nope' });
    expect(unknownVector.body.status.error).toBe('Wrong input: Not existing vector name error: nope');
    expect(fake.violations()).toHaveLength(before);
  });
});

describe('fake Qdrant computation', () => {
  beforeAll(async () => {
    // The batch form of upsert: ids, vectors per name, payloads.
    const upsert = await call('PUT', '/collections/c/points?wait=true', {
      batch: {
        ids: [uuid(1), uuid(2), uuid(3)],
        vectors: {
          dense: [
            [1, 0],
            [0.8, 0.6],
            [0, 1],
          ],
          lexical: [
            { indices: [1], values: [1] },
            { indices: [2], values: [1] },
            { indices: [1, 2], values: [1, 1] },
          ],
        },
        payloads: [{ t: 'a' }, { t: 'a' }, { t: 'b' }],
      },
    });
    expect(upsert.body.result).toEqual({ operation_id: expect.any(Number), status: 'completed' });
  });

  test('dense nearest search scores by cosine and honours filters', async () => {
    const answer = await call('POST', '/collections/c/points/query', {
      query: { nearest: [2, 0] },
      using: 'dense',
      filter: { must: [{ key: 't', match: { value: 'a' } }] },
      with_payload: true,
    });
    expect(answer.body.result.points).toEqual([
      { id: uuid(1), version: expect.any(Number), score: 1, payload: { t: 'a' } },
      { id: uuid(2), version: expect.any(Number), score: expect.closeTo(0.8, 6), payload: { t: 'a' } },
    ]);
  });

  test('sparse search applies IDF over the collection and skips points sharing no index', async () => {
    const answer = await call('POST', '/collections/c/points/query', {
      query: { indices: [1], values: [2] },
      using: 'lexical',
    });
    const idf = Math.log((3 - 2 + 0.5) / (2 + 0.5) + 1);
    expect(answer.body.result.points.map((p: any) => [p.id, p.score])).toEqual([
      [uuid(1), expect.closeTo(2 * idf, 6)],
      [uuid(3), expect.closeTo(2 * idf, 6)],
    ]);
  });

  test('RRF fuses prefetches as Qdrant does: 1 / (position + 2)', async () => {
    const answer = await call('POST', '/collections/c/points/query', {
      prefetch: [
        { query: [1, 0], using: 'dense', limit: 2 },
        { query: { indices: [2], values: [1] }, using: 'lexical', limit: 2 },
      ],
      query: { fusion: 'rrf' },
    });
    // dense: 1, 2 — lexical: 2, 3 (equal scores, by id)
    expect(answer.body.result.points.map((p: any) => [p.id, p.score])).toEqual([
      [uuid(2), expect.closeTo(1 / 3 + 1 / 2, 6)],
      [uuid(1), expect.closeTo(1 / 2, 6)],
      [uuid(3), expect.closeTo(1 / 3, 6)],
    ]);
  });

  test('scroll pages through points in id order', async () => {
    const first = await call('POST', '/collections/c/points/scroll', { limit: 2, with_payload: false });
    expect(first.body.result).toEqual({
      points: [
        { id: uuid(1), payload: null },
        { id: uuid(2), payload: null },
      ],
      next_page_offset: uuid(3),
    });
    const rest = await call('POST', '/collections/c/points/scroll', { offset: uuid(3) });
    expect(rest.body.result.points).toEqual([{ id: uuid(3), payload: { t: 'b' } }]);
  });
});
