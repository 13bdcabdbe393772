/** The endpoints the agent console relies on: who am I, the event timeline, queue rows with their SLA clock, sort by urgency, ETags. */
import crypto from 'node:crypto';
import { startClock, stopClock } from '../../src/domain/sla';
import { up as backfillSlaDueAt } from '../../migrations/20261201000002_backfill_tickets_sla_due_at';
import { type Harness, type TestTenant, eventually, startHarness } from '../helpers/harness';

let h: Harness;
let tenant: TestTenant;

beforeAll(async () => {
  h = await startHarness();
  tenant = await h.createTenant({}, 'business');
});
afterAll(() => h?.stop());

async function createTriaged(content: string, priority?: string): Promise<string> {
  const created = await h.call('POST', '/v1/tickets', {
    token: tenant.tokens.agent,
    body: { content, ...(priority ? { priority } : {}) },
  });
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  await eventually(async () => {
    const r = await h.call('GET', `/v1/tickets/${id}`, { token: tenant.tokens.agent });
    return r.body.status === 'open' && r.body.triage ? true : undefined;
  });
  return id;
}

test('GET /v1/me names the caller, roles and tenant', async () => {
  const me = await h.call('GET', '/v1/me', { token: tenant.tokens.agent });
  expect(me.status).toBe(200);
  expect(me.body).toEqual({
    sub: 'agent-alice',
    roles: ['agent'],
    tenant: expect.objectContaining({ id: tenant.id, slug: tenant.slug }),
  });
  expect((await h.call('GET', '/v1/me')).status).toBe(401);
});

test('the event timeline lists the audit trail oldest first, a page at a time, for agents only', async () => {
  const id = await createTriaged('The export button crashes the app on every click');
  const act = (path: string, body: unknown) =>
    h.call('POST', `/v1/tickets/${id}/${path}`, { token: tenant.tokens.agent, body });
  expect((await act('assign', { assignee: 'agent-alice' })).status).toBe(200);
  expect((await act('escalate', { reason: 'customer threatens to churn' })).status).toBe(200);
  expect((await act('resolve', { resolution: 'patched' })).status).toBe(200);

  const all = await h.call('GET', `/v1/tickets/${id}/events`, { token: tenant.tokens.agent });
  expect(all.status).toBe(200);
  const actions = all.body.items.map((e: { action: string }) => e.action);
  expect(actions.slice(-3)).toEqual(['assign', 'escalate', 'resolve']);
  const escalation = all.body.items.find((e: { action: string }) => e.action === 'escalate');
  expect(escalation).toMatchObject({
    actor_type: 'agent',
    actor_id: 'agent-alice',
    to_status: 'escalated',
    details: { reason: 'customer threatens to churn', level: 1 },
  });
  expect(all.body.next_cursor).toBeNull();
  const ids = all.body.items.map((e: { id: number }) => e.id);
  expect([...ids].sort((a, b) => a - b)).toEqual(ids);

  // Two at a time: the pages join up to the whole trail, without gaps or repeats.
  const paged: number[] = [];
  let cursor: string | null = null;
  do {
    const page: { status: number; body: { items: Array<{ id: number }>; next_cursor: string | null } } =
      await h.call('GET', `/v1/tickets/${id}/events?limit=2${cursor ? `&cursor=${cursor}` : ''}`, {
        token: tenant.tokens.agent,
      });
    expect(page.status).toBe(200);
    expect(page.body.items.length).toBeLessThanOrEqual(2);
    paged.push(...page.body.items.map((e) => e.id));
    cursor = page.body.next_cursor;
  } while (cursor);
  expect(paged).toEqual(ids);

  expect((await h.call('GET', `/v1/tickets/${id}/events`, { token: tenant.tokens.client })).status).toBe(403);
  const bad = await h.call('GET', `/v1/tickets/${id}/events?cursor=abc`, { token: tenant.tokens.agent });
  expect(bad.status).toBe(400);
  expect(bad.body.errors[0].field).toBe('cursor');
  const other = await h.createTenant();
  expect((await h.call('GET', `/v1/tickets/${id}/events`, { token: other.tokens.agent })).status).toBe(404);
});

