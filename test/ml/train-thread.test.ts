/**
 * A tenant's own category list is trained on a worker thread: the same model as a training in the process,
 * while the process's event loop (the worker's workflow tasks and activities) keeps turning.
 */
import { trainTextClassifier } from '../../src/ml/classifier';
import { loadBanking77 } from '../../src/ml/datasets';
import {
  OFFLINE_TENANT_MODEL_NAME,
  loadFewShotBackground,
  normalizeCategories,
  trainTenantCategories,
  trainTenantCategoriesWith,
} from '../../src/ml/offline-classifier';
import { seededRandom, shuffled } from '../../src/ml/random';
import { createTextClassifierTrainer } from '../../src/ml/train-thread';

const intents = [
  'card_arrival',
  'exchange_rate',
  'lost_or_stolen_card',
  'pin_blocked',
  'top_up_failed',
  'cash_withdrawal_charge',
  'verify_my_identity',
  'transfer_timing',
];
const banking = loadBanking77();
const specs = normalizeCategories(
  intents.map((intent) => ({
    name: intent.replace(/_/g, ' '),
    examples: shuffled(
      banking.filter((e) => e.label === intent),
      seededRandom(7),
    )
      .slice(0, 20)
      .map((e) => e.text),
  })),
);
const probes = banking.filter((e) => intents.includes(e.label)).slice(0, 40);
const tenantOptions = { calibrationFraction: 0, calibrationFolds: 3 };

/** Counts turns of the event loop (setImmediate callbacks) until stopped. */
function countTurns(): { stop(): number } {
  let turns = 0;
  let running = true;
  const tick = () => {
    if (!running) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop() {
      running = false;
      return turns;
    },
  };
}

test('the thread trains the same model as the process, and the event loop keeps turning meanwhile', async () => {
  const examples = specs.flatMap((spec) => spec.examples!.map((text) => ({ text, label: spec.name })));
  const turns = countTurns();
  const threadModel = await createTextClassifierTrainer().train(examples, tenantOptions);
  const during = turns.stop();
  // A training on the event loop would let it turn only around the call (a handful of turns at most); the
  // thread's training takes long enough (hundreds of milliseconds or more) for thousands.
  expect(during).toBeGreaterThan(100);

  const inProcess = trainTextClassifier(examples, tenantOptions);
  expect(threadModel.toJSON()).toEqual(inProcess.toJSON());
  for (const probe of probes) expect(threadModel.predict(probe.text)).toEqual(inProcess.predict(probe.text));
}, 120_000);

test("a tenant's list trained through the thread answers as the list trained in the process", async () => {
  const background = loadFewShotBackground();
  const withCatchAll = [...specs, { name: 'Other' }];
  const viaThread = await trainTenantCategoriesWith(withCatchAll, background, createTextClassifierTrainer());
  const inProcess = trainTenantCategories(withCatchAll, background);
  expect(viaThread.modelName).toBe(OFFLINE_TENANT_MODEL_NAME);
  expect(viaThread.labels).toEqual(inProcess.labels);
  for (const text of [...probes.map((p) => p.text), 'What is the weather like in Lisbon?']) {
    expect(viaThread.predict(text)).toEqual(inProcess.predict(text));
  }
}, 120_000);

test('trainings take turns, and a failed training rejects without blocking the next', async () => {
  const trainer = createTextClassifierTrainer();
  // One label only cannot be trained: the thread's error reaches the caller.
  const failing = trainer.train(
    [
      { text: 'a', label: 'only' },
      { text: 'b', label: 'only' },
    ],
    tenantOptions,
  );
  const examples = specs
    .slice(0, 3)
    .flatMap((spec) => spec.examples!.slice(0, 5).map((text) => ({ text, label: spec.name })));
  const next = trainer.train(examples, tenantOptions);
  await expect(failing).rejects.toThrow(/at least two labels/);
  expect((await next).labels).toEqual(
    specs
      .slice(0, 3)
      .map((spec) => spec.name)
      .sort(),
  );
}, 120_000);
