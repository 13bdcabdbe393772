/** SLA warnings and breaches on real durable timers, with second-scale targets from the tenant's policy. */
import { type Harness, type TestTenant, eventually, startHarness } from '../helpers/harness';

const FIRST_RESPONSE_S = 3;
const RESOLUTION_S = 6;
/**
 * Lateness tolerated here, on a busy 2-core machine; these tests check that each alert fires once and at the
 * right due time. How late alerts fire is measured by bench/sla-load.ts, not asserted tightly.
 */
const LATENESS_MS = 5000;

let h: Harness;
let tenant: TestTenant;

beforeAll(async () => {
  h = await startHarness();
  tenant = await h.createTenant({
    sla_policy: {
      targets: { medium: { first_response_seconds: FIRST_RESPONSE_S, resolution_seconds: RESOLUTION_S } },
    },
  });
});
afterAll(() => h?.stop());

async function createTicket(content: string): Promise<{ id: string; createdAtMs: number }> {
  const r = await h.call('POST', '/v1/tickets', {
    token: tenant.tokens.client,
    body: { content, priority: 'medium' },
  });
  expect(r.status).toBe(201);
  return { id: r.body.id, createdAtMs: Date.parse(r.body.created_at) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('with no reply, each warning and breach fires once, on time, and shows on the ticket', async () => {
  const { id, createdAtMs } = await createTicket('Where is my order?');
  await sleep((RESOLUTION_S + 2) * 1000);
  const events = await eventually(async () => {
    const rows = await h.db('sla_events').where({ ticket_id: id }).orderBy('due_at');
    return rows.length >= 4 ? rows : undefined;
  }, LATENESS_MS);
  expect(events.map((e) => [e.clock, e.kind, e.threshold])).toEqual([
    ['first_response', 'warning', 0.85],
    ['first_response', 'breach', 1],
    ['resolution', 'warning', 0.85],
    ['resolution', 'breach', 1],
  ]);
  const expectedDue = [0.85 * FIRST_RESPONSE_S, FIRST_RESPONSE_S, 0.85 * RESOLUTION_S, RESOLUTION_S].map(
    (s) => createdAtMs + s * 1000,
  );
  events.forEach((e, i) => {
    expect(new Date(e.due_at).getTime()).toBe(expectedDue[i]);
    const lateness = new Date(e.fired_at).getTime() - new Date(e.due_at).getTime();
    expect(lateness).toBeGreaterThanOrEqual(0);
    expect(lateness).toBeLessThan(LATENESS_MS);
  });
  expect(events[1].remaining_seconds).toBeLessThanOrEqual(0);
  // The warning says how long was left when it fired: 15 % of the target when on time, less when late.
  const leftAtWarningS = (expectedDue[1]! - new Date(events[0].fired_at).getTime()) / 1000;
  expect(events[0].remaining_seconds).toBeCloseTo(leftAtWarningS, 2);
  expect(events[0].remaining_seconds).toBeLessThanOrEqual(0.15 * FIRST_RESPONSE_S);

  const ticket = await h.call('GET', `/v1/tickets/${id}`, { token: tenant.tokens.agent });
  expect(ticket.body.sla_state).toBe('breached');
  expect(ticket.body.sla.state).toBe('breached');
  expect(ticket.body.sla.events).toHaveLength(4);
  expect(ticket.body.sla.clocks.every((c: { breached: boolean }) => c.breached)).toBe(true);

  // Ops can find breached tickets in the Temporal UI by search attribute.
  await eventually(
    async () => {
      let found = 0;
      for await (const wf of h.client.workflow.list({
        query: `SlaState = 'breached' AND TenantId = '${tenant.id}'`,
      })) {
        if (wf.workflowId === `ticket-${id}`) found += 1;
      }
      return found === 1;
    },
    15_000,
    500,
  );

  // Nothing more fires later.
  await sleep(1500);
  expect(await h.db('sla_events').where({ ticket_id: id }).count('* as n')).toEqual([{ n: '4' }]);

  // Search attributes are upserted when they change only, key by key (ticketWorkflowV3): no upsert carries a
  // value the workflow's search attributes already had (its start's, then every upsert's).
  const history = await h.client.workflow.getHandle(`ticket-${id}`).fetchHistory();
  const historyEvents = history.events ?? [];
  const decode = (fields: Record<string, { data?: Uint8Array | null }>) =>
    Object.entries(fields).map(
      ([key, payload]) => [key, Buffer.from(payload.data ?? []).toString()] as const,
    );
  const visible = new Map(
    decode(historyEvents[0]!.workflowExecutionStartedEventAttributes!.searchAttributes!.indexedFields!),
  );
  let upserts = 0;
  for (const e of historyEvents) {
    const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
    if (!fields) continue;
    upserts += 1;
    for (const [key, value] of decode(fields)) {
      expect(`${key}=${visible.get(key)}`).not.toBe(`${key}=${value}`);
      visible.set(key, value);
    }
  }
  expect(upserts).toBeGreaterThanOrEqual(4);
  expect(visible.get('SlaState')).toBe('"breached"');
  expect(visible.get('SlaClocks')).toBe('["first_response:breached","resolution:breached"]');
});

test('a reply before the deadline stops the response clock; resolving stops the resolution clock', async () => {
  const { id } = await createTicket('How do I reset my password?');
  await sleep(1000);
  const reply = await h.call('POST', `/v1/tickets/${id}/messages`, {
    token: tenant.tokens.agent,
    body: { body: 'Use the reset link.' },
  });
  expect(reply.status).toBe(200);
  await sleep(1000);
  const resolved = await h.call('POST', `/v1/tickets/${id}/resolve`, {
    token: tenant.tokens.agent,
    body: {},
  });
  expect(resolved.status).toBe(200);
  await sleep((RESOLUTION_S + 1) * 1000);
  expect(await h.db('sla_events').where({ ticket_id: id })).toEqual([]);
  const ticket = await h.call('GET', `/v1/tickets/${id}`, { token: tenant.tokens.agent });
  expect(ticket.body.sla.clocks.map((c: { state: string }) => c.state)).toEqual(['met', 'met']);
  expect(ticket.body.sla_state).toBe('met');
});

test('time spent waiting on the customer does not count', async () => {
  const { id } = await createTicket('My invoice is wrong');
  const reply = await h.call('POST', `/v1/tickets/${id}/messages`, {
    token: tenant.tokens.agent,
    body: { body: 'Which invoice?', next_status: 'pending_customer' },
  });
  expect(reply.body.status).toBe('pending_customer');
  await sleep((RESOLUTION_S + 1) * 1000);
  expect(await h.db('sla_events').where({ ticket_id: id, clock: 'resolution' })).toEqual([]);
  const live = await h.call('GET', `/v1/tickets/${id}/workflow`, { token: tenant.tokens.agent });
  const resolution = live.body.sla.clocks.find((c: { clock: string }) => c.clock === 'resolution');
  expect(resolution).toMatchObject({ state: 'paused', deadline: null });
  expect(resolution.remaining_seconds).toBeGreaterThan(RESOLUTION_S - 2);
});
