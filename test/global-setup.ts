/**
 * Starts the real servers the suite runs against, once: a PostgreSQL database (a fresh database on
 * DATABASE_URL's server, or an embedded PostgreSQL) and a Temporal dev server (TEMPORAL_ADDRESS, or the CLI
 * from TEMPORAL_CLI_PATH / PATH / .tools/bin, built with Go when missing). Test files read TEST_* variables.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { createDb, migrateToLatest } from '../src/db/knex';
import { startEmbeddedPostgres } from '../src/infra/postgres';
import { findTemporalCli, freePort, startTemporalDevServer } from '../src/infra/temporal-server';

interface Handles {
  stops: Array<() => Promise<void>>;
}

async function setupDatabase(workDir: string, handles: Handles): Promise<string> {
  const base = process.env.DATABASE_URL;
  if (!base) {
    const pg = await startEmbeddedPostgres({
      dataDir: path.join(workDir, 'pg'),
      port: await freePort(),
      database: 'triage_test',
      persistent: false,
    });
    handles.stops.push(() => pg.stop());
    return pg.url;
  }
  const name = `triage_test_${process.pid}_${Date.now()}`;
  const admin = knexFactory({ client: 'pg', connection: base, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE DATABASE ${name}`);
  await admin.destroy();
  const url = new URL(base);
  url.pathname = `/${name}`;
  handles.stops.push(async () => {
    const cleanup = knexFactory({ client: 'pg', connection: base, pool: { min: 0, max: 1 } });
    await cleanup.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await cleanup.destroy();
  });
  return url.toString();
}

async function setupTemporal(workDir: string, handles: Handles): Promise<string> {
  if (process.env.TEMPORAL_ADDRESS) return process.env.TEMPORAL_ADDRESS;
  const cliPath = await findTemporalCli(process.env.TEMPORAL_CLI_PATH);
  if (!cliPath) throw new Error('no temporal CLI: install Go or set TEMPORAL_CLI_PATH / TEMPORAL_ADDRESS');
  const server = await startTemporalDevServer({
    cliPath,
    dbFile: path.join(workDir, 'temporal.db'),
    port: await freePort(),
    uiPort: await freePort(),
    namespace: 'default',
    logFile: path.join(workDir, 'temporal.log'),
  });
  handles.stops.push(() => server.stop());
  return server.address;
}

export default async function globalSetup(): Promise<void> {
  // Pure unit tests can skip the servers: JEST_NO_SERVERS=1 npx jest test/domain
  if (process.env.JEST_NO_SERVERS === '1') return;
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'triage-test-'));
  // As root, the embedded PostgreSQL runs as a `postgres` user that must be able to reach its data folder.
  fs.chmodSync(workDir, 0o755);
  const handles: Handles = { stops: [] };
  (globalThis as { __triageHandles?: Handles }).__triageHandles = handles;
  const [databaseUrl, temporalAddress] = await Promise.all([
    setupDatabase(workDir, handles),
    setupTemporal(workDir, handles),
  ]);
  const db = createDb(databaseUrl, 2);
  await migrateToLatest(db);
  await db.destroy();
  process.env.TEST_DATABASE_URL = databaseUrl;
  process.env.TEST_TEMPORAL_ADDRESS = temporalAddress;
  process.env.TEST_WORK_DIR = workDir;
}
