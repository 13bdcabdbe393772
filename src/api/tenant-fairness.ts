/**
 * Temporal task fairness by tenant: every workflow the product starts for a tenant carries the tenant's id as
 * its fairness key (its activities and child workflows inherit it), so when tasks back up in a task queue the
 * server dispatches them round-robin across tenants instead of first-in-first-out: one tenant's burst of a
 * thousand tickets does not hold up another tenant's next ticket. Needs the server's `matching.enableFairness`
 * (the dev server started here and docker-compose's Temporal set it); on a server without it the key is ignored.
 */
import type { Priority } from '@temporalio/common';

export function tenantFairness(tenantId: string): Priority {
  return { fairnessKey: tenantId };
}
