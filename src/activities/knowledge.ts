/** Activities of knowledge-base ingestion: parse and chunk, embed and index in batches, then switch versions. */
import type { Embedder, SparseEncoder } from '../connectors/ai/ports';
import { chunkDocument, parseDocument, sha256 } from '../knowledge';
import type { VectorStore } from '../stores/vector';
import type { KnowledgeRepository } from '../stores/knowledge-repository';

export interface KnowledgeActivityDeps {
  knowledge: KnowledgeRepository;
  embedder: Embedder;
  sparse: SparseEncoder;
  store: VectorStore;
}

export function createKnowledgeActivities(deps: KnowledgeActivityDeps) {
  const { knowledge } = deps;

  async function load(tenantId: string, documentId: string) {
    const document = await knowledge.find(tenantId, documentId);
    if (!document) throw new Error(`knowledge document ${documentId} not found`);
    return document;
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
      const chunks = await knowledge.chunks(document.id, input.from, input.to);
      if (chunks.length === 0) return 0;
      await deps.store.ensureReady(deps.embedder.dimensions);
      const dense = await deps.embedder.embed(chunks.map((c) => c.text));
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
      await knowledge.markEmbedded(document.id, input.from, input.to);
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

    async failKbDocument(input: { tenantId: string; documentId: string; message: string }): Promise<void> {
      await knowledge.fail(input.documentId, input.message);
      await deps.store.deleteDocument(input.tenantId, input.documentId);
    },
  };
}

export type KnowledgeActivities = ReturnType<typeof createKnowledgeActivities>;
