/** A medium, pinned-priority ticket of a standard-tier customer, triaged at `atMs` under `policy`. */
import type { SlaPolicy } from '../../src/domain/sla';
import {
  type TicketState,
  applyTriageResult,
  markTriageStarted,
  newTicketState,
} from '../../src/domain/ticket-state';

export function triagedTicket(policy: SlaPolicy, atMs: number): TicketState {
  const base = newTicketState({
    ticketId: 't',
    tenantId: 'x',
    priority: 'medium',
    priorityPinned: true,
    customerTier: 'standard',
    createdAtMs: atMs,
    policy,
  });
  return applyTriageResult(
    markTriageStarted(base, atMs),
    { category: 'billing', suggestedPriority: 'medium' },
    atMs,
  );
}
