/**
 * Fits tenants' retrieval models on worker threads, one at a time per process (threads.ts): a fit is seconds of
 * pure CPU (minutes on a large knowledge base), and on the event loop it would stall the process's workflow
 * tasks and activities meanwhile (tickets of every tenant would wait for one tenant's ingestion).
 */
import {
  type FitOptions,
  type RetrievalDocument,
  type TenantRetrievalModel,
  type TenantRetrievalModelJson,
  retrievalModelFromJSON,
} from './retrieval-model';
import { oneAtATime, runOnThread } from './threads';

/** An embeddings API as the dense part: its model name and its vectors of `externalFitTexts`. */
export interface ExternalDense {
  denseModel: string;
  vectors: Map<string, number[]>;
}

export interface RetrievalModelFitter {
  fit(
    documents: readonly RetrievalDocument[],
    options: Partial<FitOptions>,
    external?: ExternalDense,
  ): Promise<TenantRetrievalModel>;
}

export function createRetrievalModelFitter(): RetrievalModelFitter {
  const inTurn = oneAtATime();
  return {
    fit: (documents, options, external) =>
      inTurn(async () =>
        retrievalModelFromJSON(
          await runOnThread<TenantRetrievalModelJson>(
            'fit-thread-entry',
            { documents, options, external },
            'retrieval-model fit',
          ),
        ),
      ),
  };
}
