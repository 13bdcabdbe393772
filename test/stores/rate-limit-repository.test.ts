/** Rate counters shared through Postgres: two connection pools (as two API processes) count into one limit. */
import crypto from 'node:crypto';
import { createAppDb, createDb } from '../../src/stores/db';
import { RateLimitRepository } from '../../src/stores/rate-limit-repository';

// The owner's pool writes the fixtures; the counters go through two application pools (row-level security).
const owner = createDb(process.env.TEST_DATABASE_URL!, 2);
const dbs = [createAppDb(process.env.TEST_DATABASE_URL!, 5), createAppDb(process.env.TEST_DATABASE_URL!, 5)];
afterAll(() => Promise.all([owner, ...dbs].map((db) => db.destroy())));

test('concurrent hits from two pools are counted once each, in one window', async () => {
  const tenantId = crypto.randomUUID();
  await owner('tenants').insert({
    id: tenantId,
    slug: `rl-${tenantId.slice(0, 8)}`,
    name: 'rate',
    tier: 'free',
  });
  const [a, b] = dbs.map((db) => new RateLimitRepository(db));
  const counts = await Promise.all(
    Array.from({ length: 60 }, (_, i) => (i % 2 ? a! : b!).hit(tenantId, 3600)),
  );
  expect(counts.map((c) => c.count).sort((x, y) => x - y)).toEqual(
    Array.from({ length: 60 }, (_, i) => i + 1),
  );
  for (const c of counts) expect(c.resetSeconds).toBeGreaterThanOrEqual(1);
  const rows = await owner('api_rate_counters').where({ tenant_id: tenantId });
  expect(rows).toHaveLength(1);
  expect(rows[0].count).toBe(60);
});

test('a new window starts from one and clears the old windows', async () => {
  const tenantId = crypto.randomUUID();
  await owner('tenants').insert({
    id: tenantId,
    slug: `rl-${tenantId.slice(0, 8)}`,
    name: 'rate',
    tier: 'free',
  });
  await owner('api_rate_counters').insert({
    tenant_id: tenantId,
    window_start: new Date(Date.now() - 7200_000),
    count: 99,
  });
  const repo = new RateLimitRepository(dbs[1]!);
  expect((await repo.hit(tenantId, 60)).count).toBe(1);
  expect(await owner('api_rate_counters').where({ tenant_id: tenantId })).toHaveLength(1);
});
