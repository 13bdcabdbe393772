import { createHmac } from 'node:crypto';
import { createConnector } from '../../../src/connectors/itsm/registry';
import { FakeWebhookReceiver } from '../../fixtures/fake-itsm/webhook-receiver';
import { config, expectItsmError, expectNoSecrets, snapshot, localOutbound } from './helpers';

let receiver: FakeWebhookReceiver;

beforeAll(async () => {
  receiver = await new FakeWebhookReceiver().start();
});
afterAll(() => receiver.stop());
afterEach(() => receiver.server.clearInjections());

const connector = (secret = receiver.secret, timeoutMs = 2000, settings: Record<string, unknown> = {}) =>
  createConnector(
    config({ tool_type: 'webhook', base_url: receiver.url, credentials: { secret }, settings }),
    { timeoutMs, outbound: localOutbound },
  );

describe('webhook connector', () => {
  it('POSTs the event JSON signed with X-Signature: v1=HMAC("<ts>.<body>") and X-Event-Id', async () => {
    const snap = snapshot();
    const before = receiver.server.requests.length;
    const ref = await connector().createTicket(snap, { eventId: 'evt-created-1' });
    expect(ref).toMatchObject({
      system: 'webhook',
      created: true,
      externalId: expect.stringMatching(/^EXT-\d+$/),
      externalStatus: 'open',
    });

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
    await expectItsmError(connector(receiver.secret, 400).createTicket(snap, { eventId: 'evt-retry' }), {
      kind: 'timeout',
      retryable: true,
    });
    await connector().createTicket(snap, { eventId: 'evt-retry' });
    const sent = receiver.server.requests.filter((r) => r.headers['x-event-id'] === 'evt-retry');
    expect(sent).toHaveLength(2);
    expect(JSON.parse(sent[0]!.rawBody).event_id).toBe(JSON.parse(sent[1]!.rawBody).event_id);
    expect(receiver.applied.filter((e) => e.event_id === 'evt-retry')).toHaveLength(1);
  });

  it('sends update, comment, resolve and close events; derived event ids are deterministic', async () => {
    const c = connector();
    const ref = await c.createTicket(snapshot(), { eventId: 'evt-c' });
    await c.updateTicket(ref, { status: 'in_progress', priority: 'high' });
    await c.updateTicket(ref, { status: 'in_progress', priority: 'high' }); // same change, same derived id
    await c.addComment(ref, { body: 'hi', isPublic: true, eventId: 'evt-comment' });
    const resolved = await c.resolve(ref, { resolution: 'done' });
    const closed = await c.close(ref);
    expect(resolved.externalStatus).toBe('resolved');
    expect(closed.externalStatus).toBe('closed');
    const types = receiver.applied.filter((e) => e.external_id === ref.externalId).map((e) => e.type);
    expect(types).toEqual(['ticket.updated', 'ticket.commented', 'ticket.resolved', 'ticket.closed']);
    expect(await c.getStatus(closed)).toEqual({ externalStatus: 'closed', mappedStatus: 'closed' });
  });

  it('can leave the ticket content out of events', async () => {
    const before = receiver.server.requests.length;
    await connector(receiver.secret, 2000, { include_content: false }).createTicket(snapshot(), {
      eventId: 'evt-nc',
    });
    const body = JSON.parse(receiver.server.requests[before]!.rawBody);
    expect(body.ticket.content).toBeUndefined();
    expect(body.ticket.priority).toBe('critical');
  });

  it('a receiver refusing the signature is an auth error without the secret in it', async () => {
    const wrong = 'a-wrong-secret-that-is-long-enough';
    const error = await expectItsmError(connector(wrong).createTicket(snapshot(), { eventId: 'evt-bad' }), {
      kind: 'auth',
      retryable: false,
      status: 401,
    });
    expectNoSecrets(error, [wrong, receiver.secret]);
  });

  it('429 and 5xx from the receiver are retryable', async () => {
    receiver.server.inject({ status: 429, headers: { 'retry-after': '1' } });
    const e = await expectItsmError(connector().createTicket(snapshot(), { eventId: 'evt-429' }), {
      kind: 'rate_limited',
      retryable: true,
    });
    expect(e.retryAfterMs).toBe(1000);
    receiver.server.inject({ status: 500 });
    await expectItsmError(connector().createTicket(snapshot(), { eventId: 'evt-500' }), {
      kind: 'server',
      retryable: true,
    });
  });
});
