import type { Knex } from 'knex';

/**
 * Rollups for /v1/analytics/{tickets,sla}: per tenant, grain (day, ISO week, month; UTC) and period, the ticket
 * counts by dimension, per-assignee counts and latency histograms (log buckets), for tickets by creation time.
 * A range reads a dozen months, a few weeks and days, plus the raw rows of its partial edge days
 * (src/stores/analytics-repository.ts), instead of every ticket in it.
 *
 * Kept by statement-level triggers (transition tables) on `tickets`, in the writing transaction: every write path
 * (repository, workflow activities, bulk loads, cascades) stays consistent without code in each, and a bulk
 * statement does one grouped upsert per table rather than one per row. `tickets.sla_breached` (kept by a trigger
 * on `sla_events`) makes a ticket's contribution a function of its own row.
 *
 * Concurrent writers of tickets of the same tenant, period and dimension key serialise on that rollup row until
 * commit (ON CONFLICT DO UPDATE): cheap at ticket rates, and what makes the counts exact.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE tickets ADD COLUMN sla_breached boolean NOT NULL DEFAULT false');
  await knex.raw(
    `UPDATE tickets t SET sla_breached = true
      WHERE EXISTS (SELECT 1 FROM sla_events e WHERE e.ticket_id = t.id AND e.kind = 'breach')`,
  );
  // The partial days at a range's ends are read from raw rows: index-only, with every column a fact needs.
  await knex.raw('DROP INDEX IF EXISTS tickets_analytics');
  await knex.raw(
    `CREATE INDEX tickets_analytics ON tickets (tenant_id, created_at)
       INCLUDE (category, priority, customer_tier, source, assignee, status, sla_breached, reopen_count,
                first_response_at, resolved_at)`,
  );
  // Each primary key includes the figures: a range reads its periods by index-only scans (past periods change
  // rarely, so their pages stay all-visible).
  const keyColumns = `
    tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    grain text NOT NULL CHECK (grain IN ('day', 'week', 'month')),
    period_start date NOT NULL`;
  await knex.raw(`
    CREATE TABLE ticket_rollup_counts (${keyColumns},
      dimension text NOT NULL CHECK (dimension IN ('category', 'priority', 'tier', 'channel')),
      key text NOT NULL,
      tickets integer NOT NULL,
      met integer NOT NULL,
      breached integer NOT NULL,
      PRIMARY KEY (tenant_id, grain, period_start, dimension, key) INCLUDE (tickets, met, breached))`);
  await knex.raw(`
    CREATE TABLE ticket_rollup_assignees (${keyColumns},
      assignee text NOT NULL,
      handled integer NOT NULL,
      resolved integer NOT NULL,
      reopened integer NOT NULL,
      PRIMARY KEY (tenant_id, grain, period_start, assignee) INCLUDE (handled, resolved, reopened))`);
  // measure first_response and resolution: the tenant's (assignee ''); handling: resolution time per assignee.
  await knex.raw(`
    CREATE TABLE ticket_rollup_latencies (${keyColumns},
      measure text NOT NULL CHECK (measure IN ('first_response', 'resolution', 'handling')),
      assignee text NOT NULL,
      bucket smallint NOT NULL,
      tickets integer NOT NULL,
      PRIMARY KEY (tenant_id, grain, period_start, measure, assignee, bucket) INCLUDE (tickets))`);

  // What one ticket contributes; the repository reads the partial edge days through the same functions.
  await knex.raw(`
    CREATE TYPE ticket_fact AS (
      tenant_id uuid, created_at timestamptz, category text, priority text, tier text, channel text,
      assignee text, met boolean, breached boolean, reopened boolean,
      first_response_seconds double precision, resolution_seconds double precision)`);
  await knex.raw(`
    CREATE FUNCTION ticket_fact(t tickets) RETURNS ticket_fact LANGUAGE sql STABLE AS $$
      SELECT ROW(t.tenant_id, t.created_at, COALESCE(t.category, 'uncategorised'), t.priority, t.customer_tier,
                 t.source, t.assignee, t.status IN ('resolved', 'closed') AND NOT t.sla_breached, t.sla_breached,
                 t.reopen_count > 0, EXTRACT(EPOCH FROM t.first_response_at - t.created_at)::double precision,
                 EXTRACT(EPOCH FROM t.resolved_at - t.created_at)::double precision)::ticket_fact
    $$`);
  await knex.raw(`
    CREATE FUNCTION ticket_fact_periods(created timestamptz) RETURNS TABLE (grain text, period_start date)
    LANGUAGE sql IMMUTABLE AS $$
      SELECT g, date_trunc(g, created AT TIME ZONE 'UTC')::date FROM unnest(ARRAY['day', 'week', 'month']) AS g
    $$`);
  await knex.raw(`
    CREATE FUNCTION ticket_fact_dimensions(f ticket_fact) RETURNS TABLE (dimension text, key text)
    LANGUAGE sql IMMUTABLE AS $$
      VALUES ('category', f.category), ('priority', f.priority), ('tier', f.tier), ('channel', f.channel)
    $$`);
  // Log buckets: 0 holds values under 1 s; k >= 1 holds [ratio^(k-1), ratio^k). Ratios as in LATENCY_RATIOS.
  await knex.raw(`
    CREATE FUNCTION ticket_latency_bucket(seconds double precision, ratio double precision) RETURNS smallint
    LANGUAGE sql IMMUTABLE AS $$
      SELECT CASE WHEN seconds < 1 THEN 0 ELSE 1 + floor(ln(seconds) / ln(ratio)) END::smallint
    $$`);
  await knex.raw(`
    CREATE FUNCTION ticket_fact_latencies(f ticket_fact) RETURNS TABLE (measure text, assignee text, bucket smallint)
    LANGUAGE sql IMMUTABLE AS $$
      SELECT m.measure, m.assignee, ticket_latency_bucket(m.seconds, m.ratio)
        FROM (VALUES ('first_response', '', f.first_response_seconds, 1.05::double precision),
                     ('resolution', '', f.resolution_seconds, 1.05),
                     ('handling', f.assignee, f.resolution_seconds, 1.2)) AS m(measure, assignee, seconds, ratio)
       WHERE m.seconds IS NOT NULL AND m.assignee IS NOT NULL
    $$`);

  // Adds the facts in 'added' and takes away those in 'removed', grouped (one upsert per table). Rows of a
  // tenant being deleted (its tickets go by cascade) are left to the cascade.
  await knex.raw(`
    CREATE FUNCTION ticket_rollup_apply(added ticket_fact[], removed ticket_fact[]) RETURNS void
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

  // Statement-level, so transition tables: an update contributes only the facts it changed.
  await knex.raw(`
    CREATE FUNCTION tickets_rollup_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      added ticket_fact[] := '{}';
      removed ticket_fact[] := '{}';
    BEGIN
      IF TG_OP = 'INSERT' THEN
        added := ARRAY(SELECT ticket_fact(n) FROM new_rows n);
      ELSIF TG_OP = 'DELETE' THEN
        removed := ARRAY(SELECT ticket_fact(o) FROM old_rows o);
      ELSE
        added := ARRAY(SELECT ticket_fact(n) FROM new_rows n EXCEPT ALL SELECT ticket_fact(o) FROM old_rows o);
        removed := ARRAY(SELECT ticket_fact(o) FROM old_rows o EXCEPT ALL SELECT ticket_fact(n) FROM new_rows n);
      END IF;
      IF cardinality(added) > 0 OR cardinality(removed) > 0 THEN
        PERFORM ticket_rollup_apply(added, removed);
      END IF;
      RETURN NULL;
    END $$`);
  await knex.raw(`CREATE TRIGGER tickets_rollup_insert AFTER INSERT ON tickets REFERENCING NEW TABLE AS new_rows
                   FOR EACH STATEMENT EXECUTE FUNCTION tickets_rollup_trigger()`);
  await knex.raw(`CREATE TRIGGER tickets_rollup_update AFTER UPDATE ON tickets
                   REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                   FOR EACH STATEMENT EXECUTE FUNCTION tickets_rollup_trigger()`);
  await knex.raw(`CREATE TRIGGER tickets_rollup_delete AFTER DELETE ON tickets REFERENCING OLD TABLE AS old_rows
                   FOR EACH STATEMENT EXECUTE FUNCTION tickets_rollup_trigger()`);

  // tickets.sla_breached = the ticket has a breach event. Concurrent first breaches of one ticket serialise on
  // the ticket row; the loser's recheck finds the flag already set.
  await knex.raw(`
    CREATE FUNCTION sla_events_breach_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      ids uuid[];
    BEGIN
      IF TG_OP = 'INSERT' THEN
        ids := ARRAY(SELECT DISTINCT ticket_id FROM new_rows WHERE kind = 'breach');
      ELSIF TG_OP = 'DELETE' THEN
        ids := ARRAY(SELECT DISTINCT ticket_id FROM old_rows WHERE kind = 'breach');
      ELSE
        ids := ARRAY(SELECT ticket_id FROM new_rows WHERE kind = 'breach'
                     UNION SELECT ticket_id FROM old_rows WHERE kind = 'breach');
      END IF;
      IF cardinality(ids) > 0 THEN
        UPDATE tickets t SET sla_breached = b.breached
          FROM (SELECT x.id, EXISTS (SELECT 1 FROM sla_events e WHERE e.ticket_id = x.id AND e.kind = 'breach')
                             AS breached
                  FROM unnest(ids) AS x(id)) b
         WHERE t.id = b.id AND t.sla_breached IS DISTINCT FROM b.breached;
      END IF;
      RETURN NULL;
    END $$`);
  await knex.raw(`CREATE TRIGGER sla_events_breach_insert AFTER INSERT ON sla_events
                   REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sla_events_breach_trigger()`);
  await knex.raw(`CREATE TRIGGER sla_events_breach_update AFTER UPDATE ON sla_events
                   REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                   FOR EACH STATEMENT EXECUTE FUNCTION sla_events_breach_trigger()`);
  await knex.raw(`CREATE TRIGGER sla_events_breach_delete AFTER DELETE ON sla_events
                   REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sla_events_breach_trigger()`);

  // Rebuilds one tenant's rollups from its tickets (the backfill; tests compare it with the incremental result).
  await knex.raw(`
    CREATE FUNCTION ticket_rollup_rebuild(tenant uuid) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
      month timestamp;
    BEGIN
      DELETE FROM ticket_rollup_counts WHERE tenant_id = tenant;
      DELETE FROM ticket_rollup_assignees WHERE tenant_id = tenant;
      DELETE FROM ticket_rollup_latencies WHERE tenant_id = tenant;
      -- A month at a time keeps the fact arrays small.
      FOR month IN SELECT DISTINCT date_trunc('month', created_at AT TIME ZONE 'UTC')
                     FROM tickets WHERE tenant_id = tenant LOOP
        PERFORM ticket_rollup_apply(
          ARRAY(SELECT ticket_fact(t) FROM tickets t
                 WHERE t.tenant_id = tenant AND t.created_at >= month AT TIME ZONE 'UTC'
                   AND t.created_at < (month + interval '1 month') AT TIME ZONE 'UTC'),
          '{}');
      END LOOP;
    END $$`);
  await knex.raw('SELECT ticket_rollup_rebuild(id) FROM tenants');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER IF EXISTS sla_events_breach_insert ON sla_events');
  await knex.raw('DROP TRIGGER IF EXISTS sla_events_breach_update ON sla_events');
  await knex.raw('DROP TRIGGER IF EXISTS sla_events_breach_delete ON sla_events');
  await knex.raw('DROP FUNCTION IF EXISTS sla_events_breach_trigger()');
  await knex.raw('DROP TRIGGER IF EXISTS tickets_rollup_insert ON tickets');
  await knex.raw('DROP TRIGGER IF EXISTS tickets_rollup_update ON tickets');
  await knex.raw('DROP TRIGGER IF EXISTS tickets_rollup_delete ON tickets');
  await knex.raw('DROP FUNCTION IF EXISTS tickets_rollup_trigger()');
  await knex.raw('DROP FUNCTION IF EXISTS ticket_rollup_rebuild(uuid)');
  await knex.raw('DROP FUNCTION IF EXISTS ticket_rollup_apply(ticket_fact[], ticket_fact[])');
  await knex.raw('DROP FUNCTION IF EXISTS ticket_fact_latencies(ticket_fact)');
  await knex.raw('DROP FUNCTION IF EXISTS ticket_latency_bucket(double precision, double precision)');
  await knex.raw('DROP FUNCTION IF EXISTS ticket_fact_dimensions(ticket_fact)');
  await knex.raw('DROP FUNCTION IF EXISTS ticket_fact_periods(timestamptz)');
  await knex.raw('DROP FUNCTION IF EXISTS ticket_fact(tickets)');
  await knex.raw('DROP TYPE IF EXISTS ticket_fact');
  await knex.raw('DROP TABLE IF EXISTS ticket_rollup_latencies');
  await knex.raw('DROP TABLE IF EXISTS ticket_rollup_assignees');
  await knex.raw('DROP TABLE IF EXISTS ticket_rollup_counts');
  await knex.raw('DROP INDEX IF EXISTS tickets_analytics');
  await knex.raw('ALTER TABLE tickets DROP COLUMN IF EXISTS sla_breached');
  await knex.raw(
    `CREATE INDEX tickets_analytics ON tickets (tenant_id, created_at)
       INCLUDE (category, priority, customer_tier, source, first_response_at, resolved_at, assignee, reopen_count)`,
  );
}
