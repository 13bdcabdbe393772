/** The whole ticket lifecycle through HTTP, checking Postgres and the workflow agree at each step. */
import { type Harness, type TestTenant, eventually, startHarness } from '../helpers/harness';

let h: Harness;
let tenant: TestTenant;

beforeAll(async () => {
  h = await startHarness();
  tenant = await h.createTenant({}, 'business');
});
afterAll(() => h?.stop());

/** The ticket as the API returns it and as the running workflow holds it. */
async function both(id: string) {
  const [api, live] = await Promise.all([
    h.call('GET', `/v1/tickets/${id}`, { token: tenant.tokens.agent }),
    h.call('GET', `/v1/tickets/${id}/workflow`, { token: tenant.tokens.agent }),
  ]);
  expect(api.status).toBe(200);
  expect(live.status).toBe(200);
  return { ticket: api.body, live: live.body };
}

test('create → triage → agent reply → resolve → close, with Postgres and workflow in agreement', async () => {
  const created = await h.call('POST', '/v1/tickets', {
    token: tenant.tokens.client,
    headers: { 'Idempotency-Key': 'lifecycle-1' },
    body: {
      content: 'I was charged twice for my subscription this month, please fix the duplicate charge.',
      email: 'customer@example.com',
    },
  });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ status: 'new', customer_tier: 'business', workflow_started: true });
  expect(created.body.workflow_id).toBe(`ticket-${created.body.id}`);
  const id: string = created.body.id;

  // Triage completes: category and draft recorded, ticket open, the SLA clocks running.
  const triaged = await eventually(async () => {
    const r = await both(id);
    return r.ticket.status === 'open' && r.ticket.triage ? r : undefined;
  });
  expect(triaged.ticket.category).toBe('billing');
  expect(triaged.ticket.triage).toMatchObject({ category: 'billing', is_current: true });
  expect(triaged.ticket.triage.sentiment).toBeGreaterThanOrEqual(1);
  expect(triaged.ticket.draft.body).toContain('knowledge base has no article');
  expect(triaged.ticket.draft.citations).toEqual([]);
  expect(triaged.live).toMatchObject({
    status: 'open',
    category: 'billing',
    priority: triaged.ticket.priority,
  });
  expect(triaged.ticket.sla.clocks.map((c: { clock: string; state: string }) => [c.clock, c.state])).toEqual([
    ['first_response', 'on_track'],
    ['resolution', 'on_track'],
  ]);

  // The first public agent reply stops the response clock, and only that clock.
  const replied = await h.call('POST', `/v1/tickets/${id}/messages`, {
    token: tenant.tokens.agent,
    body: { body: 'We have refunded the duplicate charge.' },
  });
  expect(replied.status).toBe(200);
  expect(replied.body.status).toBe('in_progress');
  expect(replied.body.first_response_at).not.toBeNull();
  const afterReply = await both(id);
  expect(afterReply.ticket.status).toBe('in_progress');
  expect(afterReply.ticket.first_response_at).toBe(replied.body.first_response_at);
  expect(afterReply.ticket.messages).toEqual([
    expect.objectContaining({ author_type: 'agent', author_id: 'agent-alice', is_public: true }),
  ]);
  const clock = (view: { sla: { clocks: Array<{ clock: string; state: string }> } }, kind: string) =>
    view.sla.clocks.find((c) => c.clock === kind)!.state;
  expect(clock(afterReply.ticket, 'first_response')).toBe('met');
  expect(clock(afterReply.live, 'first_response')).toBe('met');
  expect(clock(afterReply.live, 'resolution')).toBe('on_track');

  const resolved = await h.call('POST', `/v1/tickets/${id}/resolve`, {
    token: tenant.tokens.agent,
    body: { resolution: 'refunded' },
  });
  expect(resolved.status).toBe(200);
  const afterResolve = await both(id);
  expect(afterResolve.ticket).toMatchObject({ status: 'resolved' });
  expect(afterResolve.ticket.resolved_at).toBe(afterResolve.live.resolved_at);
  expect(clock(afterResolve.ticket, 'resolution')).toBe('met');

  const closed = await h.call('POST', `/v1/tickets/${id}/close`, { token: tenant.tokens.agent, body: {} });
  expect(closed.status).toBe(200);
  expect(closed.body.status).toBe('closed');
  const result = await h.client.workflow.getHandle(`ticket-${id}`).result();
  expect(result.status).toBe('closed');
  const final = await h.call('GET', `/v1/tickets/${id}`, { token: tenant.tokens.agent });
  expect(final.body).toMatchObject({ status: 'closed', closed_at: result.closed_at });

  // The audit log has every change once, in order, with who made it.
  const audit = await h.db('audit_log').where({ ticket_id: id }).orderBy('id');
  expect(audit.map((a) => [a.action, a.actor_id, a.to_status])).toEqual([
    ['triage_started', 'ticket-workflow', 'triaging'],
    ['triage_completed', 'ticket-workflow', 'open'],
    ['add_message', 'agent-alice', 'in_progress'],
    ['resolve', 'agent-alice', 'resolved'],
    ['close', 'agent-alice', 'closed'],
  ]);
  // No ITSM tool is configured for this tenant: nothing is synced, so no sync is recorded (no "skipped" rows).
  const sync = await h.db('integration_sync_logs').where({ ticket_id: id }).orderBy('id');
  expect(sync.map((s) => [s.system, s.operation])).toEqual([]);

  // A closed ticket refuses further actions with 409.
  const late = await h.call('POST', `/v1/tickets/${id}/reopen`, { token: tenant.tokens.agent, body: {} });
  expect(late.status).toBe(409);
  expect(late.headers.get('content-type')).toContain('application/problem+json');
});

