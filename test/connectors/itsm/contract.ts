/**
 * The behaviour every ITSM connector must have, run against each one and its local fake of the tool's documented
 * API (jira.test.ts, servicenow.test.ts, zendesk.test.ts, servicedesk-plus.test.ts, webhook.test.ts): create,
 * exactly-once create, update with status mapping, comments once per event id, resolve and close, and how
 * failures and rate limits are classified. Each test file keeps only what is specific to its tool (request
 * shapes, the tool's own fields, its own error signals).
 *
 * The webhook connector only sends events: it cannot look a ticket up, so its exactly-once is the receiver's
 * dedupe on `event_id` and the checks that need a look-up (`lookup`) are skipped for it.
 */
import type { TicketStatus } from '../../../src/domain/vocabulary';
import type { ExternalRef, ItsmConnector, ItsmTicketSnapshot } from '../../../src/connectors/itsm/types';
import type { FakeServer, Injection, RecordedRequest } from '../../fixtures/fake-itsm/server';
import { expectItsmError, expectNoSecrets, snapshot } from './helpers';

export interface ToolComment {
  text: string;
  isPublic: boolean;
  /** The event id the tool recorded with the comment (the `[triage-ref:…]` marker, the webhook's event id). */
  eventId: string | undefined;
}

export interface ItsmContractHarness {
  /** The connector's `system` in refs and errors. */
  system: string;
  server(): FakeServer;
  connector(options?: { settings?: Record<string, unknown>; timeoutMs?: number }): ItsmConnector;
  /** A connector with a wrong credential, which the tool refuses with 401. */
  badAuthConnector(): ItsmConnector;
  /** The secrets in play, none of which may appear in an error. */
  secrets(): string[];
  /** The request that creates the external ticket (its answer is the one lost in the exactly-once check). */
  isCreate(request: RecordedRequest): boolean;
  /** The tool's tickets for our ticket (the webhook receiver: the creations it applied). */
  ticketsFor(snap: ItsmTicketSnapshot): string[];
  /** The comments the tool holds on a ticket, oldest first (not the ticket's description). */
  commentsOf(ref: ExternalRef): ToolComment[];
  externalUrl(ref: ExternalRef): string | null;
  statuses: {
    created: string;
    resolved: string;
    closed: string;
    /** What the closed status maps back to (default `closed`; Jira's one Done status reads as resolved). */
    closedMapsTo?: TicketStatus;
    /** Our statuses an update sets, each with the tool's status it maps to (and back). */
    updates: Array<[TicketStatus, string]>;
  };
  /** Settings of the resolve check (a close code, a resolution name, …). */
  resolveSettings?: Record<string, unknown>;
  /** The tool's own ways of saying "slow down", besides the standard 429 with Retry-After. */
  rateLimitSignals?: Array<{ name: string; injection: Injection; retryAfterMs: number }>;
  /** Tools whose tickets can be looked up (all but the webhook). */
  lookup?: { missingRef(): ExternalRef };
}

/** The `[triage-ref:<event id>]` marker the ticketing tools' connectors append to what they write. */
export function triageRef(text: string): string | undefined {
  return /\[triage-ref:([^\]]+)\]/.exec(text)?.[1];
}

const writesSince = (server: FakeServer, before: number) =>
  server.requests.slice(before).filter((request) => request.method !== 'GET');

