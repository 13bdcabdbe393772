/**
 * Row-level security, the second wall: through the application's pool (role triage_app), a query that forgets
 * its tenant filter still reads and writes only the rows of the tenant its transaction names, and nothing when
 * none is named. Every table with a tenant_id column must have the policy: a table added without one fails here.
 */
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { APP_ROLE, type PlatformDb, createAppDb, createDb, withTenant } from '../../src/stores/db';
import { TicketRepository } from '../../src/stores/ticket-repository';
import { NotificationRepository } from '../../src/stores/notification-repository';
import { KnowledgeRepository } from '../../src/stores/knowledge-repository';
import { AgentRepository } from '../../src/stores/agent-repository';
import { RateLimitRepository } from '../../src/stores/rate-limit-repository';
import { TenantRepository } from '../../src/stores/tenant-repository';
import { testSecretBox } from '../helpers/harness';
import { mirror } from '../helpers/ticket-mirror';

let platform: PlatformDb;
let app: Knex;
/** One connection: shows that a tenant set in one transaction does not outlive it on a pooled connection. */
let appOneConnection: Knex;
let tenantA: string;
let tenantB: string;
const ticketOf = new Map<string, string>();

/** Every table of the schema with a tenant_id column (the tables the policies must cover). */
async function tenantOwnedTables(): Promise<string[]> {
  const { rows } = await platform.raw<{ rows: Array<{ table_name: string }> }>(
    `SELECT c.table_name FROM information_schema.columns c
       JOIN information_schema.tables t USING (table_schema, table_name)
      WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE'
      ORDER BY 1`,
  );
  return rows.map((r) => r.table_name);
}

/** Writes a little of everything for one tenant, through the repositories on the application's pool. */
async function seed(tenantId: string): Promise<void> {
  const tickets = new TicketRepository(app, platform);
  const { ticket } = await tickets.create({
    tenantId,
    title: 'printer on fire',
    content: 'it is on fire',
    requesterEmail: null,
    priority: 'high',
    priorityPinned: false,
    customerTier: 'standard',
    source: 'api',
    metadata: {},
    externalId: null,
    createdBy: 'test',
    idempotencyKey: null,
    requestHash: 'h',
  });
  // Marked started at once: the outbox relay of another test file's API (same database) must leave it alone.
  await tickets.markWorkflowStarted(tenantId, ticket.id);
  ticketOf.set(tenantId, ticket.id);
  await tickets.applyChange({
    eventId: crypto.randomUUID(),
    ticketId: ticket.id,
    tenantId,
    stateVersion: 1,
    actor: { role: 'agent', id: 'alice' },
    action: 'comment',
    fromStatus: 'new',
    mirror: mirror({ priority: 'high' }),
    message: { authorType: 'agent', authorId: 'alice', body: 'on it', isPublic: true },
  });
  await new NotificationRepository(app, testSecretBox).create({
    tenantId,
    type: 'webhook',
    name: 'hook',
    url: 'https://hooks.example.com/x',
    events: ['breach'],
  });
  await new KnowledgeRepository(app).register({
    tenantId,
    externalId: null,
    title: 'doc',
    source: null,
    format: 'text',
    content: `content of ${tenantId}`,
    contentHash: crypto.randomUUID(),
  });
  await new AgentRepository(app, testSecretBox, platform).create({
    tenantId,
    name: 'agent',
    description: null,
    kind: 'custom',
    systemPrompt: 'Be nice to every customer.',
    llmConfig: { provider: 'openai', model: 'gpt-4o-mini', temperature: 0, max_tokens: 100 },
    tools: [],
    limits: {},
    createdBy: 'test',
  });
  await new RateLimitRepository(app).hit(tenantId, 60);
}

beforeAll(async () => {
  platform = createDb(process.env.TEST_DATABASE_URL!, 2);
  app = createAppDb(process.env.TEST_DATABASE_URL!, 4);
  appOneConnection = createAppDb(process.env.TEST_DATABASE_URL!, 1);
  const tenants = new TenantRepository(app, platform);
  const create = async () =>
    (
      await tenants.create({
        slug: `rls-${crypto.randomUUID().slice(0, 8)}`,
        name: 'RLS',
        tier: 'standard',
        settings: {},
      })
    ).id;
  tenantA = await create();
  tenantB = await create();
  await seed(tenantA);
  await seed(tenantB);
});
afterAll(async () => {
  await Promise.all([app?.destroy(), appOneConnection?.destroy(), platform?.destroy()]);
});

test('the application pool works as the non-owner role', async () => {
  const { rows } = await app.raw('select current_user');
  expect(rows[0].current_user).toBe(APP_ROLE);
});

test('every tenant-owned table has row-level security and the tenant policy, for reads and writes', async () => {
  const tables = await tenantOwnedTables();
  expect(tables).toEqual(expect.arrayContaining(['tickets', 'messages', 'api_rate_counters', 'agents']));
  const { rows } = await platform.raw<{
    rows: Array<{
      table: string;
      enabled: boolean;
      cmd: string | null;
      qual: string | null;
      check: string | null;
    }>;
  }>(
    `SELECT c.relname AS table, c.relrowsecurity AS enabled, p.cmd, p.qual, p.with_check AS check
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_policies p ON p.schemaname = n.nspname AND p.tablename = c.relname
      WHERE n.nspname = 'public' AND c.relname = ANY (?)`,
    [tables],
  );
  const missing = tables.filter((table) => {
    const policies = rows.filter((r) => r.table === table);
    const tenantPolicy = policies.find(
      (p) =>
        p.cmd === 'ALL' &&
        /tenant_id = \(?NULLIF\(current_setting\('app\.tenant_id'::text, true\), ''::text\)\)?::uuid/i.test(
          `${p.qual}`,
        ) &&
        p.qual === p.check,
    );
    // Any other policy would widen what the tenant policy allows (permissive policies are OR-ed).
    return !(policies[0]?.enabled && tenantPolicy && policies.length === 1);
  });
  expect(missing).toEqual([]);
});

