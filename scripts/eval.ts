/**
 * Offline model evaluation (`npm run eval`).
 *
 *   npm run eval                                          the built-in suite: classification, retrieval, latency
 *   npm run eval -- --train A.csv --test B.csv            train on A, report on B (CSV header `text,category`)
 *   npm run eval -- --kb docs.jsonl --queries q.jsonl     retrieval on your documents ({id,title,text} lines)
 *                                                         and queries ({query,relevant_id} lines)
 *
 * Human-readable lines first; the LAST line is one JSON object with every figure, for machines. Trained models
 * are cached in .data/models (by a hash of their data), so a second run skips the training of the embeddings.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { type TrainingExample, trainTextClassifier } from '../src/ml/classifier';
import {
  findDataDir,
  loadBanking77,
  loadBitext,
  loadDefaultExamples,
  readLabelledCsv,
} from '../src/ml/datasets';
import {
  HybridIndex,
  type IndexedDocument,
  createSparseEncoder,
  defaultEmbeddingCorpus,
  loadLsaEmbedder,
} from '../src/ml/embedding';
import {
  type RetrievalQuery,
  buildBitextFaq,
  evaluateClassifier,
  evaluateRetrieval,
  readJsonl,
  round,
} from '../src/ml/evaluation';
import { meanReciprocalRank, percentile, recallAtK } from '../src/ml/metrics';
import type { Embedder } from '../src/connectors/ai/ports';
import { uuidFromText } from '../src/api/ids';
import { createEmbeddedVectorStore } from '../src/stores/vector';
import { defaultCacheDir } from '../src/ml/model-cache';
import { createOfflineClassifier } from '../src/ml/offline-classifier';
import { stratifiedSplit } from '../src/ml/random';
import { DEFAULT_CATEGORIES, PRODUCTS } from '../src/domain/vocabulary';

const SPLIT_SEED = 42;
const TEST_FRACTION = 0.2;
const MODES = ['bm25', 'dense', 'hybrid'] as const;

function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

function fmt(value: number): string {
  return value.toFixed(3);
}

function timed<T>(work: () => T): { result: T; ms: number } {
  const started = performance.now();
  const result = work();
  return { result, ms: Math.round(performance.now() - started) };
}

/** Trains on a seeded stratified split and reports accuracy, macro-F1 and ECE on the held-out part. */
function classificationBenchmark(name: string, examples: readonly TrainingExample[]) {
  const { train, test } = stratifiedSplit(examples, (example) => example.label, TEST_FRACTION, SPLIT_SEED);
  const { result: model, ms } = timed(() => trainTextClassifier(train));
  const report = evaluateClassifier(model, test);
  const labels = model.labels.length;
  log(
    `${name.padEnd(22)} labels ${String(labels).padStart(2)}  train ${train.length}  test ${test.length}  ` +
      `accuracy ${fmt(report.accuracy)}  macro-F1 ${fmt(report.macroF1)}  ECE ${fmt(report.ece)}  ` +
      `(T=${model.calibration.temperature.toFixed(2)}, trained in ${ms} ms)`,
  );
  return {
    ...report,
    labels,
    train: train.length,
    trainingMs: ms,
    temperature: round(model.calibration.temperature),
  };
}

async function retrievalBenchmark(
  name: string,
  index: HybridIndex,
  queries: readonly RetrievalQuery[],
): Promise<Record<(typeof MODES)[number], Awaited<ReturnType<typeof evaluateRetrieval>>>> {
  const reports = {} as Record<(typeof MODES)[number], Awaited<ReturnType<typeof evaluateRetrieval>>>;
  for (const mode of MODES) {
    reports[mode] = await evaluateRetrieval(index, queries, mode);
    const report = reports[mode];
    log(
      `${name.padEnd(22)} ${mode.padEnd(6)}  recall@1 ${fmt(report.recallAt1)}  recall@5 ${fmt(report.recallAt5)}  ` +
        `MRR ${fmt(report.mrr)}  (${report.queries} queries, ${index.size} documents)`,
    );
  }
  return reports;
}

/**
 * The same retrieval through the product's embedded vector store (the offline store tickets use): documents
 * indexed as points, queries answered by its hybrid search.
 */
