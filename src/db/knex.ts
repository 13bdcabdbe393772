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
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: string; constraint?: string };
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}

export function isCheckViolation(error: unknown): boolean {
  return (error as { code?: string })?.code === '23514';
}
