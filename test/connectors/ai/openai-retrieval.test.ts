/**
 * Retrieval with an embeddings API as the dense part (the local fake OpenAI server): the tenant's model keeps
 * the API's vectors and chooses the fusion weight and calibration for them on pseudo-queries, as the offline
 * LSA model does — weight 0 (exactly BM25) when the API's vectors do not help, a dense weight when they do —
 * and the retriever then fuses by weight (not RRF) and answers calibrated probabilities.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type FakeOpenAi, startFakeOpenAi } from '../../fixtures/fake-openai';
import { createOpenAiClient, createOpenAiEmbedder } from '../../../src/connectors/ai/openai';
import { createLocalDrafter } from '../../../src/connectors/ai/local-drafter';
import { createKnowledgeSearch } from '../../../src/connectors/ai/retriever';
import type { Classifier, Embedder } from '../../../src/connectors/ai/ports';
import { createSparseEncoder } from '../../../src/ml/embedding';
import {
  type TenantRetrievalModel,
  externalFitTexts,
  fitExternalRetrievalModel,
  fitRetrievalModel,
  makePseudoQueries,
} from '../../../src/ml/retrieval-model';
import { type VectorStore, createEmbeddedVectorStore } from '../../../src/stores/vector';
import { uuidFromText } from '../../../src/api/ids';

const KEY = 'sk-test-secret-key-0000';
const TOPICS: Array<[string, string[]]> = [
  ['Password reset', ['password', 'reset', 'link', 'email', 'login', 'expired', 'sign', 'code']],
  ['Refund policy', ['refund', 'charge', 'money', 'card', 'payment', 'duplicate', 'bank', 'back']],
  ['Export reports', ['export', 'report', 'csv', 'rows', 'file', 'download', 'sheet', 'columns']],
  ['Shipping times', ['shipping', 'delivery', 'parcel', 'courier', 'tracking', 'days', 'late', 'box']],
];

/** Chunks of topic sentences: each chunk its own mix of its topic's words. */
function knowledgeBase() {
  let seed = 5;
  const next = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  return TOPICS.flatMap(([title, words], topic) =>
    [0, 1, 2].map((c) => {
      const sentences = Array.from({ length: 5 }, () => {
        const picked = Array.from({ length: 5 }, () => words[Math.floor(next() * words.length)]!);
        return `The ${picked.join(' ')} here.`;
      });
      return { id: `${topic}-${c}`, text: `${title} ${c}\n${sentences.join(' ')}` };
    }),
  );
}

const docs = knowledgeBase();
let fake: FakeOpenAi;
let embedder: Embedder;
let dir: string;
let store: VectorStore;
const sparse = createSparseEncoder();

beforeAll(async () => {
  fake = await startFakeOpenAi(KEY);
  const options = {
    apiKey: KEY,
    baseUrl: fake.baseUrl,
    chatModel: 'gpt-test',
    embeddingModel: 'embed-test',
    embeddingDimensions: 8,
    timeoutMs: 2000,
    fallbackClassifier: {} as Classifier,
    fallbackDrafter: createLocalDrafter(),
  };
  embedder = createOpenAiEmbedder(createOpenAiClient(options), options);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openai-retrieval-'));
  store = createEmbeddedVectorStore({ dir, durable: false });
  await store.ensureReady(embedder.dimensions);
  const vectors = await embedder.embed(docs.map((d) => d.text));
  await store.upsert(
    docs.map((doc, i) => {
      const chunkId = uuidFromText(`openai:${doc.id}`);
      return {
        chunkId,
        tenantId: 't1',
        documentId: chunkId,
        externalId: doc.id,
        title: doc.id,
        text: doc.text,
        version: 1,
        isCurrent: true,
        dense: vectors[i]!,
        sparse: sparse.encode(doc.text, 'document'),
      };
    }),
  );
});
afterAll(async () => {
  await store?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  await fake?.close();
});

