import type { Knex } from 'knex';

/**
 * The ticket list (GET /v1/tickets, TicketRepository ticketListQuery) reads one index range in its sort's order
 * for each shape, whatever the table's size: (tenant_id, [status | assignee,] sort key, id), the sort key being
 * created_at (newest first) or the SLA key (the nearest deadline first, none last). The SLA key is one
 * expression, `infinity` for no deadline, so a cursor is one row comparison; its text must stay the repository's
 * SLA_ORDER_KEY (test/db/ticket-list-plan.test.ts fails when a shape stops using these).
 *
 * The status indexes end with the queue's other filters (STATUS_VIEW_FILTERS).
 *
 * The (tenant_id, status) and (tenant_id, assignee) indexes are prefixes of the new ones (anything they answered,
 * these answer), and (tenant_id, sla_due_at, id) served the list only: dropped. Small (deduplicated)
 * (tenant_id, category) and (tenant_id, customer_tier) indexes let a filter on a rare value read its few rows
 * instead of the whole tenant in creation order.
 *
 * Built CONCURRENTLY (outside a transaction): a large tickets table keeps taking writes meanwhile.
 */
export const config = { transaction: false };

const SLA_KEY = `(CASE WHEN sla_due_at IS NULL THEN 'infinity'::timestamptz ELSE sla_due_at END)`;

/**
 * The queue's filters on top of a status view, as the status indexes' last key columns: not a range, but read
 * from the index entry, so a ticket they exclude costs no visit to the table (as a filter it costs one each:
 * the open statuses' critical tickets are a few percent of them).
 */
const STATUS_VIEW_FILTERS = 'priority, category, sla_state';

const NEW_INDEXES: Record<string, string> = {
  tickets_tenant_status_created: `(tenant_id, status, created_at DESC, id DESC, ${STATUS_VIEW_FILTERS})`,
  tickets_tenant_status_sla: `(tenant_id, status, ${SLA_KEY}, id, ${STATUS_VIEW_FILTERS})`,
  tickets_tenant_assignee_created: '(tenant_id, assignee, created_at DESC, id DESC)',
  tickets_tenant_assignee_sla: `(tenant_id, assignee, ${SLA_KEY}, id)`,
  tickets_tenant_sla: `(tenant_id, ${SLA_KEY}, id)`,
  tickets_tenant_category: '(tenant_id, category)',
  tickets_tenant_customer_tier: '(tenant_id, customer_tier)',
};

const OLD_INDEXES: Record<string, string> = {
  tickets_tenant_id_status_index: '(tenant_id, status)',
  tickets_tenant_id_assignee_index: '(tenant_id, assignee)',
  tickets_tenant_sla_due_at_index: '(tenant_id, sla_due_at, id)',
};

export async function up(knex: Knex): Promise<void> {
  for (const [name, columns] of Object.entries(NEW_INDEXES)) {
    await knex.raw(`CREATE INDEX CONCURRENTLY ${name} ON tickets ${columns}`);
  }
  for (const name of Object.keys(OLD_INDEXES)) await knex.raw(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
}

export async function down(knex: Knex): Promise<void> {
  for (const [name, columns] of Object.entries(OLD_INDEXES)) {
    await knex.raw(`CREATE INDEX CONCURRENTLY ${name} ON tickets ${columns}`);
  }
  for (const name of Object.keys(NEW_INDEXES)) await knex.raw(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
}
