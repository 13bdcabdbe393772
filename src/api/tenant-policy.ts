/** What a tenant's settings mean for a new ticket's workflow. */
import type { TenantModel } from '../stores/models';
import type { SlaPolicy } from '../domain/sla';
import { type SlaPolicyOverrides, resolveSlaPolicy, unmeetableTargets } from '../domain/sla-policy';
import { problems } from './problems';
import type { TenantSettings } from './schemas';

export function tenantPolicy(tenant: TenantModel): SlaPolicy {
  return resolveSlaPolicy((tenant.settings as TenantSettings).sla_policy);
}

export function tenantAutoCloseAfterMs(tenant: TenantModel, fallbackMs: number): number {
  const hours = (tenant.settings as TenantSettings).auto_close_after_hours;
  return hours === undefined ? fallbackMs : Math.round(hours * 3600_000);
}

/**
 * Refuses (422, naming each field under `prefix`) a policy whose targets its calendar cannot fit: accepted,
 * it would leave every new ticket's workflow unable to place its deadlines.
 */
export function assertPolicyMeetable(overrides: SlaPolicyOverrides | undefined, prefix = ''): void {
  const errors = unmeetableTargets(overrides, Date.now());
  if (errors.length === 0) return;
  throw problems.unprocessable(
    'unmeetable-sla-policy',
    'the SLA policy has targets its business calendar cannot meet',
    errors.map((e) => ({ field: `${prefix}${e.field}`, message: e.message })),
  );
}
