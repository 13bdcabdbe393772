/**
 * ITSM rate limits wait for capacity instead of failing over and over: a tool answering 429 with Retry-After is
 * retried when it said, once per 429; a tenant whose syncs outrun its own limiter has them queued, each retrying
 * at its reserved time. Each wait is logged once, and the SDK's per-attempt "Activity failed" warning is gone.
 */
import { type Harness, type TestTenant, eventually, startHarness } from '../helpers/harness';
import { FakeJira } from '../fixtures/fake-itsm/jira';

let h: Harness;
let jira: FakeJira;
const logLines: string[] = [];

beforeAll(async () => {
  jira = await new FakeJira().start();
  h = await startHarness({ logLines });
});
afterAll(async () => {
  await h?.stop();
  await jira?.stop();
});

async function tenantWithJira(ratePerMinute: number): Promise<TestTenant> {
  const tenant = await h.createTenant();
  const saved = await h.call('PUT', '/v1/integrations/itsm', {
    token: tenant.tokens.admin,
    body: {
      tool_type: 'jira',
      base_url: jira.url,
      credentials: { email: jira.email, api_token: jira.apiToken },
      settings: { project_key: 'SUP', rate_limit_per_minute: ratePerMinute },
    },
  });
  expect(saved.status).toBe(200);
  return tenant;
}

async function ticket(tenant: TestTenant, content: string): Promise<string> {
  const r = await h.call('POST', '/v1/tickets', { token: tenant.tokens.client, body: { content } });
  expect(r.status).toBe(201);
  return r.body.id;
}

const logsOf = (message: string, ticketId: string) =>
  logLines.map((l) => JSON.parse(l)).filter((l) => l.msg === message && l.ticket_id === ticketId);

test("the tool's 429 with Retry-After: retried when it said, one attempt and one log line per wait", async () => {
  const tenant = await tenantWithJira(6000); // our own limiter out of the way
  const WAITS = 3;
  jira.server.inject(
    {
      status: 429,
      headers: { 'retry-after': '1' },
      body: { errorMessages: ['Rate limit exceeded.'] },
      match: (r) => r.method === 'POST' && r.path === '/rest/api/3/issue',
    },
    WAITS,
  );
  const id = await ticket(tenant, 'Printers on floor 3 are offline');
  await eventually(async () => jira.issuesWithLabel(`triage-${id}`).length === 1, 60_000, 250);
  const created = await eventually(async () =>
    h.db('integration_sync_logs').where({ ticket_id: id, operation: 'created', status: 'success' }).first(),
  );
  // One attempt per 429 plus the one that went through: Temporal's backoff never added attempts of its own.
  expect(created.attempts).toBe(WAITS + 1);
  const waits = await h
    .db('integration_sync_logs')
    .where({ ticket_id: id, operation: 'created', status: 'pending' });
  expect(waits).toHaveLength(WAITS);
  expect(waits.map((w) => w.metadata.wait_ms)).toEqual([1000, 1000, 1000]);
  expect(await h.db('integration_sync_logs').where({ ticket_id: id, status: 'failed' })).toHaveLength(0);
  expect(logsOf('ITSM sync waits for the rate limit', id)).toHaveLength(WAITS);
  // The SDK's own warning per failed attempt is not written for a wait.
  expect(logLines.filter((l) => l.includes('Itsm_rate_limited') && l.includes('"level":40'))).toEqual([]);
});

test("syncs outrunning the tenant's own limiter queue up, each retrying at its reserved time", async () => {
  // 40 a minute, a burst of 4: one call every 1.5 s once the burst is spent.
  const tenant = await tenantWithJira(40);
  const ids = await Promise.all(
    ['VPN drops every hour', 'Mailbox is full', 'Cannot print invoices'].map((text) => ticket(tenant, text)),
  );
  for (const id of ids) {
    await eventually(
      async () => {
        const rows = await h.db('integration_sync_logs').where({ ticket_id: id });
        return ['created', 'triaged'].every((op) =>
          rows.some((r) => r.operation === op && r.status === 'success'),
        );
      },
      150_000,
      500,
    );
  }
  const rows = await h
    .db('integration_sync_logs')
    .whereIn('ticket_id', ids)
    .whereIn('status', ['success', 'pending', 'failed']);
  expect(rows.filter((r) => r.status === 'failed')).toEqual([]);
  // A retry has tokens reserved for every call its attempt made, so a sync of n calls (2 to create: find and
  // create; up to 4 to update: read, edit, transitions, transition) needs at most n attempts — where waking
  // every queued sync for each free token made them retry dozens of times.
  for (const row of rows.filter((r) => r.status === 'success')) expect(row.attempts).toBeLessThanOrEqual(4);
  // One log line per wait, and one recorded wait per line.
  for (const id of ids) {
    expect(logsOf('ITSM sync waits for the rate limit', id)).toHaveLength(
      rows.filter((r) => r.ticket_id === id && r.status === 'pending').length,
    );
  }
  expect(rows.some((r) => r.status === 'pending')).toBe(true);
}, 200_000);
