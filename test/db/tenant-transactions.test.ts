/**
 * withTenant on the product's pools (src/stores/tenant-transactions.ts): BEGIN and the tenant's set_config go to
 * PostgreSQL as one query, the tenant holds for the transaction only (also when it rolls back), nested
 * transactions (savepoints) set it by a statement of their own, and a plain knex pg client still works.
 * runTenantStatements (the hot writes' prepared statements, pipelined) keeps the same guarantees on a raw connection.
 */
import crypto from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { createAppDb, createDb, withTenant } from '../../src/stores/db';
import {
  type PreparedStatement,
  bound,
  runTenantStatement,
  runTenantStatements,
} from '../../src/stores/tenant-transactions';

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

interface PoolClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
}
/** pg's Client, as far as the pipelining test looks into it. */
interface PipelinedConnection {
  connection: NodeJS.EventEmitter & { stream: NodeJS.WritableStream };
}

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

describe('runTenantStatements', () => {
  const currentTenant: PreparedStatement = { name: 'test.current_tenant', text: current };
  const prepared: PreparedStatement = {
    name: 'test.prepared',
    text: 'select name from pg_prepared_statements order by name',
  };
  const backend: PreparedStatement = { name: 'test.backend', text: 'select pg_backend_pid() as pid' };

  /** A throwaway table the application's role may read and write, dropped after `work`. */
  async function withTable(
    columns: string,
    work: (table: string, owner: Knex, insert: PreparedStatement) => Promise<void>,
  ): Promise<void> {
    const owner = createDb(url, 1);
    const table = `tx_statements_${crypto.randomUUID().slice(0, 8)}`;
    await owner.raw(`create table ${table} (${columns})`);
    await owner.raw(`grant select, insert on ${table} to triage_app`);
    try {
      await work(table, owner, { name: `test.insert_${table}`, text: `insert into ${table} values ($1)` });
    } finally {
      await owner.raw(`drop table ${table}`);
      await owner.destroy();
    }
  }

  test('runs named statements prepared once per connection, bound to the tenant for the transaction only', async () => {
    const tenant = crypto.randomUUID();
    const answers = await runTenantStatements(db, tenant, [
      bound(currentTenant, []),
      bound(currentTenant, []),
    ]);
    expect(answers).toEqual([[{ tenant }], [{ tenant }]]);
    // The same (only) connection of the pool: the statement stays prepared, and no tenant is left on it.
    const names = await runTenantStatement<{ name: string }>(db, crypto.randomUUID(), bound(prepared, []));
    expect(names.map((r) => r.name)).toEqual(
      expect.arrayContaining(['test.current_tenant', 'test.prepared']),
    );
    expect(await tenantIn(db)).toBe('');
  });

  test('on the application pool the whole transaction goes out before the first answer comes back', async () => {
    // pg's pipeline mode: every message of BEGIN, the statements and COMMIT is written before PostgreSQL's first
    // ReadyForQuery arrives (without it, each query would wait for the answer to the one before).
    const connection = (await (db.client as PoolClient).acquireConnection()) as PipelinedConnection;
    await (db.client as PoolClient).releaseConnection(connection);
    let answers = 0;
    const countAnswer = () => (answers += 1);
    const writes: number[] = [];
    const stream = connection.connection.stream;
    const write = stream.write;
    stream.write = function (this: typeof stream, ...args: unknown[]) {
      writes.push(answers);
      return (write as (...a: unknown[]) => boolean).apply(this, args);
    } as typeof stream.write;
    connection.connection.on('readyForQuery', countAnswer);
    try {
      const tenant = crypto.randomUUID();
      const result = await runTenantStatements(db, tenant, [
        bound(currentTenant, []),
        bound(backend, []),
        bound(currentTenant, []),
      ]);
      expect(result[0]).toEqual([{ tenant }]);
      expect(answers).toBe(5); // BEGIN with the tenant, three statements, COMMIT
      expect(writes.length).toBeGreaterThanOrEqual(5);
      expect(writes.every((answered) => answered === 0)).toBe(true);
    } finally {
      stream.write = write;
      connection.connection.off('readyForQuery', countAnswer);
    }
  });

  test('synchronousCommit: false holds for that transaction only, with its tenant', async () => {
    const settings: PreparedStatement = {
      name: 'test.commit_settings',
      text: `select current_setting('app.tenant_id', true) as tenant, current_setting('synchronous_commit') as sync`,
    };
    const tenant = crypto.randomUUID();
    const read = (options?: { synchronousCommit: boolean }) =>
      runTenantStatement(db, tenant, bound(settings, []), options);
    expect(await read({ synchronousCommit: false })).toEqual([{ tenant, sync: 'off' }]);
    // The same (only) connection: the next transaction, and one outside any, commit durably again.
    expect(await read()).toEqual([{ tenant, sync: 'on' }]);
    expect(await read({ synchronousCommit: true })).toEqual([{ tenant, sync: 'on' }]);
    expect((await db.raw(`select current_setting('synchronous_commit') as sync`)).rows).toEqual([
      { sync: 'on' },
    ]);
  });

  test('a failing statement rolls the whole batch back, later statements included, and the connection works on', async () => {
    await withTable('n int primary key', async (table, owner, insert) => {
      await expect(
        runTenantStatements(db, crypto.randomUUID(), [
          bound(insert, [1]),
          bound(insert, [1]), // unique violation
          bound(insert, [3]), // sent already, refused: the transaction is aborted
        ]),
      ).rejects.toMatchObject({ code: '23505' });
      expect((await owner(table).count({ n: '*' }))[0]).toEqual({ n: '0' });
      await runTenantStatements(db, crypto.randomUUID(), [bound(insert, [2]), bound(insert, [4])]);
      expect((await owner(table).select('n').orderBy('n')).map((r) => r.n)).toEqual([2, 4]);
    });
  });

  test('a COMMIT that fails is reported, and nothing of the batch is written', async () => {
    await withTable('n int unique deferrable initially deferred', async (table, owner, insert) => {
      // Both inserts succeed; the deferred unique check fails at COMMIT.
      await expect(
        runTenantStatements(db, crypto.randomUUID(), [bound(insert, [1]), bound(insert, [1])]),
      ).rejects.toMatchObject({ code: '23505' });
      expect((await owner(table).count({ n: '*' }))[0]).toEqual({ n: '0' });
      expect(await tenantIn(db)).toBe('');
      await runTenantStatement(db, crypto.randomUUID(), bound(insert, [1]));
      expect((await owner(table).select('n')).map((r) => r.n)).toEqual([1]);
    });
  });

  test('a connection lost inside the transaction is not handed out again', async () => {
    const owner = createDb(url, 1);
    try {
      const [before] = await runTenantStatement<{ pid: number }>(db, crypto.randomUUID(), bound(backend, []));
      const sleep: PreparedStatement = { name: 'test.sleep', text: 'select pg_sleep(0.5)' };
      // The pool's only connection: the batch runs on the backend just seen, terminated while it sleeps.
      const batch = runTenantStatements(db, crypto.randomUUID(), [bound(sleep, []), bound(backend, [])]);
      const terminated = batch.catch((error: unknown) => error);
      await new Promise((resolve) => setTimeout(resolve, 150));
      await owner.raw('select pg_terminate_backend(?)', [before!.pid]);
      expect(await terminated).toBeInstanceOf(Error);
      const [next] = await runTenantStatement<{ pid: number }>(db, crypto.randomUUID(), bound(backend, []));
      expect(next!.pid).not.toBe(before!.pid);
    } finally {
      await owner.destroy();
    }
  });

  test('refuses an id that is not a uuid, and a transaction in place of a pool', async () => {
    statements.splice(0);
    const connections = jest.spyOn(db.client as PoolClient, 'acquireConnection');
    await expect(runTenantStatement(db, "x'); drop table tickets; --", bound(backend, []))).rejects.toThrow(
      'uuid',
    );
    await expect(
      withTenant(db, crypto.randomUUID(), (trx) =>
        runTenantStatement(trx, crypto.randomUUID(), bound(backend, [])),
      ),
    ).rejects.toThrow('pass a pool');
    // The only connection taken was withTenant's own.
    expect(connections).toHaveBeenCalledTimes(1);
    connections.mockRestore();
  });
});
