import type { Knex } from 'knex';

/** The ticket's conversation (seed 003 messages): customer, agent, AI and system entries. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('messages', (t) => {
    t.bigIncrements('id');
    t.uuid('ticket_id').notNullable().references('tickets.id').onDelete('CASCADE');
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    t.string('author_type', 16).notNullable();
    t.string('author_id', 255);
    t.text('body').notNullable();
    t.boolean('is_public').notNullable().defaultTo(true);
    // The action that wrote it: a retried write is a no-op.
    t.uuid('event_id').unique();
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['ticket_id', 'created_at']);
  });
  await knex.raw(
    `ALTER TABLE messages ADD CONSTRAINT messages_author_valid CHECK (author_type IN ('customer','agent','ai','system'))`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('messages');
}
