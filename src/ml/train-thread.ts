/**
 * Trains text classifiers (a tenant's own category list) on worker threads, one at a time per process
 * (threads.ts): the ensemble on a list's examples is one to a few seconds of pure CPU, and on the worker's
 * event loop it would stall every workflow task and activity of the process meanwhile. The model that comes
 * back is the one `trainTextClassifier` builds in the process, through its JSON form.
 */
import {
  type TextClassifier,
  type TextClassifierJson,
  type TrainOptions,
  type TrainingExample,
  textClassifierFromJSON,
  trainTextClassifier,
} from './classifier';
import { oneAtATime, runOnThread } from './threads';

export interface TextClassifierTrainer {
  train(examples: readonly TrainingExample[], options: Partial<TrainOptions>): Promise<TextClassifier>;
}

/** On worker threads, one training at a time (its own turn: a long retrieval fit does not hold it up). */
export function createTextClassifierTrainer(): TextClassifierTrainer {
  const inTurn = oneAtATime();
  return {
    train: (examples, options) =>
      inTurn(async () =>
        textClassifierFromJSON(
          await runOnThread<TextClassifierJson>(
            'train-thread-entry',
            { examples, options },
            'text-classifier training',
          ),
        ),
      ),
  };
}

/** In the calling thread (scripts and tests that want no threads). */
export const inProcessTrainer: TextClassifierTrainer = {
  train: async (examples, options) => trainTextClassifier(examples, options),
};
