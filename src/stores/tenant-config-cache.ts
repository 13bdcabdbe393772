/**
 * What every ticket reads of its tenant's configuration (the tenant row, whether an ITSM tool is active, the
 * agents a ticket event starts, the latest retrieval model), kept in this process and dropped the moment
 * PostgreSQL says it changed. Without it a triaged ticket read the same few rows seven times, each read a
 * transaction of four round trips (BEGIN, set_config, the query, COMMIT): 19 of its 48 statements.
 *
 * Invalidation: triggers on the configuration tables (migration 20261203000000) send `NOTIFY tenant_config,
 * '<tenant id>'` when their transaction commits; one listening connection per process drops that tenant's
 * entries on arrival. Writes made through this process drop them at once as well (read-your-writes without
 * waiting for the notification). While the listener is not connected (starting, PostgreSQL restarting, a
 * pooler that drops LISTEN) every read goes to the database: a stale answer is never served for lack of a
 * notification. `maxAgeMs` bounds an entry's life anyway, should a notification be lost on a half-open socket.
 */
import pg from 'pg';
import type { Logger } from '../platform/logger';

export const TENANT_CONFIG_CHANNEL = 'tenant_config';

export interface TenantConfigCache {
  /** The cached value of `key` for the tenant, or `load()`'s (kept while no change of the tenant is heard of). */
  get<T>(tenantId: string, key: string, load: () => Promise<T>): Promise<T>;
  /**
   * Runs a write of the tenant's configuration through this process, then drops the tenant's entries (also when
   * the write failed: it may have committed), so this process reads its own writes without waiting for NOTIFY.
   */
  changing<T>(tenantId: string, write: () => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

/** Every read goes to the database (caching switched off, and tests of a repository alone). */
export const uncachedTenantConfig: TenantConfigCache = {
  get: (_tenantId, _key, load) => load(),
  changing: (_tenantId, write) => write(),
  stop: async () => undefined,
};

/** Closes a listening connection without hearing from it again. */
function close(client: pg.Client | undefined): Promise<void> {
  client?.removeAllListeners();
  client?.on('error', () => undefined);
  return client?.end().catch(() => undefined) ?? Promise.resolve();
}

interface Entry {
  value: Promise<unknown>;
  storedAt: number;
}

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 30_000;

/** Listens on `url` (any role may LISTEN) and caches while the listener is connected. */
export function listeningTenantConfigCache(options: {
  url: string;
  logger: Logger;
  maxAgeMs: number;
  /** How the listening connection shows in pg_stat_activity. */
  applicationName?: string;
}): TenantConfigCache {
  const { url, logger, maxAgeMs, applicationName = 'tenant-config-listener' } = options;
  const entries = new Map<string, Map<string, Entry>>();
  let client: pg.Client | undefined;
  let listening = false;
  let stopped = false;
  let reconnectDelay = RECONNECT_MIN_MS;
  let reconnectTimer: NodeJS.Timeout | undefined;

  const invalidate = (tenantId: string) => entries.delete(tenantId);

  /** Nothing cached survives a gap in listening: a change may have gone unheard meanwhile. */
  function lost(reason: string): void {
    if (listening) logger.warn({ reason }, 'tenant configuration cache: listener lost, reading through');
    listening = false;
    entries.clear();
    void close(client);
    client = undefined;
    if (stopped || reconnectTimer) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void connect();
    }, reconnectDelay);
    reconnectTimer.unref();
    reconnectDelay = Math.min(reconnectDelay * 2, RECONNECT_MAX_MS);
  }

  async function connect(): Promise<void> {
    if (stopped) return;
    const next = new pg.Client({
      connectionString: url,
      keepAlive: true,
      application_name: applicationName,
    });
    client = next;
    next.on('error', (error) => lost(error.message));
    next.on('end', () => lost('connection ended'));
    next.on('notification', (message) => {
      if (message.channel === TENANT_CONFIG_CHANNEL && message.payload) invalidate(message.payload);
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${TENANT_CONFIG_CHANNEL}`);
    } catch (error) {
      if (client === next) lost((error as Error).message);
      return;
    }
    if (stopped || client !== next) return;
    entries.clear();
    listening = true;
    reconnectDelay = RECONNECT_MIN_MS;
  }

  void connect();

  return {
    async get<T>(tenantId: string, key: string, load: () => Promise<T>): Promise<T> {
      if (!listening) return load();
      let forTenant = entries.get(tenantId);
      const hit = forTenant?.get(key);
      const now = Date.now();
      if (hit && now - hit.storedAt < maxAgeMs) return hit.value as Promise<T>;
      if (!forTenant) entries.set(tenantId, (forTenant = new Map()));
      // The promise is kept, so concurrent readers share one query; an invalidation while it runs drops it.
      const value = load();
      const entry: Entry = { value, storedAt: now };
      forTenant.set(key, entry);
      value.catch(() => {
        if (entries.get(tenantId)?.get(key) === entry) entries.get(tenantId)!.delete(key);
      });
      return value;
    },
    async changing<T>(tenantId: string, write: () => Promise<T>): Promise<T> {
      try {
        return await write();
      } finally {
        invalidate(tenantId);
      }
    },
    async stop() {
      stopped = true;
      listening = false;
      entries.clear();
      if (reconnectTimer) clearTimeout(reconnectTimer);
      const last = client;
      client = undefined;
      await close(last);
    },
  };
}
