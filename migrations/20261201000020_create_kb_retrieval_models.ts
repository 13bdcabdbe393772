import type { Knex } from 'knex';

/**
 * Each tenant's fitted retrieval model (dense LSA model, fusion weight, relevance calibration), one row per
 * knowledge-base model version; the highest version is current. The model is gzipped JSON (a few MB at most).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('kb_retrieval_models', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    t.integer('version').notNullable();
    t.integer('fitted_chunks').notNullable();
    t.float('dense_weight').notNullable();
    t.jsonb('summary').notNullable();
    t.binary('model').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'version']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('kb_retrieval_models');
}
