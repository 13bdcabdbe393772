/**
 * The outbound policy end to end, as production runs it (NODE_ENV=production, OUTBOUND_ALLOW_NETWORKS unset):
 * the API refuses ITSM base URLs and notification targets that point into the platform's network with a 422
 * naming the field, and a URL that passed when saved but resolves to loopback later (DNS rebinding) fails
 * its ITSM sync and its SLA notification for good — reason in the sync log and the delivery record, one
 * attempt, and nothing reaches the local servers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/platform/config';
import { type Resolver, createOutboundPolicy } from '../../src/platform/net/outbound-policy';
import { FakeJira } from '../fixtures/fake-itsm/jira';
import { type Harness, type TestTenant, eventually, startHarness } from '../helpers/harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Names that resolve to loopback, and names that answer a public address once (when saved), then loopback. */
const LOOPBACK_NAMES = new Set(['localhost', 'jira.corp.test', 'hooks.corp.test']);
const asked = new Map<string, number>();
const resolve: Resolver = async (hostname) => {
  const n = (asked.get(hostname) ?? 0) + 1;
  asked.set(hostname, n);
  if (LOOPBACK_NAMES.has(hostname)) return [{ address: '127.0.0.1', family: 4 }];
  if (hostname.startsWith('rebind-'))
    return [{ address: n === 1 ? '93.184.216.34' : '127.0.0.1', family: 4 }];
  throw new Error(`ENOTFOUND ${hostname}`);
};

const production = loadConfig({
  NODE_ENV: 'production',
  JWT_SECRET: 'a-production-secret-that-is-long-enough-0123',
  SECRET_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
  PAYLOAD_KEYS: `p1:${Buffer.alloc(32, 2).toString('base64')}`,
});

let h: Harness;
let tenant: TestTenant;
let jira: FakeJira;
let receiver: http.Server;
let receiverPort: number;
let receiverHits = 0;

