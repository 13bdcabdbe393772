/**
 * The outbound policy on its own: each refused class of address (IPv4, IPv6, IPv4-mapped forms, URL spellings
 * of them), hostnames through a fake resolver, the allow-list, OUTBOUND_ALLOW_NETWORKS parsing, and the
 * connection-time guarantees against local servers: the checked address is the one connected to (no second
 * lookup, so a rebinding resolver gains nothing), redirects are not followed, and nothing reaches a refused
 * address.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, loadConfig } from '../../../src/platform/config';
import {
  LOOPBACK_NETWORKS,
  OutboundRefusedError,
  type Resolver,
  createOutboundPolicy,
  parseNetworks,
} from '../../../src/platform/net/outbound-policy';

/** "a loopback", "an unspecified". */
const an = (range: string) => `${/^[aeiou]/.test(range) ? 'an' : 'a'} ${range}`;

const PRODUCTION = {
  NODE_ENV: 'production',
  JWT_SECRET: 'a-production-secret-that-is-long-enough-0123',
  SECRET_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
  PAYLOAD_KEYS: `p1:${Buffer.alloc(32, 2).toString('base64')}`,
};
/** The policy `NODE_ENV=production` without OUTBOUND_ALLOW_NETWORKS gives. */
const productionPolicy = (resolve?: Resolver) =>
  createOutboundPolicy({ allow: loadConfig(PRODUCTION).outbound.allowNetworks, resolve });

/** A resolver from a table; records every name it was asked. */
function fakeResolver(table: Record<string, string[]>) {
  const asked: string[] = [];
  const resolve: Resolver = async (hostname) => {
    asked.push(hostname);
    const answers = table[hostname];
    if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolve, asked };
}

/** A rebinding DNS server: a public address for the first question, loopback for every later one. */
function rebindingResolver() {
  let calls = 0;
  const resolve: Resolver = async () => {
    calls += 1;
    return [{ address: calls === 1 ? '93.184.216.34' : '127.0.0.1', family: 4 }];
  };
  return { resolve, calls: () => calls };
}

interface LocalServer {
  url: string;
  port: number;
  hits: Array<{ host: string | undefined; path: string | undefined }>;
  close(): Promise<void>;
}

