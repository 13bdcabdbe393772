/** What a tenant's settings mean for a new ticket's workflow. */
import type { TenantModel } from '../stores/models';
import type { SlaPolicy } from '../domain/sla';
import { resolveSlaPolicy } from '../domain/sla-policy';
import type { TenantSettings } from './schemas';

export function tenantPolicy(tenant: TenantModel): SlaPolicy {
  return resolveSlaPolicy((tenant.settings as TenantSettings).sla_policy);
}

export function tenantAutoCloseAfterMs(tenant: TenantModel, fallbackMs: number): number {
  const hours = (tenant.settings as TenantSettings).auto_close_after_hours;
  return hours === undefined ? fallbackMs : Math.round(hours * 3600_000);
}