test('an action illegal in the current status is refused with 409 and changes nothing', async () => {
  const created = await h.call('POST', '/v1/tickets', {
    token: tenant.tokens.client,
    body: { content: 'The app crashes on login' },
  });
  const id = created.body.id;
  await eventually(
    async () =>
      (await h.call('GET', `/v1/tickets/${id}/workflow`, { token: tenant.tokens.agent })).body.status ===
      'open',
  );
  const reopen = await h.call('POST', `/v1/tickets/${id}/reopen`, { token: tenant.tokens.agent, body: {} });
  expect(reopen.status).toBe(409);
  expect(reopen.body).toMatchObject({
    type: '/problems/invalid-transition',
    status: 409,
    ticket_status: 'open',
  });
  const audit = await h.db('audit_log').where({ ticket_id: id, action: 'reopen' });
  expect(audit).toHaveLength(0);
});

test('agent actions: assign, escalate with reason and level, pending statuses, reopen', async () => {
  const created = await h.call('POST', '/v1/tickets', {
    token: tenant.tokens.client,
    body: { content: 'Export to CSV fails with error 500', priority: 'urgent' },
  });
  expect(created.body.priority).toBe('critical');
  const id = created.body.id;
  await eventually(
    async () =>
      (await h.call('GET', `/v1/tickets/${id}`, { token: tenant.tokens.agent })).body.status === 'open',
  );

  const assigned = await h.call('POST', `/v1/tickets/${id}/assign`, {
    token: tenant.tokens.agent,
    body: { assignee: 'agent-carol' },
  });
  expect(assigned.body).toMatchObject({
    status: 'in_progress',
    assignee: 'agent-carol',
    priority: 'critical',
  });

  const escalated = await h.call('POST', `/v1/tickets/${id}/escalate`, {
    token: tenant.tokens.agent,
    body: { reason: 'needs engineering', level: 2 },
  });
  expect(escalated.body).toMatchObject({ status: 'escalated', escalation_level: 2 });
  const lower = await h.call('POST', `/v1/tickets/${id}/escalate`, {
    token: tenant.tokens.agent,
    body: { reason: 'again', level: 1 },
  });
  expect(lower.status).toBe(409);

  const waiting = await h.call('POST', `/v1/tickets/${id}/messages`, {
    token: tenant.tokens.agent,
    body: { body: 'Could you send the file?', next_status: 'pending_customer' },
  });
  expect(waiting.body.status).toBe('pending_customer');
  expect(waiting.body.sla.clocks.find((c: { clock: string }) => c.clock === 'resolution').state).toBe(
    'paused',
  );

  const customer = await h.call('POST', `/v1/tickets/${id}/messages`, {
    token: tenant.tokens.client,
    body: { body: 'Attached.' },
  });
  expect(customer.body.status).toBe('in_progress');

  await h.call('POST', `/v1/tickets/${id}/resolve`, { token: tenant.tokens.agent, body: {} });
  const reopened = await h.call('POST', `/v1/tickets/${id}/reopen`, {
    token: tenant.tokens.agent,
    body: { reason: 'still failing' },
  });
  expect(reopened.body).toMatchObject({ status: 'in_progress', reopen_count: 1, resolved_at: null });

  const row = await h.db('tickets').where({ id }).first();
  expect(row).toMatchObject({
    status: 'in_progress',
    assignee: 'agent-carol',
    escalation_level: 2,
    reopen_count: 1,
  });
  const escalation = await h.db('audit_log').where({ ticket_id: id, action: 'escalate' }).first();
  expect(escalation.changes).toEqual({ reason: 'needs engineering', level: 2 });

  // Search attributes follow the state, so ops can filter in the Temporal UI.
  const described = await eventually(async () => {
    const d = await h.client.workflow.getHandle(`ticket-${id}`).describe();
    return d.typedSearchAttributes.get({ name: 'TicketStatus', type: 'KEYWORD' } as never) === 'in_progress'
      ? d
      : undefined;
  });
  expect(described.typedSearchAttributes.get({ name: 'TenantId', type: 'KEYWORD' } as never)).toBe(tenant.id);
  expect(described.typedSearchAttributes.get({ name: 'TicketPriority', type: 'KEYWORD' } as never)).toBe(
    'critical',
  );
  expect(described.typedSearchAttributes.get({ name: 'EscalationLevel', type: 'INT' } as never)).toBe(2);
});

