/**
 * Activities of knowledge-base ingestion: parse and chunk, embed and index in batches, switch versions, then
 * fit (or fold into) the tenant's retrieval model.
 */
import type { Embedder, SparseEncoder } from '../connectors/ai/ports';
import { chunkDocument, parseDocument, sha256 } from '../knowledge';
import { createRetrievalModelFitter } from '../ml/fit-thread';
import { type TenantRetrievalModel, embedText, externalFitTexts } from '../ml/retrieval-model';
import type { KbChunkPoint, VectorStore } from '../stores/vector';
import type { CurrentChunk, KnowledgeRepository } from '../stores/knowledge-repository';
import type { RetrievalModelStore } from '../stores/retrieval-model-repository';
import type { FitKbTenantInput } from '../workflows/messages';

export interface KnowledgeActivityDeps {
  knowledge: KnowledgeRepository;
  embedder: Embedder;
  sparse: SparseEncoder;
  store: VectorStore;
  /**
   * The tenants' fitted retrieval models, and the prior corpus their dense part learns word associations
   * from. Absent when an embeddings API is the dense model (its vectors are kept as they are).
   */
  retrievalModels?: {
    store: RetrievalModelStore;
    prior: () => readonly string[];
    /**
     * The embedder is an embeddings API: its vectors stay the dense part, and a fit only chooses the fusion
     * weight and the calibration for them (`fitExternalRetrievalModel`); otherwise a tenant LSA is fitted.
     */
    external?: boolean;
  };
  /**
   * Asks the tenant's fit workflow for a fit (signal-with-start of `fitKbTenantWorkflow`); the worker adds it
   * with its Temporal client. `quietMs` and `maxDelayMs` are the debounce the workflow is started with.
   */
  fitRequests?: { request(input: FitKbTenantInput): Promise<void> };
  fitDebounce?: { quietMs: number; maxDelayMs: number };
}

/**
 * A fit starts once no ingestion of the tenant asked for one for 10 s, and at most 5 minutes after the first
 * request: a bulk upload is fitted once when it ends (or every 5 minutes while it lasts).
 */
export const DEFAULT_FIT_DEBOUNCE = { quietMs: 10_000, maxDelayMs: 300_000 };

/**
 * The share of a knowledge base that must have changed since the last fit for a new one: below it, new
 * chunks are folded into the current model (embedded by it), which is how LSA takes documents it was not
 * fitted on.
 */
export const REFIT_SHARE = 0.1;

export type FitOutcome =
  | { action: 'skipped' | 'empty' }
  | { action: 'refitted'; version: number; chunks: number; denseWeight: number; fitMs: number }
  | { action: 'folded_in'; version: number; chunks: number };

