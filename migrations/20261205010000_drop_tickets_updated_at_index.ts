import type { Knex } from 'knex';

/**
 * `tickets.updated_at` lost its index. No query filters or sorts tickets by it (lists go by tenant and creation or
 * SLA due time, analytics by tenant and creation), and the column changes on every update (trigger
 * set_updated_at), so the index was one more entry to write on each of a ticket's updates, for no reader. A
 * triaged ticket's row is updated about four times (`npm run bench`: the workflow's mirror writes and the API's
 * start mark). Built concurrently on the way down: the table may be large by then.
 */
export const config = { transaction: false };

export async function up(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX CONCURRENTLY IF EXISTS tickets_updated_at_index');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_updated_at_index ON tickets (updated_at)');
}
