/** Shared test helpers for the ITSM connectors: snapshots, config building, error assertions. */
import { randomUUID } from 'node:crypto';
import { parseItsmConfig, type ItsmConfig } from '../../../src/connectors/itsm/config';
import { ItsmError, type ItsmErrorKind } from '../../../src/connectors/itsm/http';
import type { ExternalRef, ItsmConnector, ItsmTicketSnapshot } from '../../../src/connectors/itsm/types';
import type { FakeServer } from '../../fixtures/fake-itsm/server';
import { LOOPBACK_NETWORKS, createOutboundPolicy } from '../../../src/platform/net/outbound-policy';

/** The fake tools listen on 127.0.0.1: connectors under test get a policy that allows loopback (as in tests). */
export const localOutbound = createOutboundPolicy({ allow: LOOPBACK_NETWORKS });

export function snapshot(overrides: Partial<ItsmTicketSnapshot> = {}): ItsmTicketSnapshot {
  const ticketId = overrides.ticketId ?? randomUUID();
  return {
    ticketId,
    tenantId: 'acme',
    title: 'Charged twice this month',
    content: 'I was charged twice this month, please refund.\nOrder #4411.',
    status: 'open',
    priority: 'critical',
    category: 'billing',
    customerTier: 'enterprise',
    requesterEmail: 'customer@example.com',
    assignee: null,
    url: `https://triage.example/tickets/${ticketId}`,
    ...overrides,
  };
}

export function config(input: unknown): ItsmConfig {
  const result = parseItsmConfig(input);
  if (!result.ok) throw new Error(`bad test config: ${JSON.stringify(result.errors)}`);
  return result.config;
}

/** Awaits a rejection and checks it is an ItsmError of the expected kind; returns it. */
export async function expectItsmError(
  promise: Promise<unknown>,
  expected: { kind: ItsmErrorKind; retryable: boolean; status?: number },
): Promise<ItsmError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ItsmError);
  const error = caught as ItsmError;
  expect({ kind: error.kind, retryable: error.retryable }).toEqual({
    kind: expected.kind,
    retryable: expected.retryable,
  });
  if (expected.status !== undefined) expect(error.status).toBe(expected.status);
  return error;
}

export function expectNoSecrets(error: unknown, secrets: string[]): void {
  const text = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack ?? ''}`;
  for (const secret of secrets) expect(text).not.toContain(secret);
}

export interface ErrorBehaviourContext {
  server: () => FakeServer;
  connector: (options?: { timeoutMs?: number }) => ItsmConnector;
  badAuthConnector: () => ItsmConnector;
  /** A ref to an external ticket that does not exist. */
  missingRef: () => ExternalRef;
  /** The secrets in play, none of which may appear in an error. */
  secrets: () => string[];
}

/** The failure classification every connector must show against its fake. */
export function describeErrorBehaviour(name: string, ctx: ErrorBehaviourContext): void {
  describe(`${name}: failures are classified`, () => {
    afterEach(() => ctx.server().clearInjections());

    it('401 → auth, not retryable, and no credential in the error', async () => {
      const error = await expectItsmError(
        ctx.badAuthConnector().createTicket(snapshot(), { eventId: 'e-auth' }),
        {
          kind: 'auth',
          retryable: false,
          status: 401,
        },
      );
      expect(error.system).toBe(name);
      expectNoSecrets(error, ctx.secrets());
    });

    it('404 → not_found', async () => {
      await expectItsmError(ctx.connector().getStatus(ctx.missingRef()), {
        kind: 'not_found',
        retryable: false,
        status: 404,
      });
    });

    it('409 → conflict, not retryable', async () => {
      ctx.server().inject({ status: 409, body: { error: 'conflict' } });
      await expectItsmError(ctx.connector().findByCorrelation('t-409'), {
        kind: 'conflict',
        retryable: false,
        status: 409,
      });
    });

    it('429 with Retry-After seconds → rate_limited, retryable, retryAfterMs', async () => {
      ctx.server().inject({ status: 429, headers: { 'retry-after': '2' }, body: { error: 'slow down' } });
      const error = await expectItsmError(ctx.connector().findByCorrelation('t-429'), {
        kind: 'rate_limited',
        retryable: true,
        status: 429,
      });
      expect(error.retryAfterMs).toBe(2000);
    });

    it('429 with an HTTP-date Retry-After is parsed too', async () => {
      const at = new Date(Date.now() + 3000).toUTCString();
      ctx.server().inject({ status: 429, headers: { 'retry-after': at } });
      const error = await expectItsmError(ctx.connector().findByCorrelation('t-429d'), {
        kind: 'rate_limited',
        retryable: true,
      });
      expect(error.retryAfterMs).toBeGreaterThan(1000);
      expect(error.retryAfterMs).toBeLessThanOrEqual(3000);
    });

    it('5xx → server, retryable', async () => {
      ctx.server().inject({ status: 503, body: 'upstream unavailable' });
      await expectItsmError(ctx.connector().findByCorrelation('t-503'), {
        kind: 'server',
        retryable: true,
        status: 503,
      });
    });

    it('a slow answer → timeout, retryable', async () => {
      ctx.server().inject({ delayMs: 1500 });
      const started = Date.now();
      await expectItsmError(ctx.connector({ timeoutMs: 100 }).findByCorrelation('t-slow'), {
        kind: 'timeout',
        retryable: true,
      });
      expect(Date.now() - started).toBeLessThan(1200);
    });
  });
}