test('queue rows carry the nearest SLA clock; sort=sla puts the nearest deadline first and pages by cursor', async () => {
  const low = await createTriaged('Please add a dark mode to the dashboard', 'low');
  const critical = await createTriaged('Production is down, nothing loads for any user', 'critical');
  const high = await createTriaged('Invoices page shows an error for our admins', 'high');
  const mine = [low, critical, high];

  const rows = await h.call('GET', '/v1/tickets?sort=sla&limit=200&status=open', {
    token: tenant.tokens.agent,
  });
  expect(rows.status).toBe(200);
  const order = rows.body.items.map((t: { id: string }) => t.id).filter((id: string) => mine.includes(id));
  expect(order).toEqual([critical, high, low]);
  const row = rows.body.items.find((t: { id: string }) => t.id === critical);
  expect(row.sla_next).toMatchObject({ clock: 'first_response', state: 'on_track', remaining_seconds: null });
  // Critical for a business-tier customer: 15 minutes × 0.75.
  expect(row.sla_next.target_seconds).toBe(675);
  expect(Date.parse(row.sla_next.deadline)).toBeGreaterThan(Date.now());

  // The same order one row per page, through the cursor.
  const paged: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { status: number; body: { items: Array<{ id: string }>; next_cursor: string | null } } =
      await h.call('GET', `/v1/tickets?sort=sla&status=open&limit=1${cursor ? `&cursor=${cursor}` : ''}`, {
        token: tenant.tokens.agent,
      });
    expect(page.status).toBe(200);
    paged.push(...page.body.items.map((t) => t.id));
    cursor = page.body.next_cursor;
  } while (cursor);
  expect(paged).toEqual(rows.body.items.map((t: { id: string }) => t.id));

  // A reply stops the first-response clock: the row's nearest clock becomes resolution, and it sorts later.
  await h.call('POST', `/v1/tickets/${critical}/messages`, {
    token: tenant.tokens.agent,
    body: { body: 'On it.' },
  });
  const after = await h.call('GET', '/v1/tickets?sort=sla&limit=200', { token: tenant.tokens.agent });
  const replied = after.body.items.find((t: { id: string }) => t.id === critical);
  expect(replied.sla_next.clock).toBe('resolution');

  // A cursor of one order is refused in the other.
  const created = await h.call('GET', '/v1/tickets?limit=1', { token: tenant.tokens.agent });
  const wrong = await h.call('GET', `/v1/tickets?sort=sla&cursor=${created.body.next_cursor}`, {
    token: tenant.tokens.agent,
  });
  expect(wrong.status).toBe(400);
});

test('an unchanged queue page or ticket answers 304 to its ETag, a changed one 200', async () => {
  const id = await createTriaged('The mobile app logs me out every few minutes');
  // (A ticket's own page counts its running clocks down to the second, so its tag changes while they run.)
  for (const path of ['/v1/tickets?sort=sla', `/v1/tickets/${id}/events`]) {
    const first = await h.call('GET', path, { token: tenant.tokens.agent });
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^W\/"/);
    expect(first.headers.get('cache-control')).toBe('private, no-cache');
    // fetch() sends Cache-Control: no-cache with a conditional request, as browsers do: still a 304.
    const again = await h.call('GET', path, {
      token: tenant.tokens.agent,
      headers: { 'if-none-match': etag! },
    });
    expect(again.status).toBe(304);
    expect(again.body).toBeUndefined();
  }
  const before = await h.call('GET', '/v1/tickets?sort=sla', { token: tenant.tokens.agent });
  await h.call('POST', `/v1/tickets/${id}/assign`, { token: tenant.tokens.agent, body: { assignee: 'bob' } });
  const changed = await h.call('GET', '/v1/tickets?sort=sla', {
    token: tenant.tokens.agent,
    headers: { 'if-none-match': before.headers.get('etag')! },
  });
  expect(changed.status).toBe(200);
  expect(changed.body.items.find((t: { id: string }) => t.id === id).assignee).toBe('bob');
});

test('/console serves the built page with a strict Content-Security-Policy, and / leads there', async () => {
  const page = await fetch(`${h.url}/console/tickets/anything`);
  // Built by the browser test's setup or `npm run build:web`; without a build the answer says how to make one.
  if (page.status === 503) {
    expect(((await page.json()) as { detail: string }).detail).toContain('npm run build:web');
  } else {
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
  }
  expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
  const root = await fetch(`${h.url}/`, { redirect: 'manual' });
  expect(root.status).toBe(302);
  expect(root.headers.get('location')).toBe('/console/');
});

test('the backfill migration gives tickets written before sla_due_at existed their nearest deadline', async () => {
  const startedAt = Date.parse('2026-11-30T10:00:00Z');
  const row = (id: string, status: string, pausedResolution = false) => ({
    id,
    tenant_id: tenant.id,
    title: 'old ticket',
    content: 'written before the column',
    created_by: 'test',
    workflow_id: `ticket-${id}`,
    workflow_started_at: new Date(),
    status,
    sla_clocks: JSON.stringify({
      clocks: {
        first_response: stopClock(startClock('first_response', 3600_000, startedAt), startedAt + 60_000),
        next_reply: null,
        resolution: pausedResolution
          ? { ...startClock('resolution', 7200_000, startedAt), runningSinceMs: null, elapsedMs: 600_000 }
          : startClock('resolution', 7200_000, startedAt),
      },
      warning_thresholds: [0.85],
      calendar: null,
    }),
  });
  const running = crypto.randomUUID();
  const paused = crypto.randomUUID();
  await h.db('tickets').insert([row(running, 'in_progress'), row(paused, 'pending_customer', true)]);
  await backfillSlaDueAt(h.db);
  const due = async (id: string) => (await h.db('tickets').where({ id }).first()).sla_due_at;
  // The first-response clock has stopped: the nearest running deadline is the resolution clock's.
  expect((await due(running)).toISOString()).toBe(new Date(startedAt + 7200_000).toISOString());
  expect(await due(paused)).toBeNull();
});
