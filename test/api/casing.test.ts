/**
 * One casing in every response: walking the JSON of a ticket's whole life through the API (create, triage, the
 * agent actions' replies, detail, list, timeline, live workflow state, tenant, SLA policy, knowledge search), every
 * key is snake_case. Maps whose keys are the client's own (`metadata`, `settings`) are not walked. The timeline is
 * paginated.
 */
import { type Harness, type TestTenant, eventually, startHarness } from '../helpers/harness';

let h: Harness;
let tenant: TestTenant;

beforeAll(async () => {
  h = await startHarness();
  tenant = await h.createTenant();
});
afterAll(() => h?.stop());

const SNAKE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
const CLIENT_MAPS = new Set(['metadata', 'settings']);

function badKeys(value: unknown, path = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => badKeys(v, `${path}[${i}]`));
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => [
    ...(SNAKE.test(key) ? [] : [`${path}.${key}`]),
    ...(CLIENT_MAPS.has(key) ? [] : badKeys(child, `${path}.${key}`)),
  ]);
}

test('every key of every response is snake_case; the timeline is paginated', async () => {
  const agent = tenant.tokens.agent;
  const admin = tenant.tokens.admin;
  const seen: Array<[string, unknown]> = [];
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await h.call(method, path, { token, body });
    expect({
      call: `${method} ${path}`,
      ok: res.status < 300,
      body: res.status < 300 ? null : res.body,
    }).toEqual({
      call: `${method} ${path}`,
      ok: true,
      body: null,
    });
    seen.push([`${method} ${path}`, res.body]);
    return res.body;
  };

  await call('POST', '/v1/kb/documents', admin, {
    title: 'Refunds',
    content:
      '# Refunds\n\nA duplicate charge is refunded within five business days after the agent confirms it.',
  });
  const created = await call('POST', '/v1/tickets', agent, {
    content: 'I was charged twice this month, please refund the duplicate charge',
    metadata: { orderId: 'A-1' },
  });
  const id = created.id as string;
  // Triage ends open, then escalated at once: "refund" is one of seed 003's escalation keywords.
  await eventually(
    async () => (await h.call('GET', `/v1/tickets/${id}`, { token: agent })).body.status === 'escalated',
  );
  await call('POST', `/v1/tickets/${id}/assign`, agent, { assignee: 'alice' });
  await call('POST', `/v1/tickets/${id}/messages`, agent, { body: 'Refund on its way' });
  await call('POST', `/v1/tickets/${id}/escalate`, agent, { reason: 'VIP customer', level: 3 });
  await call('POST', `/v1/tickets/${id}/resolve`, agent, { resolution: 'refunded' });
  await call('GET', `/v1/tickets/${id}`, agent);
  await call('GET', `/v1/tickets/${id}/workflow`, agent);
  await call('GET', '/v1/tickets', agent);
  await call('GET', '/v1/tenants/current', admin);
  await call('GET', '/v1/sla-policy', admin);
  await call('POST', '/v1/kb/search', agent, { query: 'refund duplicate charge' });

  // The timeline, two events a page: every change once, in order, with the escalation's reason.
  const events: Array<Record<string, unknown>> = [];
  let cursor: string | null = null;
  do {
    const page: { items: Array<Record<string, unknown>>; next_cursor: string | null } = await call(
      'GET',
      `/v1/tickets/${id}/events?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      agent,
    );
    expect(page.items.length).toBeLessThanOrEqual(2);
    events.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  expect(events.map((e) => e.action)).toEqual(
    expect.arrayContaining([
      'triage_started',
      'triage_completed',
      'assign',
      'add_message',
      'escalate',
      'resolve',
    ]),
  );
  expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  expect(JSON.stringify(events.filter((e) => e.action === 'escalate'))).toContain('VIP customer');
  // Clients do not see the internal timeline.
  expect((await h.call('GET', `/v1/tickets/${id}/events`, { token: tenant.tokens.client })).status).toBe(403);

  const offenders = seen.flatMap(([name, body]) => badKeys(body).map((key) => `${name}: ${key}`));
  expect(offenders).toEqual([]);
});
