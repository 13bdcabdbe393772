/**
 * ITSM base URLs under the outbound policy: refused at configuration time (each class, as literals and through
 * a hostname), and at connection time a refused address fails the call as a non-retryable `refused` error with
 * nothing sent — also when DNS rebinds after the configuration was checked, and when the tool redirects to a
 * private address. The allow-list lets the local fake tool through.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkItsmOutbound } from '../../../src/connectors/itsm/config';
import { toActivityFailure } from '../../../src/connectors/itsm/gateway';
import { createHttpClient } from '../../../src/connectors/itsm/http';
import { createConnector } from '../../../src/connectors/itsm/registry';
import { type Resolver, createOutboundPolicy } from '../../../src/platform/net/outbound-policy';
import { FakeJira } from '../../fixtures/fake-itsm/jira';
import { FakeServer } from '../../fixtures/fake-itsm/server';
import { config, expectItsmError, snapshot } from './helpers';

/** "a loopback", "an unspecified". */
const an = (range: string) => `${/^[aeiou]/.test(range) ? 'an' : 'a'} ${range}`;

let jira: FakeJira;
beforeAll(async () => {
  jira = await new FakeJira().start();
});
afterAll(() => jira.stop());

const jiraInput = (base_url: string) => ({
  tool_type: 'jira',
  base_url,
  credentials: { email: jira.email, api_token: jira.apiToken },
  settings: { project_key: 'SUP' },
});

const resolverOf =
  (table: Record<string, string[]>): Resolver =>
  async (hostname) => {
    const answers = table[hostname];
    if (!answers) throw new Error(`ENOTFOUND ${hostname}`);
    return answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

describe('configuration time: checkItsmOutbound', () => {
  // No allow-list: what production has without OUTBOUND_ALLOW_NETWORKS.
  const policy = createOutboundPolicy({
    resolve: resolverOf({
      localhost: ['127.0.0.1', '::1'],
      'jira.corp.test': ['127.0.0.1'],
      'acme.atlassian.test': ['93.184.216.34'],
    }),
  });

  it.each([
    ['http://127.0.0.1:8080', 'loopback'],
    ['http://localhost:8080', 'loopback'],
    ['https://[::1]', 'loopback'],
    ['https://10.0.0.5', 'private'],
    ['https://192.168.10.1', 'private'],
    ['https://[fd00::5]', 'private'],
    ['https://169.254.169.254', 'link-local'],
    ['https://[fe80::1]', 'link-local'],
    ['https://100.64.0.9', 'carrier-grade NAT'],
    ['https://[ff02::1]', 'multicast'],
    ['https://0.0.0.0', 'unspecified'],
    ['https://[::ffff:10.0.0.5]', 'private'],
    ['https://[::ffff:127.0.0.1]', 'loopback'],
    ['https://jira.corp.test', 'loopback'],
  ])('base_url %s is refused (%s)', async (baseUrl, range) => {
    expect(await checkItsmOutbound(config(jiraInput(baseUrl)), policy)).toEqual([
      { field: 'base_url', message: `resolves to ${an(range)} address` },
    ]);
  });

  it('a public base URL passes', async () => {
    expect(await checkItsmOutbound(config(jiraInput('https://acme.atlassian.test')), policy)).toEqual([]);
  });
});

describe('connection time', () => {
  it('a base URL whose host resolves to loopback fails as refused, not retryable, nothing sent', async () => {
    const policy = createOutboundPolicy({ resolve: resolverOf({ 'jira.corp.test': ['127.0.0.1'] }) });
    const before = jira.server.requests.length;
    // Through the connector with the fake tool's own address, and through a name that resolves to it.
    for (const baseUrl of [jira.url, `https://jira.corp.test:${new URL(jira.url).port}`]) {
      const connector = createConnector(config(jiraInput(baseUrl)), { outbound: policy, timeoutMs: 2000 });
      const error = await expectItsmError(connector.createTicket(snapshot(), { eventId: 'e-refused' }), {
        kind: 'refused',
        retryable: false,
      });
      expect(error.message).toMatch(/^jira \w+ not sent: the base URL resolves to a loopback address \(/);
      const failure = toActivityFailure(error) as { nonRetryable: boolean; type: string };
      expect(failure).toMatchObject({ nonRetryable: true, type: 'Itsm_refused' });
    }
    expect(jira.server.requests.length).toBe(before);
  });

  it('a rebinding resolver (public at configuration, loopback at sync) never reaches the tool', async () => {
    let calls = 0;
    const policy = createOutboundPolicy({
      resolve: async () => {
        calls += 1;
        return [{ address: calls === 1 ? '93.184.216.34' : '127.0.0.1', family: 4 }];
      },
    });
    const configured = config(jiraInput(`https://rebind.corp.test:${new URL(jira.url).port}`));
    expect(await checkItsmOutbound(configured, policy)).toEqual([]);
    const before = jira.server.requests.length;
    await expectItsmError(
      createConnector(configured, { outbound: policy }).createTicket(snapshot(), { eventId: 'e-rebind' }),
      { kind: 'refused', retryable: false },
    );
    expect(jira.server.requests.length).toBe(before);
  });

  it('a redirect to a private address is not followed', async () => {
    // The redirecting tool is allowed (127.0.0.1/32); the target, on 127.0.0.2, is not.
    let insideHits = 0;
    const inside = http.createServer((_req, res) => {
      insideHits += 1;
      res.end('{"secret":"internal"}');
    });
    await new Promise<void>((r) => inside.listen(0, '127.0.0.2', r));
    const insideUrl = `http://127.0.0.2:${(inside.address() as AddressInfo).port}`;
    const redirecting = await new FakeServer(() => ({
      status: 302,
      headers: { location: `${insideUrl}/admin` },
    })).start();
    try {
      const client = createHttpClient({
        system: 'webhook',
        baseUrl: redirecting.url,
        headers: {},
        secrets: [],
        outbound: createOutboundPolicy({ allow: ['127.0.0.1/32'] }),
      });
      const error = await expectItsmError(
        client.request({ method: 'POST', path: '/events', operation: 'send' }),
        {
          kind: 'invalid',
          retryable: false,
          status: 302,
        },
      );
      expect(error.message).toContain('unexpected redirect');
      expect(error.message).not.toContain('internal');
      expect(redirecting.requests).toHaveLength(1);
      expect(insideHits).toBe(0);
    } finally {
      await new Promise((r) => inside.close(r));
      await redirecting.stop();
    }
  });

  it('the allow-list lets the local tool through', async () => {
    const policy = createOutboundPolicy({
      allow: ['127.0.0.1/32'],
      resolve: resolverOf({ 'jira.corp.test': ['127.0.0.1'] }),
    });
    const connector = createConnector(config(jiraInput(jira.url)), { outbound: policy });
    const ref = await connector.createTicket(snapshot(), { eventId: 'e-allowed' });
    expect(ref.externalId).toMatch(/^SUP-\d+$/);
    await policy.close();
  });
});
