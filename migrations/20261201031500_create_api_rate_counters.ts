import type { Knex } from 'knex';

/**
 * Per-tenant API request counters, one row per tenant and fixed window: every API process increments the same
 * row with one atomic upsert, so they share one limit. Rows of past windows are deleted as new ones begin.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('api_rate_counters', (t) => {
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    t.timestamp('window_start', { useTz: true }).notNullable();
    t.integer('count').notNullable().defaultTo(0);
    t.primary(['tenant_id', 'window_start']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('api_rate_counters');
}
