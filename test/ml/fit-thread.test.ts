/**
 * A tenant's retrieval model is fitted on a worker thread: the same model as a fit in the process, while the
 * process's event loop (the worker's workflow tasks and activities) keeps running.
 */
import { createRetrievalModelFitter } from '../../src/ml/fit-thread';
import { defaultEmbeddingCorpus } from '../../src/ml/embedding';
import { fitRetrievalModel, retrievalModelToJSON } from '../../src/ml/retrieval-model';

const WORDS = [
  'password',
  'reset',
  'refund',
  'invoice',
  'shipping',
  'export',
  'account',
  'delete',
  'vpn',
  'printer',
];
const documents = Array.from({ length: 30 }, (_, i) => ({
  id: `doc-${i}`,
  text: `Article ${i}: ${Array.from({ length: 40 }, (_, j) => WORDS[(i * 7 + j * 3) % WORDS.length]).join(' ')}.`,
}));

function withoutTiming(json: ReturnType<typeof retrievalModelToJSON>) {
  return { ...json, fit: { ...json.fit, ms: 0 } };
}

test('the thread fits the same model as the process, and the event loop keeps turning meanwhile', async () => {
  const options = { prior: defaultEmbeddingCorpus(), dimensions: 64 };
  let last = performance.now();
  let longestPause = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longestPause = Math.max(longestPause, now - last);
    last = now;
  }, 20);
  let threadModel;
  try {
    threadModel = await createRetrievalModelFitter().fit(documents, options);
  } finally {
    clearInterval(ticker);
  }
  // A fit on the event loop would pause it for the whole fit.
  expect(longestPause).toBeLessThan(threadModel.fit.ms / 2);

  const inProcess = fitRetrievalModel(documents, options);
  expect(withoutTiming(retrievalModelToJSON(threadModel))).toEqual(
    withoutTiming(retrievalModelToJSON(inProcess)),
  );
}, 120_000);

test('fits take turns, and a failed fit rejects without blocking the next', async () => {
  const fitter = createRetrievalModelFitter();
  // A document without text cannot be fitted: the thread's error reaches the caller.
  const failing = fitter.fit([{ id: 'broken', text: null as unknown as string }], {
    prior: defaultEmbeddingCorpus(),
  });
  const next = fitter.fit(documents.slice(0, 10), { prior: defaultEmbeddingCorpus(), dimensions: 32 });
  await expect(failing).rejects.toThrow();
  expect((await next).fit.chunks).toBe(10);
}, 120_000);
