/**
 * Workflow payloads are ciphertext in Temporal: a ticket's messages, notes and draft do not appear in its history
 * as the server stores it, while the codec endpoint (platform operators only) decodes them for the Temporal UI.
 */
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { type Harness, type TestTenant, eventually, startHarness } from '../helpers/harness';

let h: Harness;
let tenant: TestTenant;

beforeAll(async () => {
  h = await startHarness();
  tenant = await h.createTenant();
});
afterAll(() => h?.stop());

const SECRET_TEXT = 'my SSN is 123-45-6789 and my phone +1 555 0100';

test('messages, notes and drafts are not readable in the stored history; the codec endpoint decodes them', async () => {
  const created = await h.call('POST', '/v1/tickets', {
    token: tenant.tokens.client,
    body: { content: `I cannot log in, ${SECRET_TEXT}` },
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  await eventually(
    async () =>
      (await h.call('GET', `/v1/tickets/${id}/workflow`, { token: tenant.tokens.agent })).body.status ===
      'open',
  );
  const note = await h.call('POST', `/v1/tickets/${id}/messages`, {
    token: tenant.tokens.agent,
    body: { body: `internal: customer said ${SECRET_TEXT}`, internal: true },
  });
  expect(note.status).toBe(200);
  const reply = await h.call('POST', `/v1/tickets/${id}/messages`, {
    token: tenant.tokens.agent,
    body: { body: 'Reset link sent to you' },
  });
  expect(reply.status).toBe(200);

  const history = await h.client.workflow.getHandle(`ticket-${id}`).fetchHistory();
  const stored = historyToJSON(history);
  for (const clear of ['123-45-6789', 'Reset link sent', 'internal: customer said', 'I cannot log in']) {
    expect(stored).not.toContain(clear);
  }
  // Search attributes stay readable for ops, and hold no personal data.
  expect(stored).toContain('TicketStatus');

  // The update that carried the note, through the codec endpoint.
  const accepted = history.events!.find(
    (e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'addMessage',
  )!;
  const payloads =
    accepted.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.input!.args!.payloads!;
  const body = {
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(
        Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      ),
      data: Buffer.from(p.data ?? []).toString('base64'),
    })),
  };
  const superadmin = await h.call('POST', '/codec/decode', { token: h.superadminToken, body });
  expect(superadmin.status).toBe(200);
  const decoded = Buffer.from(superadmin.body.payloads[0].data, 'base64').toString('utf8');
  expect(decoded).toContain('123-45-6789');

  // A tenant admin may not decode (payloads span tenants); no token from another host is refused too.
  expect((await h.call('POST', '/codec/decode', { token: tenant.tokens.admin, body })).status).toBe(403);
  const bad = await h.call('POST', '/codec/decode', { token: h.superadminToken, body: { payloads: 'x' } });
  expect(bad.status).toBe(400);
  expect(bad.headers.get('content-type')).toContain('application/problem+json');
});

test('the Temporal UI origin may call the codec from the browser (CORS preflight)', async () => {
  const res = await fetch(`${h.url}/codec/decode`, {
    method: 'OPTIONS',
    headers: { origin: 'http://localhost:8233', 'access-control-request-method': 'POST' },
  });
  expect(res.status).toBe(204);
  expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
  const other = await fetch(`${h.url}/codec/decode`, {
    method: 'OPTIONS',
    headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
  });
  expect(other.headers.get('access-control-allow-origin')).toBeNull();
});
