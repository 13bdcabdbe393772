/**
 * SLA clock arithmetic: pure functions over plain data, so the workflow can hold clocks in its state and
 * tests can exercise every rule without Temporal. Times are epoch milliseconds.
 */
import { type BusinessCalendar, type Timeline, WALL_CLOCK, businessTimeline } from './business-calendar';
import type { CustomerTier, Priority, TicketStatus } from './vocabulary';

export const SLA_CLOCK_KINDS = ['first_response', 'next_reply', 'resolution'] as const;
export type SlaClockKind = (typeof SLA_CLOCK_KINDS)[number];

export const SLA_STATES = ['on_track', 'at_risk', 'breached', 'met', 'paused'] as const;
export type SlaState = (typeof SLA_STATES)[number];

export interface SlaTarget {
  first_response_seconds: number;
  resolution_seconds: number;
  /** From a customer message after an agent reply to the next public agent reply; none if unset. */
  next_reply_seconds?: number;
}

export interface SlaEscalationPolicy {
  /** On breach: raise the ticket's priority one step. */
  raise_priority: boolean;
  /** On breach: raise the ticket's escalation level to at least this. */
  escalation_level: number | null;
  /** On breach: reassign the ticket to this agent or group. */
  reassign_to: string | null;
  /** Send warnings and breaches to the tenant's notification targets. */
  notify: boolean;
}

export interface SlaPolicy {
  targets: Record<Priority, SlaTarget>;
  tier_multipliers: Record<CustomerTier, number>;
  /** Fractions of the target elapsed at which a warning fires; seed 004's "≤15% remaining" is 0.85. */
  warning_thresholds: number[];
  /** Statuses in which the clocks stop counting. */
  pause_statuses: TicketStatus[];
  /** Business hours; null means around the clock. */
  calendar: BusinessCalendar | null;
  /** What a reopen does to the resolution clock: resume with the time spent (Znuny) or start afresh. */
  resolution_on_reopen: 'resume' | 'restart';
  escalation: SlaEscalationPolicy;
}

const MINUTE = 60;
const HOUR = 3600;

/** Seed 004's table: a good default for every new tenant. */
export const DEFAULT_SLA_POLICY: SlaPolicy = {
  targets: {
    critical: { first_response_seconds: 15 * MINUTE, resolution_seconds: 2 * HOUR },
    high: { first_response_seconds: 30 * MINUTE, resolution_seconds: 4 * HOUR },
    medium: { first_response_seconds: 2 * HOUR, resolution_seconds: 8 * HOUR },
    low: { first_response_seconds: 4 * HOUR, resolution_seconds: 24 * HOUR },
  },
  tier_multipliers: {
    enterprise: 0.5,
    business: 0.75,
    standard: 1.0,
    free: 1.5,
    // seed 000's tiers, placed beside the nearest of seed 004's
    global_enterprise: 0.5,
    professional: 0.75,
    starter: 1.0,
  },
  warning_thresholds: [0.85],
  pause_statuses: ['pending_customer', 'pending_vendor'],
  calendar: null,
  resolution_on_reopen: 'resume',
  escalation: { raise_priority: false, escalation_level: null, reassign_to: null, notify: true },
};

const timelines = new WeakMap<BusinessCalendar, Timeline>();
/** How a policy counts time: wall-clock time, or business time in its calendar. */
export function timelineOf(policy: Pick<SlaPolicy, 'calendar'>): Timeline {
  if (!policy.calendar) return WALL_CLOCK;
  let timeline = timelines.get(policy.calendar);
  if (!timeline) {
    timeline = businessTimeline(policy.calendar);
    timelines.set(policy.calendar, timeline);
  }
  return timeline;
}

export interface SlaClock {
  kind: SlaClockKind;
  /** Which run of this clock: next-reply clocks (and restarted resolution clocks) run several times. */
  cycle: number;
  targetMs: number;
  /** Running time accumulated before `runningSinceMs` (pauses and stops fold time in here). */
  elapsedMs: number;
  /** When the current running stretch began; null while paused or stopped. */
  runningSinceMs: number | null;
  /** Set when the clock's goal was reached (first reply sent, ticket resolved). */
  stoppedAtMs: number | null;
  /** Warning thresholds that have already fired: each fires once per clock. */
  warningsFired: number[];
  breached: boolean;
}

/** A ticket's clocks; the next-reply clock exists once a customer has written after an agent reply. */
export interface SlaClocks {
  first_response: SlaClock;
  next_reply: SlaClock | null;
  resolution: SlaClock;
}

export function clockList(clocks: SlaClocks): SlaClock[] {
  return [clocks.first_response, clocks.next_reply, clocks.resolution].filter(
    (c): c is SlaClock => c !== null,
  );
}

/** Applies a change to every clock the ticket has. */
export function mapClocks(clocks: SlaClocks, change: (clock: SlaClock) => SlaClock): SlaClocks {
  return {
    first_response: change(clocks.first_response),
    next_reply: clocks.next_reply && change(clocks.next_reply),
    resolution: change(clocks.resolution),
  };
}

export interface SlaAlert {
  clock: SlaClockKind;
  cycle: number;
  kind: 'warning' | 'breach';
  /** The fraction of the target elapsed that triggers it (1 for a breach). */
  threshold: number;
  /** When the alert was due, by the clock's arithmetic. */
  dueAtMs: number;
  /** The clock's deadline (the breach time) when the alert fired. */
  deadlineMs: number;
}

