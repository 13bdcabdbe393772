/** A tenant's SLA policy: its own overrides laid over seed 004's defaults. */
import type { BusinessCalendar } from './business-calendar';
import { DEFAULT_SLA_POLICY, type SlaEscalationPolicy, type SlaPolicy, type SlaTarget } from './sla';
import type { CustomerTier, Priority, TicketStatus } from './vocabulary';

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
