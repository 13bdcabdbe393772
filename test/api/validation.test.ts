/** Bad input on every endpoint: a clear 4xx problem, and nothing written. */
import { type Harness, type TestTenant, eventually, startHarness } from '../helpers/harness';

let h: Harness;
let tenant: TestTenant;
let ticketId: string;

beforeAll(async () => {
  h = await startHarness();
  tenant = await h.createTenant();
  const r = await h.call('POST', '/v1/tickets', {
    token: tenant.tokens.client,
    body: { content: 'baseline ticket' },
  });
  ticketId = r.body.id;
  await eventually(
    async () =>
      (await h.call('GET', `/v1/tickets/${ticketId}/workflow`, { token: tenant.tokens.agent })).body
        .status === 'open',
  );
});
afterAll(() => h?.stop());

/** What this file's tenant has written, once its workflows have settled (other test files run in parallel). */
async function counts() {
  await eventually(async () => {
    const busy = await h.db('tickets').where({ tenant_id: tenant.id }).whereIn('status', ['new', 'triaging']);
    return busy.length === 0;
  });
  const [tickets, messages, audit] = await Promise.all(
    ['tickets', 'messages', 'audit_log'].map(async (t) =>
      Number((await h.db(t).where({ tenant_id: tenant.id }).count('* as n'))[0]!.n),
    ),
  );
  return { tickets, messages, audit };
}

function expectProblem(res: { status: number; body: any; headers: Headers }, status: number, type: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.body).toMatchObject({ type: `/problems/${type}`, status });
  expect(typeof res.body.detail).toBe('string');
}

test('ticket creation rejects bad bodies with field-level errors', async () => {
  const before = await counts();
  const cases: Array<[unknown, string]> = [
    [{}, 'content'],
    [{ content: '' }, 'content'],
    [{ content: 'x', priority: 'whenever' }, 'priority'],
    [{ content: 'x', email: 'not-an-email' }, 'email'],
    [{ content: 'x', customer_tier: 'platinum' }, 'customer_tier'],
    [{ content: 'x', source: 'pigeon' }, 'source'],
    [{ content: 'x', metadata: 'flat' }, 'metadata'],
    [{ content: 'x', unexpected: true }, 'unexpected'],
    [{ content: 42 }, 'content'],
    [[], '(body)'],
  ];
  for (const [body, field] of cases) {
    const res = await h.call('POST', '/v1/tickets', { token: tenant.tokens.client, body });
    expectProblem(res, 400, 'validation-error');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  }
  expectProblem(
    await h.call('POST', '/v1/tickets', {
      token: tenant.tokens.client,
      rawBody: '{"content": ',
      headers: { 'content-type': 'application/json' },
    }),
    400,
    'malformed-json',
  );
  expectProblem(
    await h.call('POST', '/v1/tickets', {
      token: tenant.tokens.client,
      rawBody: 'content=x',
      headers: { 'content-type': 'text/plain' },
    }),
    415,
    'unsupported-media-type',
  );
  expectProblem(
    await h.call('POST', '/v1/tickets', {
      token: tenant.tokens.client,
      body: { content: 'x'.repeat(300 * 1024) },
    }),
    413,
    'payload-too-large',
  );
  expectProblem(
    await h.call('POST', '/v1/tickets', {
      token: tenant.tokens.client,
      body: { content: 'x' },
      headers: { 'Idempotency-Key': 'has spaces in it' },
    }),
    400,
    'validation-error',
  );
  expect(await counts()).toEqual(before);
});

test('a duplicate external_id is a 409 that names the existing ticket', async () => {
  const first = await h.call('POST', '/v1/tickets', {
    token: tenant.tokens.client,
    body: { content: 'a', external_id: 'EXT-1' },
  });
  expect(first.status).toBe(201);
  const before = await counts();
  const dup = await h.call('POST', '/v1/tickets', {
    token: tenant.tokens.client,
    body: { content: 'b', external_id: 'EXT-1' },
  });
  expectProblem(dup, 409, 'duplicate-external-id');
  expect(dup.body.ticket_id).toBe(first.body.id);
  expect(await counts()).toEqual(before);
});

test('listing rejects unknown filters, bad values and forged cursors', async () => {
  for (const query of [
    'status=lost',
    'limit=0',
    'limit=500',
    'created_after=yesterday',
    'cursor=abc',
    'colour=red',
    'sla_state=late',
  ]) {
    expectProblem(
      await h.call('GET', `/v1/tickets?${query}`, { token: tenant.tokens.agent }),
      400,
      'validation-error',
    );
  }
});

