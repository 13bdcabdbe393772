/**
 * A new ticket's workflow starts with the search attributes its first publish would set, so that publish upserts
 * nothing (a history event and a visibility write fewer per ticket); a policy whose SLA arithmetic fails still
 * starts the ticket, with the attributes that need no SLA. The workflow's side: test/workflows/workflow-types.test.ts.
 */
import type { SearchAttributePair } from '@temporalio/common';
import { startSearchAttributes } from '../../src/api/workflow-gateway';
import { DEFAULT_SLA_POLICY, type SlaPolicy } from '../../src/domain/sla';
import type { TicketWorkflowInput } from '../../src/workflows/messages';

const input: TicketWorkflowInput = {
  ticketId: '6f1d9d3e-8c51-4a3e-9d8e-2f5b1b0f7a10',
  tenantId: '0b7e5c4a-1f2d-4c3b-8a9e-6d5f4e3c2b1a',
  priority: 'high',
  priorityPinned: false,
  customerTier: 'enterprise',
  createdAtMs: Date.now(),
  policy: DEFAULT_SLA_POLICY,
  autoCloseAfterMs: 7 * 24 * 3600_000,
};

const byName = (pairs: SearchAttributePair[]) =>
  Object.fromEntries(pairs.map(({ key, value }) => [key.name, value]));

test('a new ticket: every attribute its first publish sets, with the ITSM state the API knows', () => {
  expect(byName(startSearchAttributes({ ...input, carriedItsmConfigured: false }))).toEqual({
    TenantId: input.tenantId,
    CustomerTier: 'enterprise',
    TicketStatus: 'new',
    TicketPriority: 'high',
    EscalationLevel: 0,
    SlaState: 'on_track',
    SlaClocks: ['first_response:on_track', 'resolution:on_track'],
    ItsmSync: 'not_configured',
  });
  // A tool, or not known: what the workflow shows before its outbox takes the first event.
  expect(byName(startSearchAttributes({ ...input, carriedItsmConfigured: true })).ItsmSync).toBe('synced');
  expect(byName(startSearchAttributes(input)).ItsmSync).toBe('synced');
});

test('a policy whose SLA arithmetic fails: the ticket still starts, with the attributes that need no SLA', () => {
  // A policy without targets at all (a hand-edited row): newTicketState cannot start its clocks.
  const broken = { calendar: DEFAULT_SLA_POLICY.calendar } as unknown as SlaPolicy;
  expect(byName(startSearchAttributes({ ...input, policy: broken }))).toEqual({
    TenantId: input.tenantId,
    CustomerTier: 'enterprise',
    TicketStatus: 'new',
    TicketPriority: 'high',
    EscalationLevel: 0,
  });
});
