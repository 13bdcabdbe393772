import type { Knex } from 'knex';

/**
 * The nearest SLA deadline of a ticket's running clocks (null while every clock is paused or stopped), kept
 * with the mirror so the queue can sort by urgency with a keyset cursor. Rows written before this column fill
 * it at their next change.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tickets', (t) => {
    t.timestamp('sla_due_at', { useTz: true });
    t.index(['tenant_id', 'sla_due_at', 'id'], 'tickets_tenant_sla_due_at_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tickets', (t) => {
    t.dropIndex(['tenant_id', 'sla_due_at', 'id'], 'tickets_tenant_sla_due_at_index');
    t.dropColumn('sla_due_at');
  });
}
