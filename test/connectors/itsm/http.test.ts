import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  classifyStatus,
  createHttpClient,
  createRateLimiter,
  createRateLimiterRegistry,
  ItsmError,
  parseRetryAfter,
  scrub,
} from '../../../src/connectors/itsm/http';
import type { OutboundPolicy } from '../../../src/platform/net/outbound-policy';
import { expectItsmError, localOutbound } from './helpers';
import { FakeServer, json } from '../../fixtures/fake-itsm/server';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const h = (init: Record<string, string>) => new Headers(init);

  it('reads delta-seconds and HTTP-dates', () => {
    expect(parseRetryAfter(h({ 'retry-after': '3' }), now)).toBe(3000);
    expect(parseRetryAfter(h({ 'retry-after': '0.5' }), now)).toBe(500);
    expect(parseRetryAfter(h({ 'retry-after': 'Thu, 01 Jan 2026 00:00:10 GMT' }), now)).toBe(10_000);
    expect(parseRetryAfter(h({ 'retry-after': 'Wed, 31 Dec 2025 23:59:00 GMT' }), now)).toBe(0);
  });

  it("reads Jira's ISO X-RateLimit-Reset, ServiceNow's epoch seconds, Zendesk's headers", () => {
    expect(parseRetryAfter(h({ 'x-ratelimit-reset': '2026-01-01T00:01Z' }), now)).toBe(60_000);
    expect(parseRetryAfter(h({ 'x-ratelimit-reset': String(now / 1000 + 30) }), now)).toBe(30_000);
    expect(parseRetryAfter(h({ 'ratelimit-reset': '41' }), now)).toBe(41_000);
    expect(
      parseRetryAfter(h({ 'zendesk-ratelimit-tickets-index': 'total=100; remaining=0; resets=12' }), now),
    ).toBe(12_000);
    expect(parseRetryAfter(h({}), now)).toBeUndefined();
    expect(parseRetryAfter(h({ 'retry-after': 'soon' }), now)).toBeUndefined();
  });

  it('prefers Retry-After over the rate-limit headers', () => {
    expect(parseRetryAfter(h({ 'retry-after': '2', 'ratelimit-reset': '50' }), now)).toBe(2000);
  });
});

describe('classifyStatus', () => {
  it.each([
    [401, 'auth', false],
    [403, 'auth', false],
    [404, 'not_found', false],
    [409, 'conflict', false],
    [429, 'rate_limited', true],
    [408, 'timeout', true],
    [500, 'server', true],
    [502, 'server', true],
    [400, 'invalid', false],
    [422, 'invalid', false],
  ])('HTTP %i → %s (retryable %s)', (status, kind, retryable) => {
    expect(classifyStatus(status, new Headers())).toMatchObject({ kind, retryable });
  });
});

describe('scrub', () => {
  it('removes secrets and auth header values from messages', () => {
    const out = scrub('failed with token s3cr3t-value; Authorization: Basic dXNlcjpwYXNz', ['s3cr3t-value']);
    expect(out).not.toContain('s3cr3t-value');
    expect(out).not.toContain('dXNlcjpwYXNz');
  });
});

