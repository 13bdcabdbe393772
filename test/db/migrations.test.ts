/** Migrations go up, down to nothing, and up again, on a database of their own; constraints hold. */
import crypto from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { createDb, migrateToLatest } from '../../src/stores/db';

let admin: Knex;
let db: Knex;
const name = `triage_migrations_${crypto.randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  admin = knexFactory({ client: 'pg', connection: process.env.TEST_DATABASE_URL!, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE DATABASE ${name}`);
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.pathname = `/${name}`;
  db = createDb(url.toString(), 2);
});
afterAll(async () => {
  await db?.destroy();
  await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.destroy();
});

const tables = async () =>
  (
    await db.raw(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'knex_%' ORDER BY 1`,
    )
  ).rows.map((r: { tablename: string }) => r.tablename);

test('up, down, up again', async () => {
  await migrateToLatest(db);
  const all = [
    'agent_execution_steps',
    'agent_executions',
    'agent_triggers',
    'agent_versions',
    'agents',
    'api_rate_counters',
    'audit_log',
    'inbound_events',
    'integration_sync_logs',
    'kb_chunks',
    'kb_documents',
    'kb_retrieval_models',
    'messages',
    'notification_deliveries',
    'notification_targets',
    'sla_events',
    'tenant_integrations',
    'tenants',
    'ticket_external_refs',
    'ticket_rollup_assignees',
    'ticket_rollup_counts',
    'ticket_rollup_deltas',
    'ticket_rollup_latencies',
    'tickets',
    'triage_results',
  ];
  expect(await tables()).toEqual(all);

  const [tenant] = await db('tenants').insert({ slug: 'acme', name: 'Acme' }).returning('*');
  const ticket = {
    id: crypto.randomUUID(),
    tenant_id: tenant.id,
    title: 't',
    content: 'c',
    created_by: 'x',
    workflow_id: 'w1',
  };
  await db('tickets').insert(ticket);

  await db.migrate.rollback(undefined, true);
  expect(await tables()).toEqual([]);
  await migrateToLatest(db);
  expect(await tables()).toEqual(all);
});

test('the database enforces statuses, ranges and one current triage result', async () => {
  const [tenant] = await db('tenants').insert({ slug: 'checks', name: 'Checks' }).returning('*');
  const base = { tenant_id: tenant.id, title: 't', content: 'c', created_by: 'x' };
  const insert = (extra: object) =>
    db('tickets').insert({ ...base, id: crypto.randomUUID(), workflow_id: crypto.randomUUID(), ...extra });
  await expect(insert({ status: 'lost' })).rejects.toThrow(/tickets_status_valid/);
  await expect(insert({ priority: 'whenever' })).rejects.toThrow(/tickets_priority_valid/);
  await expect(insert({ customer_tier: 'gold' })).rejects.toThrow(/tickets_tier_valid/);
  await expect(insert({ status: 'resolved' })).rejects.toThrow(/tickets_resolved_has_time/);
  await expect(insert({ escalation_level: 7 })).rejects.toThrow(/escalation_level_range/);
  await expect(db('tenants').insert({ slug: 'Bad Slug', name: 'x' })).rejects.toThrow(/tenants_slug_format/);

  const id = crypto.randomUUID();
  await insert({ id });
  const triage = (runId: string) => ({
    ticket_id: id,
    tenant_id: tenant.id,
    run_id: runId,
    category: 'billing',
    urgency: 'high',
    suggested_priority: 'high',
    sentiment: 3,
    product: 'GENERAL',
    language: 'en',
    confidence: 0.9,
    reasoning: 'r',
    draft_reply: 'd',
    model_used: 'm',
    latency_ms: 1,
  });
  await db('triage_results').insert(triage(crypto.randomUUID()));
  await expect(db('triage_results').insert(triage(crypto.randomUUID()))).rejects.toThrow(
    /triage_results_one_current/,
  );
  await expect(
    db('triage_results').insert({ ...triage(crypto.randomUUID()), is_current: false, sentiment: 11 }),
  ).rejects.toThrow(/sentiment_range/);
});
