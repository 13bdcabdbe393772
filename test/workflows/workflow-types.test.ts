/**
 * The ticket workflow's types (src/workflows/ticket/versions.ts): new tickets start as ticketWorkflowV4, which
 * takes every patch's new path without recording it (no patch markers, no TemporalChangeVersion upserts), V3's
 * (search attributes upserted key by key when changed, no ItsmSync flip for a tenant without a tool) and V4's
 * own (a triage's search attributes upserted once) included; tickets started as ticketWorkflowV3, V2 or
 * ticketWorkflow before go on running on the same worker, as recorded.
 */
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { tenantPolicy } from '../../src/api/tenant-policy';
import type { TenantModel } from '../../src/stores/models';
import {
  TICKET_WORKFLOW_TYPE,
  TICKET_WORKFLOW_V1_TYPE,
  TICKET_WORKFLOW_V2_TYPE,
  TICKET_WORKFLOW_V3_TYPE,
  type TicketWorkflowInput,
  ticketWorkflowId,
} from '../../src/workflows/messages';
import { startSearchAttributes } from '../../src/api/workflow-gateway';
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

/**
 * The ticket as the API started it before: the same input (as it was then), an older type. `withStartState`: as
 * the API starts a ticket since V3 (the tenant has no ITSM tool; the state's search attributes set at the start).
 */
async function restartAs(type: string, ticketId: string, withStartState = false): Promise<void> {
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
    ...(withStartState ? { carriedItsmConfigured: false } : {}),
  };
  await h.client.workflow.start(type, {
    workflowId: ticketWorkflowId(ticketId),
    taskQueue: h.taskQueue,
    args: [input],
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    ...(withStartState ? { typedSearchAttributes: startSearchAttributes(input) } : {}),
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

test('new tickets run as V4: no patch events, fewer upserts; V3, V2 and V1 tickets go on as recorded', async () => {
  const v4 = await post('The export to CSV fails with an error since this morning');
  const v3 = await post('The export to ODS fails with an error since this morning');
  const v2 = await post('The export to XLSX fails with an error since this morning');
  const v1 = await post('The export to PDF fails with an error since this morning');
  await restartAs(TICKET_WORKFLOW_V3_TYPE, v3, true);
  await restartAs(TICKET_WORKFLOW_V2_TYPE, v2);
  await restartAs(TICKET_WORKFLOW_V1_TYPE, v1);
  await h.startWorker();

  const v4Events = await triagedHistory(v4);
  const v3Events = await triagedHistory(v3);
  const v2Events = await triagedHistory(v2);
  const v1Events = await triagedHistory(v1);
  const started = (events: typeof v3Events) =>
    events[0]!.workflowExecutionStartedEventAttributes!.workflowType!.name;
  expect([started(v4Events), started(v3Events), started(v2Events), started(v1Events)]).toEqual([
    TICKET_WORKFLOW_TYPE,
    TICKET_WORKFLOW_V3_TYPE,
    TICKET_WORKFLOW_V2_TYPE,
    TICKET_WORKFLOW_V1_TYPE,
  ]);

  // V4 and V3 ask nothing (V4's own patch only saves work: older types do not ask for it); a running V2 ticket
  // asks only the patches V3 was born with; V1 asks them all.
  for (const events of [v4Events, v3Events]) {
    expect(patchMarkers(events)).toBe(0);
    expect(changeVersionUpserts(events)).toBe(0);
  }
  expect(patchMarkers(v2Events)).toBeGreaterThanOrEqual(1);
  expect(patchMarkers(v2Events)).toBeLessThanOrEqual(3);
  expect(patchMarkers(v1Events)).toBeGreaterThanOrEqual(patchMarkers(v2Events) + 4);
  for (const events of [v2Events, v1Events]) expect(changeVersionUpserts(events)).toBe(patchMarkers(events));

  // V3: the triage's start and its completion (no ItsmSync flip around each event). The first publish upserts
  // nothing: the API started the ticket with what it would set (src/api/workflow-gateway.ts). V4: the triage's
  // end only, after its last local step.
  expect(v3Events.filter(isUpsert).length).toBe(2);
  expect(v4Events.filter(isUpsert).length).toBe(1);
  const completed = v4Events.findIndex((e) => historySteps([e])[0] === 'local:completeTriage');
  expect(completed).toBeGreaterThan(0);
  expect(v4Events.findIndex(isUpsert)).toBeGreaterThan(completed);
  const firstMarker = v3Events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED);
  expect(v3Events.findIndex(isUpsert)).toBeGreaterThan(firstMarker);
  // What the fewer upserts leave in the visibility store is the ticket's state.
  const visible = (await h.client.workflow.getHandle(ticketWorkflowId(v4)).describe()).searchAttributes;
  const ticket = (await h.call('GET', `/v1/tickets/${v4}`, { token: tenant.tokens.agent })).body;
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
  for (const events of [v4Events, v3Events, v2Events, v1Events]) {
    const steps = historySteps(events);
    expect(steps).toEqual(expect.arrayContaining(['local:triageTicket', 'local:completeTriage']));
    expect(steps.filter((s) => s.startsWith('activity:'))).toEqual([]);
  }
  expect(v4Events.length).toBe(v3Events.length - 1);
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
  expect(await timerEventsAfterNote(v4, v4Events.length)).toEqual([]);
  expect(await timerEventsAfterNote(v3, v3Events.length)).toEqual([]);
  // A V2 ticket still running takes the path too once it asks (patch sla-timer-kept, marked in its history).
  expect(await timerEventsAfterNote(v2, v2Events.length)).toEqual([]);
}, 120_000);

test('with a model API, V4 shows `triaging` before its first regular activity (recorded history)', () => {
  const file = path.join(__dirname, '..', 'histories', 'v4-model-api.json');
  const events = JSON.parse(fs.readFileSync(file, 'utf8')).events as {
    eventType: string;
    upsertWorkflowSearchAttributesEventAttributes?: {
      searchAttributes: { indexedFields: Record<string, { data: string }> };
    };
  }[];
  const statusUpserts = events.flatMap((e, index) => {
    const field =
      e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes.indexedFields.TicketStatus;
    return field
      ? [{ index, status: JSON.parse(Buffer.from(field.data, 'base64').toString()) as string }]
      : [];
  });
  const firstActivity = events.findIndex((e) => e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED');
  expect(firstActivity).toBeGreaterThan(0);
  expect(statusUpserts[0]).toEqual({ index: expect.any(Number), status: 'triaging' });
  expect(statusUpserts[0]!.index).toBeLessThan(firstActivity);
});
