/**
 * The tenant retrieval model on small synthetic knowledge bases: pseudo-queries, the fusion weight chosen by
 * evidence (0 = exactly BM25 when the dense part does not help), calibrated relevance, and storage.
 */
import {
  FusionIndex,
  type TenantRetrievalModel,
  embedText,
  fitLogistic,
  fitRetrievalModel,
  fusionWeights,
  makePseudoQueries,
  relevance,
  relevanceFeatures,
  retrievalModelFromJSON,
  retrievalModelToJSON,
} from '../../src/ml/retrieval-model';
import { createSparseEncoder } from '../../src/ml/embedding';
import { HybridIndex } from '../../src/ml/evaluation';
import { decodeModel, encodeModel } from '../../src/stores/retrieval-model-repository';

const TOPICS: Array<[string, string[]]> = [
  ['Password reset', ['password', 'reset', 'link', 'email', 'login', 'expired']],
  ['Refund policy', ['refund', 'charge', 'money', 'card', 'payment', 'duplicate']],
  ['Export reports', ['export', 'report', 'csv', 'rows', 'file', 'download']],
  ['Shipping times', ['shipping', 'delivery', 'parcel', 'courier', 'tracking', 'days']],
  ['Account deletion', ['delete', 'account', 'data', 'erase', 'profile', 'close']],
  ['Invoices', ['invoice', 'billing', 'address', 'vat', 'company', 'receipt']],
];

/** Chunks of sentences made of their topic's words, so held-out sentences can be found by their topic. */
function knowledgeBase(chunksPerTopic = 4) {
  let seed = 1;
  const next = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const docs: Array<{ id: string; text: string; topic: number }> = [];
  TOPICS.forEach(([title, words], topic) => {
    for (let c = 0; c < chunksPerTopic; c++) {
      const sentences = Array.from({ length: 5 }, () => {
        const picked = Array.from({ length: 6 }, () => words[Math.floor(next() * words.length)]!);
        return `The ${picked.join(' ')} here.`;
      });
      docs.push({ id: `${topic}-${c}`, text: `${title}\n${sentences.join(' ')}`, topic });
    }
  });
  return docs;
}

let model: TenantRetrievalModel;
const docs = knowledgeBase();

beforeAll(() => {
  model = fitRetrievalModel(docs, { prior: [], pseudoQueries: 120, dimensions: 16 });
});

test('pseudo-queries come from sentences taken out of their chunk', () => {
  const { queries, heldOutTexts } = makePseudoQueries(docs, 30, 3);
  expect(queries.length).toBeGreaterThan(10);
  for (const q of queries) {
    expect(q.query.split(' ').length).toBeLessThanOrEqual(12);
    expect(heldOutTexts[q.source]!.length).toBeLessThan(docs[q.source]!.text.length);
  }
  // Deterministic for a seed.
  expect(makePseudoQueries(docs, 30, 3).queries).toEqual(queries);
});

test('the fitted model records its evidence, pads dense vectors and ranks a topic query to its topic', () => {
  expect(model.fit.chunks).toBe(docs.length);
  expect(model.fit.evidence.map((e) => e.weight)).toContain(0);
  expect(model.fit.pseudoQueries).toBeGreaterThan(50);
  expect(embedText(model, 'refund my duplicate charge')).toHaveLength(16);
  const index = new FusionIndex(
    (text) => embedText(model, text),
    docs.map((d) => d.text),
    model.dimensions,
  );
  const hits = index.search('I want my money back for a duplicate card charge', model.denseWeight, 5);
  expect(docs[hits[0]!.doc]!.topic).toBe(1);
});

test('dense weight 0 when the dense model does not help: the ranking is exactly BM25', () => {
  // A useless dense model (every text the same vector) can never beat BM25 on the pseudo-queries.
  const lexicalOnly = fitRetrievalModel(docs, {
    prior: [],
    pseudoQueries: 60,
    dimensions: 1,
    weightGrid: [0, 0.5],
  });
  expect(lexicalOnly.denseWeight).toBe(0);
  const weights = fusionWeights(lexicalOnly, createSparseEncoder().encode('refund charge', 'query'));
  expect(weights.dense).toBe(0);
  expect(weights.lexical).toBeGreaterThan(0);
});

test('at dense weight 0 the fused ranking is BM25 ranking', async () => {
  const bm25 = new HybridIndex({ model: 'none', dimensions: 1, embed: async (t) => t.map(() => [1]) });
  await bm25.add(docs.map((d) => ({ id: d.id, text: d.text })));
  const fused = new FusionIndex(
    (text) => embedText(model, text),
    docs.map((d) => d.text),
    model.dimensions,
  );
  for (const query of ['refund duplicate charge', 'csv export rows file', 'delete my account data']) {
    const expected = (await bm25.search(query, { mode: 'bm25', limit: 10 })).map((h) => h.id);
    // The lexical matches first, in BM25's order; chunks without a shared term only fill the rest (score 0).
    const hits = fused.search(query, 0, 10);
    expect(hits.slice(0, expected.length).map((h) => docs[h.doc]!.id)).toEqual(expected);
    for (const hit of hits.slice(expected.length)) expect(Math.abs(hit.score)).toBe(0);
  }
});