export function describeItsmConnectorContract(h: ItsmContractHarness): void {
  const name = h.system;
  /** One request that fails as the injection says: a look-up, or for the webhook an event. */
  const probe = (connector: ItsmConnector, id: string) =>
    h.lookup ? connector.findByCorrelation(id) : connector.createTicket(snapshot(), { eventId: id });

  describe(`ITSM connector contract: ${name}`, () => {
    afterEach(() => h.server().clearInjections());

    it('creates a ticket carrying the correlation key', async () => {
      const snap = snapshot();
      const ref = await h.connector().createTicket(snap, { eventId: 'evt-create' });
      expect(ref).toMatchObject({ system: name, created: true, externalStatus: h.statuses.created });
      expect(ref.externalUrl).toBe(h.externalUrl(ref));
      expect(h.ticketsFor(snap)).toHaveLength(1);
      if (h.lookup) expect(h.ticketsFor(snap)).toEqual([ref.externalId]);
    });

    it('creates exactly once when the activity is retried after creating (crash before the local record)', async () => {
      const snap = snapshot();
      const c = h.connector();
      const first = await c.createTicket(snap, { eventId: 'evt-1' });
      // The worker died before recording `first`; the retried activity calls createTicket again.
      const second = await c.createTicket(snap, { eventId: 'evt-1' });
      if (h.lookup) expect(second).toEqual({ ...first, created: false });
      expect(h.ticketsFor(snap)).toHaveLength(1);
    });

    it('creates exactly once when the create response is lost to a timeout', async () => {
      const snap = snapshot();
      h.server().inject({ delayMs: 1500, match: h.isCreate });
      await expectItsmError(h.connector({ timeoutMs: 400 }).createTicket(snap, { eventId: 'evt-lost' }), {
        kind: 'timeout',
        retryable: true,
      });
      expect(h.ticketsFor(snap)).toHaveLength(1); // the tool did create it
      const retried = await h.connector().createTicket(snap, { eventId: 'evt-lost' });
      const third = await h.connector().createTicket(snap, { eventId: 'evt-lost' });
      expect(h.ticketsFor(snap)).toHaveLength(1);
      if (h.lookup) {
        expect(retried.created).toBe(false);
        expect(third).toEqual(retried);
        expect(retried.externalId).toBe(h.ticketsFor(snap)[0]);
      }
    });

    if (h.lookup) {
      it('finds by correlation, and returns null when nothing carries the key', async () => {
        const snap = snapshot();
        const c = h.connector();
        expect(await c.findByCorrelation(snap.ticketId)).toBeNull();
        const { created: _created, ...ref } = await c.createTicket(snap, { eventId: 'e' });
        expect(await c.findByCorrelation(snap.ticketId)).toEqual(ref);
      });
    }

    describe('on an existing ticket', () => {
      let ref: ExternalRef;
      beforeEach(async () => {
        ref = await h.connector().createTicket(snapshot({ priority: 'low' }), { eventId: 'evt-setup' });
      });

      it('maps the statuses an update sets, and maps them back', async () => {
        const c = h.connector();
        for (const [status, external] of h.statuses.updates) {
          const out = await c.updateTicket(ref, { status });
          expect(out.externalStatus).toBe(external);
          expect(await c.getStatus(out)).toEqual({ externalStatus: external, mappedStatus: status });
        }
      });

      it('adds a comment once per event id, public or internal', async () => {
        const c = h.connector();
        const public1 = { body: 'We are looking into it.', isPublic: true, eventId: 'evt-c1' };
        const first = await c.addComment(ref, public1);
        const again = await c.addComment(ref, public1);
        const internal = await c.addComment(ref, {
          body: 'Refund approved.',
          isPublic: false,
          eventId: 'evt-c2',
        });
        expect(first.created).toBe(true);
        if (h.lookup) {
          expect(again.created).toBe(false);
          // ServiceNow answers a comment write without the journal entry's id; a look-up finds it.
          if (first.externalCommentId !== null)
            expect(again).toEqual({ created: false, externalCommentId: first.externalCommentId });
        }
        expect(internal.created).toBe(true);
        const comments = h.commentsOf(ref);
        expect(comments.map((comment) => [comment.eventId, comment.isPublic])).toEqual([
          ['evt-c1', true],
          ['evt-c2', false],
        ]);
        expect(comments[0]!.text).toContain('We are looking into it.');
        expect(comments[1]!.text).toContain('Refund approved.');
      });

      it('resolves to the resolved status, and a retried resolve adds nothing', async () => {
        const c = h.connector({ settings: h.resolveSettings });
        const resolved = await c.resolve(ref, { resolution: 'Refunded', eventId: 'evt-r' });
        expect(resolved.externalStatus).toBe(h.statuses.resolved);
        expect(await c.getStatus(resolved)).toEqual({
          externalStatus: h.statuses.resolved,
          mappedStatus: 'resolved',
        });
        const comments = h.commentsOf(ref).length;
        const again = await c.resolve(ref, { resolution: 'Refunded', eventId: 'evt-r' });
        expect(again.externalStatus).toBe(h.statuses.resolved);
        expect(h.commentsOf(ref)).toHaveLength(comments);
      });

      it('closes, and closing a closed ticket writes nothing', async () => {
        const c = h.connector();
        const closed = await c.close(ref);
        expect(closed.externalStatus).toBe(h.statuses.closed);
        expect(await c.getStatus(closed)).toEqual({
          externalStatus: h.statuses.closed,
          mappedStatus: h.statuses.closedMapsTo ?? 'closed',
        });
        if (h.lookup) {
          const before = h.server().requests.length;
          expect((await c.close(ref)).externalStatus).toBe(h.statuses.closed);
          expect(writesSince(h.server(), before)).toHaveLength(0);
        }
      });

      if (h.lookup) {
        it('without auto-transition, resolve leaves the status', async () => {
          const c = h.connector({ settings: { auto_transition_on_resolve: false } });
          const out = await c.resolve(ref, { resolution: 'Workaround sent', eventId: 'evt-nr' });
          expect(out.externalStatus).toBe(h.statuses.created);
          expect((await h.connector().getStatus(ref)).externalStatus).toBe(h.statuses.created);
        });
      }
    });

    describe('failures are classified', () => {
      it('401 → auth, not retryable, and no credential in the error', async () => {
        const error = await expectItsmError(
          h.badAuthConnector().createTicket(snapshot(), { eventId: 'e-auth' }),
          { kind: 'auth', retryable: false, status: 401 },
        );
        expect(error.system).toBe(name);
        expectNoSecrets(error, h.secrets());
      });

      if (h.lookup) {
        const { missingRef } = h.lookup;
        it('404 → not_found', async () => {
          await expectItsmError(h.connector().getStatus(missingRef()), {
            kind: 'not_found',
            retryable: false,
            status: 404,
          });
        });
      }

      it('409 → conflict, not retryable', async () => {
        h.server().inject({ status: 409, body: { error: 'conflict' } });
        await expectItsmError(probe(h.connector(), 't-409'), {
          kind: 'conflict',
          retryable: false,
          status: 409,
        });
      });

      it('429 with Retry-After seconds → rate_limited, retryable, retryAfterMs', async () => {
        h.server().inject({ status: 429, headers: { 'retry-after': '2' }, body: { error: 'slow down' } });
        const error = await expectItsmError(probe(h.connector(), 't-429'), {
          kind: 'rate_limited',
          retryable: true,
          status: 429,
        });
        expect(error.retryAfterMs).toBe(2000);
      });

      it('429 with an HTTP-date Retry-After is parsed too', async () => {
        const at = new Date(Date.now() + 3000).toUTCString();
        h.server().inject({ status: 429, headers: { 'retry-after': at } });
        const error = await expectItsmError(probe(h.connector(), 't-429d'), {
          kind: 'rate_limited',
          retryable: true,
        });
        expect(error.retryAfterMs).toBeGreaterThan(1000);
        expect(error.retryAfterMs).toBeLessThanOrEqual(3000);
      });

      for (const signal of h.rateLimitSignals ?? []) {
        it(`${signal.name} → rate_limited, retryable, retryAfterMs`, async () => {
          h.server().inject(signal.injection);
          const error = await expectItsmError(probe(h.connector(), 't-rl'), {
            kind: 'rate_limited',
            retryable: true,
          });
          expect(error.retryAfterMs).toBe(signal.retryAfterMs);
        });
      }

      it('5xx → server, retryable', async () => {
        h.server().inject({ status: 503, body: 'upstream unavailable' });
        await expectItsmError(probe(h.connector(), 't-503'), {
          kind: 'server',
          retryable: true,
          status: 503,
        });
        h.server().inject({ status: 500 });
        await expectItsmError(probe(h.connector(), 't-500'), {
          kind: 'server',
          retryable: true,
          status: 500,
        });
      });

      it('a slow answer → timeout, retryable', async () => {
        h.server().inject({ delayMs: 1500 });
        const started = Date.now();
        await expectItsmError(probe(h.connector({ timeoutMs: 100 }), 't-slow'), {
          kind: 'timeout',
          retryable: true,
        });
        expect(Date.now() - started).toBeLessThan(1200);
      });
    });
  });
}