describe('createHttpClient', () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await new FakeServer((req) => {
      if (req.path === '/echo-secret')
        return json(400, {
          errorMessages: ['bad token tok-SECRET-1 for Authorization: Bearer tok-SECRET-1'],
        });
      if (req.path === '/form')
        return json(200, { form: req.form?.get('input_data'), type: req.headers['content-type'] });
      if (req.path === '/empty') return { status: 204 };
      if (req.path === '/text')
        return { status: 200, body: 'plain', headers: { 'content-type': 'text/plain' } };
      return json(200, { ok: true, query: Object.fromEntries(req.query) });
    }).start();
  });
  afterAll(() => server.stop());

  const client = (timeoutMs = 1000, outbound: OutboundPolicy = localOutbound) =>
    createHttpClient({
      system: 'jira',
      baseUrl: server.url + '/',
      headers: { authorization: 'Bearer tok-SECRET-1' },
      secrets: ['tok-SECRET-1'],
      timeoutMs,
      outbound,
    });
  /** The local server as if it were a public one (the policy's verdict on the peer is what matters here). */
  const asPublicPeer: OutboundPolicy = {
    ...localOutbound,
    send: async (url, init) => ({ ...(await localOutbound.send(url, init)), internal: false }),
  };

  it('sends JSON and form bodies, query strings, and parses answers', async () => {
    const c = client();
    expect(
      (
        await c.request({
          method: 'GET',
          path: '/q',
          query: { a: 'x y', b: 2, c: undefined },
          operation: 't',
        })
      ).body,
    ).toEqual({
      ok: true,
      query: { a: 'x y', b: '2' },
    });
    const form = await c.request({
      method: 'POST',
      path: '/form',
      form: { input_data: '{"a":1}' },
      operation: 't',
    });
    expect(form.body).toEqual({ form: '{"a":1}', type: 'application/x-www-form-urlencoded' });
    expect((await c.request({ method: 'DELETE', path: '/empty', operation: 't' })).body).toBeNull();
    expect((await c.request({ method: 'GET', path: '/text', operation: 't' })).body).toBe('plain');
    const sent = server.requests.at(-4)!;
    expect(sent.headers.authorization).toBe('Bearer tok-SECRET-1');
  });

  it("puts a public server's error text in the message, scrubbed of secrets", async () => {
    const error = await expectItsmError(
      client(1000, asPublicPeer).request({
        method: 'POST',
        path: '/echo-secret',
        json: {},
        operation: 'create',
      }),
      {
        kind: 'invalid',
        retryable: false,
        status: 400,
      },
    );
    expect(error.message).toContain('jira create failed with HTTP 400 (POST /echo-secret)');
    expect(error.message).toContain('bad token');
    expect(error.message).not.toContain('tok-SECRET-1');
    expect(JSON.stringify(error)).not.toContain('tok-SECRET-1');
    expect(error.toJSON()).toMatchObject({
      kind: 'invalid',
      system: 'jira',
      operation: 'create',
      status: 400,
    });
  });

  it('keeps the answer of a non-public server (let through by the allow-list) out of the message', async () => {
    const error = await expectItsmError(
      client().request({ method: 'POST', path: '/echo-secret', json: {}, operation: 'create' }),
      { kind: 'invalid', retryable: false, status: 400 },
    );
    expect(error.message).toBe('jira create failed with HTTP 400 (POST /echo-secret)');
  });

  it('a refused connection is a retryable network error', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((r) => closed.close(() => r()));
    const c = createHttpClient({
      system: 'zendesk',
      baseUrl: `http://127.0.0.1:${port}`,
      headers: {},
      secrets: [],
      outbound: localOutbound,
    });
    const error = await expectItsmError(c.request({ method: 'GET', path: '/', operation: 'find' }), {
      kind: 'network',
      retryable: true,
    });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('a slow answer times out', async () => {
    server.inject({ delayMs: 300 });
    await expectItsmError(client(80).request({ method: 'GET', path: '/slow', operation: 't' }), {
      kind: 'timeout',
      retryable: true,
    });
  });

  it('a body that stalls after the headers also times out', async () => {
    const stalling = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partial":');
    });
    await new Promise<void>((r) => stalling.listen(0, '127.0.0.1', r));
    const { port } = stalling.address() as AddressInfo;
    try {
      const c = createHttpClient({
        system: 'jira',
        baseUrl: `http://127.0.0.1:${port}`,
        headers: {},
        secrets: [],
        timeoutMs: 100,
        outbound: localOutbound,
      });
      await expectItsmError(c.request({ method: 'GET', path: '/', operation: 't' }), {
        kind: 'timeout',
        retryable: true,
      });
    } finally {
      stalling.closeAllConnections();
      await new Promise<void>((r) => stalling.close(() => r()));
    }
  });

  it('with a tenant rate limiter, a call over the limit fails fast as retryable and sends nothing', async () => {
    let t = 0;
    const limiter = createRateLimiter({ perMinute: 60, burst: 2, now: () => t });
    const c = createHttpClient({
      system: 'zendesk',
      baseUrl: server.url,
      headers: {},
      secrets: [],
      rateLimiter: limiter,
      outbound: localOutbound,
    });
    await c.request({ method: 'GET', path: '/a', operation: 'find' });
    await c.request({ method: 'GET', path: '/a', operation: 'find' });
    const before = server.requests.length;
    const error = await expectItsmError(c.request({ method: 'GET', path: '/a', operation: 'find' }), {
      kind: 'rate_limited',
      retryable: true,
    });
    expect(error.retryAfterMs).toBe(1000);
    expect(error.status).toBeUndefined();
    expect(server.requests.length).toBe(before);
    t = 1000;
    await expect(c.request({ method: 'GET', path: '/a', operation: 'find' })).resolves.toMatchObject({
      status: 200,
    });
  });

  it('ItsmError defaults retryable by kind', () => {
    expect(new ItsmError({ kind: 'server', message: 'x' }).retryable).toBe(true);
    expect(new ItsmError({ kind: 'auth', message: 'x' }).retryable).toBe(false);
    expect(new ItsmError({ kind: 'auth', message: 'x', retryable: true }).retryable).toBe(true);
  });
});

