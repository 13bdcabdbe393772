/**
 * A bounded, seeded fuzz run over every route of the API: a few thousand requests mixing valid calls with
 * hostile ones (no/garbage/oversized tokens, compressed and deeply nested bodies, `__proto__` and NUL, paths that
 * do not decode, non-UUID ids, garbage cursors, wrong media types). Zero 5xx, every error is problem+json, and
 * afterwards the process is healthy and a new ticket is still triaged.
 *
 * Every URL the fuzzer can send (notification targets, ITSM base URLs) points at 127.0.0.1:9 (discard), so
 * nothing it configures ever reaches beyond this machine.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { signedHeaders } from '../../src/platform/crypto/signing';
import { type Harness, TEST_JWT_SECRET, type TestTenant, eventually, startHarness } from '../helpers/harness';

const SEED = 9_2026;
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 2000);
const CONCURRENCY = 4;
const INBOUND_SECRET = 'fuzz-inbound-secret-0123456789';
const LOOPBACK = 'http://127.0.0.1:9/hook';

let h: Harness;
let tenant: TestTenant;
const ticketIds: string[] = [];

beforeAll(async () => {
  h = await startHarness({ env: { RATE_LIMITS: 'standard:1000000,enterprise:1000000' } });
  tenant = await h.createTenant({}, 'enterprise');
  const itsm = await h.call('PUT', '/v1/integrations/itsm', {
    token: tenant.tokens.admin,
    body: {
      tool_type: 'webhook',
      base_url: LOOPBACK,
      credentials: { secret: 'z'.repeat(16) },
      inbound_secret: INBOUND_SECRET,
    },
  });
  expect(itsm.status).toBe(200);
  for (const content of ['printer broken', 'constructor: refund please', 'toString __proto__ 😀']) {
    const r = await h.call('POST', '/v1/tickets', { token: tenant.tokens.client, body: { content } });
    expect(r.status).toBe(201);
    ticketIds.push(r.body.id);
  }
}, 180_000);
afterAll(() => h?.stop(), 180_000);

// ---------------------------------------------------------------------------------------------------------
// What the fuzzer sends
// ---------------------------------------------------------------------------------------------------------

const NASTY_STRINGS = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '\u0000',
  'a\u0000b',
  '😀🔥',
  'مرحبا',
  '\u202e',
  '',
  ' ',
  '%',
  '%00',
  '../../etc/passwd',
  "'; drop table tickets; --",
  '9'.repeat(400),
  'x'.repeat(60_000),
  'urgent',
  'critical',
  'June 2020',
];

/** Random strings that cannot be a URL (no `:`, so no scheme): nothing fuzzed may point outside this machine. */
const safeString = fc
  .oneof(fc.constantFrom(...NASTY_STRINGS), fc.string({ unit: 'binary', maxLength: 30 }))
  .filter((s) => !s.includes(':'));

const scalar = fc.oneof(
  safeString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(1e308, -1, 0, 3.5, 2 ** 53),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(safeString, tie('v'), { maxKeys: 4 }),
  ),
})).v;

/** Valid-looking bodies per route, each field then sometimes replaced by a hostile value. */
const ID = '<id>';
const VALID_BODIES: Record<string, Record<string, unknown>> = {
  ticket: { content: 'my invoice is wrong', priority: 'high', customer_tier: 'business', metadata: { a: 1 } },
  assign: { assignee: 'agent-bob' },
  messages: { body: 'thanks, looking into it', internal: false },
  escalate: { reason: 'vip customer', level: 2 },
  resolve: { resolution: 'refunded' },
  reopen: { reason: 'not fixed' },
  close: { reason: 'done' },
  priority: { priority: 'critical', customer_tier: 'enterprise' },
  tenant: { slug: 'fuzz-tenant', name: 'Fuzz', tier: 'free' },
  settings: { auto_close_after_hours: 2, categories: ['billing'], products: ['CASB'] },
  policy: {
    targets: { low: { resolution_seconds: 200 * 86_400 } },
    calendar: { timezone: 'Europe/Berlin', weekly: { mon: [['09:00', '17:00']] }, holidays: [] },
  },
  target: { type: 'webhook', name: 'n', url: LOOPBACK, secret: 's'.repeat(16) },
  itsm: { tool_type: 'webhook', base_url: LOOPBACK, credentials: { secret: 'q'.repeat(16) } },
  document: { title: 'Refunds', content: '# Refunds\nWe refund within 5 days.', format: 'markdown' },
  search: { query: 'refund', limit: 3 },
  inbound: { ticket_id: ID, status: 'resolved', comment: { body: 'from the tool', is_public: true } },
};