test('relevance is a probability that rises with the fused score; no evidence means 0', () => {
  // The three calibrations a stored model can hold: relative features (fitted now), the score alone (a small
  // knowledge base), and the absolute features of models fitted before (no `features`), which still apply.
  const calibrations: Array<TenantRetrievalModel['calibration']> = [
    { weights: [-6, 4, 3, 1, 3], features: 'relative' },
    { weights: [-3, 6], features: 'score' },
    { weights: [-1.7, 1.7, 7.3, -15.9] },
  ];
  for (const calibration of calibrations) {
    const probabilities = relevance({ ...model, calibration }, [0.9, 0.5, 0.2, 0.1, 0]);
    for (const p of probabilities) expect(p).toBeGreaterThanOrEqual(0);
    for (const p of probabilities) expect(p).toBeLessThanOrEqual(1);
    expect(probabilities[0]).toBeGreaterThan(probabilities[1]!);
    expect(probabilities[1]).toBeGreaterThan(probabilities[3]!);
    expect(probabilities[4]).toBe(0);
  }
});

test('chunks that repeat one another answer alike: a copy of the source counts as a right answer', () => {
  // Four chunks per topic drawn from the same six words: each holds the others' terms, so any of them answers
  // a sentence of another, and the top hits are all likely relevant whatever their order.
  const probabilities = relevance(model, [0.9, 0.5, 0.2]);
  expect(new Set(probabilities).size).toBe(1);
  expect(probabilities[0]).toBeGreaterThan(0.9);
});

test('a chunk holding the terms of another is recognised as its copy', () => {
  const index = new FusionIndex(
    () => [1],
    [
      'Reset your password from the login page.',
      'From the login page, reset the password.',
      'Parcels ship fast.',
    ],
    1,
  );
  expect(index.heldShare('Reset your password from the login page.', 1)).toBeCloseTo(1, 6);
  expect(index.heldShare('Reset your password from the login page.', 2)).toBe(0);
});

test('the relevance features other than the best score do not change when all scores shrink alike', () => {
  const scores = [0.8, 0.6, 0.3, 0.1];
  const shrunk = scores.map((x) => x * 0.5);
  for (let i = 0; i < 3; i++) {
    const [ratio, lead, top, best] = relevanceFeatures(scores, i);
    const [ratio2, lead2, top2, best2] = relevanceFeatures(shrunk, i);
    expect([ratio2, lead2, top2]).toEqual([ratio, lead, top].map((x) => expect.closeTo(x!, 12)));
    expect(best2).toBeCloseTo(best! / 2, 12);
  }
  expect(relevanceFeatures(scores, 0)[2]).toBe(1);
  expect(relevanceFeatures(scores, 1)[2]).toBe(0);
});

test('a sentence another chunk repeats is recognised as shared', () => {
  const index = new FusionIndex(
    () => [1],
    [
      'Reset your password from the login page. Contact our support team for further help.',
      'Export reports as CSV files. Contact our support team for further help.',
      'Parcels ship within three days.',
    ],
    1,
  );
  expect(index.sharedShare('Contact our support team for further help.', 0)).toBeCloseTo(1, 6);
  expect(index.sharedShare('Reset your password from the login page.', 0)).toBeLessThan(0.5);
});

test('logistic calibration recovers a known relation', () => {
  // Labels drawn with P(relevant | s) = σ(6s − 3): the fit should find about those weights.
  let seed = 7;
  const next = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const rows: number[][] = [];
  const labels: boolean[] = [];
  for (let i = 0; i < 4000; i++) {
    const s = next();
    rows.push([1, s]);
    labels.push(next() < 1 / (1 + Math.exp(-(6 * s - 3))));
  }
  const [b, a] = fitLogistic(rows, labels);
  expect(a).toBeCloseTo(6, 0);
  expect(b).toBeCloseTo(-3, 0);
});

test('a model survives JSON and gzip storage unchanged in behaviour', () => {
  const again = decodeModel(encodeModel(model));
  const viaJson = retrievalModelFromJSON(JSON.parse(JSON.stringify(retrievalModelToJSON(model))));
  for (const copy of [again, viaJson]) {
    expect(copy.denseWeight).toBe(model.denseWeight);
    expect(copy.calibration).toEqual(model.calibration);
    expect(embedText(copy, 'export a csv report')).toEqual(embedText(model, 'export a csv report'));
    const query = createSparseEncoder().encode('export a csv report', 'query');
    expect(fusionWeights(copy, query)).toEqual(fusionWeights(model, query));
  }
});
