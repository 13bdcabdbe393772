/**
 * withTenant on the product's pools (src/stores/tenant-transactions.ts): BEGIN and the tenant's set_config go to
 * PostgreSQL as one query, the tenant holds for the transaction only (also when it rolls back), nested
 * transactions (savepoints) set it by a statement of their own, and a plain knex pg client still works.
 * withTenantStatements (the hot writes' prepared statements) keeps the same guarantees on a raw connection.
 */
import crypto from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { createAppDb, createDb, withTenant } from '../../src/stores/db';
import { type PreparedStatement, withTenantStatements } from '../../src/stores/tenant-transactions';

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

describe('withTenantStatements', () => {
  const currentTenant: PreparedStatement = { name: 'test.current_tenant', text: current };
  const prepared: PreparedStatement = {
    name: 'test.prepared',
    text: 'select name from pg_prepared_statements order by name',
  };
  const backend: PreparedStatement = { name: 'test.backend', text: 'select pg_backend_pid() as pid' };

  test('runs named statements prepared once per connection, bound to the tenant for the transaction only', async () => {
    const tenant = crypto.randomUUID();
    const rows = await withTenantStatements(db, tenant, async (run) => [
      ...(await run<{ tenant: string }>(currentTenant, [])),
      ...(await run<{ tenant: string }>(currentTenant, [])),
    ]);
    expect(rows).toEqual([{ tenant }, { tenant }]);
    // The same (only) connection of the pool: the statement stays prepared, and no tenant is left on it.
    const names = await withTenantStatements(db, crypto.randomUUID(), (run) =>
      run<{ name: string }>(prepared, []),
    );
    expect(names.map((r) => r.name)).toEqual(
      expect.arrayContaining(['test.current_tenant', 'test.prepared']),
    );
    expect(await tenantIn(db)).toBe('');
  });

  test('a failing statement rolls the whole transaction back, and the connection works on', async () => {
    const owner = createDb(url, 1);
    const table = `tx_statements_${crypto.randomUUID().slice(0, 8)}`;
    await owner.raw(`create table ${table} (n int primary key)`);
    await owner.raw(`grant select, insert on ${table} to triage_app`);
    try {
      const insert: PreparedStatement = {
        name: `test.insert_${table}`,
        text: `insert into ${table} values ($1)`,
      };
      await expect(
        withTenantStatements(db, crypto.randomUUID(), async (run) => {
          await run(insert, [1]);
          await run(insert, [1]); // unique violation
        }),
      ).rejects.toMatchObject({ code: '23505' });
      expect((await owner(table).count({ n: '*' }))[0]).toEqual({ n: '0' });
      await withTenantStatements(db, crypto.randomUUID(), (run) => run(insert, [2]));
      expect((await owner(table).select('n')).map((r) => r.n)).toEqual([2]);
    } finally {
      await owner.raw(`drop table ${table}`);
      await owner.destroy();
    }
  });

  test('a connection lost inside the transaction is not handed out again', async () => {
    const owner = createDb(url, 1);
    try {
      let lost = 0;
      await expect(
        withTenantStatements(db, crypto.randomUUID(), async (run) => {
          lost = (await run<{ pid: number }>(backend, []))[0]!.pid;
          await owner.raw('select pg_terminate_backend(?)', [lost]);
          await run(backend, []);
        }),
      ).rejects.toThrow();
      const [next] = await withTenantStatements(db, crypto.randomUUID(), (run) =>
        run<{ pid: number }>(backend, []),
      );
      expect(next!.pid).not.toBe(lost);
    } finally {
      await owner.destroy();
    }
  });

  test('refuses an id that is not a uuid, and a transaction in place of a pool', async () => {
    const run = jest.fn();
    await expect(withTenantStatements(db, "x'); drop table tickets; --", run)).rejects.toThrow('uuid');
    await expect(
      withTenant(db, crypto.randomUUID(), (trx) => withTenantStatements(trx, crypto.randomUUID(), run)),
    ).rejects.toThrow('pass a pool');
    expect(run).not.toHaveBeenCalled();
  });
});
