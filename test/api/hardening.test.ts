/**
 * Issue 9's findings against the API, each reproduced: unauthenticated CPU burn on deep bodies, inputs that
 * passed validation and wedged tickets (`__proto__`, unmeetable SLA policies), 500s on hostile input, weak JWT
 * checks, and per-tenant rate limits. No worker runs here: every case is decided before a workflow acts.
 */
import crypto from 'node:crypto';
import { SignJWT } from 'jose';
import { signedHeaders } from '../../src/platform/crypto/signing';
import { type Harness, TEST_JWT_SECRET, type TestTenant, startHarness } from '../helpers/harness';

let h: Harness;
let tenant: TestTenant;

const WEEKDAYS_9_TO_5 = Object.fromEntries(
  ['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['09:00', '17:00']]]),
);
const UNMEETABLE_POLICY = {
  targets: { low: { resolution_seconds: 200 * 86_400 } },
  calendar: { timezone: 'Europe/Berlin', weekly: WEEKDAYS_9_TO_5, holidays: [] },
};

beforeAll(async () => {
  h = await startHarness({
    worker: false,
    env: { RATE_LIMITS: 'free:8', RATE_LIMIT_WINDOW_SECONDS: '3600' },
  });
  tenant = await h.createTenant();
});
afterAll(() => h?.stop());

function expectProblem(res: { status: number; body: any; headers: Headers }, status: number, type?: string) {
  expect({ status: res.status, body: res.body }).toMatchObject({ status, body: { status } });
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  if (type) expect(res.body.type).toBe(`/problems/${type}`);
}

/** `[` repeated: what the attacker sent, 40 branches of 3000 levels (240 KB). */
const deepBody = (branches: number, depth: number) =>
  `{"content":[${Array.from({ length: branches }, () => '['.repeat(depth) + ']'.repeat(depth)).join(',')}]}`;

describe('1. authentication and cheap limits before any work on the body', () => {
  test('deep bodies without a token get 401 at once; eight of them cost well under a second each', async () => {
    const body = deepBody(40, 3000);
    expect(body.length).toBeGreaterThan(240_000);
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        h.call('POST', '/v1/tickets', { rawBody: body, headers: { 'content-type': 'application/json' } }),
      ),
    );
    for (const res of answers) expectProblem(res, 401, 'unauthorized');
    // Before: 5.5 s of CPU each (43 s for eight). A generous bound for a busy machine.
    expect(Date.now() - started).toBeLessThan(8000);
  });

  test.each([2500, 5000, 10_000])('a body nested %i deep is a 400, not a 500', async (depth) => {
    const res = await h.call('POST', '/v1/tickets', {
      token: tenant.tokens.client,
      rawBody: deepBody(1, depth),
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(res, 400, 'json-too-deep');
  });

  test('a body that nests inside strings only is not deep', async () => {
    const res = await h.call('POST', '/v1/tickets', {
      token: tenant.tokens.client,
      body: { content: `${'['.repeat(5000)} "quoted \\" [[[ ` },
    });
    expect(res.status).toBe(201);
  });

  test.each(['gzip', 'br', 'deflate', 'x-unknown'])(
    'Content-Encoding %s on a plain body is 415 with and without a token',
    async (encoding) => {
      const headers = { 'content-type': 'application/json', 'content-encoding': encoding };
      const rawBody = JSON.stringify({ content: 'printer broken' });
      expectProblem(
        await h.call('POST', '/v1/tickets', { token: tenant.tokens.client, rawBody, headers }),
        415,
        'unsupported-content-encoding',
      );
      expectProblem(
        await h.call('POST', '/v1/tickets', { rawBody, headers }),
        415,
        'unsupported-content-encoding',
      );
      expectProblem(
        await h.call('POST', `/v1/integrations/itsm/inbound/${tenant.slug}`, { rawBody, headers }),
        415,
        'unsupported-content-encoding',
      );
    },
  );
});

describe('2. no lookup with user-controlled keys', () => {
  test.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
    'priority %p is a 400 on create and on the priority action',
    async (priority) => {
      expectProblem(
        await h.call('POST', '/v1/tickets', {
          token: tenant.tokens.client,
          body: { content: 'x', priority },
        }),
        400,
        'validation-error',
      );
      const created = await h.call('POST', '/v1/tickets', {
        token: tenant.tokens.client,
        body: { content: 'priority target' },
      });
      const res = await h.call('POST', `/v1/tickets/${created.body.id}/priority`, {
        token: tenant.tokens.agent,
        body: { priority },
      });
      expectProblem(res, 400, 'validation-error');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['priority']);
    },
  );

  test('a __proto__ key anywhere in a body is refused, naming its path', async () => {
    const res = await h.call('PUT', '/v1/sla-policy', {
      token: tenant.tokens.admin,
      rawBody: '{"targets":{"__proto__":{"low":{"resolution_seconds":1}}}}',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(res, 400, 'validation-error');
    expect(res.body.errors).toEqual([{ field: 'targets.__proto__', message: 'this key is not allowed' }]);
    const meta = await h.call('POST', '/v1/tickets', {
      token: tenant.tokens.client,
      rawBody: '{"content":"x","metadata":{"__proto__":{"admin":true}}}',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(meta, 400, 'validation-error');
  });
});

describe('3. an SLA policy its calendar cannot meet is a 422 naming the field', () => {
  test('PUT /v1/sla-policy', async () => {
    const res = await h.call('PUT', '/v1/sla-policy', {
      token: tenant.tokens.admin,
      body: UNMEETABLE_POLICY,
    });
    expectProblem(res, 422, 'unmeetable-sla-policy');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'targets.low.resolution_seconds',
    ]);
    // A 30-day target fits: accepted.
    const ok = await h.call('PUT', '/v1/sla-policy', {
      token: tenant.tokens.admin,
      body: { ...UNMEETABLE_POLICY, targets: { low: { resolution_seconds: 30 * 86_400 } } },
    });
    expect(ok.status).toBe(200);
  });

  test('a huge tier multiplier on default targets names the multiplier', async () => {
    const res = await h.call('PUT', '/v1/sla-policy', {
      token: tenant.tokens.admin,
      body: {
        calendar: { timezone: 'UTC', weekly: { mon: [['09:00', '10:00']] }, holidays: [] },
        tier_multipliers: { free: 100 },
      },
    });
    expectProblem(res, 422, 'unmeetable-sla-policy');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['tier_multipliers.free']);
  });

  test('tenant settings and tenant creation are checked too', async () => {
    const settings = await h.call('PUT', '/v1/tenants/current/settings', {
      token: tenant.tokens.admin,
      body: { sla_policy: UNMEETABLE_POLICY },
    });
    expectProblem(settings, 422, 'unmeetable-sla-policy');
    expect(settings.body.errors[0].field).toBe('sla_policy.targets.low.resolution_seconds');
    const created = await h.call('POST', '/v1/tenants', {
      token: h.superadminToken,
      body: {
        slug: `t-${crypto.randomUUID().slice(0, 8)}`,
        name: 'x',
        settings: { sla_policy: UNMEETABLE_POLICY },
      },
    });
    expectProblem(created, 422, 'unmeetable-sla-policy');
    expect(created.body.errors[0].field).toBe('settings.sla_policy.targets.low.resolution_seconds');
  });

  test('POST /v1/sla-policy/apply refuses a policy stored before the check existed', async () => {
    const legacy = await h.createTenant();
    await h
      .db('tenants')
      .where({ id: legacy.id })
      .update({ settings: { sla_policy: UNMEETABLE_POLICY } });
    const res = await h.call('POST', '/v1/sla-policy/apply', { token: legacy.tokens.admin, body: {} });
    expectProblem(res, 422, 'unmeetable-sla-policy');
    expect(res.body.errors[0].field).toBe('sla_policy.targets.low.resolution_seconds');
  });
});

