/**
 * ITSM sync end to end with a local server speaking Jira Cloud's REST API: configuration through the API,
 * exactly-once creation (also when the create's answer is lost), comments and resolve going out, an outage
 * that outlasts the first SLA warning, signed inbound webhooks without echo, and credentials kept secret.
 */
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { type Harness, type TestTenant, eventually, startHarness } from '../helpers/harness';
import { FakeJira, signedJiraWebhook as signedJira } from '../fixtures/fake-itsm/jira';

const INBOUND_SECRET = 'jira-inbound-secret-0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let h: Harness;
let tenant: TestTenant;
let jira: FakeJira;
const logLines: string[] = [];

beforeAll(async () => {
  jira = await new FakeJira().start();
  h = await startHarness({ logLines });
  tenant = await h.createTenant({
    sla_policy: { targets: { medium: { first_response_seconds: 4, resolution_seconds: 600 } } },
  });
});
afterAll(async () => {
  await h?.stop();
  await jira?.stop();
});

const jiraConfig = () => ({
  tool_type: 'jira',
  base_url: jira.url,
  credentials: { email: jira.email, api_token: jira.apiToken },
  settings: { project_key: 'SUP' },
  inbound_secret: INBOUND_SECRET,
});

async function ticket(content: string): Promise<string> {
  const r = await h.call('POST', '/v1/tickets', {
    token: tenant.tokens.client,
    body: { content, priority: 'medium' },
  });
  expect(r.status).toBe(201);
  return r.body.id;
}

const issuesFor = (id: string) => jira.issuesWithLabel(`triage-${id}`);

test('configuration is validated per tool type and credentials never come back', async () => {
  const unknown = await h.call('PUT', '/v1/integrations/itsm', {
    token: tenant.tokens.admin,
    body: { tool_type: 'remedy', base_url: 'https://x.example', credentials: {} },
  });
  expect(unknown.status).toBe(400);
  expect(unknown.body.errors.map((e: { field: string }) => e.field)).toContain('tool_type');
  const incomplete = await h.call('PUT', '/v1/integrations/itsm', {
    token: tenant.tokens.admin,
    body: { tool_type: 'jira', base_url: 'not a url', credentials: { email: 'x@y.z' }, settings: {} },
  });
  expect(incomplete.status).toBe(400);
  expect(incomplete.body.errors.map((e: { field: string }) => e.field)).toEqual(
    expect.arrayContaining(['base_url', 'credentials.api_token']),
  );
  expect(
    (await h.call('PUT', '/v1/integrations/itsm', { token: tenant.tokens.agent, body: jiraConfig() })).status,
  ).toBe(403);

  const saved = await h.call('PUT', '/v1/integrations/itsm', {
    token: tenant.tokens.admin,
    body: jiraConfig(),
  });
  expect(saved.status).toBe(200);
  expect(saved.body).toMatchObject({
    tool_type: 'jira',
    credentials: { configured: ['api_token', 'email'] },
  });
  const read = await h.call('GET', '/v1/integrations/itsm', { token: tenant.tokens.admin });
  for (const body of [saved.body, read.body]) {
    expect(JSON.stringify(body)).not.toContain(jira.apiToken);
    expect(JSON.stringify(body)).not.toContain(INBOUND_SECRET);
  }
  const row = await h.db('tenant_integrations').where({ tenant_id: tenant.id }).first();
  expect(row.credentials_sealed).toMatch(/^v1\./);
  expect(JSON.stringify(row)).not.toContain(jira.apiToken);
  expect(JSON.stringify(row)).not.toContain(INBOUND_SECRET);
});

let firstTicket: string;

test('a ticket creates exactly one Jira issue; replies and resolve follow it', async () => {
  const id = await ticket('The nightly export to S3 fails with an error');
  firstTicket = id;
  const [issue] = await eventually(async () => (issuesFor(id).length ? issuesFor(id) : undefined));
  const detail = await eventually(async () => {
    const r = await h.call('GET', `/v1/tickets/${id}`, { token: tenant.tokens.agent });
    return r.body.external_refs.length ? r.body : undefined;
  });
  expect(detail.external_refs[0]).toMatchObject({ system: 'jira', external_id: issue!.key });

  await h.call('POST', `/v1/tickets/${id}/messages`, {
    token: tenant.tokens.agent,
    body: { body: 'We are rerunning the export.' },
  });
  await eventually(async () =>
    JSON.stringify(issuesFor(id)[0]!.comments).includes('We are rerunning the export.'),
  );
  await sleep(500);
  expect(issuesFor(id)).toHaveLength(1);
  await eventually(async () => {
    const syncs = await h.db('integration_sync_logs').where({ ticket_id: id, status: 'success' });
    const operations = syncs.map((s) => s.operation);
    return ['created', 'triaged', 'commented'].every((op) => operations.includes(op));
  });
});

test('a create whose answer is lost is retried without a second issue', async () => {
  jira.server.inject({ delayMs: 3000, match: (r) => r.method === 'POST' && r.path === '/rest/api/3/issue' });
  const id = await ticket('Dashboard widgets show no data');
  await eventually(
    async () => {
      const r = await h.db('ticket_external_refs').where({ ticket_id: id });
      return r.length === 1;
    },
    30_000,
    250,
  );
  expect(issuesFor(id)).toHaveLength(1);
  const failed = await h
    .db('integration_sync_logs')
    .where({ ticket_id: id, operation: 'created', status: 'failed' });
  expect(failed.length).toBeGreaterThanOrEqual(1);
});

