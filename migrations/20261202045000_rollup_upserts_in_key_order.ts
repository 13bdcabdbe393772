import type { Knex } from 'knex';

/**
 * Rollup upserts take their row locks in key order. Two concurrent ticket writes of one tenant upserted the same
 * rollup rows in the order their GROUP BY happened to produce (a hash aggregate's), so each could hold a row the
 * other waited for: PostgreSQL aborted one with a deadlock (40P01), and `POST /v1/tickets` answered 500 under
 * parallel intake (found by `npm run bench`). In one order, the second writer simply waits for the first.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE OR REPLACE FUNCTION ticket_rollup_apply(added ticket_fact[], removed ticket_fact[]) RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO ticket_rollup_counts AS r (tenant_id, grain, period_start, dimension, key, tickets, met, breached)
      SELECT g.* FROM (
        SELECT (c.f).tenant_id, p.grain, p.period_start, d.dimension, d.key, sum(c.delta) AS tickets,
               sum(c.delta * (c.f).met::int) AS met, sum(c.delta * (c.f).breached::int) AS breached
          FROM (SELECT a AS f, 1 AS delta FROM unnest(added) AS a
                UNION ALL SELECT x AS f, -1 FROM unnest(removed) AS x) c,
               ticket_fact_periods((c.f).created_at) p, ticket_fact_dimensions(c.f) d
         GROUP BY 1, 2, 3, 4, 5) g
       WHERE (g.tickets <> 0 OR g.met <> 0 OR g.breached <> 0)
         AND EXISTS (SELECT 1 FROM tenants WHERE id = g.tenant_id)
       ORDER BY 1, 2, 3, 4, 5
      ON CONFLICT (tenant_id, grain, period_start, dimension, key) DO UPDATE
         SET tickets = r.tickets + excluded.tickets, met = r.met + excluded.met,
             breached = r.breached + excluded.breached;

      INSERT INTO ticket_rollup_assignees AS r (tenant_id, grain, period_start, assignee, handled, resolved, reopened)
      SELECT g.* FROM (
        SELECT (c.f).tenant_id, p.grain, p.period_start, (c.f).assignee, sum(c.delta) AS handled,
               sum(c.delta * ((c.f).resolution_seconds IS NOT NULL)::int) AS resolved,
               sum(c.delta * (c.f).reopened::int) AS reopened
          FROM (SELECT a AS f, 1 AS delta FROM unnest(added) AS a
                UNION ALL SELECT x AS f, -1 FROM unnest(removed) AS x) c,
               ticket_fact_periods((c.f).created_at) p
         WHERE (c.f).assignee IS NOT NULL
         GROUP BY 1, 2, 3, 4) g
       WHERE (g.handled <> 0 OR g.resolved <> 0 OR g.reopened <> 0)
         AND EXISTS (SELECT 1 FROM tenants WHERE id = g.tenant_id)
       ORDER BY 1, 2, 3, 4
      ON CONFLICT (tenant_id, grain, period_start, assignee) DO UPDATE
         SET handled = r.handled + excluded.handled, resolved = r.resolved + excluded.resolved,
             reopened = r.reopened + excluded.reopened;

      INSERT INTO ticket_rollup_latencies AS r (tenant_id, grain, period_start, measure, assignee, bucket, tickets)
      SELECT g.* FROM (
        SELECT (c.f).tenant_id, p.grain, p.period_start, l.measure, l.assignee, l.bucket, sum(c.delta) AS tickets
          FROM (SELECT a AS f, 1 AS delta FROM unnest(added) AS a
                UNION ALL SELECT x AS f, -1 FROM unnest(removed) AS x) c,
               ticket_fact_periods((c.f).created_at) p, ticket_fact_latencies(c.f) l
         GROUP BY 1, 2, 3, 4, 5, 6) g
       WHERE g.tickets <> 0 AND EXISTS (SELECT 1 FROM tenants WHERE id = g.tenant_id)
       ORDER BY 1, 2, 3, 4, 5, 6
      ON CONFLICT (tenant_id, grain, period_start, measure, assignee, bucket) DO UPDATE
         SET tickets = r.tickets + excluded.tickets;
    END $$`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE OR REPLACE FUNCTION ticket_rollup_apply(added ticket_fact[], removed ticket_fact[]) RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO ticket_rollup_counts AS r (tenant_id, grain, period_start, dimension, key, tickets, met, breached)
      SELECT g.* FROM (
        SELECT (c.f).tenant_id, p.grain, p.period_start, d.dimension, d.key, sum(c.delta) AS tickets,
               sum(c.delta * (c.f).met::int) AS met, sum(c.delta * (c.f).breached::int) AS breached
          FROM (SELECT a AS f, 1 AS delta FROM unnest(added) AS a
                UNION ALL SELECT x AS f, -1 FROM unnest(removed) AS x) c,
               ticket_fact_periods((c.f).created_at) p, ticket_fact_dimensions(c.f) d
         GROUP BY 1, 2, 3, 4, 5) g
       WHERE (g.tickets <> 0 OR g.met <> 0 OR g.breached <> 0)
         AND EXISTS (SELECT 1 FROM tenants WHERE id = g.tenant_id)
      ON CONFLICT (tenant_id, grain, period_start, dimension, key) DO UPDATE
         SET tickets = r.tickets + excluded.tickets, met = r.met + excluded.met,
             breached = r.breached + excluded.breached;

      INSERT INTO ticket_rollup_assignees AS r (tenant_id, grain, period_start, assignee, handled, resolved, reopened)
      SELECT g.* FROM (
        SELECT (c.f).tenant_id, p.grain, p.period_start, (c.f).assignee, sum(c.delta) AS handled,
               sum(c.delta * ((c.f).resolution_seconds IS NOT NULL)::int) AS resolved,
               sum(c.delta * (c.f).reopened::int) AS reopened
          FROM (SELECT a AS f, 1 AS delta FROM unnest(added) AS a
                UNION ALL SELECT x AS f, -1 FROM unnest(removed) AS x) c,
               ticket_fact_periods((c.f).created_at) p
         WHERE (c.f).assignee IS NOT NULL
         GROUP BY 1, 2, 3, 4) g
       WHERE (g.handled <> 0 OR g.resolved <> 0 OR g.reopened <> 0)
         AND EXISTS (SELECT 1 FROM tenants WHERE id = g.tenant_id)
      ON CONFLICT (tenant_id, grain, period_start, assignee) DO UPDATE
         SET handled = r.handled + excluded.handled, resolved = r.resolved + excluded.resolved,
             reopened = r.reopened + excluded.reopened;

      INSERT INTO ticket_rollup_latencies AS r (tenant_id, grain, period_start, measure, assignee, bucket, tickets)
      SELECT g.* FROM (
        SELECT (c.f).tenant_id, p.grain, p.period_start, l.measure, l.assignee, l.bucket, sum(c.delta) AS tickets
          FROM (SELECT a AS f, 1 AS delta FROM unnest(added) AS a
                UNION ALL SELECT x AS f, -1 FROM unnest(removed) AS x) c,
               ticket_fact_periods((c.f).created_at) p, ticket_fact_latencies(c.f) l
         GROUP BY 1, 2, 3, 4, 5, 6) g
       WHERE g.tickets <> 0 AND EXISTS (SELECT 1 FROM tenants WHERE id = g.tenant_id)
      ON CONFLICT (tenant_id, grain, period_start, measure, assignee, bucket) DO UPDATE
         SET tickets = r.tickets + excluded.tickets;
    END $$`);
}
