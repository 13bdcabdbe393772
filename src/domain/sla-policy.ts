/** A tenant's SLA policy: its own overrides laid over seed 004's defaults. */
import { DEFAULT_SLA_POLICY, type SlaPolicy, type SlaTarget } from './sla';
import type { CustomerTier, Priority, TicketStatus } from './vocabulary';

export interface SlaPolicyOverrides {
  targets?: Partial<Record<Priority, Partial<SlaTarget>>>;
  tier_multipliers?: Partial<Record<CustomerTier, number>>;
  warning_thresholds?: number[];
  pause_statuses?: TicketStatus[];
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
  };
}
