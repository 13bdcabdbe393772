/**
 * withTenant on the product's pools (src/stores/tenant-transactions.ts): BEGIN and the tenant's set_config go to
 * PostgreSQL as one query, the tenant holds for the transaction only (also when it rolls back), nested
 * transactions (savepoints) set it by a statement of their own, and a plain knex pg client still works.
 */
import crypto from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { createAppDb, withTenant } from '../../src/stores/db';

const url = process.env.TEST_DATABASE_URL!;
const current = `select current_setting('app.tenant_id', true) as tenant`;
let db: Knex;
const statements: string[] = [];

beforeAll(() => {
  db = createAppDb(url, 1); // one connection: what one transaction leaves behind, the next one sees
  db.on('query', (q: { sql: string }) => statements.push(q.sql));
});
afterAll(() => db.destroy());
beforeEach(() => statements.splice(0));

const tenantIn = async (trx: Knex) => (await trx.raw(current)).rows[0].tenant as string;

test('BEGIN and the tenant are one round trip; the tenant ends with the transaction', async () => {
  const tenant = crypto.randomUUID();
  expect(await withTenant(db, tenant, tenantIn)).toBe(tenant);
  expect(statements).toEqual([
    `BEGIN; SELECT set_config('app.tenant_id', '${tenant}', true);`,
    current,
    'COMMIT;',
  ]);
  expect(await tenantIn(db)).toBe('');
});

test('a transaction that fails leaves no tenant behind', async () => {
  const tenant = crypto.randomUUID();
  await expect(
    withTenant(db, tenant, async (trx) => {
      expect(await tenantIn(trx)).toBe(tenant);
      throw new Error('boom');
    }),
  ).rejects.toThrow('boom');
  expect(await tenantIn(db)).toBe('');
});

test('a nested transaction (savepoint) names its own tenant', async () => {
  const [outer, inner] = [crypto.randomUUID(), crypto.randomUUID()];
  const seen = await withTenant(db, outer, async (trx) => [
    await tenantIn(trx),
    await withTenant(trx, inner, tenantIn),
  ]);
  expect(seen).toEqual([outer, inner]);
});

test('a knex instance on the plain pg client sets the tenant by a statement', async () => {
  const plain = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  try {
    const tenant = crypto.randomUUID();
    expect(await withTenant(plain, tenant, tenantIn)).toBe(tenant);
    expect(await tenantIn(plain)).toBe('');
  } finally {
    await plain.destroy();
  }
});

test('an id that is not a uuid is refused before anything is sent', async () => {
  await expect(withTenant(db, "x'); drop table tickets; --", tenantIn)).rejects.toThrow('uuid');
  expect(statements).toEqual([]);
});
