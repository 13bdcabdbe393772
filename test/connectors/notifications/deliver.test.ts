/**
 * Slack and webhook notification targets under the outbound policy: a refused address fails the delivery for
 * good (not retryable) with the reason and nothing sent — for literals of each class, a name that resolves to
 * loopback, and a rebinding resolver; a redirect is not followed; the allow-list lets a local receiver through;
 * and no error carries the target's URL or the answer's body.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DeliveryError,
  type SlaAlertMessage,
  deliverAlert,
} from '../../../src/connectors/notifications/deliver';
import { type Resolver, createOutboundPolicy } from '../../../src/platform/net/outbound-policy';
import type { NotificationTarget } from '../../../src/stores/notification-repository';

/** "a loopback", "an unspecified". */
const an = (range: string) => `${/^[aeiou]/.test(range) ? 'an' : 'a'} ${range}`;

const message: SlaAlertMessage = {
  event_id: 't1:first_response:1:breach:1:target',
  type: 'sla.breach',
  ticket: {
    id: 't1',
    title: 'Export fails',
    priority: 'high',
    customer_tier: 'enterprise',
    status: 'open',
    url: 'http://api.test/v1/tickets/t1',
  },
  clock: 'first_response',
  threshold: 1,
  cycle: 1,
  deadline: '2026-01-01T00:00:00.000Z',
  fired_at: '2026-01-01T00:00:00.000Z',
  remaining_seconds: -5,
  temporal_ui_url: null,
};

const target = (type: 'slack' | 'webhook', url: string): NotificationTarget => ({
  id: 'target',
  tenantId: 'tenant',
  type,
  name: `${type} alerts`,
  url,
  secret: type === 'webhook' ? 'webhook-signing-secret-0123456789' : null,
  events: ['breach'],
});

async function deliveryError(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  return error as DeliveryError;
}

let hits: Array<{ path: string | undefined }>;
let receiver: http.Server;
let port: number;
beforeAll(async () => {
  hits = [];
  receiver = http.createServer((req, res) => {
    hits.push({ path: req.url });
    req.resume();
    if (req.url === '/busy') {
      res.writeHead(429, { 'retry-after': '7' }).end('slow down');
      return;
    }
    if (req.url === '/redirect') {
      res.writeHead(307, { location: `http://127.0.0.2:${port}/inside` }).end();
      return;
    }
    res.writeHead(200).end('ok');
  });
  // Listening on every loopback address: 127.0.0.2 reaches it too, if anything tried.
  await new Promise<void>((r) => receiver.listen(0, '0.0.0.0', r));
  port = (receiver.address() as AddressInfo).port;
});
afterAll(() => new Promise((r) => receiver.close(r)));

const resolverOf =
  (table: Record<string, string[]>): Resolver =>
  async (hostname) =>
    (table[hostname] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

/** Production without OUTBOUND_ALLOW_NETWORKS: no network allowed. */
const strict = createOutboundPolicy({
  resolve: resolverOf({ 'hooks.tenant.test': ['127.0.0.1'], 'slack.tenant.test': ['10.0.0.7'] }),
});
afterAll(() => strict.close());

describe.each(['slack', 'webhook'] as const)('%s target', (type) => {
  it.each([
    ['http://127.0.0.1:PORT/hook', 'loopback'],
    ['http://[::1]:PORT/hook', 'loopback'],
    ['http://[::ffff:127.0.0.1]:PORT/hook', 'loopback'],
    ['http://hooks.tenant.test:PORT/hook', 'loopback'],
    ['http://10.0.0.5:8080/admin', 'private'],
    ['https://slack.tenant.test/services/T/B/X', 'private'],
    ['http://[fd00::5]/hook', 'private'],
    ['http://169.254.169.254/latest/meta-data/', 'link-local'],
    ['http://[fe80::1]/hook', 'link-local'],
    ['http://100.64.0.1/hook', 'carrier-grade NAT'],
    ['http://239.1.1.1/hook', 'multicast'],
    ['http://0.0.0.0:PORT/hook', 'unspecified'],
  ])('%s fails for good: %s', async (url, range) => {
    const before = hits.length;
    const error = await deliveryError(
      deliverAlert(target(type, url.replace('PORT', String(port))), message, { outbound: strict }),
    );
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      `${type} target "${type} alerts" not sent: its URL resolves to ${an(range)} address`,
    );
    expect(hits.length).toBe(before);
  });

  it('a rebinding resolver (public when saved, loopback when sent) never reaches loopback', async () => {
    let calls = 0;
    const rebinding = createOutboundPolicy({
      resolve: async () => {
        calls += 1;
        return [{ address: calls === 1 ? '93.184.216.34' : '127.0.0.1', family: 4 }];
      },
    });
    const url = `http://rebind.tenant.test:${port}/hook`;
    expect(await rebinding.checkUrl(url)).toMatchObject({ ok: true });
    const before = hits.length;
    const error = await deliveryError(deliverAlert(target(type, url), message, { outbound: rebinding }));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('resolves to a loopback address');
    expect(hits.length).toBe(before);
  });

  it("a 429 is retryable after the target's Retry-After", async () => {
    const policy = createOutboundPolicy({ allow: ['127.0.0.1/32'] });
    const error = await deliveryError(
      deliverAlert(target(type, `http://127.0.0.1:${port}/busy`), message, { outbound: policy }),
    );
    expect(error).toMatchObject({ retryable: true, httpStatus: 429, retryAfterMs: 7000 });
    await policy.close();
  });

  it('a redirect to a private address is not followed', async () => {
    const policy = createOutboundPolicy({ allow: ['127.0.0.1/32'] });
    const before = hits.length;
    const error = await deliveryError(
      deliverAlert(target(type, `http://127.0.0.1:${port}/redirect`), message, { outbound: policy }),
    );
    expect(error).toMatchObject({ retryable: false, httpStatus: 307 });
    expect(error.message).toBe(
      `${type} target "${type} alerts" answered with a redirect (307), which is not followed`,
    );
    expect(hits.slice(before).map((h) => h.path)).toEqual(['/redirect']);
    await policy.close();
  });

  it('the allow-list lets a local receiver through', async () => {
    const policy = createOutboundPolicy({
      allow: ['127.0.0.1/32'],
      resolve: resolverOf({ 'hooks.tenant.test': ['127.0.0.1'] }),
    });
    const before = hits.length;
    expect(
      await deliverAlert(target(type, `http://hooks.tenant.test:${port}/hook`), message, {
        outbound: policy,
      }),
    ).toEqual({ httpStatus: 200 });
    expect(hits.slice(before).map((h) => h.path)).toEqual(['/hook']);
    await policy.close();
  });
});
