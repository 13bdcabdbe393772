/** Authentication and authorisation: bad tokens are refused, roles and tenants are enforced. */
import crypto from 'node:crypto';
import { SignJWT } from 'jose';
import {
  type Harness,
  type TestTenant,
  TEST_JWT_SECRET,
  eventually,
  mintToken,
  startHarness,
} from '../helpers/harness';

let h: Harness;
let acme: TestTenant;
let globex: TestTenant;
let acmeTicket: string;

beforeAll(async () => {
  h = await startHarness();
  acme = await h.createTenant();
  globex = await h.createTenant();
  const r = await h.call('POST', '/v1/tickets', {
    token: acme.tokens.client,
    body: { content: 'acme secret problem' },
  });
  acmeTicket = r.body.id;
});
afterAll(() => h?.stop());

function b64(json: object): string {
  return Buffer.from(JSON.stringify(json)).toString('base64url');
}

async function expectUnauthorized(token: string | undefined, detail?: RegExp) {
  const res = await h.call('GET', '/v1/tickets', { token });
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toBe('Bearer');
  expect(res.body).toMatchObject({ type: '/problems/unauthorized', status: 401 });
  if (detail) expect(res.body.detail).toMatch(detail);
}

test('missing, malformed, expired, wrongly signed and alg:none tokens are refused', async () => {
  await expectUnauthorized(undefined, /Bearer/);
  await expectUnauthorized('not-a-jwt', /not a JWT/);
  await expectUnauthorized(
    await mintToken({ tenant: acme.slug, roles: ['agent'] }, { expiresIn: '-1m' }),
    /expired/,
  );
  await expectUnauthorized(
    await mintToken(
      { tenant: acme.slug, roles: ['agent'] },
      { secret: 'another-secret-that-is-also-long-enough-000' },
    ),
  );
  const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'x', tenant_id: acme.slug, roles: ['superadmin'], exp: Math.floor(Date.now() / 1000) + 600 })}.`;
  await expectUnauthorized(unsigned);
  // HS256 token signed with the right secret but missing the roles claim.
  const noRoles = await new SignJWT({ tenant_id: acme.slug })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('x')
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));
  await expectUnauthorized(noRoles, /claims/);
  // An RS256 token where only HS256 is configured (algorithm confusion).
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rs = await new SignJWT({ tenant_id: acme.slug, roles: ['agent'] })
    .setProtectedHeader({ alg: 'RS256' })
    .setSubject('x')
    .setExpirationTime('5m')
    .sign(privateKey);
  await expectUnauthorized(rs);
});

test('a token for an unknown tenant is forbidden', async () => {
  const token = await mintToken({ tenant: 'no-such-tenant', roles: ['agent'] });
  const res = await h.call('GET', '/v1/tickets', { token });
  expect(res.status).toBe(403);
});

test('tenants are isolated: another tenant cannot see or act on a ticket', async () => {
  const read = await h.call('GET', `/v1/tickets/${acmeTicket}`, { token: globex.tokens.agent });
  expect(read.status).toBe(404);
  const act = await h.call('POST', `/v1/tickets/${acmeTicket}/resolve`, {
    token: globex.tokens.agent,
    body: {},
  });
  expect(act.status).toBe(404);
  const list = await h.call('GET', '/v1/tickets', { token: globex.tokens.agent });
  expect(list.body.items.map((t: { id: string }) => t.id)).not.toContain(acmeTicket);
  const hop = await h.call('GET', `/v1/tickets/${acmeTicket}`, {
    token: globex.tokens.admin,
    headers: { 'X-Tenant-Id': acme.id },
  });
  expect(hop.status).toBe(403);
  const superadmin = await h.call('GET', `/v1/tickets/${acmeTicket}`, {
    token: h.superadminToken,
    headers: { 'X-Tenant-Id': acme.slug },
  });
  expect(superadmin.status).toBe(200);
});

test('a client cannot act as an agent, and only a superadmin creates tenants', async () => {
  for (const action of ['resolve', 'escalate', 'assign', 'reopen', 'close']) {
    const res = await h.call('POST', `/v1/tickets/${acmeTicket}/${action}`, {
      token: acme.tokens.client,
      body: { reason: 'x', assignee: 'me' },
    });
    expect(res.status).toBe(403);
  }
  const asAgent = await h.call('POST', `/v1/tickets/${acmeTicket}/messages`, {
    token: acme.tokens.client,
    body: { body: 'I am the agent now', author: 'agent' },
  });
  expect(asAgent.status).toBe(403);
  const live = await h.call('GET', `/v1/tickets/${acmeTicket}/workflow`, { token: acme.tokens.client });
  expect(live.status).toBe(403);
  const tenant = await h.call('POST', '/v1/tenants', {
    token: acme.tokens.admin,
    body: { slug: 'sneaky', name: 'Sneaky' },
  });
  expect(tenant.status).toBe(403);
  const audit = await h
    .db('audit_log')
    .where({ ticket_id: acmeTicket })
    .whereIn('action', ['resolve', 'escalate', 'assign', 'close', 'add_message']);
  expect(audit).toEqual([]);
});

test('clients see public messages only, and no drafts or internal details', async () => {
  const r = await h.call('POST', '/v1/tickets', {
    token: acme.tokens.client,
    body: { content: 'The export crashes' },
  });
  const id = r.body.id;
  await eventually(
    async () =>
      (await h.call('GET', `/v1/tickets/${id}/workflow`, { token: acme.tokens.agent })).body.status ===
      'open',
  );
  await h.call('POST', `/v1/tickets/${id}/messages`, {
    token: acme.tokens.agent,
    body: { body: 'internal: looks like bug 123', internal: true },
  });
  await h.call('POST', `/v1/tickets/${id}/messages`, {
    token: acme.tokens.agent,
    body: { body: 'We are on it.' },
  });
  const agentView = await h.call('GET', `/v1/tickets/${id}`, { token: acme.tokens.agent });
  expect(agentView.body.messages).toHaveLength(2);
  expect(agentView.body.draft).not.toBeNull();
  const clientView = await h.call('GET', `/v1/tickets/${id}`, { token: acme.tokens.client });
  expect(clientView.body.messages.map((m: { body: string }) => m.body)).toEqual(['We are on it.']);
  expect(clientView.body.draft).toBeNull();
  expect(clientView.body.triage).toEqual({ category: agentView.body.triage.category, language: 'en' });
});
