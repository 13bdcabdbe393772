import type { ExternalRef } from '../../../src/connectors/itsm/types';
import { FakeServiceDeskPlus } from '../../fixtures/fake-itsm/servicedesk-plus';
import { describeItsmConnectorContract, triageRef } from './contract';
import { connectorsFor, expectItsmError, snapshot } from './helpers';

const onprem = new FakeServiceDeskPlus({ mode: 'onprem' });
const cloud = new FakeServiceDeskPlus({ mode: 'cloud', portal: 'itdesk' });
const { connector, withCredentials } = connectorsFor(onprem, () => ({
  tool_type: 'servicedesk_plus',
  credentials: { authtoken: onprem.authtoken },
  settings: { group: 'Network' },
}));
const cloudTool = connectorsFor(cloud, () => ({
  tool_type: 'servicedesk_plus',
  credentials: { oauth_token: cloud.oauthToken },
  settings: { portal: 'itdesk' },
}));

describeItsmConnectorContract({
  system: 'servicedesk_plus',
  server: () => onprem.server,
  connector: (o) => connector(o?.settings, o?.timeoutMs),
  badAuthConnector: () => withCredentials({ authtoken: 'wrong-sdp-key' }),
  secrets: () => [onprem.authtoken, 'wrong-sdp-key'],
  isCreate: (r) => r.method === 'POST',
  ticketsFor: (snap) =>
    onprem
      .find((request) => request.subject.includes(`[triage-${snap.ticketId}]`))
      .map((request) => request.id),
  commentsOf: (ref) =>
    onprem.requestsById.get(ref.externalId)!.notes.map((note) => ({
      text: note.description,
      isPublic: note.show_to_requester,
      eventId: triageRef(note.description),
    })),
  externalUrl: (ref) => `${onprem.url}/WorkOrder.do?woMode=viewWO&woID=${ref.externalId}`,
  statuses: {
    created: 'Open',
    resolved: 'Resolved',
    closed: 'Closed',
    updates: [['pending_customer', 'On Hold']],
  },
  resolveSettings: { closure_code: 'Success' },
  rateLimitSignals: [
    {
      name: 'SDP status code 4015 in response_status',
      injection: {
        status: 400,
        headers: { 'retry-after': '3' },
        body: {
          response_status: {
            status_code: 4000,
            messages: [{ status_code: 4015, message: 'API Rate Limit reached' }],
            status: 'failed',
          },
        },
      },
      retryAfterMs: 3000,
    },
  ],
  lookup: {
    missingRef: () => ({
      system: 'servicedesk_plus',
      externalId: '999999',
      externalUrl: null,
      externalStatus: null,
    }),
  },
});

function inputData(req: { form?: URLSearchParams; query: URLSearchParams; method: string }) {
  return JSON.parse((req.method === 'GET' ? req.query.get('input_data') : req.form!.get('input_data'))!);
}

