/**
 * The outbox relay: a ticket row is written before its workflow is started, so a crash between the two
 * leaves a row with workflow_started_at unset. This relay starts those workflows. Starting is idempotent
 * (the workflow id is the ticket's), so a race with the API's own start is harmless. Each pass also folds the
 * analytics rollup deltas the ticket writes left (migration 20261204000000), so that they do not pile up for
 * tenants nobody reads analytics of.
 */
import type { TenantRepository } from '../stores/tenant-repository';
import type { TicketRepository } from '../stores/ticket-repository';
import type { Logger } from '../platform/logger';
import { tenantAutoCloseAfterMs, tenantPolicy } from './tenant-policy';
import type { TicketWorkflows } from './workflow-gateway';

export interface OutboxDeps {
  tickets: TicketRepository;
  tenants: TenantRepository;
  workflows: TicketWorkflows;
  logger: Logger;
  graceMs: number;
  defaultAutoCloseAfterMs: number;
  /** Folds pending rollup deltas of every tenant (a bounded batch); answers how many. */
  foldRollups?: () => Promise<number>;
}

/** One pass: returns how many workflows it started. */
export async function relayUnstartedTickets(deps: OutboxDeps): Promise<number> {
  const pending = await deps.tickets.findUnstarted(deps.graceMs);
  let started = 0;
  for (const ticket of pending) {
    const tenant = await deps.tenants.findByIdOrSlug(ticket.tenant_id);
    if (!tenant) continue;
    try {
      const autoClose = tenantAutoCloseAfterMs(tenant, deps.defaultAutoCloseAfterMs);
      await deps.workflows.start(ticket, tenantPolicy(tenant), autoClose);
      await deps.tickets.markWorkflowStarted(ticket.tenant_id, ticket.id);
      started += 1;
    } catch (error) {
      deps.logger.warn({ ticketId: ticket.id, err: error }, 'outbox relay could not start the workflow yet');
    }
  }
  if (started) deps.logger.info({ started }, 'outbox relay started ticket workflows');
  return started;
}

export function startOutboxRelay(deps: OutboxDeps, intervalMs: number): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running
      .then(() => relayUnstartedTickets(deps))
      .catch((error) => deps.logger.warn({ err: error }, 'outbox relay pass failed'))
      .then(() => deps.foldRollups?.())
      .catch((error) => deps.logger.warn({ err: error }, 'rollup fold failed'));
  }, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
