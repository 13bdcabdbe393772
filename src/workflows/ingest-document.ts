/** Ingests one knowledge-base document: resumable after any crash, with its progress as a query. */
import { patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { KnowledgeActivities } from '../activities/knowledge';
import { type IngestDocumentInput, type IngestProgress, getIngestProgressQuery } from './messages';

const kb = proxyActivities<KnowledgeActivities>({
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 8,
  },
});

/** Fitting the tenant's retrieval model reads and re-embeds its whole knowledge base: seconds to a minute. */
const fit = proxyActivities<KnowledgeActivities>({
  startToCloseTimeout: '15 minutes',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '2 minutes',
    maximumAttempts: 5,
  },
});

const BATCH = 32;

export async function ingestDocumentWorkflow(input: IngestDocumentInput): Promise<IngestProgress> {
  const progress: IngestProgress = { state: 'chunking', chunks_total: 0, chunks_indexed: 0, error: null };
  setHandler(getIngestProgressQuery, () => progress);
  const ref = { tenantId: input.tenantId, documentId: input.documentId };
  try {
    progress.chunks_total = (await kb.chunkKbDocument(ref)).chunkCount;
    progress.state = 'indexing';
    for (let from = 0; from < progress.chunks_total; from += BATCH) {
      progress.chunks_indexed += await kb.embedKbChunks({ ...ref, from, to: from + BATCH });
    }
    await kb.activateKbDocument({ ...ref, previousId: input.previousId });
    // Histories recorded before the tenant retrieval model existed replay without this step.
    if (patched('kb-tenant-retrieval-model')) {
      try {
        await fit.fitKbRetrievalModel(ref);
      } catch {
        // The document is current and searchable; retrieval keeps the tenant's previous model (the failed
        // activity stays visible in the workflow history) and the next ingestion fits again.
      }
    }
    progress.state = 'ready';
  } catch (error) {
    progress.state = 'failed';
    progress.error =
      error instanceof Error
        ? error.cause instanceof Error
          ? error.cause.message
          : error.message
        : String(error);
    await kb.failKbDocument({ ...ref, message: progress.error });
  }
  return progress;
}
