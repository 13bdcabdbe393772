/** What the API and ops see of a ticket's clocks and state: computed from the state at a given moment. */
import type { BusinessCalendar, Timeline } from './business-calendar';
import {
  type SlaClock,
  type SlaClockKind,
  type SlaClocks,
  type SlaState,
  clockList,
  clockState,
  deadlineMs,
  elapsedMs,
  remainingMs,
  timelineOf,
  worstState,
} from './sla';
import type { TicketState } from './ticket-state';
import { assertSlaComputable, slaFailureReason } from './ticket-rules';

export interface SlaClockView {
  clock: SlaClockKind;
  cycle: number;
  state: SlaState;
  target_seconds: number;
  elapsed_seconds: number;
  /** Negative once breached. */
  remaining_seconds: number;
  /** The breach time while the clock runs; null while paused or stopped. */
  deadline: string | null;
  stopped_at: string | null;
  warnings_fired: number[];
  breached: boolean;
}

export interface SlaView {
  /** `unavailable`: the ticket's SLA data cannot be computed (see `reason`); the ticket stays workable. */
  state: SlaState | 'unavailable';
  clocks: SlaClockView[];
  reason?: string;
}

export interface TicketLiveView {
  ticket_id: string;
  tenant_id: string;
  status: TicketState['status'];
  priority: TicketState['priority'];
  customer_tier: TicketState['customerTier'];
  category: string | null;
  assignee: string | null;
  escalation_level: number;
  reopen_count: number;
  triage: {
    status: TicketState['triage']['status'];
    category: string | null;
    suggested_priority: TicketState['triage']['suggestedPriority'];
    error: string | null;
  };
  first_response_at: string | null;
  resolved_at: string | null;
  closed_at: string | null;
  sla: SlaView;
  as_of: string;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function clockView(
  clock: SlaClock,
  nowMs: number,
  thresholds: readonly number[],
  timeline: Timeline,
): SlaClockView {
  return {
    clock: clock.kind,
    cycle: clock.cycle,
    state: clockState(clock, nowMs, thresholds, timeline),
    target_seconds: Math.round(clock.targetMs / 1000),
    elapsed_seconds: Math.round(elapsedMs(clock, nowMs, timeline) / 1000),
    remaining_seconds: Math.round(remainingMs(clock, nowMs, timeline) / 1000),
    deadline: iso(deadlineMs(clock, timeline)),
    stopped_at: iso(clock.stoppedAtMs),
    warnings_fired: clock.warningsFired,
    breached: clock.breached,
  };
}

export function slaView(
  clocks: SlaClocks,
  nowMs: number,
  thresholds: readonly number[],
  timeline: Timeline,
): SlaView {
  const views = clockList(clocks).map((clock) => clockView(clock, nowMs, thresholds, timeline));
  return { state: worstState(views.map((v) => v.state)), clocks: views };
}

/**
 * The ticket's SLA view; SLA arithmetic that fails on the ticket's data (a calendar with no open time, a target
 * that is not a number) answers `unavailable` with the reason instead of failing the query or the action.
 */
function liveSlaView(state: TicketState, nowMs: number): SlaView {
  try {
    assertSlaComputable(state);
    return slaView(state.clocks, nowMs, state.policy.warning_thresholds, timelineOf(state.policy));
  } catch (error) {
    return { state: 'unavailable', clocks: [], reason: slaFailureReason(error) };
  }
}

export function toLiveView(state: TicketState, nowMs: number): TicketLiveView {
  return {
    ticket_id: state.ticketId,
    tenant_id: state.tenantId,
    status: state.status,
    priority: state.priority,
    customer_tier: state.customerTier,
    category: state.category,
    assignee: state.assignee,
    escalation_level: state.escalationLevel,
    reopen_count: state.reopenCount,
    triage: {
      status: state.triage.status,
      category: state.triage.category,
      suggested_priority: state.triage.suggestedPriority,
      error: state.triage.error,
    },
    first_response_at: iso(state.firstResponseAtMs),
    resolved_at: iso(state.resolvedAtMs),
    closed_at: iso(state.closedAtMs),
    sla: liveSlaView(state, nowMs),
    as_of: new Date(nowMs).toISOString(),
  };
}

/** The snapshot of a ticket's clocks as the mirror stores it (`tickets.sla_clocks`). */
export interface SlaSnapshot {
  clocks: SlaClocks;
  warning_thresholds: number[];
  calendar: BusinessCalendar | null;
}

/**
 * The earliest deadline among the running clocks; null when none is running, or when the stored data cannot
 * place one (a calendar with no open time, a target that is not a number): the workflow reports those.
 */
export function nearestDeadlineMs(snapshot: SlaSnapshot): number | null {
  try {
    const timeline = timelineOf(snapshot);
    const deadlines = clockList(snapshot.clocks)
      .filter((clock) => clock.stoppedAtMs === null)
      .map((clock) => deadlineMs(clock, timeline))
      .filter((d): d is number => d !== null && Number.isFinite(d));
    return deadlines.length ? Math.min(...deadlines) : null;
  } catch {
    return null;
  }
}

/**
 * The clock an agent should look at first: the running clock due soonest, else the paused clock with the least
 * time left; null when every clock has stopped (met) or there are none.
 */
export function nearestClock(snapshot: SlaSnapshot, nowMs: number): SlaClockView | null {
  try {
    return nearestClockOf(snapshot, nowMs);
  } catch {
    return null; // stored data that cannot place a deadline: no clock to show (the workflow reports why)
  }
}

function nearestClockOf(snapshot: SlaSnapshot, nowMs: number): SlaClockView | null {
  const timeline = timelineOf(snapshot);
  const views = clockList(snapshot.clocks)
    .filter((clock) => clock.stoppedAtMs === null)
    .map((clock) => clockView(clock, nowMs, snapshot.warning_thresholds, timeline));
  const running = views.filter((v) => v.deadline !== null);
  const pool = running.length ? running : views;
  return pool.reduce<SlaClockView | null>(
    (best, v) => (best === null || v.remaining_seconds < best.remaining_seconds ? v : best),
    null,
  );
}
