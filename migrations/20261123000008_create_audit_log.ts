import type { Knex } from 'knex';

/** Every state change: who, what, when (seed 000 "audit logging"). Append-only. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_log', (t) => {
    t.bigIncrements('id');
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    t.uuid('ticket_id').references('tickets.id').onDelete('CASCADE');
    t.string('actor_type', 16).notNullable();
    t.string('actor_id', 255).notNullable();
    t.string('action', 64).notNullable();
    t.string('from_status', 32);
    t.string('to_status', 32);
    t.jsonb('changes').notNullable().defaultTo('{}');
    // The workflow event that caused it: each is recorded once, however often its activity is retried.
    t.uuid('event_id').unique();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['tenant_id', 'created_at']);
    t.index(['ticket_id', 'created_at']);
  });
  await knex.raw(
    `ALTER TABLE audit_log ADD CONSTRAINT audit_actor_valid CHECK (actor_type IN ('client','agent','admin','superadmin','system'))`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_log');
}
