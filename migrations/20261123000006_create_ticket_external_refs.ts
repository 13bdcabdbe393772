import type { Knex } from 'knex';

/** Links to the ticket's copy in an external ITSM tool (seed 003). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ticket_external_refs', (t) => {
    t.bigIncrements('id');
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    t.uuid('ticket_id').notNullable().references('tickets.id').onDelete('CASCADE');
    t.string('system', 32).notNullable();
    t.string('external_id', 255).notNullable();
    t.string('external_url', 1024);
    t.string('external_status', 64);
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.timestamps(true, true);
    t.unique(['tenant_id', 'system', 'external_id']);
    t.unique(['ticket_id', 'system']);
  });
  await knex.raw(
    `CREATE TRIGGER ticket_external_refs_updated_at BEFORE UPDATE ON ticket_external_refs FOR EACH ROW EXECUTE FUNCTION set_updated_at()`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('ticket_external_refs');
}