async function storeRetrieval(
  name: string,
  embedder: Embedder,
  documents: readonly IndexedDocument[],
  queries: readonly RetrievalQuery[],
): Promise<{ queries: number; recallAt1: number; recallAt5: number; mrr: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eval-store-'));
  const store = createEmbeddedVectorStore({ dir, durable: false });
  const sparse = createSparseEncoder();
  try {
    await store.ensureReady(embedder.dimensions);
    const ids = new Map<string, string>();
    const dense = await embedder.embed(documents.map((d) => `${d.title ?? ''}\n${d.text}`));
    await store.upsert(
      documents.map((doc, i) => {
        const chunkId = uuidFromText(`eval:${doc.id}`);
        ids.set(chunkId, doc.id);
        return {
          chunkId,
          tenantId: 'eval',
          documentId: chunkId,
          externalId: doc.id,
          title: doc.title ?? doc.id,
          text: doc.text,
          version: 1,
          isCurrent: true,
          dense: dense[i]!,
          sparse: sparse.encode(`${doc.title ?? ''}\n${doc.text}`, 'document'),
        };
      }),
    );
    const rankings: string[][] = [];
    for (const { query } of queries) {
      const [q] = await embedder.embed([query]);
      const hits = await store.search({
        tenantId: 'eval',
        dense: q!,
        sparse: sparse.encode(query, 'query'),
        limit: 10,
      });
      rankings.push(hits.map((h) => ids.get(h.chunkId) ?? ''));
    }
    const relevant = queries.map((q) => q.relevantId);
    const report = {
      queries: queries.length,
      recallAt1: round(recallAtK(rankings, relevant, 1)),
      recallAt5: round(recallAtK(rankings, relevant, 5)),
      mrr: round(meanReciprocalRank(rankings, relevant)),
    };
    log(
      `${name.padEnd(22)} store   recall@1 ${fmt(report.recallAt1)}  recall@5 ${fmt(report.recallAt5)}  ` +
        `MRR ${fmt(report.mrr)}  (embedded vector store, hybrid RRF)`,
    );
    return report;
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function builtInSuite(): Promise<Record<string, unknown>> {
  const dataDir = findDataDir();
  const cacheDir = defaultCacheDir();

  log('== Classification (held-out stratified 20%, seed 42) ==');
  const bitext = loadBitext(dataDir);
  const classification = {
    banking77: classificationBenchmark('BANKING77 intents', loadBanking77(dataDir)),
    bitextCategories: classificationBenchmark(
      'Bitext categories',
      bitext.map((row) => ({ text: row.instruction, label: row.category })),
    ),
    bitextIntents: classificationBenchmark(
      'Bitext intents',
      bitext.map((row) => ({ text: row.instruction, label: row.intent })),
    ),
    defaultCategories: classificationBenchmark('Default categories', loadDefaultExamples(dataDir)),
  };

  log('');
  log('== Retrieval: Bitext FAQ (one answer per intent; held-out requests as queries) ==');
  const faq = buildBitextFaq(bitext, TEST_FRACTION, SPLIT_SEED);
  // The embedding sees only the requests and answers not held out, plus BANKING77.
  const corpus = [
    ...faq.trainRows.map((row) => `${row.instruction}\n${row.response}`),
    ...loadBanking77(dataDir).map((example) => example.text),
  ];
  const { result: loaded, ms: embeddingMs } = timed(() => loadLsaEmbedder({ cacheDir, corpus }));
  log(
    `LSA embedding: ${loaded.embedder.dimensions} dimensions, ${loaded.embedder.lsa.tfidf.terms.length} terms, ` +
      `${loaded.fromCache ? 'loaded from cache' : 'trained'} in ${embeddingMs} ms`,
  );
  const index = new HybridIndex(loaded.embedder, createSparseEncoder());
  await index.add(faq.documents);
  const retrieval = {
    ...(await retrievalBenchmark('Bitext FAQ', index, faq.queries)),
    store: await storeRetrieval('Bitext FAQ', loaded.embedder, faq.documents, faq.queries),
  };

  log('');
  log('== Offline classifier (the Classifier port): training and per-ticket latency ==');
  const classifier = createOfflineClassifier({ cacheDir: null, dataDir });
  const warm = await classifier.warmUp();
  log(`default model trained in ${warm.trainingMs} ms (no cache; includes reading the data)`);
  const tickets = stratifiedSplit(
    loadDefaultExamples(dataDir),
    (e) => e.label,
    TEST_FRACTION,
    SPLIT_SEED,
  ).test;
  // A few calls first, so the measurement sees the steady state, not the JIT compiler's first pass.
  for (const ticket of tickets.slice(0, 20)) {
    await classifier.classify({ text: ticket.text, categories: DEFAULT_CATEGORIES, products: PRODUCTS });
  }
  const latencies: number[] = [];
  for (const ticket of tickets) {
    const started = performance.now();
    await classifier.classify({ text: ticket.text, categories: DEFAULT_CATEGORIES, products: PRODUCTS });
    latencies.push(performance.now() - started);
  }
  const latency = {
    tickets: latencies.length,
    medianMs: round(percentile(latencies, 0.5), 3),
    p99Ms: round(percentile(latencies, 0.99), 3),
    maxMs: round(Math.max(...latencies), 3),
  };
  log(
    `classify() over ${latency.tickets} tickets: median ${latency.medianMs} ms, p99 ${latency.p99Ms} ms, ` +
      `max ${latency.maxMs} ms (category, product, language, sentiment, urgency)`,
  );

  return {
    suite: 'built-in',
    classification,
    retrieval: {
      bitextFaq: { documents: faq.documents.length, embedding: loaded.embedder.model, ...retrieval },
    },
    latency: { defaultModelTrainingMs: warm.trainingMs, classify: latency },
  };
}

async function csvSuite(trainFile: string, testFile: string): Promise<Record<string, unknown>> {
  const train = readLabelledCsv(trainFile);
  const test = readLabelledCsv(testFile);
  log(`== Classification: train ${trainFile} (${train.length}), test ${testFile} (${test.length}) ==`);
  const { result: model, ms } = timed(() => trainTextClassifier(train));
  const report = evaluateClassifier(model, test);
  const latencies = test.slice(0, 2000).map((example) => {
    const started = performance.now();
    model.predict(example.text);
    return performance.now() - started;
  });
  log(
    `accuracy ${fmt(report.accuracy)}  macro-F1 ${fmt(report.macroF1)}  ECE ${fmt(report.ece)}  ` +
      `labels ${model.labels.length}  trained in ${ms} ms  ` +
      `predict median ${percentile(latencies, 0.5).toFixed(3)} ms, p99 ${percentile(latencies, 0.99).toFixed(3)} ms`,
  );
  const unknown = [...new Set(test.map((e) => e.label))].filter((label) => !model.labels.includes(label));
  if (unknown.length) log(`warning: test labels never seen in training: ${unknown.join(', ')}`);
  return {
    suite: 'csv',
    classification: { ...report, labels: model.labels.length, train: train.length, trainingMs: ms },
    latency: {
      predictMedianMs: round(percentile(latencies, 0.5), 3),
      predictP99Ms: round(percentile(latencies, 0.99), 3),
    },
  };
}

const KbDocument = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  title: z.string().default(''),
  text: z.string(),
});
const KbQuery = z.object({
  query: z.string(),
  relevant_id: z.union([z.string(), z.number()]).transform(String),
});

