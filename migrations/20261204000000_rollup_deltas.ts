import type { Knex } from 'knex';

/**
 * Rollups folded after the write, not in it. A ticket write used to upsert its rollup rows (day, week and month,
 * by category, priority, tier and channel; assignees; latency buckets) inside its own transaction: three grouped
 * upserts on every change of a ticket's facts, and rows that concurrent writers of one tenant queued for until
 * the holder's commit had reached the disk (`npm run bench`: the rollup trigger was a third of a triaged
 * ticket's statement time, most of it waiting). A write now appends its facts (added, removed) to
 * `ticket_rollup_deltas`: an insert or delete one row per tenant and statement, an update that changes a ticket's
 * facts one row per ticket (below); `ticket_rollup_fold` applies the pending deltas in
 * one grouped upsert per table, where changes of one ticket between two folds cancel out. Readers fold their
 * tenant's deltas first, in their own transaction (src/stores/analytics-repository.ts), so what they read is
 * exact; the API folds everyone's in the background (src/api/outbox.ts) so deltas do not pile up. A bulk
 * statement (more than BULK_FACTS facts: loads, backfills, cascades) still applies at once, as one grouped upsert.
 *
 * Updates are counted by a row trigger that fires only when the row's facts change: most ticket writes (the
 * workflow's mirror of its state, a triage start, a note) change none, and a statement trigger copied every
 * updated row, whole, into its transition tables to find that out.
 */
const BULK_FACTS = 64;
const CURRENT_TENANT = `nullif(current_setting('app.tenant_id', true), '')::uuid`;

/** The trigger's facts, as migration 20261202010000 computes them. */
const FACTS = `
      IF TG_OP = 'INSERT' THEN
        added := ARRAY(SELECT ticket_fact(n) FROM new_rows n);
      ELSIF TG_OP = 'DELETE' THEN
        removed := ARRAY(SELECT ticket_fact(o) FROM old_rows o);
      ELSE
        added := ARRAY(SELECT ticket_fact(n) FROM new_rows n EXCEPT ALL SELECT ticket_fact(o) FROM old_rows o);
        removed := ARRAY(SELECT ticket_fact(o) FROM old_rows o EXCEPT ALL SELECT ticket_fact(n) FROM new_rows n);
      END IF;`;

