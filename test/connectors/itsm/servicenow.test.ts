import type { ExternalRef } from '../../../src/connectors/itsm/types';
import { FakeServiceNow } from '../../fixtures/fake-itsm/servicenow';
import { describeItsmConnectorContract, triageRef } from './contract';
import { connectorsFor, expectItsmError, snapshot } from './helpers';

const sn = new FakeServiceNow();
const { connector, withCredentials } = connectorsFor(sn, () => ({
  tool_type: 'servicenow',
  credentials: { username: sn.username, password: sn.password },
  settings: { assignment_group: 'Service Desk', custom_fields: { u_tenant: 'acme' } },
}));

describeItsmConnectorContract({
  system: 'servicenow',
  server: () => sn.server,
  connector: (o) => connector(o?.settings, o?.timeoutMs),
  badAuthConnector: () => withCredentials({ username: sn.username, password: 'not-the-password' }),
  secrets: () => [
    sn.password,
    'not-the-password',
    Buffer.from(`${sn.username}:not-the-password`).toString('base64'),
  ],
  isCreate: (r) => r.method === 'POST',
  ticketsFor: (snap) => sn.withCorrelation(`triage-${snap.ticketId}`).map((incident) => incident.sys_id),
  commentsOf: (ref) =>
    sn.journal
      .filter((entry) => entry.element_id === ref.externalId)
      .map((entry) => ({
        text: entry.value,
        isPublic: entry.element === 'comments',
        eventId: triageRef(entry.value),
      })),
  externalUrl: (ref) => `${sn.url}/incident.do?sys_id=${ref.externalId}`,
  statuses: {
    created: '1',
    resolved: '6',
    closed: '7',
    updates: [
      ['in_progress', '2'],
      ['pending_vendor', '3'],
      ['pending_customer', '3'],
    ],
  },
  resolveSettings: { close_code: 'Resolved by caller' },
  lookup: {
    missingRef: () => ({
      system: 'servicenow',
      externalId: '0'.repeat(32),
      externalUrl: null,
      externalStatus: null,
    }),
  },
});

describe('servicenow connector', () => {
  it('creates an incident with correlation_id, impact/urgency and assignment group', async () => {
    const snap = snapshot({ priority: 'high' });
    const before = sn.server.requests.length;
    const ref = await connector().createTicket(snap, { eventId: 'evt-1' });

    expect(ref.externalId).toMatch(/^[0-9a-f]{32}$/);

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

  it('authenticates with an OAuth bearer token too', async () => {
    const c = withCredentials({ oauth_token: sn.oauthToken });
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
      await c.updateTicket(ref, { status: 'in_progress', priority: 'critical' });
      expect(sn.incidents.get(ref.externalId)).toMatchObject({ state: '2', impact: '1', urgency: '1' });
      await c.updateTicket(ref, { status: 'pending_vendor' });
      expect(sn.incidents.get(ref.externalId)).toMatchObject({ state: '3', hold_reason: '4' });
      await c.updateTicket(ref, { status: 'pending_customer' });
      expect(sn.server.requests.at(-1)!.json).toEqual({ state: '3', hold_reason: '1' });
    });

    it('writes public comments to `comments`, internal ones to `work_notes`, looked up by marker', async () => {
      const c = connector();
      await c.addComment(ref, { body: 'Hello customer', isPublic: true, eventId: 'c1' });
      await c.addComment(ref, { body: 'Internal', isPublic: false, eventId: 'c2' });
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

    it('resolves with state 6, the close code and the resolution as close notes, kept on close', async () => {
      await connector({ close_code: 'Resolved by caller' }).resolve(ref, { resolution: 'Refund issued' });
      expect(sn.incidents.get(ref.externalId)).toMatchObject({
        state: '6',
        close_code: 'Resolved by caller',
        close_notes: 'Refund issued',
      });
      await connector().close(ref);
      expect(sn.incidents.get(ref.externalId)!.state).toBe('7');
      expect(sn.incidents.get(ref.externalId)!.close_notes).toBe('Refund issued');
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
