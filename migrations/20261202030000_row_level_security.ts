import type { Knex } from 'knex';

/**
 * Row-level security, a second wall behind every query's own tenant filter. The application works as the role
 * `triage_app` (src/stores/db.ts: APP_ROLE), which owns nothing: on each tenant-owned table a policy lets it see
 * and write only the rows of the tenant its transaction names (`app.tenant_id`, set by withTenant), and none
 * when no tenant is named. The owner (migrations, the named platform operations) is not subject to it.
 *
 * A table added later with a tenant_id column needs the same (see TENANT_POLICY below):
 * test/db/row-level-security.test.ts fails for a tenant-owned table without a policy.
 */
const APP_ROLE = 'triage_app';

const TENANT_TABLES = [
  'tickets',
  'triage_results',
  'messages',
  'sla_events',
  'ticket_external_refs',
  'integration_sync_logs',
  'audit_log',
  'notification_targets',
  'notification_deliveries',
  'tenant_integrations',
  'inbound_events',
  'kb_documents',
  'kb_chunks',
  'kb_retrieval_models',
  'api_rate_counters',
  'agents',
  'agent_versions',
  'agent_triggers',
  'agent_executions',
  'agent_execution_steps',
];

/** Unset, or reset to '' after a transaction that set it: no tenant, no rows. */
const CURRENT_TENANT = `nullif(current_setting('app.tenant_id', true), '')::uuid`;

/** The policy of a tenant-owned table (the owner is not subject to it; FORCE is not needed). */
const TENANT_POLICY = `CREATE POLICY tenant_isolation ON ?? USING (tenant_id = ${CURRENT_TENANT}) WITH CHECK (tenant_id = ${CURRENT_TENANT})`;

export async function up(knex: Knex): Promise<void> {
  // Roles belong to the cluster, not to the database: another database on it (other environments, tests'
  // throwaway databases, migrating concurrently) may have created it already.
  await knex.raw(`
    DO $$
    BEGIN
      CREATE ROLE ${APP_ROLE} NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END $$`);
  // The owner switches to the role on each application connection (SET ROLE): it must be a member. A superuser
  // is implicitly; an owner with CREATEROLE is made one here.
  await knex.raw(`
    DO $$
    BEGIN
      IF NOT pg_has_role(current_user, '${APP_ROLE}', 'MEMBER') THEN
        EXECUTE format('GRANT ${APP_ROLE} TO %I', current_user);
      END IF;
    END $$`);
  await knex.raw(`GRANT USAGE ON SCHEMA public TO ${APP_ROLE}`);
  // Data only (no DDL, no TRUNCATE), on these tables and on those later migrations (by the same owner) create.
  await knex.raw(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${APP_ROLE}`);
  await knex.raw(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${APP_ROLE}`);
  await knex.raw(
    `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${APP_ROLE}`,
  );
  await knex.raw(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${APP_ROLE}`);
  // Not the migrations' bookkeeping.
  await knex.raw(`REVOKE ALL ON knex_migrations, knex_migrations_lock FROM ${APP_ROLE}`);

  // Tenants: every tenant's row is readable (a token names its tenant by slug, before any tenant is known);
  // a tenant may change its own settings only; creating tenants is the platform's (the owner's).
  await knex.raw(`REVOKE INSERT, UPDATE, DELETE ON tenants FROM ${APP_ROLE}`);
  await knex.raw(`GRANT UPDATE (settings) ON tenants TO ${APP_ROLE}`);
  await knex.raw(`ALTER TABLE tenants ENABLE ROW LEVEL SECURITY`);
  await knex.raw(`CREATE POLICY tenant_read ON tenants FOR SELECT USING (true)`);
  await knex.raw(
    `CREATE POLICY tenant_own_settings ON tenants FOR UPDATE USING (id = ${CURRENT_TENANT}) WITH CHECK (id = ${CURRENT_TENANT})`,
  );

  for (const table of TENANT_TABLES) {
    await knex.raw(`ALTER TABLE ?? ENABLE ROW LEVEL SECURITY`, [table]);
    await knex.raw(TENANT_POLICY, [table]);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of TENANT_TABLES) {
    await knex.raw(`DROP POLICY IF EXISTS tenant_isolation ON ??`, [table]);
    await knex.raw(`ALTER TABLE ?? DISABLE ROW LEVEL SECURITY`, [table]);
  }
  await knex.raw(`DROP POLICY IF EXISTS tenant_own_settings ON tenants`);
  await knex.raw(`DROP POLICY IF EXISTS tenant_read ON tenants`);
  await knex.raw(`ALTER TABLE tenants DISABLE ROW LEVEL SECURITY`);
  // The role's rights in this database (grants and default privileges); the role itself stays, other databases
  // of the cluster may use it.
  await knex.raw(`DROP OWNED BY ${APP_ROLE}`);
}
