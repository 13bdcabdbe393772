import type { Knex } from 'knex';

/** One row per SLA alert and target: the delivery's outcome, updated on every attempt. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('notification_deliveries', (t) => {
    t.bigIncrements('id');
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    t.uuid('ticket_id').notNullable().references('tickets.id').onDelete('CASCADE');
    t.uuid('target_id').notNullable().references('notification_targets.id').onDelete('CASCADE');
    t.string('clock', 32).notNullable();
    t.string('kind', 16).notNullable();
    t.double('threshold').notNullable();
    t.integer('cycle').notNullable();
    t.string('status', 16).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.integer('http_status');
    t.text('last_error');
    t.timestamp('delivered_at', { useTz: true });
    t.timestamps(true, true);
    t.unique(['ticket_id', 'clock', 'kind', 'threshold', 'cycle', 'target_id']);
    t.index(['tenant_id', 'created_at']);
  });
  await knex.raw(
    `ALTER TABLE notification_deliveries ADD CONSTRAINT notification_deliveries_status_valid CHECK (status IN ('retrying','sent','failed'))`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('notification_deliveries');
}
