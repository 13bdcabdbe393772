/** Shared test helpers for the ITSM connectors: snapshots, config building, error assertions (contract.ts uses them). */
import { randomUUID } from 'node:crypto';
import { parseItsmConfig, type ItsmConfig } from '../../../src/connectors/itsm/config';
import { ItsmError, type ItsmErrorKind } from '../../../src/connectors/itsm/http';
import { createConnector } from '../../../src/connectors/itsm/registry';
import type { ItsmConnector, ItsmTicketSnapshot } from '../../../src/connectors/itsm/types';
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

/** A local fake of a tool (test/fixtures/fake-itsm). */
export interface FakeTool {
  readonly server: FakeServer;
  readonly url: string;
  start(): Promise<unknown>;
  stop(): Promise<void>;
}

/**
 * Runs `fake` for the test file (its injections cleared after each test) and builds connectors to it from the
 * tool's configuration, `base`, with settings and credentials overridden per test.
 */
export function connectorsFor(
  fake: FakeTool,
  base: () => { tool_type: string; credentials: Record<string, unknown>; settings?: Record<string, unknown> },
) {
  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  afterEach(() => fake.server.clearInjections());
  const toolConfig = (settings: Record<string, unknown> = {}, credentials?: Record<string, unknown>) => {
    const { tool_type, credentials: baseCredentials, settings: baseSettings } = base();
    return config({
      tool_type,
      base_url: fake.url,
      credentials: credentials ?? baseCredentials,
      settings: { ...baseSettings, ...settings },
    });
  };
  return {
    config: toolConfig,
    connector: (settings: Record<string, unknown> = {}, timeoutMs = 2000): ItsmConnector =>
      createConnector(toolConfig(settings), { timeoutMs, outbound: localOutbound }),
    /** A connector with other credentials (a wrong one, or another kind of authentication). */
    withCredentials: (credentials: Record<string, unknown>): ItsmConnector =>
      createConnector(toolConfig({}, credentials), { outbound: localOutbound }),
  };
}