test('unknown tickets and routes are 404 problems', async () => {
  expectProblem(
    await h.call('GET', '/v1/tickets/not-a-uuid', { token: tenant.tokens.agent }),
    404,
    'not-found',
  );
  expectProblem(
    await h.call('GET', '/v1/tickets/00000000-0000-4000-8000-000000000000', { token: tenant.tokens.agent }),
    404,
    'not-found',
  );
  expectProblem(
    await h.call('POST', '/v1/tickets/00000000-0000-4000-8000-000000000000/resolve', {
      token: tenant.tokens.agent,
      body: {},
    }),
    404,
    'not-found',
  );
  expectProblem(await h.call('GET', '/v1/nothing-here', { token: tenant.tokens.agent }), 404, 'not-found');
});

test('agent actions reject bad bodies and write nothing', async () => {
  const before = await counts();
  const cases: Array<[string, unknown, string]> = [
    ['assign', {}, 'assignee'],
    ['assign', { assignee: '' }, 'assignee'],
    ['messages', {}, 'body'],
    ['messages', { body: 'x', author: 'robot' }, 'author'],
    ['messages', { body: 'x', next_status: 'closed' }, 'next_status'],
    ['escalate', {}, 'reason'],
    ['escalate', { reason: 'x', level: 9 }, 'level'],
    ['resolve', { resolution: 5 }, 'resolution'],
    ['reopen', { why: 'x' }, 'why'],
    ['close', { reason: '' }, 'reason'],
  ];
  for (const [action, body, field] of cases) {
    const res = await h.call('POST', `/v1/tickets/${ticketId}/${action}`, {
      token: tenant.tokens.agent,
      body,
    });
    expectProblem(res, 400, 'validation-error');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  }
  expect(await counts()).toEqual(before);
});

test('tenant creation validates slug, tier and settings, and refuses duplicates', async () => {
  const before = await counts();
  const bad: Array<[unknown, string]> = [
    [{ slug: 'No Caps', name: 'x' }, 'slug'],
    [{ slug: 'ok-slug', name: '' }, 'name'],
    [{ slug: 'ok-slug', name: 'x', tier: 'gold' }, 'tier'],
    [
      { slug: 'ok-slug', name: 'x', settings: { sla_policy: { warning_thresholds: [1.5] } } },
      'settings.sla_policy.warning_thresholds.0',
    ],
    [
      {
        slug: 'ok-slug',
        name: 'x',
        settings: { sla_policy: { targets: { high: { first_response_seconds: -1 } } } },
      },
      'settings.sla_policy.targets.high.first_response_seconds',
    ],
    [{ slug: 'ok-slug', name: 'x', settings: { colour: 'red' } }, 'settings'],
  ];
  for (const [body, field] of bad) {
    const res = await h.call('POST', '/v1/tenants', { token: h.superadminToken, body });
    expectProblem(res, 400, 'validation-error');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  }
  expectProblem(
    await h.call('POST', '/v1/tenants', {
      token: h.superadminToken,
      body: { slug: tenant.slug, name: 'again' },
    }),
    409,
    'duplicate-tenant',
  );
  expect(await counts()).toEqual(before);
  expect(await h.db('tenants').where({ slug: 'ok-slug' })).toEqual([]);
});

test('NUL characters, which PostgreSQL cannot store, are refused on every endpoint before anything is written', async () => {
  const before = await counts();
  const created = await h.call('POST', '/v1/tickets', {
    token: tenant.tokens.client,
    body: { content: 'a\u0000b' },
  });
  expect(created.status).toBe(400);
  expect(created.body.errors).toEqual([{ field: 'content', message: 'must not contain NUL characters' }]);
  const message = await h.call('POST', `/v1/tickets/${ticketId}/messages`, {
    token: tenant.tokens.client,
    body: { body: 'hello\u0000' },
  });
  expect(message.status).toBe(400);
  const nested = await h.call('POST', '/v1/tickets', {
    token: tenant.tokens.client,
    body: { content: 'fine', metadata: { logs: ['ok', 'bad\u0000'] } },
  });
  expect(nested.body.errors[0].field).toBe('metadata.logs.1');
  expect(await counts()).toEqual(before);
  // The ticket still takes actions afterwards.
  const ok = await h.call('POST', `/v1/tickets/${ticketId}/messages`, {
    token: tenant.tokens.client,
    body: { body: 'hello' },
  });
  expect(ok.status).toBe(200);
});
