import type { Knex } from 'knex';

/** The secret inbound webhooks from the tenant's ITSM tool are signed with (sealed). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tenant_integrations', (t) => {
    t.text('inbound_secret_sealed');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tenant_integrations', (t) => {
    t.dropColumn('inbound_secret_sealed');
  });
}