interface Route {
  method: string;
  path: string;
  body?: keyof typeof VALID_BODIES;
}

const ROUTES: Route[] = [
  { method: 'GET', path: '/healthz' },
  { method: 'GET', path: '/readyz' },
  { method: 'POST', path: '/v1/tickets', body: 'ticket' },
  { method: 'GET', path: '/v1/tickets' },
  { method: 'GET', path: `/v1/tickets/${ID}` },
  { method: 'GET', path: `/v1/tickets/${ID}/workflow` },
  ...(['assign', 'messages', 'escalate', 'resolve', 'reopen', 'close', 'priority'] as const).map((a) => ({
    method: 'POST',
    path: `/v1/tickets/${ID}/${a}`,
    body: a,
  })),
  { method: 'POST', path: '/v1/tenants', body: 'tenant' },
  { method: 'GET', path: '/v1/tenants/current' },
  { method: 'PUT', path: '/v1/tenants/current/settings', body: 'settings' },
  { method: 'GET', path: '/v1/sla-policy' },
  { method: 'PUT', path: '/v1/sla-policy', body: 'policy' },
  { method: 'POST', path: '/v1/sla-policy/apply' },
  { method: 'GET', path: `/v1/sla-policy/operations/${ID}` },
  { method: 'GET', path: '/v1/notification-targets' },
  { method: 'POST', path: '/v1/notification-targets', body: 'target' },
  { method: 'DELETE', path: `/v1/notification-targets/${ID}` },
  { method: 'GET', path: '/v1/reports/sla' },
  { method: 'GET', path: '/v1/integrations/itsm' },
  { method: 'PUT', path: '/v1/integrations/itsm', body: 'itsm' },
  { method: 'POST', path: '/v1/integrations/itsm/inbound/<tenant>', body: 'inbound' },
  { method: 'POST', path: '/v1/kb/documents', body: 'document' },
  { method: 'GET', path: '/v1/kb/documents' },
  { method: 'GET', path: `/v1/kb/documents/${ID}` },
  { method: 'DELETE', path: `/v1/kb/documents/${ID}` },
  { method: 'POST', path: '/v1/kb/search', body: 'search' },
  { method: 'DELETE', path: `/v1/tickets/${ID}` },
];

const QUERIES = [
  '',
  '?limit=1',
  '?limit=0',
  '?limit=abc',
  '?assignee=%00',
  '?status=open,__proto__',
  '?priority=constructor',
  '?cursor=' + Buffer.from(JSON.stringify(['June 2020', crypto.randomUUID()])).toString('base64url'),
  '?cursor=%E0%A4%A',
  '?from=2020-01-01T00:00:00Z&to=2030-01-01T00:00:00Z',
  '?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z',
  '?__proto__=1',
  '?a=1&a=2',
  '?include_archived=true',
  '?created_after=2020-01-01T00:00:00%2B99:00',
];

const IDS = [
  '%',
  '%00',
  '------------------------------------',
  'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz',
  '__proto__',
  '1',
];

const TOKEN_KINDS = [
  'client',
  'agent',
  'admin',
  'superadmin',
  'none',
  'garbage',
  'huge',
  'no-exp',
  'expired',
] as const;

