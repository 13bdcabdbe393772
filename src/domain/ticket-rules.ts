/**
 * Rules the ticket workflow applies at its decision points, kept here so they are pure and unit-tested: which
 * SLA alert is owed next, what firing it changes, how far an automatic escalation goes, what the Postgres mirror
 * and the search attributes say about a state.
 */
import {
  type SlaAlert,
  type SlaClock,
  type SlaClockKind,
  clockList,
  clockState,
  mapClocks,
  markAlertFired,
  nextAlert,
  timelineOf,
} from './sla';
import { type TicketState, applyBreachEscalation, ticketSlaState } from './ticket-state';
import type { TicketStatus } from './vocabulary';

/**
 * The ticket's data makes SLA arithmetic impossible (a target that is not a number, a policy missing a
 * priority): the API refuses such policies, but an older row or a direct edit may still hold one.
 */
export class SlaDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SlaDataError';
  }
}

/**
 * The alert due first over all of the ticket's running clocks; null when no clock owes one. Throws
 * CalendarHorizonError (no open time to place a deadline in) or SlaDataError (a deadline that is not a number).
 */
export function earliestAlert(state: TicketState): SlaAlert | null {
  assertSlaComputable(state);
  const timeline = timelineOf(state.policy);
  const alerts = clockList(state.clocks).map((clock) =>
    nextAlert(clock, state.policy.warning_thresholds, timeline),
  );
  for (const alert of alerts) {
    if (alert && !Number.isFinite(alert.dueAtMs)) {
      throw new SlaDataError(
        `the ${alert.clock} deadline is not a number: the SLA policy's targets are invalid`,
      );
    }
  }
  return alerts.reduce<SlaAlert | null>((min, a) => (a && (!min || a.dueAtMs < min.dueAtMs) ? a : min), null);
}

/** Throws SlaDataError when a clock's target is not a number (the policy's targets or multipliers are bad). */
export function assertSlaComputable(state: Pick<TicketState, 'clocks'>): void {
  for (const clock of clockList(state.clocks)) {
    if (!Number.isFinite(clock.targetMs)) {
      throw new SlaDataError(
        `the ${clock.kind} target is not a number: the SLA policy's targets or tier multipliers are invalid`,
      );
    }
  }
}

/** What SLA arithmetic that failed on the ticket's data says, for the ticket's record. */
export function slaFailureReason(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * The state after an alert fired: the alert marked on its clock (never owed again) and, for a breach, the
 * policy's escalation applied. `changes` lists what the escalation changed (empty for a warning);
 * `firedClock` is the clock as it fired, before an escalation retargeted it.
 */
export function fireAlert(
  state: TicketState,
  alert: SlaAlert,
): { state: TicketState; changes: Record<string, unknown>; firedClock: SlaClock } {
  const marked: TicketState = {
    ...state,
    clocks: mapClocks(state.clocks, (c) =>
      c.kind === alert.clock && c.cycle === alert.cycle ? markAlertFired(c, alert) : c,
    ),
  };
  const firedClock = clockList(marked.clocks).find((c) => c.kind === alert.clock)!;
  const escalated = alert.kind === 'breach' ? applyBreachEscalation(marked) : { state: marked, changes: {} };
  return { ...escalated, firedClock };
}

/** Seed 004: a warning raises the alert's escalation level to 1, a breach to 2, never below the ticket's. */
export function alertEscalationLevel(alert: Pick<SlaAlert, 'kind'>, ticketLevel: number): number {
  return Math.max(alert.kind === 'warning' ? 1 : 2, ticketLevel);
}

/** An automatic escalation goes at least one level above the ticket's current one. */
export function triggerEscalationLevel(triggerLevel: number, ticketLevel: number): number {
  return Math.max(triggerLevel, ticketLevel + 1);
}

/** When a resolved ticket closes by itself; null while it is not resolved. */
export function autoCloseAt(state: TicketState, autoCloseAfterMs: number): number | null {
  return state.status === 'resolved' && state.resolvedAtMs !== null
    ? state.resolvedAtMs + autoCloseAfterMs
    : null;
}

/** The ticket row in Postgres, as the workflow writes it after every change. */
export interface TicketMirror {
  status: TicketStatus;
  priority: string;
  category: string | null;
  assignee: string | null;
  escalation_level: number;
  reopen_count: number;
  first_response_at: string | null;
  resolved_at: string | null;
  closed_at: string | null;
  sla_state: string;
  sla_clocks: unknown;
}

export function ticketMirror(state: TicketState, nowMs: number): TicketMirror {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    status: state.status,
    priority: state.priority,
    category: state.category,
    assignee: state.assignee,
    escalation_level: state.escalationLevel,
    reopen_count: state.reopenCount,
    first_response_at: iso(state.firstResponseAtMs),
    resolved_at: iso(state.resolvedAtMs),
    closed_at: iso(state.closedAtMs),
    sla_state: ticketSlaState(state, nowMs),
    sla_clocks: {
      clocks: state.clocks,
      warning_thresholds: state.policy.warning_thresholds,
      calendar: state.policy.calendar,
    },
  };
}

/** Each clock's state as `clock:state`, the SlaClocks search attribute. */
export function clockStates(state: TicketState, nowMs: number): `${SlaClockKind}:${string}`[] {
  const timeline = timelineOf(state.policy);
  return clockList(state.clocks).map(
    (clock) =>
      `${clock.kind}:${clockState(clock, nowMs, state.policy.warning_thresholds, timeline)}` as const,
  );
}

export type ItsmSyncState = 'pending' | 'synced' | 'failed' | 'not_configured';

/**
 * The ItsmSync search attribute: events waiting win over a past failure, which wins over all synced; a tenant
 * without an ITSM tool is `not_configured` once its first event found none.
 */
export function itsmSyncState(queued: number, failed: number, configured = true): ItsmSyncState {
  if (queued > 0) return 'pending';
  if (failed > 0) return 'failed';
  return configured ? 'synced' : 'not_configured';
}
