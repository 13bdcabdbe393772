import type { Knex } from 'knex';

/**
 * The analytics rollups (migration 20261202010000) are tenant-owned like the tables of 20261202030000: the same
 * policy, so the application role sees and writes only its transaction's tenant's rows. The triggers that keep
 * them run as the writer of the ticket, inside its tenant transaction.
 */
const ROLLUP_TABLES = ['ticket_rollup_counts', 'ticket_rollup_assignees', 'ticket_rollup_latencies'];
const CURRENT_TENANT = `nullif(current_setting('app.tenant_id', true), '')::uuid`;

export async function up(knex: Knex): Promise<void> {
  for (const table of ROLLUP_TABLES) {
    await knex.raw('ALTER TABLE ?? ENABLE ROW LEVEL SECURITY', [table]);
    await knex.raw(
      `CREATE POLICY tenant_isolation ON ?? USING (tenant_id = ${CURRENT_TENANT}) WITH CHECK (tenant_id = ${CURRENT_TENANT})`,
      [table],
    );
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ROLLUP_TABLES) {
    await knex.raw('DROP POLICY IF EXISTS tenant_isolation ON ??', [table]);
    await knex.raw('ALTER TABLE ?? DISABLE ROW LEVEL SECURITY', [table]);
  }
}