export function createKnowledgeActivities(deps: KnowledgeActivityDeps) {
  const { knowledge } = deps;
  const fitter = createRetrievalModelFitter();

  async function load(tenantId: string, documentId: string) {
    const document = await knowledge.find(tenantId, documentId);
    if (!document) throw new Error(`knowledge document ${documentId} not found`);
    return document;
  }

  /**
   * Writes the chunks' points again with dense vectors of `model` (ids unchanged: an overwrite). A model whose
   * dense part is an embeddings API's changes no vector: the chunks keep the API's.
   */
  async function reembed(tenantId: string, chunks: readonly CurrentChunk[], model: TenantRetrievalModel) {
    if (!model.lsa) return;
    await deps.store.ensureReady(deps.embedder.dimensions);
    for (let from = 0; from < chunks.length; from += 256) {
      const points: KbChunkPoint[] = chunks.slice(from, from + 256).map((chunk) => ({
        chunkId: chunk.id,
        tenantId,
        documentId: chunk.documentId,
        externalId: chunk.externalId,
        title: chunk.title,
        text: chunk.text,
        version: chunk.version,
        isCurrent: true,
        dense: embedText(model, chunk.text),
        sparse: deps.sparse.encode(chunk.text, 'document'),
      }));
      await deps.store.upsert(points);
    }
  }

  /** The embedder's vectors of texts, by text, in batches. */
  async function embedAll(texts: readonly string[]): Promise<Map<string, number[]>> {
    const vectors = new Map<string, number[]>();
    for (let from = 0; from < texts.length; from += 256) {
      const batch = texts.slice(from, from + 256);
      const embedded = await deps.embedder.embed(batch);
      batch.forEach((text, i) => vectors.set(text, embedded[i]!));
    }
    return vectors;
  }

  return {
    async chunkKbDocument(input: { tenantId: string; documentId: string }): Promise<{ chunkCount: number }> {
      const document = await load(input.tenantId, input.documentId);
      const parsed = parseDocument({ content: document.content, format: document.format });
      const chunks = chunkDocument(parsed.sections).map((c) => ({
        headingPath: c.headingPath.join(' › '),
        text: c.text,
        hash: sha256(c.text),
      }));
      await knowledge.saveChunks(document, chunks);
      return { chunkCount: chunks.length };
    },

    /** Idempotent: chunk ids are derived, so a retried batch overwrites the same points. */
    async embedKbChunks(input: {
      tenantId: string;
      documentId: string;
      from: number;
      to: number;
    }): Promise<number> {
      const document = await load(input.tenantId, input.documentId);
      const chunks = await knowledge.chunks(input.tenantId, document.id, input.from, input.to);
      if (chunks.length === 0) return 0;
      await deps.store.ensureReady(deps.embedder.dimensions);
      // The tenant's fitted model when there is one (the fit step after activation makes sure of it).
      const fitted = await deps.retrievalModels?.store.current(input.tenantId);
      const texts = chunks.map((c) => c.text);
      const dense =
        fitted?.model.lsa && !deps.retrievalModels?.external
          ? texts.map((text) => embedText(fitted.model, text))
          : await deps.embedder.embed(texts);
      await deps.store.upsert(
        chunks.map((chunk, i) => ({
          chunkId: chunk.id,
          tenantId: document.tenant_id,
          documentId: document.id,
          externalId: document.external_id,
          title: document.title,
          text: chunk.text,
          version: document.version,
          isCurrent: true,
          dense: dense[i]!,
          sparse: deps.sparse.encode(chunk.text, 'document'),
        })),
      );
      await knowledge.markEmbedded(input.tenantId, document.id, input.from, input.to);
      return chunks.length;
    },

    async activateKbDocument(input: {
      tenantId: string;
      documentId: string;
      previousId: string | null;
    }): Promise<void> {
      const document = await load(input.tenantId, input.documentId);
      await knowledge.activate(document, input.previousId);
      if (input.previousId) await deps.store.archiveDocument(input.tenantId, input.previousId);
      const after = await load(input.tenantId, input.documentId);
      if (!after.is_current) await deps.store.archiveDocument(input.tenantId, document.id);
    },

    /** After a document became current: asks the tenant's fit workflow for a fit (it waits for a quiet period). */
    async requestKbFit(input: { tenantId: string; documentId: string }): Promise<void> {
      if (!deps.retrievalModels) return;
      if (!deps.fitRequests) throw new Error('no fit workflow client: the worker adds fitRequests');
      await deps.fitRequests.request({
        tenantId: input.tenantId,
        ...(deps.fitDebounce ?? DEFAULT_FIT_DEBOUNCE),
      });
    },

    /**
     * After documents became current: refits the tenant's retrieval model on all its current chunks when
     * there is none yet or at least REFIT_SHARE of the knowledge base changed since the last fit (then every
     * chunk is re-embedded before the new version is published); otherwise embeds the new chunks with the
     * current model, so they match it even if a fit ran meanwhile — the document's (`documentId`, the former
     * per-document fit workflow), or every chunk written since the last fit. One fit per tenant at a time.
     */
    async fitKbRetrievalModel(input: { tenantId: string; documentId?: string }): Promise<FitOutcome> {
      const models = deps.retrievalModels;
      if (!models) return { action: 'skipped' };
      return models.store.exclusive(input.tenantId, async () => {
        const info = await models.store.latest(input.tenantId);
        const counts = await knowledge.chunkCounts(input.tenantId, info?.fittedAt ?? null);
        if (counts.current === 0) return { action: 'empty' };
        const changed = info
          ? Math.max(counts.added, Math.abs(counts.current - info.fittedChunks))
          : counts.current;
        const current = info ? await models.store.current(input.tenantId) : null;
        // A model fitted for another dense model (the stack's embedder changed since) is refitted.
        const fitted =
          current && (models.external ? current.model.denseModel === deps.embedder.model : current.model.lsa)
            ? current
            : null;
        if (fitted && changed < REFIT_SHARE * info!.fittedChunks) {
          const since = fitted.model.fit.chunksReadAt
            ? new Date(fitted.model.fit.chunksReadAt)
            : info!.fittedAt;
          const chunks = input.documentId
            ? await knowledge.currentChunks(input.tenantId, input.documentId)
            : await knowledge.currentChunks(input.tenantId, undefined, since);
          await reembed(input.tenantId, chunks, fitted.model);
          return { action: 'folded_in', version: fitted.version, chunks: chunks.length };
        }
        const chunks = await knowledge.currentChunks(input.tenantId);
        const documents = chunks.map((chunk) => ({ id: chunk.id, text: chunk.text }));
        const options = { dimensions: deps.embedder.dimensions };
        const model = models.external
          ? await fitter.fit(documents, options, {
              denseModel: deps.embedder.model,
              vectors: await embedAll(externalFitTexts(documents, options)),
            })
          : await fitter.fit(documents, { ...options, prior: models.prior() });
        model.fit.chunksReadAt = counts.at.toISOString();
        await reembed(input.tenantId, chunks, model);
        const version = await models.store.save(input.tenantId, model);
        return {
          action: 'refitted',
          version,
          chunks: chunks.length,
          denseWeight: model.denseWeight,
          fitMs: model.fit.ms,
        };
      });
    },

    async failKbDocument(input: { tenantId: string; documentId: string; message: string }): Promise<void> {
      await knowledge.fail(input.tenantId, input.documentId, input.message);
      await deps.store.deleteDocument(input.tenantId, input.documentId);
    },
  };
}

export type KnowledgeActivities = ReturnType<typeof createKnowledgeActivities>;
