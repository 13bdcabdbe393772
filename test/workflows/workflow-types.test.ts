/**
 * The ticket workflow's two types (src/workflows/ticket/versions.ts): new tickets start as ticketWorkflowV2, which
 * takes every patch's new path without recording it (no patch markers, no TemporalChangeVersion upserts); a
 * ticket started as ticketWorkflow before it goes on running on the same worker, asking its patches as recorded.
 */
import { temporal } from '@temporalio/proto';
import { tenantPolicy } from '../../src/api/tenant-policy';
import type { TenantModel } from '../../src/stores/models';
import {
  TICKET_WORKFLOW_TYPE,
  TICKET_WORKFLOW_V1_TYPE,
  type TicketWorkflowInput,
  ticketWorkflowId,
} from '../../src/workflows/messages';
import { type Harness, type TestTenant, eventually, startHarness } from '../helpers/harness';
import { historySteps } from '../helpers/history-steps';

const { EventType } = temporal.api.enums.v1;
let h: Harness;
let tenant: TestTenant;

beforeAll(async () => {
  h = await startHarness({ worker: false });
  tenant = await h.createTenant();
});
afterAll(() => h?.stop());

async function post(content: string): Promise<string> {
  const created = await h.call('POST', '/v1/tickets', { token: tenant.tokens.client, body: { content } });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

/** The ticket as the API started it before V2: the same input, the old type. */
async function restartAsV1(ticketId: string): Promise<void> {
  const handle = h.client.workflow.getHandle(ticketWorkflowId(ticketId));
  await handle.terminate('restarted as the V1 type by the test');
  const ticket = await h.db('tickets').where({ id: ticketId }).first();
  const tenantRow = (await h.db('tenants').where({ id: ticket.tenant_id }).first()) as TenantModel;
  const input: TicketWorkflowInput = {
    ticketId,
    tenantId: ticket.tenant_id,
    priority: ticket.priority,
    priorityPinned: ticket.priority_pinned,
    customerTier: ticket.customer_tier,
    createdAtMs: new Date(ticket.created_at).getTime(),
    policy: tenantPolicy(tenantRow),
    autoCloseAfterMs: 7 * 24 * 3600_000,
  };
  await h.client.workflow.start(TICKET_WORKFLOW_V1_TYPE, {
    workflowId: ticketWorkflowId(ticketId),
    taskQueue: h.taskQueue,
    args: [input],
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
  });
}

async function triagedHistory(ticketId: string) {
  await eventually(async () => {
    const ticket = await h.call('GET', `/v1/tickets/${ticketId}`, { token: tenant.tokens.agent });
    return ticket.body.status === 'open';
  }, 60_000);
  return eventually(async () => {
    const history = await h.client.workflow.getHandle(ticketWorkflowId(ticketId)).fetchHistory();
    const events = history.events ?? [];
    return historySteps(events).includes('local:completeTriage') ? events : undefined;
  }, 30_000);
}

function patchMarkers(events: temporal.api.history.v1.IHistoryEvent[]): number {
  return events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch').length;
}

function changeVersionUpserts(events: temporal.api.history.v1.IHistoryEvent[]): number {
  return events.filter(
    (e) =>
      e.eventType === EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES &&
      'TemporalChangeVersion' in
        (e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}),
  ).length;
}

test('new tickets run as V2 without patch events; a V1 ticket goes on, asking its patches', async () => {
  const v2 = await post('The export to CSV fails with an error since this morning');
  const v1 = await post('The export to PDF fails with an error since this morning');
  await restartAsV1(v1);
  await h.startWorker();

  const v2Events = await triagedHistory(v2);
  const v1Events = await triagedHistory(v1);
  const started = (events: typeof v2Events) =>
    events[0]!.workflowExecutionStartedEventAttributes!.workflowType!.name;
  expect([started(v2Events), started(v1Events)]).toEqual([TICKET_WORKFLOW_TYPE, TICKET_WORKFLOW_V1_TYPE]);

  expect(patchMarkers(v2Events)).toBe(0);
  expect(changeVersionUpserts(v2Events)).toBe(0);
  expect(patchMarkers(v1Events)).toBeGreaterThanOrEqual(4);
  expect(changeVersionUpserts(v1Events)).toBe(patchMarkers(v1Events));

  // Both take the new paths: one model step and one completion step, all local.
  for (const events of [v2Events, v1Events]) {
    const steps = historySteps(events);
    expect(steps).toEqual(expect.arrayContaining(['local:triageTicket', 'local:completeTriage']));
    expect(steps.filter((s) => s.startsWith('activity:'))).toEqual([]);
  }
  expect(v2Events.length).toBeLessThan(v1Events.length - 6);
}, 120_000);
