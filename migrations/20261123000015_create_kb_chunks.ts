import type { Knex } from 'knex';

/** The chunks a document was split into; their vectors live in the vector store under the same id. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('kb_chunks', (t) => {
    t.uuid('id').primary();
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    t.uuid('document_id').notNullable().references('kb_documents.id').onDelete('CASCADE');
    t.integer('chunk_index').notNullable();
    t.text('heading_path').notNullable().defaultTo('');
    t.text('text').notNullable();
    t.string('chunk_hash', 64).notNullable();
    t.integer('version').notNullable();
    t.boolean('is_current').notNullable().defaultTo(false);
    t.timestamp('archived_at', { useTz: true });
    t.timestamp('embedded_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['document_id', 'chunk_index']);
    t.index(['tenant_id', 'chunk_hash']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('kb_chunks');
}