type Mutation =
  | { kind: 'valid' }
  | { kind: 'replace-field'; field: number; value: unknown }
  | { kind: 'add-field'; key: string; value: unknown }
  | { kind: 'random-body'; value: unknown }
  | { kind: 'deep'; depth: number }
  | { kind: 'raw'; text: string }
  | { kind: 'encoded'; encoding: string }
  | { kind: 'content-type'; type: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'valid' as const }) },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('replace-field' as const), field: fc.nat(), value }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('add-field' as const),
      key: fc.constantFrom('__proto__', 'constructor', 'extra', '\u0000'),
      value,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('random-body' as const), value }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('deep' as const), depth: fc.integer({ min: 30, max: 12_000 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('raw' as const),
      text: fc.constantFrom(
        '{"content": ',
        '[',
        'null',
        '"str"',
        '{"a":1}garbage',
        '\u0000',
        '{"content":"\\u0000"}',
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('encoded' as const),
      encoding: fc.constantFrom('gzip', 'br', 'deflate', 'identity'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('content-type' as const),
      type: fc.constantFrom(
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/json; charset=latin1',
        'application/merge-patch+json',
      ),
    }),
  },
);

const request = fc.record({
  route: fc.nat({ max: ROUTES.length - 1 }),
  query: fc.constantFrom(...QUERIES),
  id: fc.oneof(fc.constant('ticket'), fc.constantFrom(...IDS)),
  token: fc.constantFrom(...TOKEN_KINDS),
  mutation,
});
type FuzzRequest = typeof request extends fc.Arbitrary<infer T> ? T : never;

// ---------------------------------------------------------------------------------------------------------
// Turning a generated request into HTTP
// ---------------------------------------------------------------------------------------------------------

let tokens: Record<(typeof TOKEN_KINDS)[number], string | undefined>;

async function makeTokens(): Promise<typeof tokens> {
  const now = Math.floor(Date.now() / 1000);
  const sign = (claims: Record<string, unknown>) =>
    new SignJWT({ tenant_id: tenant.slug, roles: ['agent'], sub: 'fuzz', ...claims })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
  return {
    client: tenant.tokens.client,
    agent: tenant.tokens.agent,
    admin: tenant.tokens.admin,
    superadmin: await h.mint({ tenant: tenant.slug, roles: ['superadmin'], sub: 'root' }),
    none: undefined,
    garbage: 'not.a.jwt',
    huge: 'x'.repeat(100_000),
    'no-exp': await sign({ iat: now }),
    expired: await sign({ iat: now - 7200, exp: now - 3600 }),
  };
}

function bodyFor(
  route: Route,
  m: Mutation,
  ticketId: string,
): { raw?: string; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  const base = route.body ? structuredClone(VALID_BODIES[route.body]!) : {};
  if (route.body === 'inbound') base.ticket_id = ticketId;
  let payload: unknown = base;
  switch (m.kind) {
    case 'replace-field': {
      const keys = Object.keys(base);
      if (keys.length) (base as Record<string, unknown>)[keys[m.field % keys.length]!] = m.value;
      break;
    }
    case 'add-field':
      Object.defineProperty(base, m.key, { value: m.value, enumerable: true });
      break;
    case 'random-body':
      payload = m.value;
      break;
    case 'deep':
      return {
        raw: `{"content":${'['.repeat(m.depth)}${']'.repeat(m.depth)}}`,
        headers: { 'content-type': 'application/json' },
      };
    case 'raw':
      return { raw: m.text, headers: { 'content-type': 'application/json' } };
    case 'encoded':
      headers['content-encoding'] = m.encoding;
      break;
    case 'content-type':
      headers['content-type'] = m.type;
      break;
  }
  if (!route.body && m.kind === 'valid' && route.method !== 'POST') return { headers };
  headers['content-type'] ??= 'application/json';
  let raw = JSON.stringify(payload) ?? 'null';
  // Inbound webhooks are authenticated by their signature: sign most of them, so the body gets parsed.
  if (route.body === 'inbound' && m.kind !== 'encoded') {
    Object.assign(headers, signedHeaders(INBOUND_SECRET, raw, crypto.randomUUID()));
  }
  if (raw.length > 300_000) raw = raw.slice(0, 300_000);
  return { raw, headers };
}