async function kbSuite(kbFile: string, queriesFile: string): Promise<Record<string, unknown>> {
  const documents = readJsonl(kbFile).map((line, i) => parse(KbDocument, line, `${kbFile} line ${i + 1}`));
  const queries = readJsonl(queriesFile).map((line, i) =>
    parse(KbQuery, line, `${queriesFile} line ${i + 1}`),
  );
  log(`== Retrieval: ${documents.length} documents from ${kbFile}, ${queries.length} queries ==`);
  // The documents join the shipped corpus for the embedding (unsupervised: no query is seen).
  const corpus = [...defaultEmbeddingCorpus(), ...documents.map((doc) => `${doc.title}\n${doc.text}`)];
  const { result: loaded, ms } = timed(() => loadLsaEmbedder({ cacheDir: defaultCacheDir(), corpus }));
  log(`LSA embedding ${loaded.fromCache ? 'loaded from cache' : 'trained'} in ${ms} ms`);
  const index = new HybridIndex(loaded.embedder, createSparseEncoder());
  await index.add(documents);
  const kbQueries = queries.map((q) => ({ query: q.query, relevantId: q.relevant_id }));
  const retrieval = {
    ...(await retrievalBenchmark('KB', index, kbQueries)),
    store: await storeRetrieval('KB', loaded.embedder, documents, kbQueries),
  };
  return { suite: 'kb', documents: documents.length, retrieval };
}

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new Error(`${where}: ${result.error.issues.map((issue) => issue.message).join('; ')}`);
  return result.data;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      train: { type: 'string' },
      test: { type: 'string' },
      kb: { type: 'string' },
      queries: { type: 'string' },
    },
  });
  const started = performance.now();
  let summary: Record<string, unknown>;
  if (values.train || values.test) {
    if (!values.train || !values.test) throw new Error('--train and --test go together');
    summary = await csvSuite(values.train, values.test);
  } else if (values.kb || values.queries) {
    if (!values.kb || !values.queries) throw new Error('--kb and --queries go together');
    summary = await kbSuite(values.kb, values.queries);
  } else {
    summary = await builtInSuite();
  }
  const totalMs = Math.round(performance.now() - started);
  log('');
  log(`total ${(totalMs / 1000).toFixed(1)} s`);
  log(JSON.stringify({ ...summary, totalMs }));
}

main().catch((error: unknown) => {
  process.stderr.write(`eval failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
