import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { Model } from 'objection';

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
    client: 'pg',
    connection: url,
    pool: { min: 0, max: poolMax },
    migrations: { migrationSource, tableName: 'knex_migrations' },
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
