import type { Knex } from 'knex';

/**
 * Analytics over a date range read only this index (index-only scans): the tenant's tickets by creation time,
 * with every column the aggregates need.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `CREATE INDEX tickets_analytics ON tickets (tenant_id, created_at)
       INCLUDE (category, priority, customer_tier, source, first_response_at, resolved_at, assignee, reopen_count)`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS tickets_analytics');
}