beforeAll(async () => {
  expect(production.outbound.allowNetworks).toEqual([]);
  jira = await new FakeJira().start();
  receiver = http.createServer((req, res) => {
    receiverHits += 1;
    req.resume();
    res.writeHead(200).end('ok');
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverPort = (receiver.address() as AddressInfo).port;
  h = await startHarness({
    outbound: createOutboundPolicy({ allow: production.outbound.allowNetworks, resolve }),
  });
  tenant = await h.createTenant({
    sla_policy: { targets: { medium: { first_response_seconds: 2, resolution_seconds: 600 } } },
  });
});
afterAll(async () => {
  await h?.stop();
  await jira?.stop();
  await new Promise((r) => receiver?.close(r));
});

const jiraConfig = (base_url: string) => ({
  tool_type: 'jira',
  base_url,
  credentials: { email: jira.email, api_token: jira.apiToken },
  settings: { project_key: 'SUP' },
});

test('the API refuses ITSM base URLs and notification targets inside the network: 422 naming the field', async () => {
  const port = new URL(jira.url).port;
  for (const [baseUrl, reason] of [
    [jira.url, 'resolves to a loopback address'],
    [`http://localhost:${port}`, 'resolves to a loopback address'],
    [`https://jira.corp.test:${port}`, 'resolves to a loopback address'],
    ['https://[::1]', 'resolves to a loopback address'],
    ['https://10.0.0.5', 'resolves to a private address'],
    ['https://[fd00::5]', 'resolves to a private address'],
    ['https://169.254.169.254', 'resolves to a link-local address'],
    ['https://[::ffff:169.254.169.254]', 'resolves to a link-local address'],
    ['https://100.64.0.1', 'resolves to a carrier-grade NAT address'],
  ] as const) {
    const r = await h.call('PUT', '/v1/integrations/itsm', {
      token: tenant.tokens.admin,
      body: jiraConfig(baseUrl),
    });
    expect({ baseUrl, status: r.status, type: r.headers.get('content-type') }).toEqual({
      baseUrl,
      status: 422,
      type: expect.stringContaining('application/problem+json'),
    });
    expect(r.body).toMatchObject({
      type: '/problems/outbound-url-refused',
      errors: [{ field: 'base_url', message: reason }],
    });
  }
  expect(await h.db('tenant_integrations').where({ tenant_id: tenant.id })).toHaveLength(0);

  for (const [url, reason] of [
    [`http://127.0.0.1:${receiverPort}/hook`, 'resolves to a loopback address'],
    [`http://hooks.corp.test:${receiverPort}/hook`, 'resolves to a loopback address'],
    ['http://[::ffff:127.0.0.1]:5432/', 'resolves to a loopback address'],
    ['http://10.0.0.5:8080/admin', 'resolves to a private address'],
    ['http://169.254.169.254/latest/meta-data/', 'resolves to a link-local address'],
    ['http://[fe80::1]/', 'resolves to a link-local address'],
    ['http://224.0.0.1/', 'resolves to a multicast address'],
    ['http://0.0.0.0:3000/', 'resolves to an unspecified address'],
  ] as const) {
    for (const type of ['slack', 'webhook'] as const) {
      const r = await h.call('POST', '/v1/notification-targets', {
        token: tenant.tokens.admin,
        body: {
          type,
          name: 'alerts',
          url,
          ...(type === 'webhook' ? { secret: 'webhook-signing-secret-0123456789' } : {}),
        },
      });
      expect({ url, type, status: r.status }).toEqual({ url, type, status: 422 });
      expect(r.body).toMatchObject({
        type: '/problems/outbound-url-refused',
        errors: [{ field: 'url', message: reason }],
      });
      expect(JSON.stringify(r.body)).not.toContain(url); // a Slack URL is a credential: never echoed
    }
  }
  expect(await h.db('notification_targets').where({ tenant_id: tenant.id })).toHaveLength(0);
  expect(receiverHits).toBe(0);
});

test('a URL that rebinds to loopback after it was saved fails its sync and its alerts for good, sending nothing', async () => {
  const jiraRequests = jira.server.requests.length;
  const saved = await h.call('PUT', '/v1/integrations/itsm', {
    token: tenant.tokens.admin,
    body: jiraConfig(`https://rebind-jira.corp.test:${new URL(jira.url).port}`),
  });
  expect(saved.status).toBe(200);
  const target = await h.call('POST', '/v1/notification-targets', {
    token: tenant.tokens.admin,
    body: {
      type: 'webhook',
      name: 'on-call hook',
      url: `http://rebind-hooks.corp.test:${receiverPort}/hook`,
      secret: 'webhook-signing-secret-0123456789',
    },
  });
  expect(target.status).toBe(201);

  const created = await h.call('POST', '/v1/tickets', {
    token: tenant.tokens.client,
    body: { content: 'Our export keeps failing', priority: 'medium' },
  });
  expect(created.status).toBe(201);
  const ticketId: string = created.body.id;

  const syncLog = await eventually(async () => {
    const rows = await h.db('integration_sync_logs').where({ ticket_id: ticketId, status: 'failed' });
    return rows.length > 0 ? rows : undefined;
  });
  expect(syncLog[0]).toMatchObject({ direction: 'outbound', attempts: 1 });
  expect(syncLog[0].error_message).toContain('not sent: the base URL resolves to a loopback address');

  const deliveries = await eventually(async () => {
    const rows = await h.db('notification_deliveries').where({ ticket_id: ticketId });
    return rows.length > 0 && rows.every((r) => r.status === 'failed') ? rows : undefined;
  });
  for (const d of deliveries) {
    expect(d).toMatchObject({ status: 'failed', attempts: 1 });
    expect(d.last_error).toBe(
      'webhook target "on-call hook" not sent: its URL resolves to a loopback address',
    );
  }

  // Not retried: still one attempt each a few seconds later, and nothing reached the local servers.
  await sleep(3000);
  const syncRows = await h.db('integration_sync_logs').where({ ticket_id: ticketId, direction: 'outbound' });
  expect(syncRows.filter((r) => r.operation === syncLog[0].operation)).toHaveLength(1);
  for (const d of await h.db('notification_deliveries').where({ ticket_id: ticketId })) {
    expect(d.attempts).toBe(1);
  }
  expect(jira.server.requests.length).toBe(jiraRequests);
  expect(receiverHits).toBe(0);
});