describe('4. the 500s of the issue are 4xx problems', () => {
  test('DELETE /v1/tickets/% (a path that does not decode)', async () => {
    expectProblem(
      await h.call('DELETE', '/v1/tickets/%', { token: tenant.tokens.agent }),
      400,
      'bad-request',
    );
    expectProblem(await h.call('GET', '/v1/tickets/%E0%A4%A', { token: tenant.tokens.agent }), 400);
  });

  test.each([
    ['GET', '/v1/kb/documents/------------------------------------'],
    ['DELETE', '/v1/kb/documents/zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz'],
    ['DELETE', '/v1/notification-targets/------------------------------------'],
    ['GET', '/v1/sla-policy/operations/%00'],
  ])('%s %s with a non-UUID id is a 404 (or 400)', async (method, path) => {
    const res = await h.call(method, path, { token: tenant.tokens.admin });
    expect([400, 404]).toContain(res.status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  test('a cursor carrying garbage is a 400 naming the cursor', async () => {
    for (const payload of [
      ['June 2020', crypto.randomUUID()],
      ['2020-01-01T00:00:00.000Z', '------------------------------------'],
      { a: 1 },
      null,
    ]) {
      const cursor = Buffer.from(JSON.stringify(payload)).toString('base64url');
      const res = await h.call('GET', `/v1/tickets?cursor=${cursor}`, { token: tenant.tokens.agent });
      expectProblem(res, 400, 'validation-error');
      expect(res.body.errors[0].field).toBe('cursor');
    }
  });

  test('a NUL in the query string is a 400 naming the parameter', async () => {
    const res = await h.call('GET', '/v1/tickets?assignee=%00', { token: tenant.tokens.agent });
    expectProblem(res, 400, 'validation-error');
    expect(res.body.errors).toEqual([{ field: 'assignee', message: 'must not contain NUL characters' }]);
  });

  describe('signed inbound ITSM webhooks', () => {
    const secret = 'inbound-secret-for-hardening-0123';
    let itsmTenant: TestTenant;
    beforeAll(async () => {
      itsmTenant = await h.createTenant();
      const saved = await h.call('PUT', '/v1/integrations/itsm', {
        token: itsmTenant.tokens.admin,
        body: {
          tool_type: 'webhook',
          base_url: 'http://127.0.0.1:9/itsm',
          credentials: { secret: 'y'.repeat(16) },
          inbound_secret: secret,
        },
      });
      expect(saved.status).toBe(200);
    });
    const send = (event: unknown) => {
      const raw = JSON.stringify(event);
      return h.call('POST', `/v1/integrations/itsm/inbound/${itsmTenant.slug}`, {
        rawBody: raw,
        headers: { 'content-type': 'application/json', ...signedHeaders(secret, raw, crypto.randomUUID()) },
      });
    };

    test.each([crypto.randomUUID(), 'not-a-uuid', '------------------------------------', '%00'])(
      'an unknown or non-UUID ticket_id %p is recorded as unknown_ticket',
      async (ticketId) => {
        const res = await send({ ticket_id: ticketId, status: 'resolved', nonce: crypto.randomUUID() });
        expect(res.status).toBe(200);
        expect(res.body.status).toBe('unknown_ticket');
      },
    );

    test("another tenant's ticket id is unknown here", async () => {
      const other = await h.call('POST', '/v1/tickets', {
        token: tenant.tokens.client,
        body: { content: 'x' },
      });
      const res = await send({ ticket_id: other.body.id, status: 'resolved' });
      expect(res.body.status).toBe('unknown_ticket');
    });

    test('a comment containing NUL is a 400, and a status named after Object.prototype maps to nothing', async () => {
      const own = await h.call('POST', '/v1/tickets', {
        token: itsmTenant.tokens.client,
        body: { content: 'x' },
      });
      const res = await send({ ticket_id: own.body.id, comment: { body: 'a\u0000b', is_public: true } });
      expectProblem(res, 400, 'validation-error');
      expect(res.body.errors[0].field).toBe('comment.body');
      const odd = await send({ ticket_id: own.body.id, status: 'constructor' });
      expect(odd.status).toBe(200);
      expect(odd.body.status).toBe('no_change');
    });
  });
});

describe('5. JWT', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const sign = (claims: Record<string, unknown>) =>
    new SignJWT({ tenant_id: tenant.slug, roles: ['agent'], sub: 'alice', ...claims })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
  const get = async (token: string) => h.call('GET', '/v1/tickets?limit=1', { token });

  test.each<[string, Record<string, unknown>]>([
    ['no exp', { iat: now() }],
    ['exp in 1e15', { iat: now(), exp: 1e15 }],
    ['a lifetime over 24 h', { iat: now(), exp: now() + 25 * 3600 }],
    ['iat a year in the future', { iat: now() + 365 * 86_400, exp: now() + 365 * 86_400 + 60 }],
    ['iat ten minutes ahead', { iat: now() + 600, exp: now() + 3600 }],
    ['nbf an hour ahead', { iat: now(), nbf: now() + 3600, exp: now() + 7200 }],
    ['a non-numeric iat', { iat: 'yesterday', exp: now() + 60 }],
  ])('%s is refused with 401', async (_label, claims) => {
    expectProblem(await get(await sign(claims)), 401, 'unauthorized');
  });

  test('a small clock skew is allowed', async () => {
    expect((await get(await sign({ iat: now() + 20, exp: now() + 3600 }))).status).toBe(200);
    expect((await get(await sign({ iat: now(), nbf: now() + 20, exp: now() + 3600 }))).status).toBe(200);
    expect((await get(await sign({ exp: now() + 3600 }))).status).toBe(200);
  });

  test('a 100 KB token is 431 as problem+json, and so is a 10 KB one', async () => {
    for (const size of [100_000, 10_000]) {
      const res = await h.call('GET', '/v1/tickets', { token: 'x'.repeat(size) });
      expectProblem(res, 431, 'header-fields-too-large');
      // With a body still on its way, the client reads the answer rather than a reset connection.
      const post = await h.call('POST', '/v1/tickets', {
        token: 'x'.repeat(size),
        body: { content: 'y'.repeat(200_000) },
      });
      expectProblem(post, 431, 'header-fields-too-large');
    }
  });
});

describe('7. per-tenant rate limits', () => {
  test('past the tier limit: 429 with Retry-After and RateLimit headers, other tenants unaffected', async () => {
    const free = await h.createTenant({}, 'free');
    const answers = [];
    for (let i = 0; i < 10; i++)
      answers.push(await h.call('GET', '/v1/tickets', { token: free.tokens.agent }));
    expect(answers.slice(0, 8).map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(answers[0]!.headers.get('ratelimit-policy')).toBe('"tenant";q=8;w=3600');
    expect(answers[0]!.headers.get('ratelimit')).toMatch(/^"tenant";r=7;t=\d+$/);
    const limited = answers[8]!;
    expectProblem(limited, 429, 'rate-limited');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(limited.headers.get('ratelimit')).toMatch(/^"tenant";r=0;t=\d+$/);
    // Another tenant (standard tier) is not limited by this one's use.
    expect((await h.call('GET', '/v1/tickets', { token: tenant.tokens.agent })).status).toBe(200);
  });
});
