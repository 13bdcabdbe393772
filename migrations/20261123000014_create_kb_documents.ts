import type { Knex } from 'knex';

/**
 * Knowledge-base documents (seed 003 kb_chunks, split into documents and chunks): versions by external id,
 * SHA-256 dedup per tenant, archiving instead of deleting.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('kb_documents', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    t.string('external_id', 512);
    t.string('title', 500).notNullable();
    t.string('source', 1024);
    t.string('format', 16).notNullable();
    t.text('content').notNullable();
    t.string('content_hash', 64).notNullable();
    t.integer('version').notNullable().defaultTo(1);
    t.string('status', 16).notNullable().defaultTo('ingesting');
    t.integer('chunk_count').notNullable().defaultTo(0);
    t.boolean('is_current').notNullable().defaultTo(false);
    t.timestamp('archived_at', { useTz: true });
    t.text('error_message');
    t.timestamps(true, true);
    t.index(['tenant_id', 'is_current']);
  });
  await knex.raw(
    `ALTER TABLE kb_documents ADD CONSTRAINT kb_documents_format_valid CHECK (format IN ('markdown','html','text'))`,
  );
  await knex.raw(
    `ALTER TABLE kb_documents ADD CONSTRAINT kb_documents_status_valid CHECK (status IN ('ingesting','ready','failed','archived'))`,
  );
  // One current version per external id, and one current copy of the same content, per tenant.
  await knex.raw(
    'CREATE UNIQUE INDEX kb_documents_current_external ON kb_documents (tenant_id, external_id) WHERE is_current',
  );
  await knex.raw(
    'CREATE UNIQUE INDEX kb_documents_current_hash ON kb_documents (tenant_id, content_hash) WHERE is_current',
  );
  await knex.raw(
    `CREATE TRIGGER kb_documents_updated_at BEFORE UPDATE ON kb_documents FOR EACH ROW EXECUTE FUNCTION set_updated_at()`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('kb_documents');
}
