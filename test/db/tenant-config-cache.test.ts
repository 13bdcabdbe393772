/**
 * The tenant configuration cache (src/stores/tenant-config-cache.ts) against a real PostgreSQL: a second read is
 * served from memory; a change committed by anyone (another process, a psql session) to any of the configuration
 * tables drops the tenant's entries through the triggers' NOTIFY; without its listening connection the cache
 * serves nothing from memory, and it caches again once it has reconnected.
 */
import crypto from 'node:crypto';
import pino from 'pino';
import { type PlatformDb, createAppDb, createDb } from '../../src/stores/db';
import { type TenantConfigCache, listeningTenantConfigCache } from '../../src/stores/tenant-config-cache';
import { IntegrationRepository } from '../../src/stores/integration-repository';
import { TenantRepository } from '../../src/stores/tenant-repository';
import { testSecretBox } from '../helpers/harness';

const url = process.env.TEST_DATABASE_URL!;
const applicationName = `tenant-config-test-${process.pid}`;
let platform: PlatformDb;
let cache: TenantConfigCache;

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function newTenant(): Promise<string> {
  const [row] = await platform('tenants')
    .insert({
      slug: `cache-${crypto.randomUUID().slice(0, 8)}`,
      name: 'Cache test',
      tier: 'standard',
      settings: {},
    })
    .returning('id');
  return row.id as string;
}

/** A loader that counts its calls: how many reads reached the database. */
function counted(value: () => unknown = () => 'v') {
  const loader = async () => {
    loader.calls += 1;
    return value();
  };
  loader.calls = 0;
  return loader;
}

/** Every notification sent so far has reached the cache (they arrive in order: a probe's is the last). */
async function notificationsDelivered(): Promise<void> {
  const probe = crypto.randomUUID();
  const load = counted();
  await cache.get(probe, 'probe', load);
  await platform.raw(`SELECT pg_notify('tenant_config', ?)`, [probe]);
  await until(async () => {
    await cache.get(probe, 'probe', load);
    return load.calls === 2;
  }, 'the probe notification');
}

const listening = async () => {
  const probe = crypto.randomUUID();
  const load = counted();
  await cache.get(probe, 'probe', load);
  await cache.get(probe, 'probe', load);
  return load.calls === 1;
};

beforeAll(async () => {
  platform = createDb(url, 2);
  cache = listeningTenantConfigCache({
    url,
    logger: pino({ level: 'silent' }),
    maxAgeMs: 60_000,
    applicationName,
  });
  await until(listening, 'the listener to connect');
});

afterAll(async () => {
  await cache.stop();
  await platform.destroy();
});

test('a second read is served from memory, per tenant and key', async () => {
  const [a, b] = [crypto.randomUUID(), crypto.randomUUID()];
  const load = counted();
  await cache.get(a, 'k', load);
  await cache.get(a, 'k', load);
  expect(load.calls).toBe(1);
  await cache.get(a, 'other', load);
  await cache.get(b, 'k', load);
  expect(load.calls).toBe(3);
});

test('concurrent readers share one query, and a failed read is not kept', async () => {
  const tenant = crypto.randomUUID();
  const load = counted();
  await Promise.all([
    cache.get(tenant, 'k', load),
    cache.get(tenant, 'k', load),
    cache.get(tenant, 'k', load),
  ]);
  expect(load.calls).toBe(1);
  let fail = true;
  const flaky = counted(() => {
    if (fail) throw new Error('database down');
    return 'ok';
  });
  await expect(cache.get(tenant, 'flaky', flaky)).rejects.toThrow('database down');
  fail = false;
  await expect(cache.get(tenant, 'flaky', flaky)).resolves.toBe('ok');
  expect(flaky.calls).toBe(2);
});

test.each([
  [
    'tenants',
    async (tenantId: string) => platform('tenants').where({ id: tenantId }).update({ name: 'Renamed' }),
  ],
  [
    'tenant_integrations',
    async (tenantId: string) =>
      platform('tenant_integrations').insert({
        tenant_id: tenantId,
        tool_type: 'jira',
        base_url: 'https://example.atlassian.net',
        settings: {},
        credentials_sealed: 'x',
        is_active: true,
      }),
  ],
  [
    'agents',
    async (tenantId: string) =>
      platform('agents').insert({
        tenant_id: tenantId,
        name: 'triager',
        kind: 'custom',
        status: 'draft',
        system_prompt: 'You triage tickets.',
        llm_config: {},
        tools: JSON.stringify([]),
        limits: {},
        current_version: 1,
        created_by: 'test',
      }),
  ],
])('a change to %s committed elsewhere drops the tenant’s entries', async (_table, change) => {
  const tenantId = await newTenant();
  const other = await newTenant();
  await notificationsDelivered(); // the tenants' own creation
  const load = counted();
  const otherLoad = counted();
  await cache.get(tenantId, 'k', load);
  await cache.get(other, 'k', otherLoad);
  await change(tenantId);
  await until(async () => {
    await cache.get(tenantId, 'k', load);
    return load.calls === 2;
  }, 'the notification');
  await cache.get(other, 'k', otherLoad);
  expect(otherLoad.calls).toBe(1);
});

test('every configuration table a ticket reads announces its changes', async () => {
  const { rows } = await platform.raw<{ rows: Array<{ table: string }> }>(
    `SELECT c.relname AS table FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
      WHERE t.tgname LIKE '%config_notify' ORDER BY 1`,
  );
  expect(rows.map((r) => r.table)).toEqual([
    'agent_triggers',
    'agents',
    'kb_retrieval_models',
    'tenant_integrations',
    'tenants',
  ]);
});

test('the repositories read through the cache and drop what they change themselves', async () => {
  const tenantId = await newTenant();
  const app = createAppDb(url, 2);
  try {
    const integrations = new IntegrationRepository(app, testSecretBox, cache);
    const tenants = new TenantRepository(app, platform, cache);
    expect(await integrations.isActive(tenantId)).toBe(false);
    const tenant = await tenants.findByIdOrSlug(tenantId);
    // Served from memory: the same row object.
    expect(await tenants.findByIdOrSlug(tenantId)).toBe(tenant);
    expect(await tenants.findByIdOrSlug(tenant!.slug)).toBe(tenant);
    // Read-your-writes in this process, without waiting for the notification.
    await integrations.save(
      tenantId,
      {
        tool_type: 'jira',
        base_url: 'https://example.atlassian.net',
        settings: {},
        credentials: {},
      } as never,
      null,
    );
    expect(await integrations.isActive(tenantId)).toBe(true);
    const updated = await tenants.updateSettings(tenantId, { categories: ['billing'] });
    expect((await tenants.findByIdOrSlug(tenantId))!.settings).toEqual(updated.settings);
  } finally {
    await app.destroy();
  }
});

test('without its listener the cache reads through, and caches again once reconnected', async () => {
  await platform.raw(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ?`, [
    applicationName,
  ]);
  const tenant = crypto.randomUUID();
  const load = counted();
  // Until the loss is noticed a read may still be cached; once noticed, every read goes to the database.
  await until(async () => {
    const before = load.calls;
    await cache.get(tenant, 'k', load);
    await cache.get(tenant, 'k', load);
    return load.calls - before === 2;
  }, 'the cache to notice the lost listener');
  await until(listening, 'the listener to reconnect');
});
