import { createConnector } from '../../../src/connectors/itsm/registry';
import type { ExternalRef } from '../../../src/connectors/itsm/types';
import { FakeServiceNow } from '../../fixtures/fake-itsm/servicenow';
import { config, describeErrorBehaviour, expectItsmError, snapshot, localOutbound } from './helpers';

let sn: FakeServiceNow;

beforeAll(async () => {
  sn = await new FakeServiceNow().start();
});
afterAll(() => sn.stop());
afterEach(() => sn.server.clearInjections());

function snConfig(settings: Record<string, unknown> = {}, credentials?: Record<string, unknown>) {
  return config({
    tool_type: 'servicenow',
    base_url: sn.url,
    credentials: credentials ?? { username: sn.username, password: sn.password },
    settings: { assignment_group: 'Service Desk', custom_fields: { u_tenant: 'acme' }, ...settings },
  });
}

const connector = (settings: Record<string, unknown> = {}, timeoutMs = 2000) =>
  createConnector(snConfig(settings), { timeoutMs, outbound: localOutbound });

describe('servicenow connector', () => {
  it('creates an incident with correlation_id, impact/urgency and assignment group', async () => {
    const snap = snapshot({ priority: 'high' });
    const before = sn.server.requests.length;
    const ref = await connector().createTicket(snap, { eventId: 'evt-1' });

    expect(ref).toMatchObject({ system: 'servicenow', created: true, externalStatus: '1' });
    expect(ref.externalId).toMatch(/^[0-9a-f]{32}$/);
    expect(ref.externalUrl).toBe(`${sn.url}/incident.do?sys_id=${ref.externalId}`);

    const sent = sn.server.requests.slice(before);
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/now/table/incident',
      'POST /api/now/table/incident',
    ]);
    expect(sent[0]!.query.get('sysparm_query')).toBe(
      `correlation_id=triage-${snap.ticketId}^ORDERBYsys_created_on`,
    );
    expect(sent[0]!.query.get('sysparm_limit')).toBe('1');
    const body = sent[1]!.json;
    expect(sent[1]!.headers.authorization).toBe(
      'Basic ' + Buffer.from(`${sn.username}:${sn.password}`).toString('base64'),
    );
    expect(body).toMatchObject({
      short_description: snap.title,
      correlation_id: `triage-${snap.ticketId}`,
      correlation_display: 'support-triage',
      impact: '1',
      urgency: '2',
      assignment_group: 'Service Desk',
      u_tenant: 'acme',
    });
    expect(body.description).toContain('I was charged twice');
    expect(body.description).toContain(`Support triage ticket: ${snap.ticketId}`);
  });

  it('creates exactly once across a retried activity and a lost response', async () => {
    const snap = snapshot();
    const key = `triage-${snap.ticketId}`;
    sn.server.inject({ delayMs: 1500, match: (r) => r.method === 'POST' });
    await expectItsmError(connector({}, 400).createTicket(snap, { eventId: 'e' }), {
      kind: 'timeout',
      retryable: true,
    });
    expect(sn.withCorrelation(key)).toHaveLength(1);
    const again = await connector().createTicket(snap, { eventId: 'e' });
    const third = await connector().createTicket(snap, { eventId: 'e' });
    expect(again.created).toBe(false);
    expect(third).toEqual(again);
    expect(sn.withCorrelation(key)).toHaveLength(1);
  });

  it('authenticates with an OAuth bearer token too', async () => {
    const c = createConnector(snConfig({}, { oauth_token: sn.oauthToken }), { outbound: localOutbound });
    const ref = await c.createTicket(snapshot(), { eventId: 'e' });
    expect(ref.created).toBe(true);
    expect(sn.server.requests.at(-1)!.headers.authorization).toBe(`Bearer ${sn.oauthToken}`);
  });

  describe('on an existing incident', () => {
    let ref: ExternalRef;
    beforeEach(async () => {
      ref = await connector().createTicket(snapshot({ priority: 'low' }), { eventId: 'setup' });
    });

    it('updates state and priority with PATCH; On Hold carries the hold reason', async () => {
      const c = connector();
      let out = await c.updateTicket(ref, { status: 'in_progress', priority: 'critical' });
      expect(out.externalStatus).toBe('2');
      expect(sn.incidents.get(ref.externalId)).toMatchObject({ state: '2', impact: '1', urgency: '1' });

      out = await c.updateTicket(ref, { status: 'pending_vendor' });
      expect(sn.incidents.get(ref.externalId)).toMatchObject({ state: '3', hold_reason: '4' });
      expect(await c.getStatus(out)).toEqual({ externalStatus: '3', mappedStatus: 'pending_vendor' });
      await c.updateTicket(ref, { status: 'pending_customer' });
      expect(await c.getStatus(ref)).toEqual({ externalStatus: '3', mappedStatus: 'pending_customer' });
      expect(sn.server.requests.at(-2)!.json).toEqual({ state: '3', hold_reason: '1' });
    });

    it('writes public comments to `comments`, internal ones to `work_notes`, once per event id', async () => {
      const c = connector();
      expect(
        (await c.addComment(ref, { body: 'Hello customer', isPublic: true, eventId: 'c1' })).created,
      ).toBe(true);
      expect(
        (await c.addComment(ref, { body: 'Hello customer', isPublic: true, eventId: 'c1' })).created,
      ).toBe(false);
      expect((await c.addComment(ref, { body: 'Internal', isPublic: false, eventId: 'c2' })).created).toBe(
        true,
      );
      const entries = sn.journal.filter((j) => j.element_id === ref.externalId);
      expect(entries.map((e) => [e.element, e.value])).toEqual([
        ['comments', 'Hello customer\n\n[triage-ref:c1]'],
        ['work_notes', 'Internal\n\n[triage-ref:c2]'],
      ]);
      const lookup = sn.server.calls('GET', '/api/now/table/sys_journal_field').at(-1)!;
      expect(lookup.query.get('sysparm_query')).toBe(
        `element_id=${ref.externalId}^elementINcomments,work_notes^valueLIKE[triage-ref:c2]`,
      );
    });

    it('resolves with state 6, the close code and the resolution as close notes', async () => {
      const out = await connector({ close_code: 'Resolved by caller' }).resolve(ref, {
        resolution: 'Refund issued',
      });
      expect(out.externalStatus).toBe('6');
      expect(sn.incidents.get(ref.externalId)).toMatchObject({
        state: '6',
        close_code: 'Resolved by caller',
        close_notes: 'Refund issued',
      });
      expect(await connector().getStatus(ref)).toEqual({ externalStatus: '6', mappedStatus: 'resolved' });
      const out2 = await connector().close(ref);
      expect(out2.externalStatus).toBe('7');
      expect(sn.incidents.get(ref.externalId)!.close_notes).toBe('Refund issued'); // kept on close
      const before = sn.server.requests.length;
      await connector().close(ref);
      expect(sn.server.requests.slice(before).filter((r) => r.method === 'PATCH')).toHaveLength(0);
    });

    it('without auto-transition, resolve writes a work note and leaves the state', async () => {
      await connector({ auto_transition_on_resolve: false }).resolve(ref, { resolution: 'Refund issued' });
      expect(sn.incidents.get(ref.externalId)!.state).toBe('1');
      expect(sn.journal.filter((j) => j.element_id === ref.externalId).map((j) => j.element)).toEqual([
        'work_notes',
      ]);
    });

    it('a data-policy refusal is invalid, not auth', async () => {
      sn.server.inject({
        status: 403,
        body: {
          error: { message: 'Operation Failed', detail: 'Data Policy Exception: mandatory fields' },
          status: 'failure',
        },
      });
      await expectItsmError(connector().resolve(ref, {}), { kind: 'invalid', retryable: false, status: 403 });
    });
  });
});

describeErrorBehaviour('servicenow', {
  server: () => sn.server,
  connector: (o) => connector({}, o?.timeoutMs ?? 2000),
  badAuthConnector: () =>
    createConnector(snConfig({}, { username: sn.username, password: 'not-the-password' }), {
      outbound: localOutbound,
    }),
  missingRef: () => ({
    system: 'servicenow',
    externalId: '0'.repeat(32),
    externalUrl: null,
    externalStatus: null,
  }),
  secrets: () => [
    sn.password,
    'not-the-password',
    Buffer.from(`${sn.username}:not-the-password`).toString('base64'),
  ],
});
