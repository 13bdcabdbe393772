/**
 * Fits (or folds a new document into) a tenant's retrieval model after an ingestion. A workflow of its own,
 * started by the ingestion workflow without waiting, so a document is ready as soon as it is searchable and a
 * slow fit never holds up the API's answer; fits of one tenant take turns (an advisory lock in the activity).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { FitOutcome, KnowledgeActivities } from '../activities/knowledge';

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
