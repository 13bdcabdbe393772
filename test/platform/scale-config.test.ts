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

test('workflow task slots: 40, and 4 while the API in the same process has creates in flight, unless configured', () => {
  expect(loadConfig({}).temporal.slots).toEqual({
    activities: 16,
    workflowTasks: 40,
    workflowTasksDuringIntake: 4,
  });
  expect(
    loadConfig({ WORKER_WORKFLOW_TASK_SLOTS: '24', WORKER_WORKFLOW_TASK_SLOTS_DURING_INTAKE: '8' }).temporal
      .slots,
  ).toMatchObject({ workflowTasks: 24, workflowTasksDuringIntake: 8 });
  // Fewer slots than the default during intake: all of them, not a refusal.
  expect(loadConfig({ WORKER_WORKFLOW_TASK_SLOTS: '2' }).temporal.slots).toMatchObject({
    workflowTasks: 2,
    workflowTasksDuringIntake: 2,
  });
});

test('more slots during intake than at all, or fewer than two, stops the start naming the variables', () => {
  expect(() =>
    loadConfig({ WORKER_WORKFLOW_TASK_SLOTS: '8', WORKER_WORKFLOW_TASK_SLOTS_DURING_INTAKE: '9' }),
  ).toThrow(
    /WORKER_WORKFLOW_TASK_SLOTS_DURING_INTAKE \(9\) must not exceed WORKER_WORKFLOW_TASK_SLOTS \(8\)/,
  );
  expect(() => loadConfig({ WORKER_WORKFLOW_TASK_SLOTS_DURING_INTAKE: '1' })).toThrow(
    /WORKER_WORKFLOW_TASK_SLOTS_DURING_INTAKE/,
  );
});