describe('servicedesk plus connector (on-premise, authtoken)', () => {
  it('creates a request with form-encoded input_data, the v3 Accept header and a subject tag', async () => {
    const snap = snapshot({ priority: 'critical' });
    const before = onprem.server.requests.length;
    const ref = await connector().createTicket(snap, { eventId: 'e1' });
    expect(ref.created).toBe(true);

    const [find, create] = onprem.server.requests.slice(before);
    expect(find!.path).toBe('/api/v3/requests');
    expect(inputData(find!).list_info.search_criteria).toEqual({
      field: 'subject',
      condition: 'contains',
      value: `[triage-${snap.ticketId}]`,
    });
    expect(create!.method).toBe('POST');
    expect(create!.headers.accept).toBe('application/vnd.manageengine.sdp.v3+json');
    expect(create!.headers.authtoken).toBe(onprem.authtoken);
    expect(create!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const request = inputData(create!).request;
    expect(request).toMatchObject({
      subject: `${snap.title} [triage-${snap.ticketId}]`,
      priority: { name: 'Urgent' },
      requester: { email_id: 'customer@example.com' },
      group: { name: 'Network' },
    });
    expect(request.description).toMatch(
      /^<p>I was charged twice this month, please refund\.<br>Order #4411\.<\/p>/,
    );
  });

  it('uses a correlation udf when configured', async () => {
    const snap = snapshot();
    const c = connector({ correlation_udf: 'udf_sline_301', custom_fields: { udf_pick_5: 'Gold' } });
    const ref = await c.createTicket(snap, { eventId: 'e' });
    const stored = onprem.requestsById.get(ref.externalId)!;
    expect(stored.subject).toBe(snap.title);
    expect(stored.udf_fields).toEqual({ udf_sline_301: `triage-${snap.ticketId}`, udf_pick_5: 'Gold' });
    expect((await c.createTicket(snap, { eventId: 'e' })).created).toBe(false);
    expect(inputData(onprem.server.requests.at(-1)!).list_info.search_criteria).toEqual({
      field: 'udf_fields.udf_sline_301',
      condition: 'is',
      value: `triage-${snap.ticketId}`,
    });
  });

  it('maps SDP status codes in response_status: 4008 not unique → conflict, a failure in a 200 → invalid', async () => {
    onprem.server.inject({
      status: 400,
      body: {
        response_status: {
          status_code: 4000,
          messages: [{ status_code: 4008, type: 'failed', message: 'Not Unique' }],
          status: 'failed',
        },
      },
    });
    await expectItsmError(connector().findByCorrelation('t-dup'), { kind: 'conflict', retryable: false });
    onprem.server.inject({
      status: 200,
      body: {
        response_status: {
          status_code: 4000,
          messages: [{ status_code: 4001, message: 'bad value' }],
          status: 'failed',
        },
      },
    });
    await expectItsmError(connector().findByCorrelation('t-200'), { kind: 'invalid', retryable: false });
  });

  describe('on an existing request', () => {
    let ref: ExternalRef;
    beforeEach(async () => {
      ref = await connector().createTicket(snapshot({ priority: 'low' }), { eventId: 'setup' });
    });

    it('updates status and priority with PUT input_data', async () => {
      await connector().updateTicket(ref, { status: 'pending_customer', priority: 'high' });
      expect(inputData(onprem.server.requests.at(-1)!)).toEqual({
        request: { priority: { name: 'High' }, status: { name: 'On Hold' } },
      });
    });

    it('adds notes as HTML with the event marker (on-premise key "note")', async () => {
      const c = connector();
      const first = await c.addComment(ref, { body: 'Visible <b>reply</b>', isPublic: true, eventId: 'n1' });
      await c.addComment(ref, { body: 'Visible <b>reply</b>', isPublic: true, eventId: 'n1' });
      const notes = onprem.requestsById.get(ref.externalId)!.notes;
      expect(notes).toEqual([
        {
          id: first.externalCommentId,
          description: '<p>Visible &lt;b&gt;reply&lt;/b&gt;</p><p>[triage-ref:n1]</p>',
          show_to_requester: true,
        },
      ]);
      const post = onprem.server.calls('POST', `/api/v3/requests/${ref.externalId}/notes`)[0]!;
      expect(Object.keys(inputData(post))).toEqual(['note']);
    });

    it('resolves with resolution content, then closes via /close with the closure info', async () => {
      const c = connector({ closure_code: 'Success' });
      await c.resolve(ref, { resolution: 'Replaced the switch' });
      const stored = onprem.requestsById.get(ref.externalId)!;
      expect(stored.resolution).toEqual({ content: '<p>Replaced the switch</p>' });
      await c.close(ref);
      expect(stored.closure_info).toMatchObject({
        requester_ack_resolution: true,
        closure_code: { name: 'Success' },
      });
      const before = onprem.server.requests.length;
      await c.close(ref);
      expect(onprem.server.requests.slice(before).map((r) => r.method)).toEqual(['GET']);
    });

    it('updateTicket to closed uses the close operation', async () => {
      const out = await connector().updateTicket(ref, { status: 'closed' });
      expect(out.externalStatus).toBe('Closed');
      expect(onprem.server.calls('PUT', `/api/v3/requests/${ref.externalId}/close`)).toHaveLength(1);
    });
  });
});

describe('servicedesk plus connector (cloud, Zoho OAuth)', () => {
  it('calls /app/<portal>/api/v3 with Authorization: Zoho-oauthtoken and request_note', async () => {
    const c = cloudTool.connector();
    const ref = await c.createTicket(snapshot(), { eventId: 'e' });
    expect(ref.externalUrl).toBe(`${cloud.url}/app/itdesk/ui/requests/${ref.externalId}/details`);
    const create = cloud.server.calls('POST', '/app/itdesk/api/v3/requests')[0]!;
    expect(create.headers.authorization).toBe(`Zoho-oauthtoken ${cloud.oauthToken}`);
    expect(create.headers.authtoken).toBeUndefined();
    await c.addComment(ref, { body: 'internal', isPublic: false, eventId: 'n' });
    const note = cloud.server.calls('POST', `/app/itdesk/api/v3/requests/${ref.externalId}/notes`)[0]!;
    expect(JSON.parse(note.form!.get('input_data')!)).toMatchObject({
      request_note: { show_to_requester: false },
    });
  });
});
