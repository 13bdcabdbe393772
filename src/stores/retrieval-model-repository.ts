/**
 * Where each tenant's fitted retrieval model lives (`kb_retrieval_models`): versioned with the knowledge base,
 * the highest version current, gzipped JSON so the worker and the API load it in milliseconds. Readers cache
 * the model and only ask Postgres for the current version number on each search.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Knex } from 'knex';
import { type TenantConfigCache, uncachedTenantConfig } from './tenant-config-cache';
import { withTenant } from './db';
import {
  type TenantRetrievalModel,
  type TenantRetrievalModelJson,
  retrievalModelFromJSON,
  retrievalModelToJSON,
} from '../ml/retrieval-model';
import type { RetrievalModelSource } from '../connectors/ai/retriever';

export interface RetrievalModelInfo {
  version: number;
  fittedChunks: number;
  fittedAt: Date;
}

export interface RetrievalModelStore extends RetrievalModelSource {
  /** The current version's metadata, without loading the model. */
  latest(tenantId: string): Promise<RetrievalModelInfo | null>;
  /** Stores a new version (the current one + 1) and returns it; keeps the previous version, drops older ones. */
  save(tenantId: string, model: TenantRetrievalModel): Promise<number>;
  /** Runs `work` while no other fit of this tenant's model runs (fits re-embed every chunk: they must not interleave). */
  exclusive<T>(tenantId: string, work: () => Promise<T>): Promise<T>;
}

export function encodeModel(model: TenantRetrievalModel): Buffer {
  return gzipSync(JSON.stringify(retrievalModelToJSON(model)));
}

export function decodeModel(data: Buffer): TenantRetrievalModel {
  return retrievalModelFromJSON(JSON.parse(gunzipSync(data).toString('utf8')) as TenantRetrievalModelJson);
}

/** Loads a version once and keeps the newest per tenant. */
function cachedSource(
  latest: (tenantId: string) => Promise<RetrievalModelInfo | null>,
  load: (tenantId: string, version: number) => Promise<TenantRetrievalModel>,
): RetrievalModelSource['current'] {
  const cache = new Map<string, { version: number; model: Promise<TenantRetrievalModel> }>();
  return async (tenantId) => {
    const info = await latest(tenantId);
    if (!info) return null;
    let entry = cache.get(tenantId);
    if (!entry || entry.version !== info.version) {
      entry = { version: info.version, model: load(tenantId, info.version) };
      cache.set(tenantId, entry);
      entry.model.catch(() => cache.delete(tenantId));
    }
    return { version: entry.version, model: await entry.model };
  };
}

/**
 * `tenantConfig` keeps the latest version per tenant between retrievals (every retrieval asked before); a new
 * version written by any process is announced by the table's trigger and drops it.
 */
export function createPostgresRetrievalModelStore(
  db: Knex,
  tenantConfig: TenantConfigCache = uncachedTenantConfig,
): RetrievalModelStore {
  async function latest(tenantId: string): Promise<RetrievalModelInfo | null> {
    const row = await withTenant(db, tenantId, (trx) =>
      trx('kb_retrieval_models')
        .where({ tenant_id: tenantId })
        .orderBy('version', 'desc')
        .first('version', 'fitted_chunks', 'created_at'),
    );
    return row ? { version: row.version, fittedChunks: row.fitted_chunks, fittedAt: row.created_at } : null;
  }
  async function load(tenantId: string, version: number): Promise<TenantRetrievalModel> {
    const row = await withTenant(db, tenantId, (trx) =>
      trx('kb_retrieval_models').where({ tenant_id: tenantId, version }).first('model'),
    );
    if (!row) throw new Error(`retrieval model ${version} of tenant ${tenantId} is gone`);
    return decodeModel(row.model as Buffer);
  }
  return {
    latest,
    current: cachedSource(
      (tenantId) => tenantConfig.get(tenantId, 'retrieval-model', () => latest(tenantId)),
      load,
    ),
    async save(tenantId, model) {
      const write = () =>
        withTenant(db, tenantId, async (trx) => {
          const row = await trx('kb_retrieval_models')
            .where({ tenant_id: tenantId })
            .max('version as max')
            .first();
          const version = Number(row?.max ?? 0) + 1;
          await trx('kb_retrieval_models').insert({
            tenant_id: tenantId,
            version,
            fitted_chunks: model.fit.chunks,
            dense_weight: model.denseWeight,
            summary: JSON.stringify({ fit: model.fit, calibration: model.calibration }),
            model: encodeModel(model),
          });
          await trx('kb_retrieval_models')
            .where({ tenant_id: tenantId })
            .where('version', '<', version - 1)
            .delete();
          return version;
        });
      return tenantConfig.changing(tenantId, write);
    },
    async exclusive(tenantId, work) {
      // A transaction-scoped advisory lock, held on one connection for the duration of the work.
      return db.transaction(async (trx) => {
        await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`kb-retrieval-model:${tenantId}`]);
        return work();
      });
    },
  };
}

/** For a stack without a database (tools, some tests): models live in this process only. */
export function createMemoryRetrievalModelStore(): RetrievalModelStore {
  const models = new Map<string, Array<{ version: number; model: TenantRetrievalModel; fittedAt: Date }>>();
  const locks = new Map<string, Promise<unknown>>();
  const latest = async (tenantId: string) => {
    const last = models.get(tenantId)?.at(-1);
    return last
      ? { version: last.version, fittedChunks: last.model.fit.chunks, fittedAt: last.fittedAt }
      : null;
  };
  return {
    latest,
    current: async (tenantId) => {
      const last = models.get(tenantId)?.at(-1);
      return last ? { version: last.version, model: last.model } : null;
    },
    async save(tenantId, model) {
      const list = models.get(tenantId) ?? [];
      const version = (list.at(-1)?.version ?? 0) + 1;
      list.push({ version, model, fittedAt: new Date() });
      models.set(tenantId, list.slice(-2));
      return version;
    },
    exclusive(tenantId, work) {
      const run = (locks.get(tenantId) ?? Promise.resolve()).then(work);
      locks.set(
        tenantId,
        run.catch(() => undefined),
      );
      return run;
    },
  };
}
