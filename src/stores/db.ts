import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { Logger } from '../platform/logger';
import { isUuid } from '../domain/uuid';
import {
  type TenantConfigCache,
  listeningTenantConfigCache,
  uncachedTenantConfig,
} from './tenant-config-cache';
import { TenantAwarePgClient, type TenantTransactionConfig, setsTenantAtBegin } from './tenant-transactions';

export const MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', 'migrations');

interface MigrationFile {
  /** The name recorded in knex_migrations: always `<file>.ts`, whether the source or the build runs it. */
  name: string;
  file: string;
}

/**
 * The migrations from the sources (`migrations/*.ts`, under tsx or jest) or from the build (`dist/migrations/*.js`),
 * recorded under one name, so a database migrated by either is up to date for the other (knex's own file source
 * records the extension, and would call a database migrated from the sources "corrupt" when the build runs).
 */
export const migrationSource: Knex.MigrationSource<MigrationFile> = {
  async getMigrations() {
    return fs
      .readdirSync(MIGRATIONS_DIR)
      .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
      .sort()
      .map((f) => ({ name: f.replace(/\.js$/, '.ts'), file: path.join(MIGRATIONS_DIR, f) }));
  },
  getMigrationName: (migration) => migration.name,
  async getMigration(migration) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(migration.file) as Knex.Migration;
  },
};

export function knexConfig(url: string, poolMax = 10): Knex.Config {
  return {
    client: TenantAwarePgClient as unknown as Knex.Config['client'],
    connection: url,
    pool: { min: 0, max: poolMax },
    migrations: { migrationSource, tableName: 'knex_migrations' },
  };
}

/**
 * The role the application (API and worker) works as. It owns nothing, so the row-level security policies on
 * every tenant-owned table apply to it: it sees and writes only the rows of the tenant its transaction names
 * (`withTenant`), and nothing without one. Created by migration 20261202030000_row_level_security.ts.
 */
export const APP_ROLE = 'triage_app';

declare const platformBrand: unique symbol;
/**
 * The owner's pool (DATABASE_URL's user): row-level security does not apply to it. Only migrations and the
 * platform's own operations use it, each named as such: creating tenants, the outbox relay's scan for unstarted
 * workflows (every tenant's), the agent webhook's lookup of an agent before its tenant is known, secret rotation.
 * A distinct type, so the application's pool cannot be passed where the owner's is meant, or the other way.
 */
export type PlatformDb = Knex & { readonly [platformBrand]: true };

/**
 * The application's pool (role APP_ROLE, row-level security), the platform's (owner, none), and what this
 * process keeps of its tenants' configuration (read through when caching is off).
 */
export interface Databases {
  app: Knex;
  platform: PlatformDb;
  tenantConfig: TenantConfigCache;
}

/**
 * Opens the owner's pool: migrations, scripts and tests use it. The objection models are bound to no pool: every
 * query names its own (the application's in a withTenant transaction, or the platform's), so none runs on the
 * owner's by default and around row-level security.
 */
export function createDb(url: string, poolMax = 10): PlatformDb {
  return knexFactory(knexConfig(url, poolMax)) as PlatformDb;
}

/**
 * Opens the application's pool: every connection switches to APP_ROLE as it opens, so every query of the API
 * and the worker runs under the row-level security policies. `appUrl` (DATABASE_APP_URL) may log in as a role
 * of its own that is a member of APP_ROLE; by default it is the owner's URL, which needs no set-up (embedded
 * PostgreSQL, the tests, docker-compose).
 */
export function createAppDb(url: string, poolMax = 10): Knex {
  const config = knexConfig(url, poolMax);
  return knexFactory({
    ...config,
    // pg's pipeline mode: runTenantStatements sends a whole transaction in one round trip. knex awaits each of
    // its own queries, so they go out one at a time as before.
    connection: { connectionString: url, pipeline: true } as Knex.PgConnectionConfig,
    pool: {
      ...config.pool,
      afterCreate(connection: PgConnection, done: (error: Error | null, connection: PgConnection) => void) {
        connection.query(`SET ROLE ${APP_ROLE}`, (error) => done(error ?? null, connection));
      },
    },
  });
}

interface PgConnection {
  query(sql: string, callback: (error: Error | undefined) => void): void;
}

/** Both pools of a process. The platform's is small by default: migrations and a few rare operations use it. */
export function createDatabases(options: {
  url: string;
  appUrl?: string;
  poolMax: number;
  platformPoolMax?: number;
  /** Cache tenant configuration, dropped on PostgreSQL's change notifications; every read goes through when unset. */
  tenantConfig?: { logger: Logger; maxAgeMs: number };
}): Databases {
  const { tenantConfig } = options;
  return {
    platform: createDb(options.url, options.platformPoolMax ?? Math.min(options.poolMax, 2)),
    app: createAppDb(options.appUrl ?? options.url, options.poolMax),
    tenantConfig:
      tenantConfig && tenantConfig.maxAgeMs > 0
        ? listeningTenantConfigCache({ url: options.url, ...tenantConfig })
        : uncachedTenantConfig,
  };
}

export async function destroyDatabases(dbs: Databases): Promise<void> {
  await Promise.all([dbs.tenantConfig.stop(), dbs.app.destroy(), dbs.platform.destroy()]);
}

/**
 * Runs `work` in a transaction bound to one tenant: `app.tenant_id` is set for this transaction only
 * (set_config(…, true)), so a pooled connection never carries it into another tenant's work. On the application's
 * pool the row-level security policies then let `work` see and write that tenant's rows only, whatever its
 * queries say. Inside a transaction it opens a savepoint. On the product's pools the tenant is set in the same
 * round trip as BEGIN (tenant-transactions.ts).
 */
export async function withTenant<T>(
  db: Knex,
  tenantId: string,
  work: (trx: Knex.Transaction) => PromiseLike<T>,
): Promise<T> {
  if (!isUuid(tenantId)) throw new Error('withTenant needs a tenant id (a uuid)');
  if (setsTenantAtBegin(db)) {
    const config: TenantTransactionConfig = { tenantId };
    return db.transaction(async (trx) => await work(trx), config);
  }
  return db.transaction(async (trx) => {
    await trx.raw(`select set_config('app.tenant_id', ?, true)`, [tenantId]);
    return await work(trx);
  });
}

export async function migrateToLatest(db: Knex): Promise<string[]> {
  const [, applied] = (await db.migrate.latest()) as [number, string[]];
  return applied;
}

/** True when the error is PostgreSQL's unique violation on the named constraint (any, if none is named). */
interface PgError {
  code?: string;
  constraint?: string;
  /** objection wraps driver errors; the original is kept here. */
  nativeError?: PgError;
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as PgError | undefined;
  const native = e?.nativeError ?? e;
  return native?.code === '23505' && (constraint === undefined || native.constraint === constraint);
}
