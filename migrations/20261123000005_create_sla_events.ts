import type { Knex } from 'knex';

/** SLA warnings and breaches (seed 004 sla_alerts), each recorded exactly once. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('sla_events', (t) => {
    t.bigIncrements('id');
    t.uuid('ticket_id').notNullable().references('tickets.id').onDelete('CASCADE');
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    t.string('clock', 32).notNullable();
    t.string('kind', 16).notNullable();
    t.double('threshold').notNullable();
    t.integer('cycle').notNullable().defaultTo(0);
    t.timestamp('due_at', { useTz: true }).notNullable();
    t.timestamp('deadline', { useTz: true }).notNullable();
    t.timestamp('fired_at', { useTz: true }).notNullable();
    t.double('remaining_seconds').notNullable();
    t.string('priority', 16).notNullable();
    t.integer('escalation_level').notNullable().defaultTo(1);
    t.string('notification_status', 16).notNullable().defaultTo('not_configured');
    t.timestamp('notification_sent_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['ticket_id', 'clock', 'kind', 'threshold', 'cycle']);
    t.index(['tenant_id', 'fired_at']);
  });
  await knex.raw(
    `ALTER TABLE sla_events ADD CONSTRAINT sla_events_clock_valid CHECK (clock IN ('first_response','resolution','next_reply'))`,
  );
  await knex.raw(
    `ALTER TABLE sla_events ADD CONSTRAINT sla_events_kind_valid CHECK (kind IN ('warning','breach'))`,
  );
  await knex.raw(
    `ALTER TABLE sla_events ADD CONSTRAINT sla_events_notification_valid CHECK (notification_status IN ('not_configured','pending','sent','failed'))`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('sla_events');
}