test('a retried create with the same Idempotency-Key returns the same ticket; another body is refused', async () => {
  const body = { content: 'Please add dark mode', title: 'Dark mode' };
  const first = await h.call('POST', '/v1/tickets', {
    token: tenant.tokens.client,
    headers: { 'Idempotency-Key': 'same-key' },
    body,
  });
  const again = await h.call('POST', '/v1/tickets', {
    token: tenant.tokens.client,
    headers: { 'Idempotency-Key': 'same-key' },
    body,
  });
  expect(first.status).toBe(201);
  expect(again.status).toBe(200);
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  expect(again.body.id).toBe(first.body.id);
  const other = await h.call('POST', '/v1/tickets', {
    token: tenant.tokens.client,
    headers: { 'Idempotency-Key': 'same-key' },
    body: { content: 'something else' },
  });
  expect(other.status).toBe(422);
  const rows = await h.db('tickets').where({ tenant_id: tenant.id, idempotency_key: 'same-key' });
  expect(rows).toHaveLength(1);
});

test('listing filters by status and pages with a cursor', async () => {
  const other = await h.createTenant();
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await h.call('POST', '/v1/tickets', {
      token: other.tokens.client,
      body: { content: `Question number ${i}` },
    });
    ids.push(r.body.id);
  }
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { body: { items: Array<{ id: string }>; next_cursor: string | null } } = await h.call(
      'GET',
      `/v1/tickets?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      { token: other.tokens.agent },
    );
    expect(page.body.items.length).toBeLessThanOrEqual(2);
    seen.push(...page.body.items.map((t) => t.id));
    cursor = page.body.next_cursor;
  } while (cursor);
  expect(seen).toEqual([...ids].reverse());

  await eventually(async () => {
    const r = await h.call('GET', '/v1/tickets?status=open', { token: other.tokens.agent });
    return r.body.items.length === 5;
  });
  const none = await h.call('GET', '/v1/tickets?status=closed', { token: other.tokens.agent });
  expect(none.body.items).toEqual([]);
});

test('a trigger word escalates the ticket automatically after triage, with its reason', async () => {
  const created = await h.call('POST', '/v1/tickets', {
    token: tenant.tokens.client,
    body: { content: 'Wenn das nicht bis Freitag gelöst ist, schalten wir unseren Anwalt ein.' },
  });
  const id = created.body.id;
  const escalated = await eventually(async () => {
    const r = await h.call('GET', `/v1/tickets/${id}/workflow`, { token: tenant.tokens.agent });
    return r.body.status === 'escalated' ? r.body : undefined;
  });
  expect(escalated.escalation_level).toBe(1);
  const audit = await h.db('audit_log').where({ ticket_id: id, action: 'escalate' }).first();
  expect(audit).toMatchObject({ actor_id: 'ticket-workflow', to_status: 'escalated' });
  expect(audit.changes).toMatchObject({ reason: 'trigger words: anwalt', automatic: true });
});

test("a tenant's own categories, with descriptions and examples, are what triage chooses from", async () => {
  const own = await h.createTenant();
  const bad = await h.call('PUT', '/v1/tenants/current/settings', {
    token: own.tokens.admin,
    body: { categories: [{ name: 'Not Valid' }] },
  });
  expect(bad.status).toBe(400);
  const saved = await h.call('PUT', '/v1/tenants/current/settings', {
    token: own.tokens.admin,
    body: {
      categories: [
        {
          name: 'outage',
          description: 'the service is down or unreachable',
          examples: ['the site is down', 'cannot reach the API at all'],
        },
        {
          name: 'how_to',
          description: 'questions about using the product',
          examples: ['how do I add a user?', 'where is the export button?'],
        },
        'shipping',
      ],
    },
  });
  expect(saved.status).toBe(200);
  expect(
    (await h.call('PUT', '/v1/tenants/current/settings', { token: own.tokens.agent, body: {} })).status,
  ).toBe(403);
  const created = await h.call('POST', '/v1/tickets', {
    token: own.tokens.client,
    body: { content: 'Your whole site is down, we cannot reach the API at all since this morning' },
  });
  const ticket = await eventually(async () => {
    const r = await h.call('GET', `/v1/tickets/${created.body.id}`, { token: own.tokens.agent });
    return r.body.triage && r.body.category ? r.body : undefined;
  });
  expect(ticket.category).toBe('outage');
  expect(ticket.triage.model_used).toBe('offline-tfidf-centroid-v1');
});
