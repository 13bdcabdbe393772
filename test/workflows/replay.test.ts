/**
 * Replays every recorded history in test/histories/ against the current workflow code: a change that would
 * break workflows already running (non-determinism) fails here. The corpus is append-only (recorded once from
 * real runs by scripts/record-histories.ts, never re-recorded); a change that breaks a history is guarded with
 * patched() instead. A negative control proves the replayer does reject an incompatible change.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { encryptedDataConverter } from '../../src/platform/crypto/payload-codec';
import { TEST_PAYLOAD_KEYS, workflowBundle } from '../helpers/harness';
import { historySteps } from '../helpers/history-steps';

/** Histories recorded since payload encryption are ciphertext: the replayer decodes them like the worker. */
const dataConverter = encryptedDataConverter(TEST_PAYLOAD_KEYS);

const dir = path.join(__dirname, '..', 'histories');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
const read = (file: string) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));

interface HistoryEvent {
  eventType: string;
  workflowExecutionUpdateAcceptedEventAttributes?: { acceptedRequest?: { input?: { name?: string } } };
  workflowExecutionSignaledEventAttributes?: { signalName?: string };
}

test.each(files)('%s replays without non-determinism', async (file) => {
  const result = await Worker.runReplayHistories({ workflowBundle: await workflowBundle(), dataConverter }, [
    { workflowId: file, history: read(file) },
  ]);
  for await (const r of result) {
    expect(r.error).toBeUndefined();
  }
});

test('the corpus covers every path of a ticket', () => {
  const seen = new Set<string>();
  for (const file of files) {
    for (const e of read(file).events as HistoryEvent[]) {
      seen.add(e.eventType);
      const update = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
      if (update) seen.add(`update:${update}`);
      const signal = e.workflowExecutionSignaledEventAttributes?.signalName;
      if (signal) seen.add(`signal:${signal}`);
    }
    for (const step of historySteps(read(file).events)) seen.add(step);
  }
  const expected = [
    'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW',
    'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
    'EVENT_TYPE_ACTIVITY_TASK_FAILED',
    'EVENT_TYPE_TIMER_FIRED',
    ...[
      'assignTicket',
      'addMessage',
      'escalateTicket',
      'resolveTicket',
      'reopenTicket',
      'closeTicket',
      'setPriority',
    ].map((u) => `update:${u}`),
    'signal:applySlaPolicy',
    ...[
      'persistTicketChange',
      'classifyTicket',
      'retrieveKnowledge',
      'draftReply',
      'recordTriage',
      'checkEscalationTriggers',
      'syncTicketToItsm',
      'listNotificationTargets',
      'deliverSlaNotification',
      'recordNotificationOutcome',
    ].map((a) => `activity:${a}`),
    // Since the patch local-short-steps.
    ...[
      'persistTicketChange',
      'triageSetup',
      'classifyTicket',
      'retrieveKnowledge',
      'draftReply',
      'recordTriage',
      'checkEscalationTriggers',
      'listNotificationTargets',
      'recordNotificationOutcome',
      // Since the patch local-integration-checks.
      'itsmConfigured',
      'dispatchTicketEvent',
      // Since the patch triage-in-fewer-steps.
      'triageTicket',
      'completeTriage',
    ].map((a) => `local:${a}`),
  ];
  expect(expected.filter((x) => !seen.has(x))).toEqual([]);
});

test('negative control: an extra activity before triage is rejected as non-deterministic', async () => {
  const incompatible = await bundleWorkflowCode({
    workflowsPath: require.resolve('../fixtures/incompatible-workflow'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
  const result = await Worker.runReplayHistories({ workflowBundle: incompatible }, [
    { workflowId: 'control', history: read('ticket-full-lifecycle.json') },
  ]);
  let error: unknown;
  for await (const r of result) error = r.error;
  expect(error).toBeInstanceOf(DeterminismViolationError);
});
