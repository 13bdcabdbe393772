/**
 * The triage's end in one transaction (patch triage-in-fewer-steps): the result, the audit entry and the mirror
 * are written together and once, however often the activity is retried; and a ticket's text, read once per
 * process, is only ever the tenant's own.
 */
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import pg from 'pg';
import { type PlatformDb, createAppDb, createDb } from '../../src/stores/db';
import { TenantRepository } from '../../src/stores/tenant-repository';
import { mirror } from '../helpers/ticket-mirror';
import { type TicketChange, TicketRepository, type TriageRecord } from '../../src/stores/ticket-repository';
import type { Classification } from '../../src/domain/triage';

let platform: PlatformDb;
let app: Knex;
let tickets: TicketRepository;
let tenantA: string;
let tenantB: string;

beforeAll(async () => {
  platform = createDb(process.env.TEST_DATABASE_URL!, 2);
  app = createAppDb(process.env.TEST_DATABASE_URL!, 4);
  tickets = new TicketRepository(app, platform);
  const tenants = new TenantRepository(app, platform);
  const create = async () =>
    (
      await tenants.create({
        slug: `repo-${crypto.randomUUID().slice(0, 8)}`,
        name: 'Repository',
        tier: 'standard',
        settings: {},
      })
    ).id;
  tenantA = await create();
  tenantB = await create();
});
afterAll(async () => {
  await Promise.all([app?.destroy(), platform?.destroy()]);
});

/** A ticket as the API creates it, its workflow start not yet marked. */
async function createTicket(tenantId: string, content: string) {
  const { ticket } = await tickets.create({
    tenantId,
    title: 'Double charge',
    content,
    requesterEmail: null,
    priority: 'medium',
    priorityPinned: false,
    customerTier: 'standard',
    source: 'api',
    metadata: {},
    externalId: null,
    createdBy: 'test',
    idempotencyKey: null,
    requestHash: 'h',
  });
  return ticket;
}

async function newTicket(tenantId: string, content: string) {
  const ticket = await createTicket(tenantId, content);
  // Marked started at once: the outbox relay of another test file's API (same database) must leave it alone.
  await tickets.markWorkflowStarted(tenantId, ticket.id);
  return ticket;
}

/** A classification as a model answers it: `category` and whatever a test needs besides. */
function classification(category: string, fields: Partial<Classification> = {}): Classification {
  return {
    category,
    urgency: 'low',
    suggestedPriority: 'low',
    sentiment: 3,
    product: 'Billing',
    language: 'en',
    confidence: 0.5,
    reasoning: 'test',
    model: 'test',
    latencyMs: 1,
    promptTokens: 0,
    completionTokens: 0,
    ...fields,
  };
}

/** A change of tenant A's ticket, with a new event id. */
function change(
  ticketId: string,
  fields: Pick<TicketChange, 'stateVersion' | 'actor' | 'action' | 'fromStatus' | 'mirror'> &
    Partial<TicketChange>,
): TicketChange {
  return { eventId: crypto.randomUUID(), ticketId, tenantId: tenantA, ...fields };
}

test('the triage result and its completion are written together, once, however often retried', async () => {
  const ticket = await newTicket(tenantA, 'I was charged twice');
  const record: TriageRecord = {
    runId: crypto.randomUUID(),
    ticketId: ticket.id,
    tenantId: tenantA,
    classification: classification('billing', {
      urgency: 'medium',
      suggestedPriority: 'medium',
      confidence: 0.9,
    }),
    passages: [],
    draft: { body: 'We will refund it.', citations: [], model: 'test' },
  };
  const completion = change(ticket.id, {
    stateVersion: 2,
    actor: { role: 'system', id: 'ticket-workflow' },
    action: 'triage_completed',
    fromStatus: 'triaging',
    mirror: mirror({ category: 'billing' }),
  });

  expect(await tickets.recordTriageAndApplyChange(record, completion)).toEqual({ applied: true });
  expect(await tickets.recordTriageAndApplyChange(record, completion)).toEqual({ applied: false });

  const results = await platform('triage_results').where({ ticket_id: ticket.id });
  expect(results).toHaveLength(1);
  expect(results[0]).toMatchObject({
    category: 'billing',
    draft_reply: 'We will refund it.',
    is_current: true,
  });
  expect(
    await platform('audit_log').where({ ticket_id: ticket.id, action: 'triage_completed' }),
  ).toHaveLength(1);
  expect(await platform('tickets').where({ id: ticket.id }).first()).toMatchObject({
    status: 'open',
    category: 'billing',
    state_version: 2,
  });
});