describe('createRateLimiter (token bucket, injectable clock)', () => {
  it('allows a burst, then says how long to wait; refills over time', () => {
    let t = 0;
    const limiter = createRateLimiter({ perMinute: 60, burst: 3, now: () => t });
    expect([limiter.tryAcquire(), limiter.tryAcquire(), limiter.tryAcquire()]).toEqual([
      { ok: true, waitMs: 0 },
      { ok: true, waitMs: 0 },
      { ok: true, waitMs: 0 },
    ]);
    expect(limiter.tryAcquire()).toEqual({ ok: false, waitMs: 1000 });
    t = 400;
    expect(limiter.tryAcquire()).toEqual({ ok: false, waitMs: 600 }); // a refused try takes nothing
    t = 1000;
    expect(limiter.tryAcquire()).toEqual({ ok: true, waitMs: 0 });
    t = 61_000;
    expect(limiter.available()).toBe(3); // capped at the burst
  });

  it('acquire reserves: concurrent callers get increasing waits', () => {
    let t = 0;
    const limiter = createRateLimiter({ perMinute: 120, burst: 1, now: () => t });
    expect(limiter.acquire()).toBe(0);
    expect(limiter.acquire()).toBe(500);
    expect(limiter.acquire()).toBe(1000);
    t = 1000;
    expect(limiter.tryAcquire()).toEqual({ ok: false, waitMs: 500 });
    t = 1500;
    expect(limiter.tryAcquire().ok).toBe(true);
  });

  it('holders are served in order, each once, exactly when its reserved token is there', () => {
    let t = 0;
    const limiter = createRateLimiter({ perMinute: 60, burst: 1, now: () => t });
    const holders = ['a', 'b', 'c', 'd'].map((name) => limiter.forHolder(name));
    // All four arrive at once: one goes, three get increasing waits (new waits, to be logged once each).
    expect(holders.map((h) => h.tryAcquire())).toEqual([
      { ok: true, waitMs: 0 },
      { ok: false, waitMs: 1000, newWait: true },
      { ok: false, waitMs: 2000, newWait: true },
      { ok: false, waitMs: 3000, newWait: true },
    ]);
    // Back too early: the same wait, not a new one; nothing else is taken.
    t = 500;
    expect(holders[2]!.tryAcquire()).toEqual({ ok: false, waitMs: 1500, newWait: false });
    // Each retry at its time goes through on the first try; a newcomer queues behind them all.
    t = 1000;
    expect(holders[1]!.tryAcquire().ok).toBe(true);
    expect(limiter.forHolder('e').tryAcquire()).toEqual({ ok: false, waitMs: 3000, newWait: true });
    t = 2000;
    expect(holders[2]!.tryAcquire().ok).toBe(true);
    t = 3000;
    expect(holders[3]!.tryAcquire().ok).toBe(true);
    t = 4000;
    expect(limiter.forHolder('e').tryAcquire().ok).toBe(true);
  });

  it("an attempt held back at its second call gets both calls' tokens on its retry", () => {
    let t = 0;
    const limiter = createRateLimiter({ perMinute: 60, burst: 1, now: () => t });
    const first = limiter.forHolder('sync');
    expect(first.tryAcquire().ok).toBe(true); // find
    expect(first.tryAcquire()).toEqual({ ok: false, waitMs: 2000, newWait: true }); // create: two reserved
    t = 2000;
    const retry = limiter.forHolder('sync');
    expect([retry.tryAcquire().ok, retry.tryAcquire().ok]).toEqual([true, true]);
    expect(limiter.tryAcquire()).toEqual({ ok: false, waitMs: 1000 });
  });

  it("a tool's Retry-After pauses the tenant's limiter for everyone", () => {
    let t = 0;
    const limiter = createRateLimiter({ perMinute: 60, burst: 2, now: () => t });
    limiter.pause(4000);
    expect(limiter.tryAcquire()).toEqual({ ok: false, waitMs: 4000 });
    // The bucket's two tokens go at the end of the pause, the next one a second later.
    expect(['a', 'b', 'c'].map((h) => limiter.forHolder(h).tryAcquire())).toEqual([
      { ok: false, waitMs: 4000, newWait: true },
      { ok: false, waitMs: 4000, newWait: true },
      { ok: false, waitMs: 5000, newWait: true },
    ]);
    t = 4000;
    expect(limiter.forHolder('a').tryAcquire().ok).toBe(true);
    expect(limiter.forHolder('b').tryAcquire().ok).toBe(true);
    expect(limiter.tryAcquire()).toEqual({ ok: false, waitMs: 2000 }); // after c's reserved token
  });

  it('over a minute never exceeds perMinute plus the burst', () => {
    let t = 0;
    const limiter = createRateLimiter({ perMinute: 30, now: () => t });
    let granted = 0;
    for (t = 0; t < 60_000; t += 100) if (limiter.tryAcquire().ok) granted += 1;
    expect(granted).toBeGreaterThanOrEqual(30);
    expect(granted).toBeLessThanOrEqual(33); // 30 per minute + a burst of 3
  });

  it('refuses nonsense and keeps one limiter per tenant', () => {
    expect(() => createRateLimiter({ perMinute: 0 })).toThrow(RangeError);
    const registry = createRateLimiterRegistry({ now: () => 0 });
    const a = registry.get('tenant-a', 10);
    expect(registry.get('tenant-a', 10)).toBe(a);
    expect(registry.get('tenant-b', 10)).not.toBe(a);
    expect(registry.get('tenant-a', 20)).not.toBe(a);
  });
});
