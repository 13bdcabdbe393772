/** Ingests one knowledge-base document: resumable after any crash, with its progress as a query. */
import { ParentClosePolicy, patched, proxyActivities, setHandler, startChild } from '@temporalio/workflow';
import type { KnowledgeActivities } from '../activities/knowledge';
import { fitKbModelWorkflow } from './fit-kb-model';
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
    // The tenant's retrieval model is fitted (or the document folded into it) by a workflow of its own that
    // outlives this one: one per tenant, signalled with start, which waits for a quiet period so a bulk upload
    // costs one or two fits. Histories recorded before it started one fit workflow per document; those
    // recorded before the tenant retrieval model existed replay without either.
    if (patched('kb-fit-debounced')) {
      try {
        await kb.requestKbFit(ref);
      } catch {
        // The document is current and searchable either way; the next ingestion's request covers it.
      }
    } else if (patched('kb-tenant-retrieval-model')) {
      try {
        await startChild(fitKbModelWorkflow, {
          workflowId: `kb-fit-${input.documentId}`,
          args: [ref],
          parentClosePolicy: ParentClosePolicy.ABANDON,
        });
      } catch {
        // Already started (it is keyed by the document): the document is current and searchable either way.
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
