/**
 * What a change made in the tenant's ITSM tool does to our ticket: a comment, a resolve, a close, a reopen, or
 * nothing. Pure, so the rule is tested apart from the route that applies it.
 */
import type { TicketStatus } from './vocabulary';

export type InboundChange =
  | { action: 'comment'; body: string; isPublic: boolean }
  | { action: 'resolve' | 'close' | 'reopen'; reason: string };

export interface InboundFacts {
  kind: 'status_changed' | 'comment_added' | 'resolved' | 'closed' | 'ignored';
  mappedStatus?: TicketStatus | null;
  comment?: { body: string; isPublic: boolean };
}

export function inboundChange(
  event: InboundFacts,
  ticketStatus: TicketStatus,
  tool: string,
): InboundChange | null {
  if (event.kind === 'comment_added') {
    return event.comment
      ? { action: 'comment', body: event.comment.body, isPublic: event.comment.isPublic }
      : null;
  }
  const target = event.kind === 'status_changed' ? event.mappedStatus : event.kind;
  if (target === 'resolved') return { action: 'resolve', reason: `resolved in ${tool}` };
  if (target === 'closed') return { action: 'close', reason: `closed in ${tool}` };
  if ((target === 'open' || target === 'in_progress') && ticketStatus === 'resolved') {
    return { action: 'reopen', reason: `reopened in ${tool}` };
  }
  return null;
}
