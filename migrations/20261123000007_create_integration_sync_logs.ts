import type { Knex } from 'knex';

/** One row per sync attempt with an external tool (seed 003). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('integration_sync_logs', (t) => {
    t.bigIncrements('id');
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    t.uuid('ticket_id').references('tickets.id').onDelete('CASCADE');
    t.string('system', 32).notNullable();
    t.string('direction', 16).notNullable();
    t.string('operation', 32).notNullable();
    t.string('status', 16).notNullable();
    t.integer('attempts').notNullable().defaultTo(1);
    t.integer('records_processed').notNullable().defaultTo(0);
    t.text('error_message');
    t.integer('duration_ms');
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('completed_at', { useTz: true });
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.index(['tenant_id', 'started_at']);
    t.index(['ticket_id', 'started_at']);
  });
  await knex.raw(
    `ALTER TABLE integration_sync_logs ADD CONSTRAINT sync_direction_valid CHECK (direction IN ('inbound','outbound'))`,
  );
  await knex.raw(
    `ALTER TABLE integration_sync_logs ADD CONSTRAINT sync_status_valid CHECK (status IN ('pending','running','success','failed','skipped'))`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('integration_sync_logs');
}
