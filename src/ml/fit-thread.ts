/**
 * Fits tenants' retrieval models on worker threads, one at a time per process: a fit is seconds of pure CPU
 * (minutes on a large knowledge base), and on the event loop it would stall the process's workflow tasks and
 * activities meanwhile (tickets of every tenant would wait for one tenant's ingestion). One at a time, so
 * fits never take more than one core from triage however many tenants ingest at once.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  type FitOptions,
  type RetrievalDocument,
  type TenantRetrievalModel,
  type TenantRetrievalModelJson,
  retrievalModelFromJSON,
} from './retrieval-model';

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

/**
 * The thread: the compiled entry in a build; in development and tests the .ts source, through tsx's require
 * hook (a thread does not inherit the `--import tsx` loader of the process, nor jest's transform).
 */
function startThread(workerData: unknown): Worker {
  const extension = path.extname(__filename);
  const file = path.join(__dirname, `fit-thread-entry${extension}`);
  if (extension !== '.ts') return new Worker(file, { workerData });
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true, workerData });
}

function fitOnThread(
  documents: readonly RetrievalDocument[],
  options: Partial<FitOptions>,
  external: ExternalDense | undefined,
): Promise<TenantRetrievalModel> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const worker = startThread({ documents, options, external });
    worker.once('message', (json: TenantRetrievalModelJson) => {
      settled = true;
      resolve(retrievalModelFromJSON(json));
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the retrieval-model fit thread exited with code ${code} and no model`));
    });
  });
}

export function createRetrievalModelFitter(): RetrievalModelFitter {
  let queue: Promise<unknown> = Promise.resolve();
  return {
    fit(documents, options, external) {
      const turn = queue.then(() => fitOnThread(documents, options, external));
      queue = turn.catch(() => undefined);
      return turn;
    },
  };
}