async function send(r: FuzzRequest): Promise<{ status: number; contentType: string | null; desc: string }> {
  const route = ROUTES[r.route]!;
  const ticketId = r.id === 'ticket' ? ticketIds[r.route % ticketIds.length]! : r.id;
  const path = route.path.replace(ID, ticketId).replace('<tenant>', tenant.slug) + r.query;
  const { raw, headers } = bodyFor(route, r.mutation, ticketId);
  const token = tokens[r.token];
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await rawRequest(route.method, path, headers, raw);
  const desc = `${route.method} ${path.slice(0, 120)} token=${r.token} mutation=${JSON.stringify(r.mutation).slice(0, 160)}`;
  return { status: res.status, contentType: res.contentType, desc };
}

/**
 * One request on its own connection (node:http, no pooling): a body is sent with any method, and a failure is
 * the server's, not a pooled connection's that the client reused as the server closed it.
 */
function rawRequest(
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | undefined,
): Promise<{ status: number; contentType: string | null }> {
  const url = new URL(path, h.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method, headers: { ...headers, connection: 'close' }, agent: false, timeout: 60_000 },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? null }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 60 s')));
    req.on('error', reject);
    req.end(body);
  });
}

test(`${REQUESTS} fuzzed requests over every route: no 5xx, errors as problem+json, the API stays healthy`, async () => {
  tokens = await makeTokens();
  const requests = fc.sample(request, { seed: SEED, numRuns: REQUESTS });
  const failures: string[] = [];
  const byStatus = new Map<number, number>();
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests.length) {
        const r = requests[next++]!;
        let res;
        try {
          res = await send(r);
        } catch (error) {
          failures.push(`no answer (${String(error)}): ${JSON.stringify(r).slice(0, 300)}`);
          continue;
        }
        byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
        if (res.status >= 500) failures.push(`${res.status} ${res.desc}`);
        else if (res.status >= 400 && !res.contentType?.includes('application/problem+json'))
          failures.push(`${res.status} without problem+json: ${res.desc}`);
      }
    }),
  );
  const summary = [...byStatus.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([s, n]) => `${s}:${n}`)
    .join(' ');
  console.log(`fuzz: ${requests.length} requests in ${Date.now() - started} ms; statuses ${summary}`);
  expect(failures.slice(0, 20)).toEqual([]);
  expect(byStatus.get(200) ?? 0).toBeGreaterThan(0);

  // Still healthy: probes, a quick list, and a new ticket (whose text names Object.prototype members) triaged.
  expect((await h.call('GET', '/healthz')).status).toBe(200);
  expect((await h.call('GET', '/readyz')).status).toBe(200);
  const listed = Date.now();
  expect((await h.call('GET', '/v1/tickets?limit=5', { token: tenant.tokens.agent })).status).toBe(200);
  expect(Date.now() - listed).toBeLessThan(5000);
  const created = await h.call('POST', '/v1/tickets', {
    token: tenant.tokens.client,
    body: { content: 'constructor: printer broken, toString fails too' },
  });
  expect(created.status).toBe(201);
  const triaged = await eventually(async () => {
    const t = await h.call('GET', `/v1/tickets/${created.body.id}`, { token: tenant.tokens.agent });
    return !['new', 'triaging'].includes(t.body.status) && t.body;
  }, 90_000);
  console.log(
    `fuzz: the new ticket ended triage as ${triaged.status}, ${JSON.stringify(triaged.escalation ?? null)}`,
  );
  // Triage completed (not ai_failed); the escalation triggers may then escalate it (a weak match against the
  // fuzzed knowledge base, its sentiment): a triage outcome too.
  expect(['open', 'escalated']).toContain(triaged.status);
  expect(triaged.category).toEqual(expect.any(String));
}, 600_000);