test('a change writes its message and SLA event with its audit entry, once; an older snapshot never wins', async () => {
  const ticket = await newTicket(tenantA, 'The invoice page is down');
  const snapshot = (slaState: string) =>
    mirror({
      status: 'pending_customer',
      priority: 'high',
      category: 'technical',
      assignee: 'agent-7',
      first_response_at: '2026-12-02T07:00:00.000Z',
      sla_state: slaState,
    });
  const reply = change(ticket.id, {
    stateVersion: 3,
    actor: { role: 'agent', id: 'agent-7' },
    action: 'message',
    fromStatus: 'open',
    mirror: snapshot('on_track'),
    message: {
      authorType: 'agent',
      authorId: 'agent-7',
      body: 'Could you send a screenshot?',
      isPublic: true,
    },
  });
  const breach = change(ticket.id, {
    stateVersion: 4,
    actor: { role: 'system', id: 'ticket-workflow' },
    action: 'sla_breach',
    fromStatus: 'pending_customer',
    mirror: snapshot('breached'),
    slaEvent: {
      clock: 'resolution',
      kind: 'breach',
      threshold: 1,
      cycle: 0,
      dueAt: '2026-12-02T08:00:00.000Z',
      deadline: '2026-12-02T08:00:00.000Z',
      firedAt: '2026-12-02T08:00:00.050Z',
      remainingSeconds: 0,
      priority: 'high',
      escalationLevel: 0,
      notificationStatus: 'not_configured',
    },
  });

  expect(await tickets.applyChange(breach)).toEqual({ applied: true });
  // The reply's change comes late (a retry after the breach): its entry and message are written, its older
  // snapshot is not.
  expect(await tickets.applyChange(reply)).toEqual({ applied: true });
  expect(await tickets.applyChange(reply)).toEqual({ applied: false });
  expect(await tickets.applyChange(breach)).toEqual({ applied: false });

  const messages = await platform('messages').where({ ticket_id: ticket.id });
  expect(messages).toEqual([
    expect.objectContaining({
      body: 'Could you send a screenshot?',
      is_public: true,
      event_id: reply.eventId,
    }),
  ]);
  const events = await platform('sla_events').where({ ticket_id: ticket.id });
  expect(events).toEqual([expect.objectContaining({ clock: 'resolution', kind: 'breach', cycle: 0 })]);
  expect(await platform('audit_log').where({ ticket_id: ticket.id }).orderBy('id').pluck('action')).toEqual([
    'sla_breach',
    'message',
  ]);
  expect(await platform('tickets').where({ id: ticket.id }).first()).toMatchObject({
    status: 'pending_customer',
    sla_state: 'breached',
    sla_breached: true,
    state_version: 4,
    assignee: 'agent-7',
  });
});

test("a new triage run becomes the ticket's current result; a retried one changes nothing", async () => {
  const ticket = await newTicket(tenantA, 'Refund please');
  const record = (category: string): TriageRecord => ({
    runId: crypto.randomUUID(),
    ticketId: ticket.id,
    tenantId: tenantA,
    classification: classification(category),
    passages: [
      { documentId: 'kb-1', chunkId: 'kb-1#0', title: 'Refunds', text: 'Refunds take 5 days.', score: 0.8 },
    ],
    draft: { body: 'Refunds take 5 days.', citations: ['kb-1'], model: 'test' },
  });
  const first = record('billing');
  const second = record('account');
  await tickets.recordTriage(first);
  await tickets.recordTriage(second);
  await tickets.recordTriage(first); // a late retry of the first run
  const rows = await platform('triage_results').where({ ticket_id: ticket.id }).orderBy('id');
  expect(rows.map((r) => [r.category, r.is_current])).toEqual([
    ['billing', false],
    ['account', true],
  ]);
  expect(rows[1]).toMatchObject({
    citations: ['kb-1'],
    passages: [expect.objectContaining({ documentId: 'kb-1', score: 0.8 })],
  });
});

test("a ticket's text is read for its own tenant only", async () => {
  const ticket = await newTicket(tenantA, 'The export fails');
  expect(await tickets.findText(tenantA, ticket.id)).toMatchObject({
    title: 'Double charge',
    content: 'The export fails',
  });
  // Another tenant naming the same id finds nothing: the cache is keyed by tenant, the read bound to it.
  expect(await tickets.findText(tenantB, ticket.id)).toBeUndefined();
  expect(await tickets.findText(tenantA, crypto.randomUUID())).toBeUndefined();
});

test('start marks asked for within a moment are written together, one statement per tenant', async () => {
  const unmarked = async (tenantId: string) =>
    (await createTicket(tenantId, `start mark ${crypto.randomUUID()}`)).id;
  const ids = {
    [tenantA]: [await unmarked(tenantA), await unmarked(tenantA), await unmarked(tenantA)],
    [tenantB]: [await unmarked(tenantB), await unmarked(tenantB)],
  };
  const marks: string[] = [];
  const onQuery = (q: { sql: string }) => {
    if (/^update "tickets" set "workflow_started_at"/.test(q.sql)) marks.push(q.sql);
  };
  // A window far longer than the test, so a slow machine cannot split it; shutdown's flush ends it early.
  const marker = new TicketRepository(app, platform, { startMarkWindowMs: 60_000 });
  app.on('query', onQuery);
  try {
    const errors: unknown[] = [];
    // As concurrent creates ask, some milliseconds apart.
    for (const [tenantId, ticketIds] of Object.entries(ids)) {
      for (const id of ticketIds) {
        marker.markWorkflowStartedSoon(tenantId, id, (error) => errors.push(error));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    expect(marks).toEqual([]);
    const started = Date.now();
    await marker.flushStartMarks();
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(errors).toEqual([]);
  } finally {
    app.off('query', onQuery);
  }
  expect(marks).toHaveLength(2);
  const rows = await platform('tickets')
    .whereIn('id', Object.values(ids).flat())
    .select('workflow_started_at');
  expect(rows).toHaveLength(5);
  expect(rows.every((r) => r.workflow_started_at !== null)).toBe(true);
});

test("a ticket's detail fetches its relations one query at a time on the transaction's connection", async () => {
  const ticket = await newTicket(tenantA, 'detail with every relation');
  const query = pg.Client.prototype.query;
  let overlapping = 0;
  const spy = jest.spyOn(pg.Client.prototype, 'query').mockImplementation(function (
    this: pg.Client & { _activeQuery?: unknown; _queryQueue?: unknown[] },
    ...args: unknown[]
  ) {
    if (this._activeQuery || (this._queryQueue?.length ?? 0) > 0) overlapping += 1;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query);
  try {
    const detail = await tickets.findDetail(tenantA, ticket.id);
    expect(detail).toMatchObject({ id: ticket.id, triage_results: [], messages: [], sla_events: [] });
  } finally {
    spy.mockRestore();
  }
  expect(overlapping).toBe(0);
});