async function localServer(
  host = '127.0.0.1',
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
): Promise<LocalServer> {
  const hits: LocalServer['hits'] = [];
  const server = http.createServer((req, res) => {
    hits.push({ host: req.headers.host, path: req.url });
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('classify: each refused class, IPv4, IPv6 and IPv4-mapped', () => {
  const policy = createOutboundPolicy();
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.5', 'private'],
    ['172.16.3.4', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['224.0.0.251', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['0.0.0.0', 'unspecified'],
    ['192.0.2.10', 'reserved'],
    ['::1', 'loopback'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
    ['::', 'unspecified'],
    ['64:ff9b::7f00:1', 'reserved'],
    ['2002:7f00:1::', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.5', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:100.64.0.1', 'carrier-grade NAT'],
    ['::127.0.0.1', 'loopback'],
  ])('%s is refused as %s', (address, range) => {
    expect(policy.classify(address)).toEqual({ allowed: false, range });
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:93.184.216.34'])(
    '%s (public) is allowed',
    (address) => {
      expect(policy.classify(address)).toEqual({ allowed: true, internal: false });
    },
  );

  it('the allow-list lets its networks through, marked internal, and nothing else', () => {
    const allowing = createOutboundPolicy({ allow: ['10.20.0.0/16', 'fd00:1::/32', '127.0.0.1'] });
    expect(allowing.classify('10.20.3.4')).toEqual({ allowed: true, internal: true });
    expect(allowing.classify('::ffff:10.20.3.4')).toEqual({ allowed: true, internal: true });
    expect(allowing.classify('fd00:1:2::3')).toEqual({ allowed: true, internal: true });
    expect(allowing.classify('127.0.0.1')).toEqual({ allowed: true, internal: true });
    expect(allowing.classify('127.0.0.2')).toEqual({ allowed: false, range: 'loopback' });
    expect(allowing.classify('10.21.0.1')).toEqual({ allowed: false, range: 'private' });
    expect(allowing.classify('169.254.169.254')).toEqual({ allowed: false, range: 'link-local' });
  });
});

describe('checkUrl: configuration time', () => {
  it.each([
    ['http://127.0.0.1:5432/', 'loopback'],
    ['http://[::1]:7233/', 'loopback'],
    ['http://2130706433/', 'loopback'], // 127.0.0.1 as one decimal number
    ['http://0x7f.1/', 'loopback'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
    ['http://10.0.0.5:8080/admin', 'private'],
    ['https://[fd00::5]/', 'private'],
    ['http://169.254.169.254/latest/meta-data/', 'link-local'],
    ['http://[::ffff:a9fe:a9fe]/latest/meta-data/', 'link-local'],
    ['https://[fe80::1]/', 'link-local'],
    ['https://100.64.1.2/', 'carrier-grade NAT'],
    ['http://224.0.0.1/', 'multicast'],
    ['http://0.0.0.0:3000/', 'unspecified'],
    ['http://[::]:3000/', 'unspecified'],
  ])('%s is refused (%s)', async (url, range) => {
    const { resolve, asked } = fakeResolver({});
    const check = await productionPolicy(resolve).checkUrl(url);
    expect(check).toEqual({ ok: false, reason: `resolves to ${an(range)} address`, retryable: false });
    expect(asked).toEqual([]); // a literal address needs no DNS
  });

  it('a hostname that resolves to loopback, or to a public and a private address, is refused', async () => {
    const { resolve } = fakeResolver({
      'jira.tenant.test': ['127.0.0.1'],
      'mixed.tenant.test': ['93.184.216.34', '10.1.1.1'],
      'v6.tenant.test': ['2606:4700::1', '::ffff:192.168.0.1'],
      'ok.tenant.test': ['93.184.216.34', '2606:4700::1'],
    });
    const policy = productionPolicy(resolve);
    expect(await policy.checkUrl('https://jira.tenant.test/')).toMatchObject({
      ok: false,
      reason: 'resolves to a loopback address',
    });
    expect(await policy.checkUrl('https://mixed.tenant.test/')).toMatchObject({
      ok: false,
      reason: 'resolves to a private address',
    });
    expect(await policy.checkUrl('https://v6.tenant.test/')).toMatchObject({
      ok: false,
      reason: 'resolves to a private address',
    });
    expect(await policy.checkUrl('https://ok.tenant.test/')).toMatchObject({ ok: true, internal: false });
    expect(await policy.checkUrl('https://nowhere.tenant.test/')).toEqual({
      ok: false,
      reason: 'does not resolve',
      retryable: true,
    });
    expect(await policy.checkUrl('ftp://ok.tenant.test/')).toMatchObject({
      ok: false,
      reason: 'must use http or https',
    });
    expect(await policy.checkUrl('not a url')).toMatchObject({ ok: false, reason: 'is not an absolute URL' });
  });

  it('with the production default, localhost (system resolver) is refused', async () => {
    expect(await productionPolicy().checkUrl('http://localhost:5432/')).toEqual({
      ok: false,
      reason: 'resolves to a loopback address',
      retryable: false,
    });
  });
});

describe('OUTBOUND_ALLOW_NETWORKS', () => {
  it('production: unset or empty means no network; development and test default to loopback', () => {
    expect(loadConfig(PRODUCTION).outbound.allowNetworks).toEqual([]);
    expect(loadConfig({ ...PRODUCTION, OUTBOUND_ALLOW_NETWORKS: '' }).outbound.allowNetworks).toEqual([]);
    expect(loadConfig({ NODE_ENV: 'test' }).outbound.allowNetworks).toEqual([...LOOPBACK_NETWORKS]);
    expect(loadConfig({}).outbound.allowNetworks).toEqual([...LOOPBACK_NETWORKS]);
    expect(loadConfig({ NODE_ENV: 'test', OUTBOUND_ALLOW_NETWORKS: '' }).outbound.allowNetworks).toEqual([]);
  });

  it('parses comma-separated CIDRs and bare addresses, and names a bad entry', () => {
    expect(
      loadConfig({ ...PRODUCTION, OUTBOUND_ALLOW_NETWORKS: ' 10.20.0.0/16, fd00::/8,192.168.5.7 ' }).outbound
        .allowNetworks,
    ).toEqual(['10.20.0.0/16', 'fd00::/8', '192.168.5.7/32']);
    expect(() => loadConfig({ ...PRODUCTION, OUTBOUND_ALLOW_NETWORKS: '10.0.0.0/33' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...PRODUCTION, OUTBOUND_ALLOW_NETWORKS: '10.0.0.0/8,intranet' })).toThrow(
      /OUTBOUND_ALLOW_NETWORKS: "intranet" is not a CIDR/,
    );
    expect(() => parseNetworks('300.1.1.1/8')).toThrow(RangeError);
  });
});

describe('send: connection time', () => {
  let server: LocalServer;
  beforeAll(async () => {
    server = await localServer();
  });
  afterAll(() => server.close());

  it('with the production default, a local server cannot be reached by address or by name', async () => {
    const { resolve } = fakeResolver({ 'jira.tenant.test': ['127.0.0.1'] });
    const policy = productionPolicy(resolve);
    const systemDns = productionPolicy();
    const before = server.hits.length;
    for (const [url, p] of [
      [server.url, policy],
      [`http://[::ffff:127.0.0.1]:${server.port}/`, policy],
      [`http://jira.tenant.test:${server.port}/`, policy],
      [`http://localhost:${server.port}/`, systemDns],
    ] as const) {
      await expect(p.send(url)).rejects.toEqual(new OutboundRefusedError('resolves to a loopback address'));
    }
    expect(server.hits.length).toBe(before);
    await policy.close();
  });

  it('the allow-list lets the local server through, connecting to the address the resolver gave', async () => {
    // jira.tenant.test exists only in the fake resolver: the request can only have used its answer.
    const { resolve, asked } = fakeResolver({ 'jira.tenant.test': ['127.0.0.1'] });
    const policy = createOutboundPolicy({ allow: ['127.0.0.1/32'], resolve });
    const { response, internal } = await policy.send(`http://jira.tenant.test:${server.port}/rest`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(internal).toBe(true);
    expect(server.hits.at(-1)).toEqual({ host: `jira.tenant.test:${server.port}`, path: '/rest' });
    expect(asked).toEqual(['jira.tenant.test']); // resolved once for the request, never again to connect
    await policy.close();
  });

  it('a rebinding resolver (public, then loopback) passes the check but never reaches loopback', async () => {
    const rebinding = rebindingResolver();
    const policy = createOutboundPolicy({ resolve: rebinding.resolve });
    const url = `http://rebind.tenant.test:${server.port}/`;
    expect(await policy.checkUrl(url)).toMatchObject({ ok: true }); // configuration time: public
    const before = server.hits.length;
    await expect(policy.send(url)).rejects.toThrow('resolves to a loopback address');
    expect(server.hits.length).toBe(before);
    expect(rebinding.calls()).toBe(2);
    await policy.close();
  });

  it('the connection uses the checked answer even when the resolver would answer otherwise later', async () => {
    // First answer loopback (allowed here), every later one a refused address: one lookup per request,
    // and the socket opens to that answer.
    let calls = 0;
    const policy = createOutboundPolicy({
      allow: ['127.0.0.1/32'],
      resolve: async () => {
        calls += 1;
        return [{ address: calls === 1 ? '127.0.0.1' : '10.9.9.9', family: 4 }];
      },
    });
    const response = await policy.fetch(`http://pinned.tenant.test:${server.port}/pinned`);
    expect(response.status).toBe(200);
    await response.text();
    expect(calls).toBe(1);
    await expect(policy.fetch(`http://pinned.tenant.test:${server.port}/again`)).rejects.toThrow(
      'resolves to a private address',
    );
    await policy.close();
  });

  it("the caller's timeout also bounds a DNS lookup that hangs", async () => {
    const policy = createOutboundPolicy({ resolve: () => new Promise(() => undefined) });
    await expect(
      policy.fetch('https://slow-dns.tenant.test/', { signal: AbortSignal.timeout(50) }),
    ).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('a redirect to a refused address is returned, not followed', async () => {
    // The target listens on 127.0.0.2: loopback, but outside the allow-list (127.0.0.1/32 only).
    const inside = await localServer('127.0.0.2');
    const redirecting = await localServer('127.0.0.1', (_req, res) =>
      res.writeHead(302, { location: `${inside.url}/admin` }).end(),
    );
    try {
      const policy = createOutboundPolicy({ allow: ['127.0.0.1/32'] });
      const response = await policy.fetch(`${redirecting.url}/hook`, { method: 'POST', body: '{}' });
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe(`${inside.url}/admin`);
      expect(redirecting.hits).toHaveLength(1);
      expect(inside.hits).toHaveLength(0);
      await expect(policy.fetch(`${inside.url}/admin`)).rejects.toThrow('resolves to a loopback address');
      expect(inside.hits).toHaveLength(0);
      await policy.close();
    } finally {
      await inside.close();
      await redirecting.close();
    }
  });
});
