/**
 * Throwaway servers for tests and benchmarks: a fresh database (on DATABASE_URL's server, or an embedded
 * PostgreSQL) and a fresh Temporal dev server (TEMPORAL_ADDRESS, or the CLI found or built here), migrated.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { createDb, migrateToLatest } from '../stores/db';
import { startEmbeddedPostgres } from './postgres';
import { type RunningTemporal, findTemporalCli, freePort, startTemporalDevServer } from './temporal-server';

export interface EphemeralStack {
  databaseUrl: string;
  temporalAddress: string;
  workDir: string;
  stop(): Promise<void>;
}

async function freshDatabase(workDir: string, stops: Array<() => Promise<void>>): Promise<string> {
  const base = process.env.DATABASE_URL;
  if (!base) {
    const pg = await startEmbeddedPostgres({
      dataDir: path.join(workDir, 'pg'),
      port: await freePort(),
      database: 'triage_test',
      persistent: false,
    });
    stops.push(() => pg.stop());
    return pg.url;
  }
  const name = `triage_test_${process.pid}_${Date.now()}`;
  const admin = knexFactory({ client: 'pg', connection: base, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE DATABASE ${name}`);
  await admin.destroy();
  stops.push(async () => {
    const cleanup = knexFactory({ client: 'pg', connection: base, pool: { min: 0, max: 1 } });
    await cleanup.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await cleanup.destroy();
  });
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

async function freshTemporal(workDir: string, stops: Array<() => Promise<void>>): Promise<string> {
  if (process.env.TEMPORAL_ADDRESS) return process.env.TEMPORAL_ADDRESS;
  const cliPath = await findTemporalCli(process.env.TEMPORAL_CLI_PATH);
  if (!cliPath) throw new Error('no temporal CLI: install Go or set TEMPORAL_CLI_PATH / TEMPORAL_ADDRESS');
  // A port found free can be taken before the server binds it (outgoing connections draw from the same range):
  // the server then exits at once ("bind: address already in use"), and another pair of ports is tried.
  let server: RunningTemporal | undefined;
  for (let attempt = 1; !server; attempt++) {
    try {
      server = await startTemporalDevServer({
        cliPath,
        dbFile: path.join(workDir, `temporal-${attempt}.db`),
        port: await freePort(),
        uiPort: await freePort(),
        namespace: 'default',
        logFile: path.join(workDir, 'temporal.log'),
      });
    } catch (error) {
      if (attempt >= 3 || !/exited with/.test(String(error))) throw error;
    }
  }
  stops.push(() => server.stop());
  return server.address;
}

export async function startEphemeralStack(): Promise<EphemeralStack> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'triage-stack-'));
  // As root, the embedded PostgreSQL runs as a `postgres` user that must be able to reach its data folder.
  fs.chmodSync(workDir, 0o755);
  const stops: Array<() => Promise<void>> = [];
  const [databaseUrl, temporalAddress] = await Promise.all([
    freshDatabase(workDir, stops),
    freshTemporal(workDir, stops),
  ]);
  const db = createDb(databaseUrl, 2);
  await migrateToLatest(db);
  await db.destroy();
  return {
    databaseUrl,
    temporalAddress,
    workDir,
    async stop() {
      for (const stop of stops.reverse()) await stop().catch((error) => console.warn('stop:', error));
      fs.rmSync(workDir, { recursive: true, force: true });
    },
  };
}
