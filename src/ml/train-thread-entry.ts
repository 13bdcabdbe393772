/**
 * The worker thread that trains a text classifier (see train-thread.ts): seconds of pure CPU that would stall
 * the worker's event loop, and every workflow task and activity of the process with it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type TrainOptions, type TrainingExample, trainTextClassifier } from './classifier';

const { examples, options } = workerData as { examples: TrainingExample[]; options: Partial<TrainOptions> };
parentPort!.postMessage(trainTextClassifier(examples, options).toJSON());
