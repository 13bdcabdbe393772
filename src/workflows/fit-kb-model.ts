/**
 * Fits (or folds new documents into) a tenant's retrieval model after ingestions. A workflow of its own, so a
 * document is ready as soon as it is searchable and a slow fit never holds up the API's answer.
 *
 * `fitKbTenantWorkflow` (current): one per tenant (`kbFitWorkflowId`), signalled-with-start by every ingestion
 * (`requestKbFit`). It waits for a quiet period (no request for `quietMs`, at most `maxDelayMs` after the first
 * one) and then fits once, so a bulk upload of a thousand documents costs one or two fits, not one per ≥10%
 * change; requests that arrive during a fit make it wait and fit again, once.
 *
 * `fitKbModelWorkflow` (before): one per ingested document, started as a child; kept so runs started before
 * the change (and their histories) still complete.
 */
import { condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { FitOutcome, KnowledgeActivities } from '../activities/knowledge';
import { type FitKbTenantInput, kbFitRequestedSignal } from './messages';

/** Fitting reads and re-embeds the tenant's whole knowledge base: seconds to a minute, longer when queued. */
const { fitKbRetrievalModel } = proxyActivities<KnowledgeActivities>({
  startToCloseTimeout: '30 minutes',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '2 minutes',
    maximumAttempts: 5,
  },
});

export async function fitKbModelWorkflow(input: {
  tenantId: string;
  documentId: string;
}): Promise<FitOutcome> {
  return fitKbRetrievalModel(input);
}

export interface FitKbTenantResult {
  /** Fits (or fold-ins) this run did. */
  fits: number;
  /** Requests (ingestions) they answered. */
  requests: number;
  last: FitOutcome;
}

export async function fitKbTenantWorkflow(input: FitKbTenantInput): Promise<FitKbTenantResult> {
  let requests = input.pending ?? 0;
  setHandler(kbFitRequestedSignal, () => {
    requests += 1;
  });
  let answered = 0;
  let fits = 0;
  for (;;) {
    // The quiet period: every request restarts it, up to maxDelayMs after the first.
    const first = Date.now();
    let seen = requests;
    while (Date.now() - first < input.maxDelayMs) {
      const wait = Math.min(input.quietMs, input.maxDelayMs - (Date.now() - first));
      if (!(await condition(() => requests > seen, wait))) break;
      seen = requests;
    }
    const covered = requests;
    const last = await fitKbRetrievalModel({ tenantId: input.tenantId });
    fits += 1;
    answered = covered;
    // Nothing came in during the fit: done (the next ingestion starts a new run with its signal).
    if (requests === covered) return { fits, requests: answered, last };
    if (workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof fitKbTenantWorkflow>({ ...input, pending: requests - covered });
    }
  }
}
