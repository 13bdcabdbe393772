/**
 * WORKFLOW_STACK_TRACES: the configuration's default (off in production, on elsewhere), the preload that takes
 * promise hooks away from worker threads told so (and from no other thread), and the warning when a process asked
 * for it was started without the preload. The built worker's workflow threads without stack traces, end to end:
 * test/platform/production.test.ts.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/platform/config';
import pino from 'pino';
import {
  WORKFLOW_THREAD_PRELOAD,
  setWorkflowStackTraces,
  workflowThreadPreloaded,
} from '../../src/worker/workflow-stack-traces';
import { ROOT } from '../helpers/processes';

/** What production insists on besides (test values). */
const PRODUCTION = {
  NODE_ENV: 'production',
  JWT_SECRET: 'x'.repeat(48),
  PAYLOAD_KEYS: `p1:${Buffer.alloc(32, 1).toString('base64')}`,
  SECRET_KEYS: `k1:${Buffer.alloc(32, 2).toString('base64')}`,
};

test('off by default in production, on elsewhere, as configured when set', () => {
  expect(loadConfig(PRODUCTION).temporal.workflowStackTraces).toBe(false);
  expect(loadConfig({ NODE_ENV: 'development' }).temporal.workflowStackTraces).toBe(true);
  expect(loadConfig({ NODE_ENV: 'test' }).temporal.workflowStackTraces).toBe(true);
  expect(loadConfig({ ...PRODUCTION, WORKFLOW_STACK_TRACES: 'on' }).temporal.workflowStackTraces).toBe(true);
  expect(loadConfig({ WORKFLOW_STACK_TRACES: 'off' }).temporal.workflowStackTraces).toBe(false);
  expect(() => loadConfig({ WORKFLOW_STACK_TRACES: 'false' })).toThrow(ConfigError);
  expect(() => loadConfig({ WORKFLOW_STACK_TRACES: 'false' })).toThrow(/WORKFLOW_STACK_TRACES/);
});

/**
 * Runs node with the preload (or without) and the given environment; each of its threads reports how promise hooks
 * fare for the Temporal SDK's workflow runtime (a caller in @temporalio/worker/lib/workflow/, as vm-shared.js is),
 * for any other caller, and for AsyncLocalStorage across an await (Node creates its promise hook through the same
 * function, and the SDK's cancellation scopes run on it). One thread gets an environment of its own.
 */
function runNode(options: { preload: boolean; env: Record<string, string> }): Record<string, unknown> {
  const probe = `(done) => {
    const v8 = require('node:v8');
    const vm = require('node:vm');
    const { AsyncLocalStorage } = require('node:async_hooks');
    const tryHook = (create) => { try { create({ init() {} })(); return 'hooks'; } catch (e) { return 'refused: ' + e.message; } };
    const fromTemporal = vm.runInThisContext('(create) => create({ init() {} })',
      { filename: '/app/node_modules/@temporalio/worker/lib/workflow/vm-shared.js' });
    const storage = new AsyncLocalStorage();
    storage.run('kept', async () => { await new Promise((r) => setTimeout(r, 1)); return storage.getStore(); })
      .then((store) => done({
        temporal: tryHook(() => fromTemporal(v8.promiseHooks.createHook)),
        other: tryHook(v8.promiseHooks.createHook),
        asyncLocalStorage: String(store),
      }));
  }`;
  const script = `
    const { Worker } = require('node:worker_threads');
    const results = { mark: String(globalThis[Symbol.for('support-triage.workflow-thread-preload')] === true) };
    const inThread = (name, env) => new Promise((resolve) => {
      const code = "(" + ${JSON.stringify(probe)} + ")((r) => require('node:worker_threads').parentPort.postMessage(r))";
      const w = new Worker(code, { eval: true, ...(env ? { env } : {}) });
      w.on('message', (m) => { results[name] = m; resolve(); });
    });
    new Promise((resolve) => (${probe})((r) => { results.main = r; resolve(); }))
      .then(() => inThread('thread'))
      .then(() => inThread('threadSetOn', { ...process.env, WORKFLOW_STACK_TRACES: 'on' }))
      .then(() => console.log(JSON.stringify(results)));
  `;
  const out = execFileSync(
    process.execPath,
    [...(options.preload ? ['--require', path.join(ROOT, WORKFLOW_THREAD_PRELOAD)] : []), '-e', script],
    { env: { PATH: process.env.PATH, ...options.env }, encoding: 'utf8' },
  );
  return JSON.parse(out.trim().split('\n').pop()!);
}

const served = { temporal: 'hooks', other: 'hooks', asyncLocalStorage: 'kept' };

test('the preload refuses promise hooks to the SDK in worker threads told off, and to no other caller', () => {
  expect(runNode({ preload: true, env: { WORKFLOW_STACK_TRACES: 'off' } })).toEqual({
    mark: 'true',
    main: served,
    thread: {
      temporal: 'refused: workflow stack traces are off (WORKFLOW_STACK_TRACES=off)',
      other: 'hooks',
      asyncLocalStorage: 'kept',
    },
    threadSetOn: served,
  });
  expect(runNode({ preload: true, env: {} })).toEqual({
    mark: 'true',
    main: served,
    thread: served,
    threadSetOn: served,
  });
  // Without the preload nothing changes, and the process can tell.
  expect(runNode({ preload: false, env: { WORKFLOW_STACK_TRACES: 'off' } })).toEqual({
    mark: 'false',
    main: served,
    thread: served,
    threadSetOn: served,
  });
});

describe('setWorkflowStackTraces', () => {
  const saved = process.env.WORKFLOW_STACK_TRACES;
  afterEach(() => {
    if (saved === undefined) delete process.env.WORKFLOW_STACK_TRACES;
    else process.env.WORKFLOW_STACK_TRACES = saved;
  });

  test('hands the setting to the threads started next; off without the preload warns and stays on', () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    // Jest's own process was not started with the preload.
    expect(workflowThreadPreloaded()).toBe(false);
    expect(setWorkflowStackTraces(true, logger)).toBe(true);
    expect(process.env.WORKFLOW_STACK_TRACES).toBe('on');
    expect(lines).toEqual([]);
    expect(setWorkflowStackTraces(false, logger)).toBe(true);
    expect(process.env.WORKFLOW_STACK_TRACES).toBe('off');
    expect(lines.join('')).toMatch(/takes effect only when node starts with --require/);
  });
});