/** ticket_rollup_rebuild as migration 20261202010000 wrote it; with `deltas`, it drops the tenant's pending ones too. */
function rebuildFunction(deltas: boolean): string {
  return `
    CREATE OR REPLACE FUNCTION ticket_rollup_rebuild(tenant uuid) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
      month timestamp;
    BEGIN
      ${deltas ? 'DELETE FROM ticket_rollup_deltas WHERE tenant_id = tenant;' : ''}
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
    END $$`;
}

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE ticket_rollup_deltas (
      id bigserial PRIMARY KEY,
      tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      added ticket_fact[] NOT NULL,
      removed ticket_fact[] NOT NULL)`);
  await knex.raw('CREATE INDEX ticket_rollup_deltas_tenant ON ticket_rollup_deltas (tenant_id, id)');
  await knex.raw('ALTER TABLE ticket_rollup_deltas ENABLE ROW LEVEL SECURITY');
  await knex.raw(
    `CREATE POLICY tenant_isolation ON ticket_rollup_deltas
       USING (tenant_id = ${CURRENT_TENANT}) WITH CHECK (tenant_id = ${CURRENT_TENANT})`,
  );

  await knex.raw(`
    CREATE OR REPLACE FUNCTION tickets_rollup_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      added ticket_fact[] := '{}';
      removed ticket_fact[] := '{}';
    BEGIN
      ${FACTS}
      IF cardinality(added) + cardinality(removed) > ${BULK_FACTS} THEN
        PERFORM ticket_rollup_apply(added, removed);
      ELSIF cardinality(added) > 0 OR cardinality(removed) > 0 THEN
        INSERT INTO ticket_rollup_deltas (tenant_id, added, removed)
        SELECT c.tenant_id, coalesce(array_agg(c.f) FILTER (WHERE c.delta = 1), '{}'),
               coalesce(array_agg(c.f) FILTER (WHERE c.delta = -1), '{}')
          FROM (SELECT (a).tenant_id, a AS f, 1 AS delta FROM unnest(added) AS a
                UNION ALL SELECT (x).tenant_id, x, -1 FROM unnest(removed) AS x) c
         GROUP BY c.tenant_id;
      END IF;
      RETURN NULL;
    END $$`);

  await knex.raw('DROP TRIGGER tickets_rollup_update ON tickets');
  await knex.raw(`
    CREATE FUNCTION tickets_rollup_row_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO ticket_rollup_deltas (tenant_id, added, removed)
      VALUES (NEW.tenant_id, ARRAY[ticket_fact(NEW)], ARRAY[ticket_fact(OLD)]);
      RETURN NULL;
    END $$`);
  await knex.raw(`
    CREATE TRIGGER tickets_rollup_update AFTER UPDATE ON tickets FOR EACH ROW
      WHEN (ticket_fact(OLD) IS DISTINCT FROM ticket_fact(NEW))
      EXECUTE FUNCTION tickets_rollup_row_trigger()`);

  // Applies the pending deltas of one tenant (NULL: of every tenant, the oldest first, at most max_deltas of
  // them; NULL: all), and answers how many it applied. The deltas are locked in id order before they are taken
  // (concurrent folds never wait for each other in a cycle), and the rollup rows in key order by the apply: a
  // fold that reaches deltas another holds waits for it, then finds them gone and their facts in the rollups.
  await knex.raw(`
    CREATE FUNCTION ticket_rollup_fold(tenant uuid, max_deltas integer) RETURNS integer
    LANGUAGE plpgsql AS $$
    DECLARE
      added ticket_fact[];
      removed ticket_fact[];
      folded integer;
    BEGIN
      WITH taken AS (
        DELETE FROM ticket_rollup_deltas d
         WHERE d.id = ANY (ARRAY(SELECT p.id FROM ticket_rollup_deltas p
                                  WHERE tenant IS NULL OR p.tenant_id = tenant
                                  ORDER BY p.id LIMIT max_deltas FOR UPDATE))
        RETURNING d.added, d.removed),
      facts AS (
        SELECT f, 1 AS delta FROM taken, unnest(taken.added) AS f
        UNION ALL SELECT f, -1 FROM taken, unnest(taken.removed) AS f)
      SELECT coalesce((SELECT array_agg(f) FROM facts WHERE delta = 1), '{}'),
             coalesce((SELECT array_agg(f) FROM facts WHERE delta = -1), '{}'),
             (SELECT count(*) FROM taken)
        INTO added, removed, folded;
      IF cardinality(added) > 0 OR cardinality(removed) > 0 THEN
        PERFORM ticket_rollup_apply(added, removed);
      END IF;
      RETURN folded;
    END $$`);

  // A rebuild counts every ticket from its row: the tenant's pending deltas are in it already.
  await knex.raw(rebuildFunction(true));
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('SELECT ticket_rollup_fold(NULL, NULL)');
  await knex.raw('DROP TRIGGER tickets_rollup_update ON tickets');
  await knex.raw('DROP FUNCTION tickets_rollup_row_trigger()');
  await knex.raw(`CREATE TRIGGER tickets_rollup_update AFTER UPDATE ON tickets
                   REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                   FOR EACH STATEMENT EXECUTE FUNCTION tickets_rollup_trigger()`);
  await knex.raw(`
    CREATE OR REPLACE FUNCTION tickets_rollup_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      added ticket_fact[] := '{}';
      removed ticket_fact[] := '{}';
    BEGIN
      ${FACTS}
      IF cardinality(added) > 0 OR cardinality(removed) > 0 THEN
        PERFORM ticket_rollup_apply(added, removed);
      END IF;
      RETURN NULL;
    END $$`);
  await knex.raw(rebuildFunction(false));
  await knex.raw('DROP FUNCTION IF EXISTS ticket_rollup_fold(uuid, integer)');
  await knex.raw('DROP TABLE IF EXISTS ticket_rollup_deltas');
}
