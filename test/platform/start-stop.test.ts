/**
 * `npm start` (src/main.ts under tsx) stops cleanly on SIGINT and on SIGTERM: exit code 0, the Temporal dev server
 * it started is gone, its ports are free. Killed outright (SIGKILL), it still takes its dev server with it. A port
 * already taken stops the start with a message naming it.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/platform/temporal-server';
import { assertPortFree } from '../../src/platform/ports';
import {
  type Spawned,
  eventuallyTrue,
  isAlive,
  processesMentioning,
  spawnEntry,
  waitForHttp,
} from '../helpers/processes';
import { WORKFLOW_THREAD_PRELOAD } from '../../src/worker/workflow-stack-traces';

jest.setTimeout(300_000);

// One data folder for every start: the offline models are trained once and cached there.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'triage-start-'));
const running: Spawned[] = [];

afterAll(() => {
  for (const s of running) s.child.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function ports() {
  return { api: await freePort(), temporal: await freePort(), ui: await freePort() };
}

function env(p: { api: number; temporal: number; ui: number }): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    DATA_DIR: dataDir,
    DATABASE_URL: process.env.TEST_DATABASE_URL,
    PORT: String(p.api),
    HOST: '127.0.0.1',
    TEMPORAL_DEV_PORT: String(p.temporal),
    TEMPORAL_UI_PORT: String(p.ui),
    OUTBOX_INTERVAL_MS: '1000',
  };
}

/** `npm start` as a person runs it (npm forwards SIGINT/SIGTERM to the node its script execs), or node itself. */
async function start(p: { api: number; temporal: number; ui: number }, args?: string[]) {
  const s = args ? spawnEntry(args, env(p)) : spawnEntry(['start', '--silent'], env(p), 'npm');
  running.push(s);
  const ready = await s.waitForLog(/^ready/);
  await waitForHttp(`http://127.0.0.1:${p.api}/readyz`);
  return { s, temporalPid: ready.temporalPid as number };
}

async function expectAllGone(temporalPid: number, p: { api: number; temporal: number; ui: number }) {
  expect(await eventuallyTrue(() => !isAlive(temporalPid))).toBe(true);
  // Nothing started with this data folder is left (the dev server's command line names its database file).
  expect(await eventuallyTrue(() => processesMentioning(dataDir).length === 0)).toBe(true);
  await assertPortFree(p.api, '127.0.0.1', 'API', 'PORT');
  await assertPortFree(p.temporal, '127.0.0.1', 'dev server', 'TEMPORAL_DEV_PORT');
  await assertPortFree(p.ui, '127.0.0.1', 'UI', 'TEMPORAL_UI_PORT');
}

/** A POST whose body is sent in two parts: in flight until finish() is called. */
function startSlowRequest(port: number) {
  const body = JSON.stringify({ content: 'in flight during shutdown' });
  const req = http.request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/v1/tickets',
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
  });
  const status = new Promise<number>((resolve, reject) => {
    req.once('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
  });
  req.write(body.slice(0, 5));
  const connected = new Promise<void>((resolve) =>
    req.once('socket', (socket) => socket.once('connect', () => setTimeout(resolve, 500))),
  );
  return { connected, status, finish: () => req.end(body.slice(5)) };
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal}: in order, exit code 0, nothing left running, ports free`, async () => {
    const p = await ports();
    const { s, temporalPid } = await start(p);
    expect(isAlive(temporalPid)).toBe(true);
    // A request in flight when the signal arrives (its body still arriving) still gets its answer.
    const inFlight = startSlowRequest(p.api);
    await inFlight.connected;
    s.child.kill(signal);
    await new Promise((r) => setTimeout(r, 1000));
    inFlight.finish();
    expect(await inFlight.status).toBe(401); // answered (no token), not cut off
    const { code } = await s.exited;
    expect(s.output()).not.toMatch(/IllegalStateError|Not running/);
    expect(code).toBe(0);
    const messages = s.logs.map((l) => l.msg);
    expect(messages).toContain('shutting down');
    expect(messages).toContain('stopped');
    await expectAllGone(temporalPid, p);
  });
}

test('SIGKILL: the dev server does not outlive the product', async () => {
  const p = await ports();
  // node itself (no npm in between), so the kill reaches the process that started the dev server.
  const { s, temporalPid } = await start(p, [
    '--require',
    `./${WORKFLOW_THREAD_PRELOAD}`,
    '--import',
    'tsx',
    'src/main.ts',
  ]);
  s.child.kill('SIGKILL');
  await s.exited;
  await expectAllGone(temporalPid, p);
});

test('a port already taken stops the start with a message naming it, exit code 1', async () => {
  const p = await ports();
  const squatter = net.createServer();
  await new Promise<void>((resolve) => squatter.listen(p.temporal, '127.0.0.1', () => resolve()));
  try {
    const s = spawnEntry(['start', '--silent'], env(p), 'npm');
    running.push(s);
    const { code } = await s.exited;
    expect(code).toBe(1);
    expect(s.output()).toContain(`port ${p.temporal} (Temporal dev server) is already in use`);
    expect(s.output()).toContain('TEMPORAL_DEV_PORT');
    // Nothing was started: no dev server attached to (or started beside) the foreign one.
    expect(processesMentioning(dataDir)).toEqual([]);
  } finally {
    await new Promise((r) => squatter.close(r));
  }
});
