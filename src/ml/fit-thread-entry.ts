/**
 * The worker thread that fits a tenant's retrieval model (see fit-thread.ts): the fit is seconds of pure CPU,
 * and on the worker's event loop it would stall every workflow task and activity of the process meanwhile.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  type FitOptions,
  type RetrievalDocument,
  fitExternalRetrievalModel,
  fitRetrievalModel,
  retrievalModelToJSON,
} from './retrieval-model';

const { documents, options, external } = workerData as {
  documents: RetrievalDocument[];
  options: Partial<FitOptions>;
  /** An embeddings API's vectors of `externalFitTexts` (then its model is the dense part). */
  external?: { denseModel: string; vectors: Map<string, number[]> };
};
parentPort!.postMessage(
  retrievalModelToJSON(
    external
      ? fitExternalRetrievalModel(documents, external.vectors, {
          ...options,
          denseModel: external.denseModel,
        })
      : fitRetrievalModel(documents, options),
  ),
);
