/**
 * knex's PostgreSQL client, whose top-level transactions can name their tenant: `BEGIN` and
 * `set_config('app.tenant_id', …, true)` then go to the server as one simple-protocol query, one round trip
 * instead of two. Every tenant-bound transaction (withTenant) paid the extra round trip: a quarter of its
 * statements, and a socket write and a wake-up of the backend each.
 *
 * knex exposes no hook for a transaction's first statement, so this subclasses two of its classes
 * (`Client_PG.transaction` and `Transaction_PG.begin`, stable since knex 0.95); test/db/tenant-transactions.test.ts
 * fails if an upgrade changes them. A transaction that does not get here sets no tenant, and row-level security
 * then shows it no rows: an upgrade that broke this would fail closed, not leak.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import type { Knex } from 'knex';
import { isUuid } from '../domain/uuid';

/** The transaction config that names the tenant (knex passes unknown keys through to the transaction). */
export interface TenantTransactionConfig extends Knex.TransactionConfig {
  tenantId: string;
}

interface KnexTransaction {
  isolationLevel?: string;
  readOnly?: boolean;
  query(connection: unknown, sql: string): Promise<unknown>;
}
type TransactionClass = new (
  client: unknown,
  container: unknown,
  config?: Partial<TenantTransactionConfig>,
  outerTx?: unknown,
) => KnexTransaction & { begin(connection: unknown): Promise<unknown> };

const PgClient = require('knex/lib/dialects/postgres/index.js') as new (config: Knex.Config) => object;
const PgTransaction = require('knex/lib/dialects/postgres/execution/pg-transaction.js') as TransactionClass;

/** BEGIN and the tenant for the transaction only, as one simple-protocol query. `tenantId`: a checked uuid. */
function beginForTenant(tenantId: string): string {
  // Hex digits and dashes: safe inside a literal.
  return `BEGIN; SELECT set_config('app.tenant_id', '${tenantId}', true);`;
}

class TenantTransaction extends PgTransaction {
  private readonly tenantId: string | undefined;

  constructor(
    client: unknown,
    container: unknown,
    config?: Partial<TenantTransactionConfig>,
    outerTx?: unknown,
  ) {
    super(client, container, config, outerTx);
    // A nested transaction is a savepoint: its tenant is set by a statement of its own (withTenant).
    this.tenantId = !outerTx && config?.tenantId && isUuid(config.tenantId) ? config.tenantId : undefined;
  }

  override begin(connection: unknown): Promise<unknown> {
    if (!this.tenantId || this.isolationLevel || this.readOnly) return super.begin(connection);
    return this.query(connection, beginForTenant(this.tenantId));
  }
}

/** knex's `pg` client with tenant-naming transactions (the `client` of every pool of the product). */
export class TenantAwarePgClient extends PgClient {
  transaction(container: unknown, config?: Partial<TenantTransactionConfig>, outerTx?: unknown) {
    return new TenantTransaction(this, container, config, outerTx);
  }
}

/** Whether `db`'s transactions set their tenant as they begin (else withTenant sets it by a statement). */
export function setsTenantAtBegin(db: Knex): boolean {
  return !db.isTransaction && (db.client as unknown) instanceof TenantAwarePgClient;
}

/**
 * A statement PostgreSQL parses and plans once per connection (a named prepared statement). For the writes every
 * ticket makes several times (its creation, each change the workflow persists, its triage result): through knex
 * and objection such a transaction cost ~1.3 ms of Node CPU and ~1.1 ms of the backend's, prepared on a raw
 * connection ~0.5 and ~0.6 (bench of 2026-12-02 in README "Levers"). Name each text once: `pg` refuses a name
 * reused with another text. RETURNING lists its columns: a cached plan whose result type changes under it (a
 * column added by a migration while the process runs) fails on every later use.
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

/** Runs one prepared statement in the transaction; answers its rows. */
export type RunStatement = <Row = Record<string, unknown>>(
  statement: PreparedStatement,
  values: readonly unknown[],
) => Promise<Row[]>;

interface PgConnection {
  query(
    query: string | { name: string; text: string; values: readonly unknown[] },
  ): Promise<{ rows: never[] }>;
  /** knex's mark of a connection it must not hand out again. */
  __knex__disposed?: unknown;
}
interface PooledClient {
  acquireConnection(): Promise<PgConnection>;
  releaseConnection(connection: PgConnection): Promise<void>;
}

/**
 * Runs `work` in a transaction bound to one tenant (as withTenant does: BEGIN and set_config in one round trip,
 * row-level security on the application's pool), on a connection of `db`'s pool, with prepared statements.
 */
export async function withTenantStatements<T>(
  db: Knex,
  tenantId: string,
  work: (run: RunStatement) => Promise<T>,
): Promise<T> {
  if (!isUuid(tenantId)) throw new Error('withTenantStatements needs a tenant id (a uuid)');
  if (db.isTransaction) throw new Error('withTenantStatements opens its own transaction: pass a pool');
  const client = db.client as unknown as PooledClient;
  const connection = await client.acquireConnection();
  try {
    await connection.query(beginForTenant(tenantId));
    try {
      const result = await work(
        async (statement, values) =>
          (await connection.query({ name: statement.name, text: statement.text, values })).rows,
      );
      await connection.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that cannot roll back is not handed out again (knex's pool destroys it on release).
      await connection.query('ROLLBACK').catch((rollbackError: unknown) => {
        connection.__knex__disposed ??= rollbackError;
      });
      throw error;
    }
  } finally {
    await client.releaseConnection(connection);
  }
}