test('an outage longer than the first SLA warning: the warning fires on time, the sync completes after', async () => {
  // Down for the first five attempts (about 30 s with the 2, 4, 8, 16 s backoff): well past the 3.4 s warning.
  jira.server.inject({ status: 503, body: { errorMessages: ['maintenance'] } }, 5);
  const created = Date.now();
  const id = await ticket('Single sign-on stopped working for our team');
  const warning = await eventually(
    async () => (await h.db('sla_events').where({ ticket_id: id, kind: 'warning' }))[0],
    15_000,
  );
  // Generous on a busy machine: what matters is that the warning did not wait for the ITSM tool (30 s).
  expect(new Date(warning.fired_at).getTime() - new Date(warning.due_at).getTime()).toBeLessThan(8000);
  expect(new Date(warning.due_at).getTime() - created).toBeLessThan(4000);
  expect(issuesFor(id)).toHaveLength(0); // still down when the warning fired
  await eventually(async () => issuesFor(id).length === 1, 90_000, 500);
  // The issue exists as soon as Jira answers; the attempt's log row is written after that answer arrives.
  const attempts = await eventually(async () => {
    const rows = await h
      .db('integration_sync_logs')
      .where({ ticket_id: id, operation: 'created' })
      .orderBy('id');
    return rows.at(-1)?.status === 'success' ? rows : undefined;
  }, 30_000);
  expect(attempts.some((a: { status: string }) => a.status === 'failed')).toBe(true);
});

function signedJiraWebhook(body: object, secret = INBOUND_SECRET) {
  return signedJira(body, secret);
}

test('a signed Jira "Done" resolves the ticket once, is not echoed back; forgeries and replays change nothing', async () => {
  const id = firstTicket;
  const key = issuesFor(id)[0]!.key;
  const event = {
    timestamp: Date.now(),
    webhookEvent: 'jira:issue_updated',
    user: { accountId: 'human-agent' },
    issue: { id: '1', key, fields: { labels: [`triage-${id}`], status: { name: 'Done' } } },
    changelog: {
      id: '9',
      items: [{ field: 'status', fieldId: 'status', fromString: 'In Progress', toString: 'Done' }],
    },
  };
  const url = `/v1/integrations/itsm/inbound/${tenant.slug}`;

  const forged = signedJiraWebhook(event, 'not-the-right-secret-000000');
  expect((await h.call('POST', url, { rawBody: forged.raw, headers: forged.headers })).status).toBe(401);
  const stale = signedJiraWebhook({ ...event, timestamp: Date.now() - 3600_000 });
  expect((await h.call('POST', url, { rawBody: stale.raw, headers: stale.headers })).status).toBe(401);
  const unsigned = await h.call('POST', url, { body: event });
  expect(unsigned.status).toBe(401);
  expect((await h.db('tickets').where({ id }).first()).status).not.toBe('resolved');

  const transitionsBefore = jira.server.calls('POST', /\/transitions$/).length;
  const good = signedJiraWebhook(event);
  const applied = await h.call('POST', url, { rawBody: good.raw, headers: good.headers });
  expect(applied.status).toBe(200);
  expect(applied.body.status).toBe('resolved');
  const resolved = await h.call('GET', `/v1/tickets/${id}`, { token: tenant.tokens.agent });
  expect(resolved.body.status).toBe('resolved');
  const audit = await h.db('audit_log').where({ ticket_id: id, action: 'resolve' });
  expect(audit).toEqual([expect.objectContaining({ actor_id: 'itsm:jira', actor_type: 'system' })]);

  const replay = await h.call('POST', url, { rawBody: good.raw, headers: good.headers });
  expect(replay.body.status).toBe('duplicate');
  await sleep(2500);
  // No sync loop: the resolve that came from Jira did not go back to Jira.
  expect(jira.server.calls('POST', /\/transitions$/).length).toBe(transitionsBefore);
  expect(await h.db('audit_log').where({ ticket_id: id, action: 'resolve' })).toHaveLength(1);

  // An agent's own resolve does go out: reopen here, resolve again, Jira gets a transition.
  await h.call('POST', `/v1/tickets/${id}/reopen`, { token: tenant.tokens.agent, body: {} });
  await h.call('POST', `/v1/tickets/${id}/resolve`, {
    token: tenant.tokens.agent,
    body: { resolution: 'fixed' },
  });
  await eventually(
    async () => jira.server.calls('POST', /\/transitions$/).length > transitionsBefore,
    20_000,
    250,
  );
});

test('the Jira API token appears in no log line and no workflow history', async () => {
  const history = await h.client.workflow.getHandle(`ticket-${firstTicket}`).fetchHistory();
  const json = historyToJSON(history);
  const basic = Buffer.from(`${jira.email}:${jira.apiToken}`).toString('base64');
  for (const secret of [jira.apiToken, INBOUND_SECRET, basic]) {
    expect(json).not.toContain(secret);
    expect(logLines.join('\n')).not.toContain(secret);
  }
  expect(logLines.length).toBeGreaterThan(10);
});
