/**
 * Applies a tenant's changed SLA policy to its open tickets: pages through them and signals each ticket's
 * workflow, which recomputes its deadlines from the time already spent. Progress is a query.
 */
import {
  continueAsNew,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { TicketActivities } from '../activities/ticket';
import {
  type ApplySlaPolicyInput,
  type BulkProgress,
  applySlaPolicySignal,
  getBulkProgressQuery,
  ticketWorkflowId,
} from './messages';

const store = proxyActivities<TicketActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const PAGE = 200;

export async function applySlaPolicyWorkflow(input: ApplySlaPolicyInput): Promise<BulkProgress> {
  const progress: BulkProgress = input.progress ?? {
    state: 'running',
    total: 0,
    applied: 0,
    skipped: 0,
    failed: 0,
  };
  setHandler(getBulkProgressQuery, () => progress);
  let after = input.afterTicketId ?? null;
  for (;;) {
    const ids = await store.listOpenTicketIds({ tenantId: input.tenantId, afterId: after, limit: PAGE });
    if (ids.length === 0) break;
    progress.total += ids.length;
    const results = await Promise.allSettled(
      ids.map((id) =>
        getExternalWorkflowHandle(ticketWorkflowId(id)).signal(applySlaPolicySignal, input.policy),
      ),
    );
    for (const r of results) {
      if (r.status === 'fulfilled') progress.applied += 1;
      // A ticket closed meanwhile has no running workflow: nothing to apply.
      else if (/not found|completed/i.test(String(r.reason))) progress.skipped += 1;
      else progress.failed += 1;
    }
    after = ids[ids.length - 1]!;
    if (workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof applySlaPolicyWorkflow>({ ...input, progress, afterTicketId: after });
    }
  }
  progress.state = 'completed';
  return progress;
}
