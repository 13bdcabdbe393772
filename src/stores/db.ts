import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { Model } from 'objection';

export const MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', 'migrations');

export function knexConfig(url: string, poolMax = 10): Knex.Config {
  return {
    client: 'pg',
    connection: url,
    pool: { min: 0, max: poolMax },
    migrations: { directory: MIGRATIONS_DIR, loadExtensions: ['.ts', '.js'], tableName: 'knex_migrations' },
  };
}

/** Opens a pool and binds the objection models to it. */
export function createDb(url: string, poolMax = 10): Knex {
  const db = knexFactory(knexConfig(url, poolMax));
  Model.knex(db);
  return db;
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
