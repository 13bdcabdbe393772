import type { Knex } from 'knex';

/**
 * A tenant's ITSM connection (seed 002 tenant_configs): tool type, base URL, sealed credentials and inbound
 * webhook secret, settings (project, priority mapping, custom fields, transitions, rate limit).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('tenant_integrations', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    t.string('tool_type', 32).notNullable();
    t.string('base_url', 1024).notNullable();
    t.text('credentials_sealed').notNullable();
    t.jsonb('settings').notNullable().defaultTo('{}');
    t.boolean('is_active').notNullable().defaultTo(true);
    t.timestamps(true, true);
    // One ITSM tool per tenant: the workflow knows where a ticket goes without asking.
    t.unique(['tenant_id']);
    t.index(['tool_type']);
  });
  await knex.raw(
    `ALTER TABLE tenant_integrations ADD CONSTRAINT tenant_integrations_tool_type_valid CHECK (tool_type IN ('jira','servicenow','zendesk','servicedesk_plus','webhook'))`,
  );
  await knex.raw(
    `CREATE TRIGGER tenant_integrations_updated_at BEFORE UPDATE ON tenant_integrations FOR EACH ROW EXECUTE FUNCTION set_updated_at()`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('tenant_integrations');
}
