/**
 * /v1/kb: the tenant's knowledge base. Admins add documents (each ingestion is a Temporal workflow: chunk,
 * embed, index, switch versions) and archive them; agents search.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { KnowledgeSearch } from '../../connectors/ai/retriever';
import type { KbDocumentRow, KnowledgeRepository } from '../../stores/knowledge-repository';
import { contentHash, detectFormat } from '../../knowledge';
import type { VectorStore } from '../../stores/vector';
import { isUuid } from '../../domain/uuid';
import { requireRole } from '../auth';
import { parseOr400, problems } from '../problems';
import type { TicketWorkflows } from '../workflow-gateway';

export const documentSchema = z
  .object({
    title: z.string().trim().min(1).max(500),
    content: z.string().min(1).max(2_000_000),
    format: z.enum(['markdown', 'html', 'text']).optional(),
    source: z.string().trim().min(1).max(1024).optional(),
    external_id: z.string().trim().min(1).max(512).optional(),
  })
  .strict();

export const searchSchema = z
  .object({ query: z.string().trim().min(1).max(2000), limit: z.number().int().min(1).max(50).default(5) })
  .strict();

export const listQuerySchema = z.object({ include_archived: z.enum(['true', 'false']).optional() }).strict();

/** How long POST waits for a small document to be ready before answering 202. */
const WAIT_FOR_READY_MS = 20_000;

export interface KnowledgeRouterDeps {
  knowledge: KnowledgeRepository;
  search: KnowledgeSearch;
  store: VectorStore;
  workflows: TicketWorkflows;
}

function presentDocument(d: KbDocumentRow) {
  return {
    id: d.id,
    external_id: d.external_id,
    title: d.title,
    source: d.source,
    format: d.format,
    version: d.version,
    status: d.status,
    is_current: d.is_current,
    chunk_count: d.chunk_count,
    content_hash: d.content_hash,
    error: d.error_message,
    archived_at: d.archived_at?.toISOString() ?? null,
    created_at: d.created_at.toISOString(),
    updated_at: d.updated_at.toISOString(),
  };
}

export function createKnowledgeRouter(deps: KnowledgeRouterDeps): Router {
  const router = Router();

  router.post('/documents', requireRole('admin'), async (req, res) => {
    const body = parseOr400(documentSchema, req.body);
    const tenantId = req.tenant!.id;
    const format = body.format ?? detectFormat({ filename: body.source, content: body.content }) ?? 'text';
    const outcome = await deps.knowledge.register({
      tenantId,
      externalId: body.external_id ?? null,
      title: body.title,
      source: body.source ?? null,
      format,
      content: body.content,
      contentHash: contentHash({ title: body.title, content: body.content, format }),
    });
    if (outcome.kind === 'unchanged') {
      res.json({ status: 'unchanged', document: presentDocument(outcome.document) });
      return;
    }
    const progress = await deps.workflows.ingestDocument(
      { tenantId, documentId: outcome.document.id, previousId: outcome.previous?.id ?? null },
      WAIT_FOR_READY_MS,
    );
    const document = (await deps.knowledge.find(tenantId, outcome.document.id))!;
    if (progress?.state === 'failed') {
      throw problems.validation([
        { field: 'content', message: `the document could not be ingested: ${progress.error}` },
      ]);
    }
    const ready = progress?.state === 'ready';
    res
      .status(ready ? (outcome.kind === 'created' ? 201 : 200) : 202)
      .location(`/v1/kb/documents/${document.id}`)
      .json({ status: ready ? outcome.kind : 'ingesting', document: presentDocument(document), progress });
  });

  router.get('/documents', requireRole('agent', 'admin'), async (req, res) => {
    const q = parseOr400(listQuerySchema, req.query);
    const rows = await deps.knowledge.list(req.tenant!.id, q.include_archived === 'true');
    res.json({ items: rows.map(presentDocument) });
  });

  router.get('/documents/:id', requireRole('agent', 'admin'), async (req, res) => {
    const id = String(req.params.id);
    const doc = isUuid(id) ? await deps.knowledge.find(req.tenant!.id, id) : undefined;
    if (!doc) throw problems.notFound('document');
    const progress = doc.status === 'ingesting' ? await deps.workflows.ingestProgress(doc.id) : undefined;
    res.json({ ...presentDocument(doc), ...(progress ? { progress } : {}) });
  });

  /** Archives: the chunks leave search, the rows stay (seed 003's archived_at). */
  router.delete('/documents/:id', requireRole('admin'), async (req, res) => {
    const id = String(req.params.id);
    if (!isUuid(id) || !(await deps.knowledge.archive(req.tenant!.id, id))) {
      throw problems.notFound('document');
    }
    await deps.store.archiveDocument(req.tenant!.id, id);
    res.status(204).end();
  });

  router.post('/search', requireRole('agent', 'admin'), async (req, res) => {
    const body = parseOr400(searchSchema, req.body);
    const hits = await deps.search.search({ tenantId: req.tenant!.id, query: body.query, limit: body.limit });
    res.json({
      results: hits.map((h) => ({
        document_id: h.documentId,
        external_id: h.externalId,
        title: h.title,
        chunk_id: h.chunkId,
        text: h.text,
        score: h.score,
      })),
    });
  });

  return router;
}