/** The API's vectors of every text the fit needs, as the ingestion activity gets them (in one batch here). */
async function apiVectors(): Promise<Map<string, number[]>> {
  const texts = externalFitTexts(docs, { pseudoQueries: 120 });
  const vectors = await embedder.embed(texts);
  return new Map(texts.map((text, i) => [text, vectors[i]!]));
}

function searchWith(model: TenantRetrievalModel) {
  return createKnowledgeSearch({
    embedder,
    sparse,
    store,
    models: { current: async () => ({ version: 1, model }) },
    externalDense: true,
  });
}

test('vectors that do not help (the fake API embeds by text length): dense weight 0, BM25 with calibrated scores', async () => {
  const model = fitExternalRetrievalModel(docs, await apiVectors(), {
    denseModel: embedder.model,
    dimensions: embedder.dimensions,
    pseudoQueries: 120,
  });
  expect(model.denseModel).toBe('embed-test');
  expect(model.lsa).toBeUndefined();
  expect(model.denseWeight).toBe(0);
  expect(model.fit.evidence.map((e) => e.weight)).toContain(0.5);

  const before = fake.requests.length;
  const hits = await searchWith(model).search({
    tenantId: 't1',
    query: 'refund my duplicate card charge',
    limit: 5,
  });
  // The query was embedded by the API (the store searched both signals), and fused by the fitted weights.
  expect(fake.requests.slice(before).map((r) => r.path)).toEqual(['/v1/embeddings']);
  expect(hits[0]!.externalId!.startsWith('1-')).toBe(true);
  for (const hit of hits) {
    expect(hit.score).toBeGreaterThanOrEqual(0);
    expect(hit.score).toBeLessThanOrEqual(1);
  }
  // Calibrated probabilities, not cosines: the top hit's probability follows the model's calibration.
  expect(hits[0]!.score).toBeGreaterThan(hits[4]!.score);
});

test('vectors that know each chunk (an oracle): the evidence picks a dense weight above 0', () => {
  // The oracle embeds every text by the chunk it comes from, so dense ranks each pseudo-query's source first.
  const oracle = new Map<string, number[]>();
  const unit = (doc: number) => Array.from({ length: docs.length }, (_, i) => (i === doc ? 1 : 0));
  const { queries, heldOutTexts } = makePseudoQueries(docs, 120, 11);
  docs.forEach((doc, i) => {
    oracle.set(doc.text, unit(i));
    oracle.set(heldOutTexts[i]!, unit(i));
  });
  for (const q of queries) oracle.set(q.query, unit(q.source));
  for (const q of makePseudoQueries(docs, 120, 12, Infinity).queries) {
    oracle.set(q.query, unit(q.source));
    oracle.set(docs[q.source]!.text.replace(q.sentence, ' '), unit(q.source));
  }
  for (const text of externalFitTexts(docs, { pseudoQueries: 120 })) expect(oracle.has(text)).toBe(true);
  const model = fitExternalRetrievalModel(docs, oracle, {
    denseModel: 'oracle',
    dimensions: docs.length,
    pseudoQueries: 120,
  });
  expect(model.denseWeight).toBeGreaterThan(0);
});

test('a tenant LSA model (fitted before the switch to the API) is not used with API vectors: RRF until refitted', async () => {
  const lsaModel = fitRetrievalModel(docs, { prior: [], pseudoQueries: 60, dimensions: 8 });
  const hits = await searchWith(lsaModel).search({
    tenantId: 't1',
    query: 'export the csv report',
    limit: 3,
  });
  expect(hits.length).toBe(3);
  // Without an applicable model the score is the cosine of the API's vectors (the fake's are all positive).
  const [query] = await embedder.embed(['export the csv report']);
  const [top] = await embedder.embed([hits[0]!.text]);
  const cosine = query!.reduce((sum, x, i) => sum + x * top![i]!, 0);
  expect(hits[0]!.score).toBeCloseTo(Math.min(1, cosine), 2);
});
