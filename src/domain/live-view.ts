/** What the API and ops see of a ticket's clocks and state: computed from the state at a given moment. */
import {
  type SlaClock,
  type SlaClockKind,
  type SlaState,
  SLA_CLOCK_KINDS,
  clockState,
  deadlineMs,
  elapsedMs,
  remainingMs,
  worstState,
} from './sla';
import type { TicketState } from './ticket-state';

export interface SlaClockView {
  clock: SlaClockKind;
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
  state: SlaState;
  clocks: SlaClockView[];
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
  triage: TicketState['triage'];
  first_response_at: string | null;
  resolved_at: string | null;
  closed_at: string | null;
  sla: SlaView;
  as_of: string;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function clockView(clock: SlaClock, nowMs: number, thresholds: readonly number[]): SlaClockView {
  return {
    clock: clock.kind,
    state: clockState(clock, nowMs, thresholds),
    target_seconds: Math.round(clock.targetMs / 1000),
    elapsed_seconds: Math.round(elapsedMs(clock, nowMs) / 1000),
    remaining_seconds: Math.round(remainingMs(clock, nowMs) / 1000),
    deadline: iso(deadlineMs(clock)),
    stopped_at: iso(clock.stoppedAtMs),
    warnings_fired: clock.warningsFired,
    breached: clock.breached,
  };
}

export function slaView(
  clocks: Record<SlaClockKind, SlaClock>,
  nowMs: number,
  thresholds: readonly number[],
): SlaView {
  const views = SLA_CLOCK_KINDS.map((kind) => clockView(clocks[kind], nowMs, thresholds));
  return { state: worstState(views.map((v) => v.state)), clocks: views };
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
    triage: state.triage,
    first_response_at: iso(state.firstResponseAtMs),
    resolved_at: iso(state.resolvedAtMs),
    closed_at: iso(state.closedAtMs),
    sla: slaView(state.clocks, nowMs, state.policy.warning_thresholds),
    as_of: new Date(nowMs).toISOString(),
  };
}
