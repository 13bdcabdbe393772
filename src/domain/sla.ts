/**
 * SLA clock arithmetic: pure functions over plain data, so the workflow can hold clocks in its state and
 * tests can exercise every rule without Temporal. Times are epoch milliseconds.
 */
import type { CustomerTier, Priority, TicketStatus } from './vocabulary';

export const SLA_CLOCK_KINDS = ['first_response', 'resolution'] as const;
export type SlaClockKind = (typeof SLA_CLOCK_KINDS)[number];

export const SLA_STATES = ['on_track', 'at_risk', 'breached', 'met', 'paused'] as const;
export type SlaState = (typeof SLA_STATES)[number];

export interface SlaTarget {
  first_response_seconds: number;
  resolution_seconds: number;
}

export interface SlaPolicy {
  targets: Record<Priority, SlaTarget>;
  tier_multipliers: Record<CustomerTier, number>;
  /** Fractions of the target elapsed at which a warning fires; seed 004's "≤15% remaining" is 0.85. */
  warning_thresholds: number[];
  /** Statuses in which the clocks stop counting. */
  pause_statuses: TicketStatus[];
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
};

export interface SlaClock {
  kind: SlaClockKind;
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

export interface SlaAlert {
  clock: SlaClockKind;
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
  const base =
    kind === 'first_response'
      ? policy.targets[priority].first_response_seconds
      : policy.targets[priority].resolution_seconds;
  const multiplier = policy.tier_multipliers[tier] ?? 1;
  return Math.max(1, Math.round(base * multiplier));
}

export function startClock(kind: SlaClockKind, targetMs: number, nowMs: number, running = true): SlaClock {
  return {
    kind,
    targetMs,
    elapsedMs: 0,
    runningSinceMs: running ? nowMs : null,
    stoppedAtMs: null,
    warningsFired: [],
    breached: false,
  };
}

export function elapsedMs(clock: SlaClock, nowMs: number): number {
  return clock.elapsedMs + (clock.runningSinceMs === null ? 0 : Math.max(0, nowMs - clock.runningSinceMs));
}

export function remainingMs(clock: SlaClock, nowMs: number): number {
  return clock.targetMs - elapsedMs(clock, nowMs);
}

/** The breach time if the clock keeps running; null while paused or stopped (no deadline is ticking). */
export function deadlineMs(clock: SlaClock): number | null {
  if (clock.runningSinceMs === null) return null;
  return clock.runningSinceMs + clock.targetMs - clock.elapsedMs;
}

export function isRunning(clock: SlaClock): boolean {
  return clock.runningSinceMs !== null;
}

export function pauseClock(clock: SlaClock, nowMs: number): SlaClock {
  if (clock.runningSinceMs === null) return clock;
  return { ...clock, elapsedMs: elapsedMs(clock, nowMs), runningSinceMs: null };
}

export function resumeClock(clock: SlaClock, nowMs: number): SlaClock {
  if (clock.runningSinceMs !== null || clock.stoppedAtMs !== null) return clock;
  return { ...clock, runningSinceMs: nowMs };
}

/** The goal was reached: the clock stops for good (until a reopen restarts it). */
export function stopClock(clock: SlaClock, nowMs: number): SlaClock {
  if (clock.stoppedAtMs !== null) return clock;
  return { ...pauseClock(clock, nowMs), stoppedAtMs: nowMs };
}

/** A reopened ticket's clock resumes with the time already spent (JSM's "keep completed cycles" is not used). */
export function restartClock(clock: SlaClock, nowMs: number): SlaClock {
  if (clock.stoppedAtMs === null) return clock;
  return { ...clock, stoppedAtMs: null, runningSinceMs: nowMs };
}

/** Priority or tier changed: the elapsed time stays, the target moves. Alerts already fired stay fired. */
export function retargetClock(clock: SlaClock, targetMs: number): SlaClock {
  return { ...clock, targetMs };
}

export function clockState(clock: SlaClock, nowMs: number, thresholds: readonly number[]): SlaState {
  const elapsed = elapsedMs(clock, nowMs);
  if (clock.breached || elapsed >= clock.targetMs) return 'breached';
  if (clock.stoppedAtMs !== null) return 'met';
  if (clock.runningSinceMs === null) return 'paused';
  const lowest = Math.min(...thresholds, 1);
  return elapsed >= lowest * clock.targetMs ? 'at_risk' : 'on_track';
}

/** The next alert this clock owes, if it keeps running: the earliest unfired warning, or the breach. */
export function nextAlert(clock: SlaClock, thresholds: readonly number[]): SlaAlert | null {
  const deadline = deadlineMs(clock);
  if (clock.runningSinceMs === null || deadline === null || clock.breached) return null;
  const since = clock.runningSinceMs;
  const pending = thresholds
    .filter((t) => t > 0 && t < 1 && !clock.warningsFired.includes(t))
    .sort((a, b) => a - b);
  for (const threshold of pending) {
    const dueAtMs = since + threshold * clock.targetMs - clock.elapsedMs;
    return { clock: clock.kind, kind: 'warning', threshold, dueAtMs, deadlineMs: deadline };
  }
  return { clock: clock.kind, kind: 'breach', threshold: 1, dueAtMs: deadline, deadlineMs: deadline };
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
