import type { ExternalRef } from '../../../src/connectors/itsm/types';
import { FakeZendesk } from '../../fixtures/fake-itsm/zendesk';
import { describeItsmConnectorContract, triageRef } from './contract';
import { connectorsFor, expectItsmError, snapshot } from './helpers';

const zd = new FakeZendesk();
const { connector, withCredentials } = connectorsFor(zd, () => ({
  tool_type: 'zendesk',
  credentials: { email: zd.email, api_token: zd.apiToken },
  settings: { group_id: 42, tags: ['triaged'], custom_fields: { '360001': 'enterprise' } },
}));

describeItsmConnectorContract({
  system: 'zendesk',
  server: () => zd.server,
  connector: (o) => connector(o?.settings, o?.timeoutMs),
  badAuthConnector: () => withCredentials({ email: zd.email, api_token: 'bad-zendesk-token' }),
  secrets: () => [
    zd.apiToken,
    'bad-zendesk-token',
    Buffer.from(`${zd.email}/token:bad-zendesk-token`).toString('base64'),
  ],
  isCreate: (r) => r.method === 'POST',
  ticketsFor: (snap) => zd.withExternalId(`triage-${snap.ticketId}`).map((ticket) => String(ticket.id)),
  // The first comment is the ticket's description.
  commentsOf: (ref) =>
    zd.tickets
      .get(Number(ref.externalId))!
      .comments.slice(1)
      .map((comment) => ({ text: comment.body, isPublic: comment.public, eventId: triageRef(comment.body) })),
  externalUrl: (ref) => `${zd.url}/agent/tickets/${ref.externalId}`,
  statuses: { created: 'new', resolved: 'solved', closed: 'closed', updates: [['pending_vendor', 'hold']] },
  resolveSettings: { assignee_id: 7 },
  rateLimitSignals: [
    {
      name: 'a 429 with Zendesk rate-limit headers and no Retry-After',
      injection: { status: 429, headers: { 'ratelimit-reset': '7' } },
      retryAfterMs: 7000,
    },
  ],
  lookup: {
    missingRef: () => ({ system: 'zendesk', externalId: '999999', externalUrl: null, externalStatus: null }),
  },
});

describe('zendesk connector', () => {
  it('creates a ticket with external_id, mapped priority, tags, custom fields and an idempotency key', async () => {
    const snap = snapshot({ priority: 'medium' });
    const before = zd.server.requests.length;
    const ref = await connector().createTicket(snap, { eventId: 'evt-1' });
    expect(ref.created).toBe(true);

    const [find, create] = zd.server.requests.slice(before);
    expect(`${find!.method} ${find!.path}?${find!.query}`).toBe(
      `GET /api/v2/tickets.json?external_id=triage-${snap.ticketId}`,
    );
    expect(create!.headers.authorization).toBe(
      'Basic ' + Buffer.from(`${zd.email}/token:${zd.apiToken}`).toString('base64'),
    );
    expect(create!.headers['idempotency-key']).toBe(`triage-${snap.ticketId}:evt-1`);
    expect(create!.json.ticket).toMatchObject({
      subject: snap.title,
      external_id: `triage-${snap.ticketId}`,
      priority: 'normal',
      group_id: 42,
      tags: ['support-triage', 'triaged'],
      requester: { email: 'customer@example.com' },
      custom_fields: [{ id: 360001, value: 'enterprise' }],
      comment: { public: false },
    });
    expect(create!.json.ticket.comment.body).toContain('please refund');
  });

  it('a create refused as an idempotency conflict is answered by the existing ticket', async () => {
    const snap = snapshot();
    const c = connector();
    await c.createTicket(snap, { eventId: 'other-attempt' }); // another attempt won the race
    // Our lookup ran just before that create; our POST is then refused by Zendesk.
    zd.server.inject({ status: 200, body: { tickets: [], count: 0 }, match: (r) => r.method === 'GET' });
    zd.server.inject({
      status: 400,
      body: { error: 'IdempotentRequestError' },
      match: (r) => r.method === 'POST',
    });
    const out = await c.createTicket(snap, { eventId: 'race' });
    expect(out.created).toBe(false);
    expect(zd.withExternalId(`triage-${snap.ticketId}`)).toHaveLength(1);
  });

  describe('on an existing ticket', () => {
    let ref: ExternalRef;
    beforeEach(async () => {
      ref = await connector().createTicket(snapshot(), { eventId: 'setup' });
    });

    it('updates status and priority with PUT', async () => {
      await connector().updateTicket(ref, { status: 'pending_vendor', priority: 'critical' });
      expect(zd.server.requests.at(-1)!.json).toEqual({ ticket: { priority: 'urgent', status: 'hold' } });
    });

    it('comments with { body, public } and the event marker', async () => {
      const c = connector();
      await c.addComment(ref, { body: 'Refund on its way', isPublic: true, eventId: 'c1' });
      await c.addComment(ref, { body: 'note to agents', isPublic: false, eventId: 'c2' });
      const comments = zd.tickets.get(Number(ref.externalId))!.comments.slice(1);
      expect(comments.map((c) => [c.body, c.public])).toEqual([
        ['Refund on its way\n\n[triage-ref:c1]', true],
        ['note to agents\n\n[triage-ref:c2]', false],
      ]);
    });

    it('resolves with the assignee and an internal resolution comment, once', async () => {
      const c = connector({ assignee_id: 7 });
      await c.resolve(ref, { resolution: 'Refunded', eventId: 'r1' });
      await c.resolve(ref, { resolution: 'Refunded', eventId: 'r1' });
      const t = zd.tickets.get(Number(ref.externalId))!;
      expect(t.assignee_id).toBe(7);
      expect(t.comments.filter((x) => x.body.includes('[triage-ref:r1]'))).toHaveLength(1);
    });

    it('a closed ticket refuses updates (so closing it again must be a no-op)', async () => {
      const c = connector();
      await c.close(ref);
      await expectItsmError(c.updateTicket(ref, { priority: 'low' }), {
        kind: 'invalid',
        retryable: false,
        status: 422,
      });
    });
  });
});
