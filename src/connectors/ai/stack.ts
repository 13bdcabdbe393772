/**
 * The AI parts the product runs with, chosen once from configuration: OpenAI (or a compatible server) when an
 * API key is set, offline models otherwise; Qdrant when a URL is set, the embedded vector store otherwise.
 * One stack per process: the API (search) and the worker (triage, ingestion) share it.
 */
import path from 'node:path';
import type { Knex } from 'knex';
import type { TenantConfigCache } from '../../stores/tenant-config-cache';
import { createOfflineClassifier, createSparseEncoder, loadLsaEmbedder } from '../../ml';
import { defaultEmbeddingCorpus } from '../../ml/embedding';
import {
  type RetrievalModelStore,
  createMemoryRetrievalModelStore,
  createPostgresRetrievalModelStore,
} from '../../stores/retrieval-model-repository';
import type { AppConfig } from '../../platform/config';
import type { Logger } from '../../platform/logger';
import { type KnowledgeSearch, createKnowledgeSearch } from './retriever';
import { type VectorStore, createEmbeddedVectorStore, createQdrantVectorStore } from '../../stores/vector';
import { createLocalDrafter } from './local-drafter';
import {
  createOpenAiClassifier,
  createOpenAiClient,
  createOpenAiDrafter,
  createOpenAiEmbedder,
} from './openai';
import type { Classifier, Drafter, Embedder, SparseEncoder } from './ports';

export interface AiStack {
  classifier: Classifier;
  drafter: Drafter;
  embedder: Embedder;
  sparse: SparseEncoder;
  store: VectorStore;
  search: KnowledgeSearch;
  /**
   * Tenants' fitted retrieval models: a tenant LSA offline; with an embeddings API (`external`), the API's
   * vectors with a fusion weight and calibration fitted for them. `prior` is the shipped corpus LSA learns from.
   */
  retrievalModels?: { store: RetrievalModelStore; prior: () => readonly string[]; external?: boolean };
  describe: Record<string, string>;
  /** True when classification, drafting and embeddings run in this process (no model API): triage's model steps are short. */
  modelsAreLocal: boolean;
  /** Loads or trains the offline models now, so the first ticket is not the one that waits. */
  warmUp(): Promise<void>;
  close(): Promise<void>;
}

export function createAiStack(
  config: Pick<AppConfig, 'dataDir' | 'openai' | 'qdrant'>,
  logger?: Logger,
  /** Where trained offline models are cached; several stacks (tests) can share one. */
  cacheDir = path.join(config.dataDir, 'models'),
  /** Where tenants' retrieval models are kept, shared by API and worker; without it, in this process only. */
  db?: Knex,
  /** Where the latest model's version is kept between retrievals (read every time without it). */
  tenantConfig?: TenantConfigCache,
): AiStack {
  const offlineClassifier = createOfflineClassifier({ cacheDir });
  const offlineDrafter = createLocalDrafter();
  const sparse = createSparseEncoder();
  let classifier: Classifier = offlineClassifier;
  let drafter: Drafter = offlineDrafter;
  let embedder: Embedder;
  if (config.openai) {
    const options = {
      ...config.openai,
      fallbackClassifier: offlineClassifier,
      fallbackDrafter: offlineDrafter,
    };
    const client = createOpenAiClient(options);
    classifier = createOpenAiClassifier(client, options);
    drafter = createOpenAiDrafter(client, options);
    embedder = createOpenAiEmbedder(client, options);
  } else {
    embedder = loadLsaEmbedder({ cacheDir }).embedder;
  }
  // Vectors of different models do not mix: each embedding model gets its own embedded index.
  const store = config.qdrant
    ? createQdrantVectorStore({
        url: config.qdrant.url,
        apiKey: config.qdrant.apiKey,
        collection: config.qdrant.collection,
      })
    : createEmbeddedVectorStore({
        dir: path.join(config.dataDir, 'vectors', embedder.model.replace(/[^\w.-]/g, '_')),
      });
  let prior: string[] | undefined;
  // With an embeddings API the fitted models keep its vectors as the dense part (`external`) and choose the
  // fusion weight and calibration for them; offline, each tenant gets an LSA model of its own.
  const retrievalModels = {
    store: db ? createPostgresRetrievalModelStore(db, tenantConfig) : createMemoryRetrievalModelStore(),
    prior: () => (prior ??= defaultEmbeddingCorpus()),
    external: config.openai !== undefined,
  };
  const describe = {
    classifier: config.openai
      ? `openai:${config.openai.chatModel} (fallback offline)`
      : 'offline-tfidf-logreg',
    embeddings: embedder.model,
    vector_store: store.kind,
  };
  logger?.info(describe, 'AI stack');
  return {
    classifier,
    drafter,
    embedder,
    sparse,
    store,
    search: createKnowledgeSearch({
      embedder,
      sparse,
      store,
      models: retrievalModels.store,
      externalDense: retrievalModels.external,
    }),
    retrievalModels,
    describe,
    modelsAreLocal: !config.openai,
    warmUp: async () => {
      await offlineClassifier.warmUp();
    },
    close: () => store.close(),
  };
}
