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
 *
 * runTenantStatements, below, is the hot writes' path: the same tenant-bound transaction with prepared statements,
 * pipelined on a raw connection of the pool.
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

/**
 * BEGIN and the tenant for the transaction only, as one simple-protocol query. `tenantId`: a checked uuid.
 * `synchronousCommit: false` lets COMMIT return before its WAL reaches the disk (that transaction only).
 */
function beginForTenant(tenantId: string, options: { synchronousCommit?: boolean } = {}): string {
  // Hex digits and dashes: safe inside a literal.
  const tenant = `set_config('app.tenant_id', '${tenantId}', true)`;
  if (options.synchronousCommit === false) {
    return `BEGIN; SELECT ${tenant}, set_config('synchronous_commit', 'off', true);`;
  }
  return `BEGIN; SELECT ${tenant};`;
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

/** A prepared statement with its values: one step of a tenant's batch. */
export interface BoundStatement {
  readonly statement: PreparedStatement;
  readonly values: readonly unknown[];
}

/** The step of a batch: `statement` with `values`. */
export function bound(statement: PreparedStatement, values: readonly unknown[]): BoundStatement {
  return { statement, values };
}

interface PgResult {
  command: string;
  rows: never[];
}
interface PgConnection {
  query(query: string | { name: string; text: string; values: readonly unknown[] }): Promise<PgResult>;
  /** knex's mark of a connection it must not hand out again. */
  __knex__disposed?: unknown;
}
interface PooledClient {
  acquireConnection(): Promise<PgConnection>;
  releaseConnection(connection: PgConnection): Promise<void>;
}

export interface TenantStatementsOptions {
  /**
   * false: COMMIT answers before the transaction's WAL is flushed (PostgreSQL's `synchronous_commit = off`, for
   * this transaction only). A crash may then lose its last fraction of a second of such commits, never
   * corrupt or half-apply one: for writes whose loss costs nothing (a request counter), not for the record.
   */
  synchronousCommit?: boolean;
}

/**
 * Runs `statements` in order in one transaction bound to the tenant (as withTenant: row-level security on the
 * application's pool), on a connection of `db`'s pool, as prepared statements; answers each statement's rows.
 *
 * The statements do not depend on each other's answers, so on a pipelined connection (the application's pool)
 * BEGIN with the tenant, the statements and COMMIT go out together: one round trip, where each round trip cost
 * 4-10 ms under the benchmark's load (README "Levers"). PostgreSQL runs them in order; after a failure it refuses the
 * rest of the transaction and answers the COMMIT with ROLLBACK, so the batch is all or nothing. On a connection
 * without pipelining the driver sends each after the previous answer, with the same outcome.
 */
export async function runTenantStatements<Row = Record<string, unknown>>(
  db: Knex,
  tenantId: string,
  statements: readonly BoundStatement[],
  options: TenantStatementsOptions = {},
): Promise<Row[][]> {
  if (!isUuid(tenantId)) throw new Error('runTenantStatements needs a tenant id (a uuid)');
  if (db.isTransaction) throw new Error('runTenantStatements opens its own transaction: pass a pool');
  const client = db.client as unknown as PooledClient;
  const connection = await client.acquireConnection();
  try {
    const sent = [
      connection.query(beginForTenant(tenantId, options)),
      ...statements.map(({ statement, values }) =>
        connection.query({ name: statement.name, text: statement.text, values }),
      ),
      connection.query('COMMIT'),
    ];
    const answers = await Promise.allSettled(sent);
    const commit = answers[answers.length - 1]!;
    if (commit.status === 'rejected') {
      // Whether the transaction ended is unknown: a connection that cannot roll back is not handed out again
      // (knex's pool destroys it on release).
      await connection.query('ROLLBACK').catch((rollbackError: unknown) => {
        connection.__knex__disposed ??= rollbackError;
      });
    }
    const failure = answers.find((answer) => answer.status === 'rejected');
    if (failure) throw failure.reason;
    const committed = (commit as PromiseFulfilledResult<PgResult>).value.command;
    if (committed !== 'COMMIT') throw new Error(`the transaction ended in ${committed}, not COMMIT`);
    return answers
      .slice(1, -1)
      .map((answer) => (answer as PromiseFulfilledResult<PgResult>).value.rows as Row[]);
  } finally {
    await client.releaseConnection(connection);
  }
}

/** runTenantStatements of a single statement: its rows. */
export async function runTenantStatement<Row = Record<string, unknown>>(
  db: Knex,
  tenantId: string,
  statement: BoundStatement,
  options: TenantStatementsOptions = {},
): Promise<Row[]> {
  const [rows] = await runTenantStatements<Row>(db, tenantId, [statement], options);
  return rows!;
}
