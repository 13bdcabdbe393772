import type { Knex } from 'knex';

/** Inbound ITSM webhook events already handled: a replayed delivery changes nothing. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('inbound_events', (t) => {
    t.bigIncrements('id');
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    t.string('system', 32).notNullable();
    t.string('event_id', 255).notNullable();
    t.uuid('ticket_id').references('tickets.id').onDelete('SET NULL');
    t.string('outcome', 32).notNullable();
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['tenant_id', 'system', 'event_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('inbound_events');
}
