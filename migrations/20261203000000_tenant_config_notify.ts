import type { Knex } from 'knex';

/**
 * A change to a tenant's configuration is announced on the `tenant_config` channel (payload: the tenant's id)
 * when its transaction commits, so every API and worker process drops what it cached of that tenant
 * (src/stores/tenant-config-cache.ts). The tables are the ones a ticket reads on its way: the tenant (settings,
 * escalation triggers, categories), its ITSM integration, its agents and their triggers, its retrieval models.
 * PostgreSQL sends one notification per tenant and transaction, however many rows changed.
 */
const BY_TENANT_ID = ['tenant_integrations', 'agents', 'agent_triggers', 'kb_retrieval_models'];

export async function up(knex: Knex): Promise<void> {
  // Two functions: NEW.<column> cannot be chosen at run time without converting the row (a model's blob too).
  await knex.raw(`
    CREATE OR REPLACE FUNCTION notify_tenant_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'INSERT' THEN PERFORM pg_notify('tenant_config', OLD.tenant_id::text); END IF;
      IF TG_OP <> 'DELETE' THEN PERFORM pg_notify('tenant_config', NEW.tenant_id::text); END IF;
      RETURN NULL;
    END $$;
    CREATE OR REPLACE FUNCTION notify_tenant_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'INSERT' THEN PERFORM pg_notify('tenant_config', OLD.id::text); END IF;
      IF TG_OP <> 'DELETE' THEN PERFORM pg_notify('tenant_config', NEW.id::text); END IF;
      RETURN NULL;
    END $$;
  `);
  await knex.raw(`
    CREATE TRIGGER tenants_config_notify AFTER INSERT OR UPDATE OR DELETE ON tenants
      FOR EACH ROW EXECUTE FUNCTION notify_tenant_changed()
  `);
  for (const table of BY_TENANT_ID) {
    await knex.raw(`
      CREATE TRIGGER ${table}_config_notify AFTER INSERT OR UPDATE OR DELETE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION notify_tenant_config_changed()
    `);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of BY_TENANT_ID)
    await knex.raw(`DROP TRIGGER IF EXISTS ${table}_config_notify ON ${table}`);
  await knex.raw(`DROP TRIGGER IF EXISTS tenants_config_notify ON tenants`);
  await knex.raw(
    `DROP FUNCTION IF EXISTS notify_tenant_config_changed(); DROP FUNCTION IF EXISTS notify_tenant_changed()`,
  );
}
