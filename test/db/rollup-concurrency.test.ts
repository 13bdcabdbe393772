/**
 * Concurrent ticket writes of one tenant keep their rollup rows (migration 20261202045000) in one lock order:
 * parallel creates and triage-like updates (category and priority changes), and folds of their deltas (migration
 * 20261204000000) among them, never deadlock, and the counts stay exact. Before that migration this failed with PostgreSQL's 40P01 within a few dozen writes. Writers on
 * different connections use rows of their own shard (migration 20261202060000), so they do not wait for each
 * other's commits.
 */
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { withTenant } from '../../src/stores/db';
import { type Harness, type TestTenant, startHarness } from '../helpers/harness';

let h: Harness;
let tenant: TestTenant;

beforeAll(async () => {
  h = await startHarness({ worker: false });
  tenant = await h.createTenant();
});
afterAll(() => h?.stop());

const pick = <T>(values: readonly T[]) => values[crypto.randomInt(values.length)]!;
const PRIORITIES = ['low', 'medium', 'high', 'critical'] as const;
const CATEGORIES = ['billing', 'technical', 'account', 'shipping', 'general'] as const;

test('parallel creates and updates of one tenant never deadlock on the rollups', async () => {
  const writers = 12;
  const rounds = 15;
  const failures: string[] = [];
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (let i = 0; i < rounds; i++) {
        const id = crypto.randomUUID();
        try {
          await withTenant(h.appDb, tenant.id, (trx) =>
            trx('tickets').insert({
              id,
              tenant_id: tenant.id,
              title: 'concurrent',
              content: 'rollup lock order',
              created_by: 'test',
              workflow_id: `ticket-${id}`,
              priority: pick(PRIORITIES),
              customer_tier: pick(['free', 'standard', 'business', 'enterprise']),
              source: pick(['web', 'email', 'api', 'chat']),
            }),
          );
          await withTenant(h.appDb, tenant.id, (trx) =>
            trx('tickets')
              .where({ id })
              .update({ category: pick(CATEGORIES), priority: pick(PRIORITIES), status: 'open' }),
          );
          // Folds run among the writes: a reader's (the tenant's deltas) and the relay's (everyone's, a batch).
          if (i % 3 === 0) {
            await withTenant(h.appDb, tenant.id, (trx) =>
              trx.raw('SELECT ticket_rollup_fold(?::uuid, NULL)', [tenant.id]),
            );
          }
          if (i % 5 === 0) await h.db.raw('SELECT ticket_rollup_fold(NULL, 20)');
        } catch (error) {
          failures.push(
            (error as { code?: string; nativeError?: { code?: string } }).nativeError?.code ?? String(error),
          );
        }
      }
    }),
  );
  expect(failures).toEqual([]);
  await h.db.raw('SELECT ticket_rollup_fold(?::uuid, NULL)', [tenant.id]);
  const { rows } = await h.db.raw(
    `SELECT sum(tickets)::int AS n FROM ticket_rollup_counts WHERE tenant_id = ? AND grain = 'day' AND dimension = 'category'`,
    [tenant.id],
  );
  expect(rows[0].n).toBe(writers * rounds);
});

test("two writers of one tenant on different shards do not wait for each other's rollup rows", async () => {
  const own = await h.createTenant();
  const shardOf = async (trx: Knex.Transaction) =>
    Number((await trx.raw('select pg_backend_pid() % 8 as shard')).rows[0].shard);
  const begin = async () => {
    const trx = await h.appDb.transaction();
    await trx.raw(`select set_config('app.tenant_id', ?, true)`, [own.id]);
    return trx;
  };
  const ticket = () => {
    const id = crypto.randomUUID();
    // The same facts (day, priority, tier, channel): without shards both writes upsert the same rollup rows.
    return {
      id,
      tenant_id: own.id,
      title: 'sharded',
      content: 'rollup shards',
      created_by: 'test',
      workflow_id: `ticket-${id}`,
      priority: 'high',
      customer_tier: 'business',
      source: 'web',
    };
  };
  const first = await begin();
  const others: Knex.Transaction[] = [];
  try {
    const firstShard = await shardOf(first);
    let second = await begin();
    // The pool hands out connections with other backends; take one whose shard differs from the first's.
    while ((await shardOf(second)) === firstShard) {
      others.push(second);
      second = await begin();
    }
    others.push(second);
    await first('tickets').insert(ticket());
    // The first writer holds its rows until it commits; the second must not need them.
    await second.raw(`SET LOCAL lock_timeout = '5s'`);
    await second('tickets').insert(ticket());
    await second.commit();
    await first.commit();
  } finally {
    for (const trx of [first, ...others]) if (!trx.isCompleted()) await trx.rollback();
  }
  await h.db.raw('SELECT ticket_rollup_fold(?::uuid, NULL)', [own.id]);
  const { rows } = await h.db.raw(
    `SELECT dimension, sum(tickets)::int AS n FROM ticket_rollup_counts
      WHERE tenant_id = ? AND grain = 'day' GROUP BY dimension ORDER BY dimension`,
    [own.id],
  );
  expect(rows).toEqual([
    { dimension: 'category', n: 2 },
    { dimension: 'channel', n: 2 },
    { dimension: 'priority', n: 2 },
    { dimension: 'tier', n: 2 },
  ]);
});
