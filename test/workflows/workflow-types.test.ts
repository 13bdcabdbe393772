/**
 * The ticket workflow's types (src/workflows/ticket/versions.ts): new tickets start as ticketWorkflowV3, which
 * takes every patch's new path without recording it (no patch markers, no TemporalChangeVersion upserts), V3's
 * own included (search attributes upserted key by key when changed, no ItsmSync flip for a tenant without a tool);
 * tickets started as ticketWorkflowV2 or ticketWorkflow before go on running on the same worker, as recorded.
 */
import { temporal } from '@temporalio/proto';
import { tenantPolicy } from '../../src/api/tenant-policy';
import type { TenantModel } from '../../src/stores/models';
import {
  TICKET_WORKFLOW_TYPE,
  TICKET_WORKFLOW_V1_TYPE,
  TICKET_WORKFLOW_V2_TYPE,
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

/** The ticket as the API started it before: the same input (as it was then), an older type. */
async function restartAs(type: string, ticketId: string): Promise<void> {
  const handle = h.client.workflow.getHandle(ticketWorkflowId(ticketId));
  await handle.terminate(`restarted as ${type} by the test`);
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
  await h.client.workflow.start(type, {
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

const isUpsert = (e: temporal.api.history.v1.IHistoryEvent) =>
  e.eventType === EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES;

test('new tickets run as V3: no patch events, fewer upserts; V2 and V1 tickets go on as recorded', async () => {
  const v3 = await post('The export to CSV fails with an error since this morning');
  const v2 = await post('The export to XLSX fails with an error since this morning');
  const v1 = await post('The export to PDF fails with an error since this morning');
  await restartAs(TICKET_WORKFLOW_V2_TYPE, v2);
  await restartAs(TICKET_WORKFLOW_V1_TYPE, v1);
  await h.startWorker();

  const v3Events = await triagedHistory(v3);
  const v2Events = await triagedHistory(v2);
  const v1Events = await triagedHistory(v1);
  const started = (events: typeof v3Events) =>
    events[0]!.workflowExecutionStartedEventAttributes!.workflowType!.name;
  expect([started(v3Events), started(v2Events), started(v1Events)]).toEqual([
    TICKET_WORKFLOW_TYPE,
    TICKET_WORKFLOW_V2_TYPE,
    TICKET_WORKFLOW_V1_TYPE,
  ]);

  // V3 asks nothing; a running V2 ticket asks only the patches V3 was born with; V1 asks them all.
  expect(patchMarkers(v3Events)).toBe(0);
  expect(changeVersionUpserts(v3Events)).toBe(0);
  expect(patchMarkers(v2Events)).toBeGreaterThanOrEqual(1);
  expect(patchMarkers(v2Events)).toBeLessThanOrEqual(3);
  expect(patchMarkers(v1Events)).toBeGreaterThanOrEqual(patchMarkers(v2Events) + 4);
  for (const events of [v2Events, v1Events]) expect(changeVersionUpserts(events)).toBe(patchMarkers(events));

  // V3: the triage's start and its completion (no ItsmSync flip around each event). The first publish upserts
  // nothing: the API started the ticket with what it would set (src/api/workflow-gateway.ts).
  expect(v3Events.filter(isUpsert).length).toBeLessThanOrEqual(2);
  const firstMarker = v3Events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED);
  expect(v3Events.findIndex(isUpsert)).toBeGreaterThan(firstMarker);
  // What the fewer upserts leave in the visibility store is the ticket's state.
  const visible = (await h.client.workflow.getHandle(ticketWorkflowId(v3)).describe()).searchAttributes;
  const ticket = (await h.call('GET', `/v1/tickets/${v3}`, { token: tenant.tokens.agent })).body;
  expect(visible.TicketStatus).toEqual([ticket.status]);
  expect(visible.TicketCategory).toEqual([ticket.category]);
  expect(visible.TicketPriority).toEqual([ticket.priority]);
  expect(visible.ItsmSync).toEqual(['not_configured']);
  expect(visible.SlaClocks).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^first_response:/),
      expect.stringMatching(/^resolution:/),
    ]),
  );

  // All take the new paths: one model step and one completion step, all local.
  for (const events of [v3Events, v2Events, v1Events]) {
    const steps = historySteps(events);
    expect(steps).toEqual(expect.arrayContaining(['local:triageTicket', 'local:completeTriage']));
    expect(steps.filter((s) => s.startsWith('activity:'))).toEqual([]);
  }
  expect(v3Events.length).toBeLessThan(v2Events.length - 3);
  expect(v2Events.length).toBeLessThan(v1Events.length - 6);

  // An internal note changes the ticket but not when its next alert is due: the SLA loop keeps its timer (it
  // used to cancel it and start another, two events, as the V2 and V1 histories in test/histories show).
  const timerEventsAfterNote = async (ticketId: string, before: number) => {
    const note = await h.call('POST', `/v1/tickets/${ticketId}/messages`, {
      token: tenant.tokens.agent,
      body: { body: 'Checking the export service logs.', internal: true },
    });
    expect(note.status).toBe(200);
    // The note's update completes in the workflow task that also records its commands (appended together).
    const after = await eventually(async () => {
      const all = (await h.client.workflow.getHandle(ticketWorkflowId(ticketId)).fetchHistory()).events ?? [];
      const since = all.slice(before);
      return since.some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)
        ? since
        : undefined;
    }, 30_000);
    return after
      .filter(
        (e) =>
          e.eventType === EventType.EVENT_TYPE_TIMER_STARTED ||
          e.eventType === EventType.EVENT_TYPE_TIMER_CANCELED,
      )
      .map((e) => EventType[e.eventType!]);
  };
  expect(await timerEventsAfterNote(v3, v3Events.length)).toEqual([]);
  // A V2 ticket still running takes the path too once it asks (patch sla-timer-kept, marked in its history).
  expect(await timerEventsAfterNote(v2, v2Events.length)).toEqual([]);
}, 120_000);
