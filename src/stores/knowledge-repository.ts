/** Knowledge-base documents and chunks in Postgres: the source of truth the vector store is built from. */
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { isUniqueViolation, withTenant } from './db';

export interface KbDocumentRow {
  id: string;
  tenant_id: string;
  external_id: string | null;
  title: string;
  source: string | null;
  format: 'markdown' | 'html' | 'text';
  content: string;
  content_hash: string;
  version: number;
  status: 'ingesting' | 'ready' | 'failed' | 'archived';
  chunk_count: number;
  is_current: boolean;
  archived_at: Date | null;
  error_message: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface KbChunkRow {
  id: string;
  tenant_id: string;
  document_id: string;
  chunk_index: number;
  heading_path: string;
  text: string;
  chunk_hash: string;
  version: number;
}

export interface CurrentChunk {
  id: string;
  text: string;
  documentId: string;
  externalId: string | null;
  title: string;
  version: number;
}

/** Chunk ids are derived, so re-running an ingestion step writes the same rows and points again. */
export function chunkId(documentId: string, index: number): string {
  const hex = crypto.createHash('sha256').update(`${documentId}:${index}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export type NewDocumentOutcome =
  | { kind: 'unchanged'; document: KbDocumentRow }
  | { kind: 'created' | 'updated'; document: KbDocumentRow; previous: KbDocumentRow | null };

export class KnowledgeRepository {
  constructor(private readonly db: Knex) {}

  /**
   * Registers a document to ingest. The same content already current for the tenant is `unchanged`; an
   * `external_id` that has a current version makes a new version of it.
   */
  async register(input: {
    tenantId: string;
    externalId: string | null;
    title: string;
    source: string | null;
    format: KbDocumentRow['format'];
    content: string;
    contentHash: string;
  }): Promise<NewDocumentOutcome> {
    return withTenant(this.db, input.tenantId, (trx) => this.registerIn(trx, input));
  }

  private async registerIn(
    trx: Knex.Transaction,
    input: Parameters<KnowledgeRepository['register']>[0],
  ): Promise<NewDocumentOutcome> {
    const same = await trx('kb_documents')
      .where({ tenant_id: input.tenantId, content_hash: input.contentHash })
      .whereIn('status', ['ready', 'ingesting'])
      .orderBy('created_at', 'desc')
      .first();
    if (same && (same.is_current || same.status === 'ingesting')) {
      return { kind: 'unchanged', document: same };
    }
    const previous: KbDocumentRow | null = input.externalId
      ? ((await trx('kb_documents')
          .where({ tenant_id: input.tenantId, external_id: input.externalId, is_current: true })
          .first()) ?? null)
      : null;
    const [document] = await trx('kb_documents')
      .insert({
        tenant_id: input.tenantId,
        external_id: input.externalId,
        title: input.title,
        source: input.source,
        format: input.format,
        content: input.content,
        content_hash: input.contentHash,
        version: (previous?.version ?? 0) + 1,
        status: 'ingesting',
        is_current: false,
      })
      .returning('*');
    return { kind: previous ? 'updated' : 'created', document, previous };
  }

  async find(tenantId: string, id: string): Promise<KbDocumentRow | undefined> {
    return withTenant(this.db, tenantId, (trx) =>
      trx('kb_documents').where({ tenant_id: tenantId, id }).first(),
    );
  }

  async list(tenantId: string, includeArchived: boolean): Promise<KbDocumentRow[]> {
    return withTenant(this.db, tenantId, (trx) => {
      const q = trx('kb_documents').where({ tenant_id: tenantId }).orderBy('created_at', 'desc').limit(500);
      if (!includeArchived) q.where({ is_current: true });
      return q;
    });
  }

  async saveChunks(
    document: KbDocumentRow,
    chunks: Array<{ headingPath: string; text: string; hash: string }>,
  ): Promise<void> {
    const rows = chunks.map((c, index) => ({
      id: chunkId(document.id, index),
      tenant_id: document.tenant_id,
      document_id: document.id,
      chunk_index: index,
      heading_path: c.headingPath,
      text: c.text,
      chunk_hash: c.hash,
      version: document.version,
    }));
    await withTenant(this.db, document.tenant_id, async (trx) => {
      await trx('kb_chunks').where({ document_id: document.id }).delete();
      for (let i = 0; i < rows.length; i += 500) await trx('kb_chunks').insert(rows.slice(i, i + 500));
      await trx('kb_documents').where({ id: document.id }).update({ chunk_count: rows.length });
    });
  }

  async chunks(tenantId: string, documentId: string, from: number, to: number): Promise<KbChunkRow[]> {
    return withTenant(this.db, tenantId, (trx) =>
      trx('kb_chunks')
        .where({ tenant_id: tenantId, document_id: documentId })
        .where('chunk_index', '>=', from)
        .where('chunk_index', '<', to)
        .orderBy('chunk_index'),
    );
  }

  /** The tenant's current chunks (or one document's), with what a vector-store point carries. */
  async currentChunks(tenantId: string, documentId?: string, since?: Date): Promise<CurrentChunk[]> {
    return withTenant(this.db, tenantId, (trx) => {
      const q = trx('kb_chunks as c')
        .join('kb_documents as d', 'd.id', 'c.document_id')
        .where({ 'c.tenant_id': tenantId, 'c.is_current': true })
        .orderBy([{ column: 'c.document_id' }, { column: 'c.chunk_index' }])
        .select(
          'c.id as id',
          'c.text as text',
          'c.document_id as documentId',
          'd.external_id as externalId',
          'd.title as title',
          'd.version as version',
        );
      if (documentId) q.where('c.document_id', documentId);
      if (since) q.where('c.created_at', '>', since);
      return q;
    });
  }

  /**
   * How many current chunks the tenant has, how many of them were written after `since`, and the database's
   * clock (`at`: chunks written later are newer than this count, whatever the worker's clock says).
   */
  async chunkCounts(
    tenantId: string,
    since: Date | null,
  ): Promise<{ current: number; added: number; at: Date }> {
    const row = await withTenant(this.db, tenantId, (trx) =>
      trx('kb_chunks')
        .where({ tenant_id: tenantId, is_current: true })
        .select(
          trx.raw('count(*)::int as current'),
          trx.raw('count(*) filter (where created_at > ?)::int as added', [since ?? new Date(0)]),
          trx.raw('clock_timestamp() as at'),
        )
        .first(),
    );
    return { current: row?.current ?? 0, added: row?.added ?? 0, at: new Date(row?.at ?? Date.now()) };
  }

  async markEmbedded(tenantId: string, documentId: string, from: number, to: number): Promise<void> {
    await withTenant(this.db, tenantId, (trx) =>
      trx('kb_chunks')
        .where({ tenant_id: tenantId, document_id: documentId })
        .where('chunk_index', '>=', from)
        .where('chunk_index', '<', to)
        .update({ embedded_at: new Date() }),
    );
  }

  /** The new version becomes current and the previous one is archived, in one transaction. */
  async activate(document: KbDocumentRow, previousId: string | null): Promise<void> {
    await withTenant(this.db, document.tenant_id, async (trx) => {
      if (previousId) await this.archiveRows(trx, previousId);
      try {
        // In a savepoint: a unique violation must not abort the surrounding transaction.
        await trx.transaction((savepoint) =>
          savepoint('kb_documents').where({ id: document.id }).update({ is_current: true, status: 'ready' }),
        );
      } catch (error) {
        // The same content became current meanwhile (another request): this copy is redundant.
        if (!isUniqueViolation(error)) throw error;
        await trx('kb_documents')
          .where({ id: document.id })
          .update({ status: 'archived', archived_at: new Date() });
        return;
      }
      await trx('kb_chunks').where({ document_id: document.id }).update({ is_current: true });
    });
  }

  async archive(tenantId: string, id: string): Promise<boolean> {
    const doc = await this.find(tenantId, id);
    if (!doc || doc.status === 'archived') return false;
    await withTenant(this.db, tenantId, (trx) => this.archiveRows(trx, id));
    return true;
  }

  private async archiveRows(trx: Knex.Transaction, documentId: string): Promise<void> {
    const now = new Date();
    await trx('kb_documents')
      .where({ id: documentId })
      .update({ is_current: false, status: 'archived', archived_at: now });
    await trx('kb_chunks').where({ document_id: documentId }).update({ is_current: false, archived_at: now });
  }

  async fail(tenantId: string, documentId: string, message: string): Promise<void> {
    await withTenant(this.db, tenantId, (trx) =>
      trx('kb_documents')
        .where({ tenant_id: tenantId, id: documentId })
        .update({ status: 'failed', error_message: message }),
    );
  }
}
