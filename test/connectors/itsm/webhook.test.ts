import { createHmac } from 'node:crypto';
import { FakeWebhookReceiver } from '../../fixtures/fake-itsm/webhook-receiver';
import { describeItsmConnectorContract } from './contract';
import { connectorsFor, expectItsmError, snapshot } from './helpers';

const receiver = new FakeWebhookReceiver();
const { connector, withCredentials } = connectorsFor(receiver, () => ({
  tool_type: 'webhook',
  credentials: { secret: receiver.secret },
}));

const WRONG_SECRET = 'a-wrong-secret-that-is-long-enough';

describeItsmConnectorContract({
  system: 'webhook',
  server: () => receiver.server,
  connector: (o) => connector(o?.settings, o?.timeoutMs),
  // The receiver refuses the signature.
  badAuthConnector: () => withCredentials({ secret: WRONG_SECRET }),
  secrets: () => [WRONG_SECRET, receiver.secret],
  isCreate: (r) => JSON.parse(r.rawBody).type === 'ticket.created',
  // The receiver's creations for the ticket (it applies each event id once), by event id.
  ticketsFor: (snap) =>
    receiver.applied
      .filter((event) => event.type === 'ticket.created' && event.ticket_id === snap.ticketId)
      .map((event) => event.event_id as string),
  commentsOf: (ref) =>
    receiver.applied
      .filter((event) => event.type === 'ticket.commented' && event.external_id === ref.externalId)
      .map((event) => ({
        text: event.comment.body,
        isPublic: event.comment.is_public,
        eventId: event.event_id,
      })),
  externalUrl: (ref) => `https://receiver.example/t/${ref.externalId}`,
  statuses: {
    created: 'open',
    resolved: 'resolved',
    closed: 'closed',
    updates: [['in_progress', 'in_progress']],
  },
});

describe('webhook connector', () => {
  it('POSTs the event JSON signed with X-Signature: v1=HMAC("<ts>.<body>") and X-Event-Id', async () => {
    const snap = snapshot();
    const before = receiver.server.requests.length;
    const ref = await connector().createTicket(snap, { eventId: 'evt-created-1' });
    expect(ref.externalId).toMatch(/^EXT-\d+$/);

    const req = receiver.server.requests[before]!;
    const ts = req.headers['x-signature-timestamp'] as string;
    expect(ts).toMatch(/^\d{10}$/);
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(5);
    expect(req.headers['x-signature']).toBe(
      'v1=' + createHmac('sha256', receiver.secret).update(`${ts}.${req.rawBody}`).digest('hex'),
    );
    expect(req.headers['x-event-id']).toBe('evt-created-1');
    const body = JSON.parse(req.rawBody);
    expect(body).toMatchObject({
      event_id: 'evt-created-1',
      type: 'ticket.created',
      tenant_id: 'acme',
      ticket_id: snap.ticketId,
    });
    expect(body.ticket.content).toBe(snap.content);
  });

  it('keeps event_id stable across retries, so the receiver applies the event once', async () => {
    const snap = snapshot();
    receiver.server.inject({ delayMs: 1500 });
    await expectItsmError(connector({}, 400).createTicket(snap, { eventId: 'evt-retry' }), {
      kind: 'timeout',
      retryable: true,
    });
    await connector().createTicket(snap, { eventId: 'evt-retry' });
    const sent = receiver.server.requests.filter((r) => r.headers['x-event-id'] === 'evt-retry');
    expect(sent).toHaveLength(2);
    expect(JSON.parse(sent[0]!.rawBody).event_id).toBe(JSON.parse(sent[1]!.rawBody).event_id);
  });

  it('sends update, comment, resolve and close events; derived event ids are deterministic', async () => {
    const c = connector();
    const ref = await c.createTicket(snapshot(), { eventId: 'evt-c' });
    await c.updateTicket(ref, { status: 'in_progress', priority: 'high' });
    await c.updateTicket(ref, { status: 'in_progress', priority: 'high' }); // same change, same derived id
    await c.addComment(ref, { body: 'hi', isPublic: true, eventId: 'evt-comment' });
    await c.resolve(ref, { resolution: 'done' });
    await c.close(ref);
    const types = receiver.applied.filter((e) => e.external_id === ref.externalId).map((e) => e.type);
    expect(types).toEqual(['ticket.updated', 'ticket.commented', 'ticket.resolved', 'ticket.closed']);
  });

  it('can leave the ticket content out of events', async () => {
    const before = receiver.server.requests.length;
    await connector({ include_content: false }).createTicket(snapshot(), {
      eventId: 'evt-nc',
    });
    const body = JSON.parse(receiver.server.requests[before]!.rawBody);
    expect(body.ticket.content).toBeUndefined();
    expect(body.ticket.priority).toBe('critical');
  });
});
