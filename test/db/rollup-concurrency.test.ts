/**
 * Concurrent ticket writes of one tenant keep their rollup rows (migration 20261202045000) in one lock order:
 * parallel creates and triage-like updates (category and priority changes) never deadlock, and the counts stay
 * exact. Before that migration this failed with PostgreSQL's 40P01 within a few dozen writes.
 */
import crypto from 'node:crypto';
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
        } catch (error) {
          failures.push(
            (error as { code?: string; nativeError?: { code?: string } }).nativeError?.code ?? String(error),
          );
        }
      }
    }),
  );
  expect(failures).toEqual([]);
  const { rows } = await h.db.raw(
    `SELECT sum(tickets)::int AS n FROM ticket_rollup_counts WHERE tenant_id = ? AND grain = 'day' AND dimension = 'category'`,
    [tenant.id],
  );
  expect(rows[0].n).toBe(writers * rounds);
});
