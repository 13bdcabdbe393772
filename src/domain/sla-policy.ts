/** A tenant's SLA policy: its own overrides laid over seed 004's defaults. */
import {
  type BusinessCalendar,
  CalendarHorizonError,
  addBusinessTime,
  businessTimeBetween,
} from './business-calendar';
import { DEFAULT_SLA_POLICY, type SlaEscalationPolicy, type SlaPolicy, type SlaTarget } from './sla';
import { type CustomerTier, PRIORITIES, type Priority, type TicketStatus } from './vocabulary';

export interface SlaPolicyOverrides {
  targets?: Partial<Record<Priority, Partial<SlaTarget>>>;
  tier_multipliers?: Partial<Record<CustomerTier, number>>;
  warning_thresholds?: number[];
  pause_statuses?: TicketStatus[];
  calendar?: BusinessCalendar | null;
  resolution_on_reopen?: SlaPolicy['resolution_on_reopen'];
  escalation?: Partial<SlaEscalationPolicy>;
}

export function resolveSlaPolicy(overrides: SlaPolicyOverrides | undefined): SlaPolicy {
  if (!overrides) return DEFAULT_SLA_POLICY;
  const targets = { ...DEFAULT_SLA_POLICY.targets };
  for (const [priority, target] of Object.entries(overrides.targets ?? {}) as [
    Priority,
    Partial<SlaTarget>,
  ][]) {
    targets[priority] = { ...targets[priority], ...target };
  }
  return {
    targets,
    tier_multipliers: {
      ...DEFAULT_SLA_POLICY.tier_multipliers,
      ...overrides.tier_multipliers,
    } as SlaPolicy['tier_multipliers'],
    warning_thresholds: [
      ...new Set(overrides.warning_thresholds ?? DEFAULT_SLA_POLICY.warning_thresholds),
    ].sort((a, b) => a - b),
    pause_statuses: overrides.pause_statuses ?? DEFAULT_SLA_POLICY.pause_statuses,
    calendar: overrides.calendar ?? null,
    resolution_on_reopen: overrides.resolution_on_reopen ?? DEFAULT_SLA_POLICY.resolution_on_reopen,
    escalation: { ...DEFAULT_SLA_POLICY.escalation, ...overrides.escalation },
  };
}

/** A clock's deadline must fall within this much wall time of its start, whatever the calendar. */
export const MAX_DEADLINE_DAYS = 730;
const DAY_MS = 86_400_000;
const TARGET_FIELDS = ['first_response_seconds', 'resolution_seconds', 'next_reply_seconds'] as const;

export interface PolicyFieldError {
  field: string;
  message: string;
}

/** Open time (ms) the policy's calendar offers within MAX_DEADLINE_DAYS, the least of two starts a year apart. */
function capacityMs(calendar: BusinessCalendar | null, nowMs: number): number {
  const span = MAX_DEADLINE_DAYS * DAY_MS;
  if (!calendar) return span;
  return Math.min(
    businessTimeBetween(calendar, nowMs, nowMs + span),
    businessTimeBetween(calendar, nowMs + 365 * DAY_MS, nowMs + 365 * DAY_MS + span),
  );
}

/** The common case, cheaply: the longest target fits from both starts (the scan stops where it is met). */
function fitsEverywhere(policy: SlaPolicy, nowMs: number): boolean {
  const multiplier = Math.max(...Object.values(policy.tier_multipliers));
  const longest = Math.max(...PRIORITIES.flatMap((p) => TARGET_FIELDS.map((f) => policy.targets[p][f] ?? 0)));
  const neededMs = Math.max(1, Math.round(longest * multiplier)) * 1000;
  const span = MAX_DEADLINE_DAYS * DAY_MS;
  if (!policy.calendar) return neededMs <= span;
  const calendar = policy.calendar;
  return [nowMs, nowMs + 365 * DAY_MS].every((start) => {
    try {
      return addBusinessTime(calendar, start, neededMs) <= start + span;
    } catch (error) {
      if (error instanceof CalendarHorizonError) return false;
      throw error;
    }
  });
}

/**
 * Targets the policy could never meet: each clock's target, times the largest tier multiplier, must fit in
 * the open time of its calendar within MAX_DEADLINE_DAYS (a ticket's workflow could not place the deadline
 * otherwise). Names the field the tenant set: the target, else the tier multiplier, else the calendar.
 */
export function unmeetableTargets(
  overrides: SlaPolicyOverrides | undefined,
  nowMs: number,
): PolicyFieldError[] {
  const policy = resolveSlaPolicy(overrides);
  if (fitsEverywhere(policy, nowMs)) return [];
  const capacity = capacityMs(policy.calendar, nowMs);
  if (capacity <= 0) {
    return [{ field: 'calendar', message: `the calendar has no open time within ${MAX_DEADLINE_DAYS} days` }];
  }
  const [tier, multiplier] = Object.entries(policy.tier_multipliers).reduce((max, entry) =>
    entry[1] > max[1] ? entry : max,
  );
  const errors: PolicyFieldError[] = [];
  for (const priority of PRIORITIES) {
    for (const field of TARGET_FIELDS) {
      const seconds = policy.targets[priority][field];
      if (seconds === undefined) continue;
      const neededMs = Math.max(1, Math.round(seconds * multiplier)) * 1000;
      if (neededMs <= capacity) continue;
      const named =
        overrides?.targets?.[priority]?.[field] !== undefined
          ? `targets.${priority}.${field}`
          : overrides?.tier_multipliers?.[tier as CustomerTier] !== undefined
            ? `tier_multipliers.${tier}`
            : 'calendar';
      errors.push({
        field: named,
        message:
          `the ${priority} ${field.replace('_seconds', '').replace('_', ' ')} target needs ` +
          `${Math.ceil(neededMs / 3_600_000)} h of ${policy.calendar ? 'business' : 'wall-clock'} time ` +
          `(with the ${tier} multiplier ${multiplier}), but the calendar opens only ` +
          `${Math.floor(capacity / 3_600_000)} h within ${MAX_DEADLINE_DAYS} days`,
      });
    }
  }
  return [...new Map(errors.map((e) => [e.field, e])).values()];
}
