import type { Knex } from 'knex';

/**
 * Rollup rows sharded by writer. Every ticket write of a tenant upserted the same rollup rows (its day, week and
 * month, by category, priority, tier, channel), so one tenant's writes ran one at a time: each held those rows
 * until its commit had reached the disk, and intake stayed well under a bare INSERT's rate (`npm run bench`:
 * backends waiting on the rollup rows' locks while the holder waited on the WAL flush). A writer now upserts
 * the rows of its own shard (its backend's pid modulo ROLLUP_SHARDS): concurrent writers of one tenant take
 * different rows and commit together. Readers already sum the rows of a group (src/stores/analytics-repository.ts),
 * so the counts read the same; rows written before keep shard 0.
 */
const ROLLUP_SHARDS = 8;

const TABLES = [
  {
    table: 'ticket_rollup_counts',
    key: 'tenant_id, grain, period_start, dimension, key',
    figures: 'tickets, met, breached',
  },
  {
    table: 'ticket_rollup_assignees',
    key: 'tenant_id, grain, period_start, assignee',
    figures: 'handled, resolved, reopened',
  },
  {
    table: 'ticket_rollup_latencies',
    key: 'tenant_id, grain, period_start, measure, assignee, bucket',
    figures: 'tickets',
  },
];

/** ticket_rollup_apply as migration 20261202045000 wrote it, with the shard in each key when `shard` is set. */
function applyFunction(shard: string | null): string {
  const col = shard ? ', shard' : '';
  const val = shard ? `, ${shard}` : '';
  const ord = (n: number) => Array.from({ length: n + (shard ? 1 : 0) }, (_, i) => i + 1).join(', ');
  return `
    CREATE OR REPLACE FUNCTION ticket_rollup_apply(added ticket_fact[], removed ticket_fact[]) RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO ticket_rollup_counts AS r (tenant_id, grain, period_start, dimension, key${col}, tickets, met, breached)
      SELECT g.* FROM (
        SELECT (c.f).tenant_id, p.grain, p.period_start, d.dimension, d.key${val}, sum(c.delta) AS tickets,
               sum(c.delta * (c.f).met::int) AS met, sum(c.delta * (c.f).breached::int) AS breached
          FROM (SELECT a AS f, 1 AS delta FROM unnest(added) AS a
                UNION ALL SELECT x AS f, -1 FROM unnest(removed) AS x) c,
               ticket_fact_periods((c.f).created_at) p, ticket_fact_dimensions(c.f) d
         GROUP BY ${ord(5)}) g
       WHERE (g.tickets <> 0 OR g.met <> 0 OR g.breached <> 0)
         AND EXISTS (SELECT 1 FROM tenants WHERE id = g.tenant_id)
       ORDER BY ${ord(5)}
      ON CONFLICT (tenant_id, grain, period_start, dimension, key${col}) DO UPDATE
         SET tickets = r.tickets + excluded.tickets, met = r.met + excluded.met,
             breached = r.breached + excluded.breached;

      INSERT INTO ticket_rollup_assignees AS r (tenant_id, grain, period_start, assignee${col}, handled, resolved, reopened)
      SELECT g.* FROM (
        SELECT (c.f).tenant_id, p.grain, p.period_start, (c.f).assignee${val}, sum(c.delta) AS handled,
               sum(c.delta * ((c.f).resolution_seconds IS NOT NULL)::int) AS resolved,
               sum(c.delta * (c.f).reopened::int) AS reopened
          FROM (SELECT a AS f, 1 AS delta FROM unnest(added) AS a
                UNION ALL SELECT x AS f, -1 FROM unnest(removed) AS x) c,
               ticket_fact_periods((c.f).created_at) p
         WHERE (c.f).assignee IS NOT NULL
         GROUP BY ${ord(4)}) g
       WHERE (g.handled <> 0 OR g.resolved <> 0 OR g.reopened <> 0)
         AND EXISTS (SELECT 1 FROM tenants WHERE id = g.tenant_id)
       ORDER BY ${ord(4)}
      ON CONFLICT (tenant_id, grain, period_start, assignee${col}) DO UPDATE
         SET handled = r.handled + excluded.handled, resolved = r.resolved + excluded.resolved,
             reopened = r.reopened + excluded.reopened;

      INSERT INTO ticket_rollup_latencies AS r (tenant_id, grain, period_start, measure, assignee, bucket${col}, tickets)
      SELECT g.* FROM (
        SELECT (c.f).tenant_id, p.grain, p.period_start, l.measure, l.assignee, l.bucket${val}, sum(c.delta) AS tickets
          FROM (SELECT a AS f, 1 AS delta FROM unnest(added) AS a
                UNION ALL SELECT x AS f, -1 FROM unnest(removed) AS x) c,
               ticket_fact_periods((c.f).created_at) p, ticket_fact_latencies(c.f) l
         GROUP BY ${ord(6)}) g
       WHERE g.tickets <> 0 AND EXISTS (SELECT 1 FROM tenants WHERE id = g.tenant_id)
       ORDER BY ${ord(6)}
      ON CONFLICT (tenant_id, grain, period_start, measure, assignee, bucket${col}) DO UPDATE
         SET tickets = r.tickets + excluded.tickets;
    END $$`;
}

export async function up(knex: Knex): Promise<void> {
  for (const { table, key, figures } of TABLES) {
    await knex.raw(`ALTER TABLE ${table} ADD COLUMN shard smallint NOT NULL DEFAULT 0`);
    await knex.raw(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey`);
    await knex.raw(`ALTER TABLE ${table} ADD PRIMARY KEY (${key}, shard) INCLUDE (${figures})`);
  }
  await knex.raw(applyFunction(`(pg_backend_pid() % ${ROLLUP_SHARDS})::smallint`));
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(applyFunction(null));
  for (const { table, key, figures } of TABLES) {
    // Each group's shards folded into shard 0, then the key without the shard.
    const sums = figures
      .split(', ')
      .map((f) => `sum(${f})`)
      .join(', ');
    const adds = figures
      .split(', ')
      .map((f) => `${f} = r.${f} + excluded.${f}`)
      .join(', ');
    await knex.raw(`
      INSERT INTO ${table} AS r (${key}, shard, ${figures})
      SELECT ${key}, 0, ${sums} FROM ${table} WHERE shard <> 0 GROUP BY ${key}
      ON CONFLICT (${key}, shard) DO UPDATE SET ${adds}`);
    await knex.raw(`DELETE FROM ${table} WHERE shard <> 0`);
    await knex.raw(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey`);
    await knex.raw(`ALTER TABLE ${table} ADD PRIMARY KEY (${key}) INCLUDE (${figures})`);
    await knex.raw(`ALTER TABLE ${table} DROP COLUMN shard`);
  }
}