export function targetSeconds(
  policy: SlaPolicy,
  kind: SlaClockKind,
  priority: Priority,
  tier: CustomerTier,
): number {
  const target = policy.targets[priority];
  const base =
    kind === 'first_response'
      ? target.first_response_seconds
      : kind === 'resolution'
        ? target.resolution_seconds
        : (target.next_reply_seconds ?? target.first_response_seconds);
  const multiplier = policy.tier_multipliers[tier] ?? 1;
  return Math.max(1, Math.round(base * multiplier));
}

export function startClock(kind: SlaClockKind, targetMs: number, nowMs: number, cycle = 0): SlaClock {
  return {
    kind,
    cycle,
    targetMs,
    elapsedMs: 0,
    runningSinceMs: nowMs,
    stoppedAtMs: null,
    warningsFired: [],
    breached: false,
  };
}

export function elapsedMs(clock: SlaClock, nowMs: number, timeline: Timeline = WALL_CLOCK): number {
  return (
    clock.elapsedMs + (clock.runningSinceMs === null ? 0 : timeline.between(clock.runningSinceMs, nowMs))
  );
}

export function remainingMs(clock: SlaClock, nowMs: number, timeline: Timeline = WALL_CLOCK): number {
  return clock.targetMs - elapsedMs(clock, nowMs, timeline);
}

/** The instant at which the clock has run `runMs` in all, if it keeps running. */
function instantAtElapsed(
  clock: SlaClock & { runningSinceMs: number },
  runMs: number,
  timeline: Timeline,
): number {
  return timeline.add(clock.runningSinceMs, runMs - clock.elapsedMs);
}

/** The breach time if the clock keeps running; null while paused or stopped (no deadline is ticking). */
export function deadlineMs(clock: SlaClock, timeline: Timeline = WALL_CLOCK): number | null {
  if (clock.runningSinceMs === null) return null;
  return instantAtElapsed(clock as SlaClock & { runningSinceMs: number }, clock.targetMs, timeline);
}

export function isRunning(clock: SlaClock): boolean {
  return clock.runningSinceMs !== null;
}

export function pauseClock(clock: SlaClock, nowMs: number, timeline: Timeline = WALL_CLOCK): SlaClock {
  if (clock.runningSinceMs === null) return clock;
  return { ...clock, elapsedMs: elapsedMs(clock, nowMs, timeline), runningSinceMs: null };
}

export function resumeClock(clock: SlaClock, nowMs: number): SlaClock {
  if (clock.runningSinceMs !== null || clock.stoppedAtMs !== null) return clock;
  return { ...clock, runningSinceMs: nowMs };
}

/** The goal was reached: the clock stops for good (until a reopen restarts it). */
export function stopClock(clock: SlaClock, nowMs: number, timeline: Timeline = WALL_CLOCK): SlaClock {
  if (clock.stoppedAtMs !== null) return clock;
  return { ...pauseClock(clock, nowMs, timeline), stoppedAtMs: nowMs };
}

/** A stopped clock runs again: resuming with the time already spent, or as a fresh cycle from zero. */
export function restartClock(
  clock: SlaClock,
  nowMs: number,
  mode: 'resume' | 'restart' = 'resume',
): SlaClock {
  if (clock.stoppedAtMs === null) return clock;
  if (mode === 'restart') return startClock(clock.kind, clock.targetMs, nowMs, clock.cycle + 1);
  return { ...clock, stoppedAtMs: null, runningSinceMs: nowMs };
}

/** Priority or tier changed: the elapsed time stays, the target moves. Alerts already fired stay fired. */
export function retargetClock(clock: SlaClock, targetMs: number): SlaClock {
  return { ...clock, targetMs };
}

export function clockState(
  clock: SlaClock,
  nowMs: number,
  thresholds: readonly number[],
  timeline: Timeline = WALL_CLOCK,
): SlaState {
  const elapsed = elapsedMs(clock, nowMs, timeline);
  if (clock.breached || elapsed >= clock.targetMs) return 'breached';
  if (clock.stoppedAtMs !== null) return 'met';
  if (clock.runningSinceMs === null) return 'paused';
  const lowest = Math.min(...thresholds, 1);
  return elapsed >= lowest * clock.targetMs ? 'at_risk' : 'on_track';
}

/** The next alert this clock owes, if it keeps running: the earliest unfired warning, or the breach. */
export function nextAlert(
  clock: SlaClock,
  thresholds: readonly number[],
  timeline: Timeline = WALL_CLOCK,
): SlaAlert | null {
  if (clock.runningSinceMs === null || clock.breached) return null;
  const running = clock as SlaClock & { runningSinceMs: number };
  const deadline = instantAtElapsed(running, clock.targetMs, timeline);
  const base = { clock: clock.kind, cycle: clock.cycle, deadlineMs: deadline };
  const pending = thresholds
    .filter((t) => t > 0 && t < 1 && !clock.warningsFired.includes(t))
    .sort((a, b) => a - b);
  for (const threshold of pending) {
    const dueAtMs = instantAtElapsed(running, threshold * clock.targetMs, timeline);
    return { ...base, kind: 'warning', threshold, dueAtMs };
  }
  return { ...base, kind: 'breach', threshold: 1, dueAtMs: deadline };
}

/** Marks an alert as fired on its clock, so it is never owed again. */
export function markAlertFired(clock: SlaClock, alert: SlaAlert): SlaClock {
  if (alert.kind === 'breach') return { ...clock, breached: true };
  return { ...clock, warningsFired: [...clock.warningsFired, alert.threshold] };
}

/** Worst state first: the ticket's overall SLA state is the worst of its clocks. */
const SEVERITY: Record<SlaState, number> = { breached: 4, at_risk: 3, on_track: 2, paused: 1, met: 0 };

export function worstState(states: readonly SlaState[]): SlaState {
  return states.reduce<SlaState>((worst, s) => (SEVERITY[s] > SEVERITY[worst] ? s : worst), 'met');
}
