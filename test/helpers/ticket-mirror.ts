/** Test fixtures of the ticket mirror the workflow writes (src/stores/ticket-repository.ts). */
import type { TicketMirror } from '../../src/stores/ticket-repository';

/** A mirror snapshot of an unassigned open ticket, but for `fields`. */
export function mirror(fields: Partial<TicketMirror> = {}): TicketMirror {
  return {
    status: 'open',
    priority: 'medium',
    category: null,
    assignee: null,
    escalation_level: 0,
    reopen_count: 0,
    first_response_at: null,
    resolved_at: null,
    closed_at: null,
    sla_state: 'on_track',
    sla_clocks: null,
    ...fields,
  };
}
