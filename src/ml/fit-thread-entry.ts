/**
 * The worker thread that fits a tenant's retrieval model (see fit-thread.ts): the fit is seconds of pure CPU,
 * and on the worker's event loop it would stall every workflow task and activity of the process meanwhile.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  type FitOptions,
  type RetrievalDocument,
  fitRetrievalModel,
  retrievalModelToJSON,
} from './retrieval-model';

const { documents, options } = workerData as { documents: RetrievalDocument[]; options: Partial<FitOptions> };
parentPort!.postMessage(retrievalModelToJSON(fitRetrievalModel(documents, options)));
