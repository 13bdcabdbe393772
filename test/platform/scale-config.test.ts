/**
 * What bounds a worker's memory and its replays: WORKER_MAX_CACHED_WORKFLOWS (the sticky cache's size, bounded
 * below by the workflow task slots) and TICKET_HISTORY_EVENT_LIMIT (the history a ticket's run may grow to).
 */
import { ConfigError, loadConfig } from '../../src/platform/config';

test('the sticky cache holds 600 workflows unless configured', () => {
  expect(loadConfig({}).temporal.maxCachedWorkflows).toBe(600);
  expect(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '1500' }).temporal.maxCachedWorkflows).toBe(1500);
});

test('zero disables the cache', () => {
  expect(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '0' }).temporal.maxCachedWorkflows).toBe(0);
});

test('a cache smaller than the workflow task slots, or not a count, stops the start naming the variable', () => {
  expect(() => loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '8', WORKER_WORKFLOW_TASK_SLOTS: '16' })).toThrow(
    /WORKER_MAX_CACHED_WORKFLOWS \(8\) must be 0 \(no cache\) or at least WORKER_WORKFLOW_TASK_SLOTS \(16\)/,
  );
  expect(() => loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: 'many' })).toThrow(ConfigError);
  expect(() => loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '-1' })).toThrow(/WORKER_MAX_CACHED_WORKFLOWS/);
  expect(
    loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '16', WORKER_WORKFLOW_TASK_SLOTS: '16' }).temporal
      .maxCachedWorkflows,
  ).toBe(16);
});

test('ticket workflows continue as new past 1,000 history events unless configured', () => {
  expect(loadConfig({}).ticketHistoryEventLimit).toBe(1000);
  expect(loadConfig({ TICKET_HISTORY_EVENT_LIMIT: '200' }).ticketHistoryEventLimit).toBe(200);
  expect(() => loadConfig({ TICKET_HISTORY_EVENT_LIMIT: '10' })).toThrow(/TICKET_HISTORY_EVENT_LIMIT/);
});