test('a query without a tenant filter sees only the rows of the tenant its transaction names', async () => {
  for (const table of await tenantOwnedTables()) {
    for (const tenant of [tenantA, tenantB]) {
      const seen: Array<{ tenant_id: string }> = await withTenant(app, tenant, (trx) =>
        trx(table).select('tenant_id'),
      );
      const own = await platform(table)
        .where({ tenant_id: tenant })
        .count<Array<{ count: string }>>('* as count');
      expect({ table, others: seen.filter((r) => r.tenant_id !== tenant).length }).toEqual({
        table,
        others: 0,
      });
      expect({ table, count: seen.length }).toEqual({ table, count: Number(own[0]!.count) });
    }
  }
  // The seeds wrote into these tables for both tenants: the filter above is not vacuous.
  for (const table of [
    'tickets',
    'audit_log',
    'messages',
    'notification_targets',
    'kb_documents',
    'agents',
  ]) {
    const both = await platform(table)
      .whereIn('tenant_id', [tenantA, tenantB])
      .countDistinct('tenant_id as n');
    expect({ table, tenants: Number(both[0]!.n) }).toEqual({ table, tenants: 2 });
  }
});

test('rows of another tenant can be neither written nor changed nor deleted (WITH CHECK)', async () => {
  const ticketB = ticketOf.get(tenantB)!;
  const insertB = withTenant(app, tenantA, (trx) =>
    trx('tickets').insert({
      id: crypto.randomUUID(),
      tenant_id: tenantB,
      title: 'planted',
      content: 'planted',
      created_by: 'intruder',
      workflow_id: crypto.randomUUID(),
    }),
  );
  await expect(insertB).rejects.toThrow(/row-level security/);
  const messageB = withTenant(app, tenantA, (trx) =>
    trx('messages').insert({
      ticket_id: ticketB,
      tenant_id: tenantB,
      author_type: 'agent',
      body: 'x',
      is_public: true,
    }),
  );
  await expect(messageB).rejects.toThrow(/row-level security/);
  // Moving an own row to the other tenant is refused too.
  const move = withTenant(app, tenantA, (trx) =>
    trx('tickets')
      .where({ id: ticketOf.get(tenantA)! })
      .update({ tenant_id: tenantB }),
  );
  await expect(move).rejects.toThrow(/row-level security/);
  // Unfiltered updates and deletes reach the own rows only.
  const updated = await withTenant(app, tenantA, (trx) =>
    trx('notification_targets').update({ name: 'renamed' }),
  );
  expect(updated).toBe(
    await platform('notification_targets')
      .where({ tenant_id: tenantA })
      .count()
      .then((r) => Number(r[0]!.count)),
  );
  expect(await withTenant(app, tenantA, (trx) => trx('tickets').where({ id: ticketB }).delete())).toBe(0);
  expect(await platform('notification_targets').where({ tenant_id: tenantB, name: 'renamed' })).toHaveLength(
    0,
  );
  expect(await platform('tickets').where({ id: ticketB })).toHaveLength(1);
});

test('without a tenant, the application sees nothing; a tenant never outlives its transaction', async () => {
  expect(await app('tickets').select('id')).toEqual([]);
  await expect(
    app('tickets').insert({
      id: crypto.randomUUID(),
      tenant_id: tenantA,
      title: 'no tenant',
      content: 'no tenant',
      created_by: 'x',
      workflow_id: crypto.randomUUID(),
    }),
  ).rejects.toThrow(/row-level security/);
  // Same (only) connection: inside the transaction the tenant's rows, after it none.
  const inside = await withTenant(appOneConnection, tenantA, (trx) => trx('tickets').select('id'));
  expect(inside.length).toBeGreaterThan(0);
  expect(await appOneConnection('tickets').select('id')).toEqual([]);
  const { rows } = await appOneConnection.raw(`select current_setting('app.tenant_id', true) as tenant`);
  expect(rows[0].tenant ?? '').toBe('');
});

test('tenants: every row readable, own settings writable, creating tenants and DDL are the platform’s', async () => {
  const tenants = await app('tenants').whereIn('id', [tenantA, tenantB]);
  expect(tenants).toHaveLength(2);
  await expect(
    app('tenants').insert({ slug: `rls-x${crypto.randomUUID().slice(0, 6)}`, name: 'x' }),
  ).rejects.toThrow(/permission denied/);
  const repo = new TenantRepository(app, platform);
  expect((await repo.updateSettings(tenantA, { products: ['P'] })).settings).toEqual({ products: ['P'] });
  // Another tenant's row: no update happens, whatever the query says.
  const changed = await withTenant(app, tenantA, (trx) =>
    trx('tenants').where({ id: tenantB }).update({ settings: {} }),
  );
  expect(changed).toBe(0);
  await expect(
    withTenant(app, tenantA, (trx) => trx('tenants').where({ id: tenantA }).update({ name: 'x' })),
  ).rejects.toThrow(/permission denied/);
  await expect(app.raw('truncate tickets')).rejects.toThrow(/permission denied/);
  await expect(app('knex_migrations').select('*')).rejects.toThrow(/permission denied/);
});
