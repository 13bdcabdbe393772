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
    // The id is a checked uuid (hex digits and dashes): safe inside a literal.
    return this.query(connection, `BEGIN; SELECT set_config('app.tenant_id', '${this.tenantId}', true);`);
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
