/**
 * The analytics rollups (migration 20261202010000), kept by triggers as tickets and SLA events are written,
 * stay equal to a rebuild from the raw rows (the migration's backfill) after creates, single and bulk updates
 * (triage, assignment, resolve, reopen, priority change, escalation), breaches and deletions: no drift. Small
 * writes leave their facts as deltas (migration 20261204000000), folded by readers and by the API's relay; bulk
 * statements apply at once.
 */
import crypto from 'node:crypto';
import { AnalyticsRepository, LATENCY_RATIOS } from '../../src/stores/analytics-repository';
import { type Harness, type TestTenant, startHarness } from '../helpers/harness';

let h: Harness;
let tenant: TestTenant;
let other: TestTenant;

beforeAll(async () => {
  // No background relay: it folds every tenant's deltas on its own schedule, and the tests count pending ones
  // (they call the relay's fold themselves where they mean it).
  h = await startHarness({ worker: false, env: { OUTBOX_INTERVAL_MS: String(3_600_000) } });
  tenant = await h.createTenant();
  other = await h.createTenant();
});
afterAll(() => h?.stop());

/**
 * Each rollup table: its key without the shard, and its figures. A group's rows (one per writer's shard,
 * migration 20261202060000) are summed, as readers do; a group holds anything when a sum is not zero (decrements
 * may leave rows of zeros, or shards that cancel out).
 */
const TABLES = new Map([
  [
    'ticket_rollup_counts',
    { key: 'grain, period_start, dimension, key', figures: ['tickets', 'met', 'breached'] },
  ],
  [
    'ticket_rollup_assignees',
    { key: 'grain, period_start, assignee', figures: ['handled', 'resolved', 'reopened'] },
  ],
  [
    'ticket_rollup_latencies',
    { key: 'grain, period_start, measure, assignee, bucket', figures: ['tickets'] },
  ],
]);

/** The tenant's non-zero rollup groups, in a stable order, its pending deltas folded in first (as readers do). */
async function rollups(db: Harness['db'], tenantId: string): Promise<Record<string, string[]>> {
  await db.raw('SELECT ticket_rollup_fold(?::uuid, NULL)', [tenantId]);
  const out: Record<string, string[]> = {};
  for (const [table, { key, figures }] of TABLES) {
    const sums = figures.map((f) => `sum(${f})::int AS ${f}`).join(', ');
    const nonZero = figures.map((f) => `${f} <> 0`).join(' OR ');
    const { rows } = await db.raw(
      `SELECT to_jsonb(g)::text AS row
         FROM (SELECT ${key}, ${sums} FROM ${table} WHERE tenant_id = ? GROUP BY ${key}) g
        WHERE ${nonZero} ORDER BY 1`,
      [tenantId],
    );
    out[table] = (rows as Array<{ row: string }>).map((r) => r.row);
  }
  return out;
}

/** The rollups as the migration's backfill computes them now, without keeping its result. */
async function rebuilt(tenantId: string): Promise<Record<string, string[]>> {
  let result: Record<string, string[]> = {};
  await h.db
    .transaction(async (trx) => {
      await trx.raw('SELECT ticket_rollup_rebuild(?)', [tenantId]);
      result = await rollups(trx as unknown as Harness['db'], tenantId);
      throw new Error('rollback');
    })
    .catch((error: Error) => {
      if (error.message !== 'rollback') throw error;
    });
  return result;
}

const expectNoDrift = async () => {
  for (const t of [tenant, other]) expect(await rollups(h.db, t.id)).toEqual(await rebuilt(t.id));
};

const newTicket = (owner: TestTenant, i: number, extra: object = {}) => {
  const id = crypto.randomUUID();
  // Spread over two months, across day and week boundaries.
  const created = new Date(Date.UTC(2026, 4, 25) + i * 7 * 3_600_000);
  return {
    id,
    tenant_id: owner.id,
    title: `ticket ${i}`,
    content: 'rollup fixture',
    created_by: 'fixture',
    workflow_id: `ticket-${id}`,
    workflow_started_at: created,
    created_at: created,
    priority: (['low', 'medium', 'high', 'critical'] as const)[i % 4],
    customer_tier: (['free', 'standard', 'business', 'enterprise'] as const)[i % 3],
    source: (['web', 'email', 'api', 'chat'] as const)[i % 4],
    ...extra,
  };
};

test('rollups equal a rebuild from the raw rows after every kind of write', async () => {
  // Creates: one bulk statement (applied at once) and single rows, some already triaged and assigned.
  const bulk = Array.from({ length: 90 }, (_, i) =>
    newTicket(i % 5 === 0 ? other : tenant, i, i % 3 === 0 ? { category: 'billing', assignee: 'alice' } : {}),
  );
  await h.db('tickets').insert(bulk);
  const single = newTicket(tenant, 100, { assignee: 'bob', status: 'open' });
  await h.db('tickets').insert(single);
  await expectNoDrift();
  const mine = bulk.filter((t) => t.tenant_id === tenant.id);
  const hours = (t: { created_at: Date }, n: number) => new Date(t.created_at.getTime() + n * 3_600_000);

  // Triage and assignment (bulk), first responses.
  await h
    .db('tickets')
    .whereIn(
      'id',
      mine.slice(0, 20).map((t) => t.id),
    )
    .update({ category: 'technical', assignee: 'carol', status: 'open' });
  for (const t of mine.slice(0, 30)) {
    await h
      .db('tickets')
      .where({ id: t.id })
      .update({ first_response_at: hours(t, 0.5), status: 'in_progress' });
  }
  // Resolve some, with and without breaches; close one.
  for (const t of mine.slice(0, 15)) {
    await h
      .db('tickets')
      .where({ id: t.id })
      .update({ status: 'resolved', resolved_at: hours(t, 5 + (t.title.length % 7)) });
  }
  await h
    .db('tickets')
    .where({ id: mine[3]!.id })
    .update({ status: 'closed', closed_at: hours(mine[3]!, 30) });
  const breach = (t: { id: string; tenant_id: string; created_at: Date }, clock = 'first_response') => ({
    ticket_id: t.id,
    tenant_id: t.tenant_id,
    clock,
    kind: 'breach',
    threshold: 1,
    cycle: 0,
    due_at: t.created_at,
    deadline: t.created_at,
    fired_at: t.created_at,
    remaining_seconds: 0,
    priority: 'high',
  });
  await h.db('sla_events').insert([breach(mine[0]!), breach(mine[1]!), breach(mine[20]!), breach(bulk[0]!)]);
  // A second breach of the same ticket changes nothing; a warning neither.
  await h.db('sla_events').insert([breach(mine[0]!, 'resolution'), { ...breach(mine[2]!), kind: 'warning' }]);
  await expectNoDrift();

  // Reopen (back to open, a reopen counted), priority change, escalation, reassignment, unassignment.
  await h
    .db('tickets')
    .where({ id: mine[1]!.id })
    .update({ status: 'open', resolved_at: null, reopen_count: 1 });
  await h.db('tickets').where({ id: mine[4]!.id }).update({ priority: 'critical', priority_pinned: true });
  await h.db('tickets').where({ id: mine[25]!.id }).update({ status: 'escalated', escalation_level: 2 });
  await h.db('tickets').where({ id: mine[5]!.id }).update({ assignee: 'dave' });
  await h.db('tickets').where({ id: mine[6]!.id }).update({ assignee: null });
  // Writes that change nothing the rollups hold.
  await h
    .db('tickets')
    .whereIn(
      'id',
      mine.map((t) => t.id),
    )
    .increment('state_version', 1);
  await expectNoDrift();

  // Deletions: a breach event (the ticket is no longer breached), tickets (with their events, by cascade).
  await h.db('sla_events').where({ ticket_id: mine[1]!.id }).del();
  await h.db('tickets').whereIn('id', [mine[0]!.id, mine[7]!.id, single.id]).del();
  await expectNoDrift();

  // The figures are not all zero: the comparison above compared something.
  const counts = await rollups(h.db, tenant.id);
  expect(counts.ticket_rollup_counts!.length).toBeGreaterThan(50);
  expect(counts.ticket_rollup_latencies!.some((r) => r.includes('"handling"'))).toBe(true);
  expect(counts.ticket_rollup_counts!.some((r) => /"breached": [1-9]/.test(r))).toBe(true);
});

test('small writes leave deltas, folded by readers and by the relay; a bulk statement applies at once', async () => {
  const own = await h.createTenant();
  const pending = async () =>
    Number((await h.db('ticket_rollup_deltas').where({ tenant_id: own.id }).count('* as n'))[0]!.n);
  const counted = async () =>
    Number(
      (
        await h.db.raw(
          `SELECT coalesce(sum(tickets), 0)::int AS n FROM ticket_rollup_counts
            WHERE tenant_id = ? AND grain = 'day' AND dimension = 'priority'`,
          [own.id],
        )
      ).rows[0].n,
    );
  const repository = new AnalyticsRepository(h.appDb, h.db);
  const [from, to] = [new Date(Date.UTC(2026, 4, 1)), new Date(Date.UTC(2026, 7, 1))];
  const compliant = async () =>
    (await repository.slaCompliance(own.id, from, to)).by_priority.reduce((n, row) => n + row.tickets, 0);

  await h.db('tickets').insert(newTicket(own, 1));
  expect([await pending(), await counted()]).toEqual([1, 0]);
  // A read folds the tenant's deltas first: it counts every committed write.
  expect(await compliant()).toBe(1);
  expect([await pending(), await counted()]).toEqual([0, 1]);

  // More than 64 facts in one statement: applied by the statement itself.
  await h.db('tickets').insert(Array.from({ length: 70 }, (_, i) => newTicket(own, 10 + i)));
  expect([await pending(), await counted()]).toEqual([0, 71]);

  // A change and its undo before the next fold cancel out; the relay's pass folds every tenant's deltas.
  const single = newTicket(own, 100);
  await h.db('tickets').insert(single);
  await h.db('tickets').where({ id: single.id }).update({ priority: 'critical' });
  await h.db('tickets').where({ id: single.id }).update({ priority: single.priority });
  expect(await pending()).toBe(3);
  expect(await repository.foldPendingRollups()).toBeGreaterThanOrEqual(3);
  expect([await pending(), await counted()]).toEqual([0, 72]);
  expect(await compliant()).toBe(72);
});

test('an update leaves a delta exactly when the row’s facts (ticket_fact) change, and on no other update', async () => {
  const own = await h.createTenant();
  const ticket = newTicket(own, 1);
  await h.db('tickets').insert(ticket);
  const fact = async (db: Harness['db']) =>
    (await db.raw('SELECT ticket_fact(t)::text AS f FROM tickets t WHERE id = ?', [ticket.id])).rows[0]
      .f as string;
  const resolvedAt = new Date(ticket.created_at.getTime() + 3_600_000);
  // In order, on one row: changes of columns the facts ignore or map to the same fact, and changes of a fact.
  const updates: Array<Record<string, unknown>> = [
    { status: 'triaging' },
    { state_version: 5, sla_clocks: JSON.stringify({ response: 'running' }), metadata: { a: 1 } },
    { category: 'uncategorised' }, // NULL counts as 'uncategorised'
    { category: 'billing' },
    { reopen_count: 1 },
    { reopen_count: 2 }, // still reopened
    { status: 'resolved', resolved_at: resolvedAt },
    { status: 'closed', closed_at: new Date(resolvedAt.getTime() + 60_000) }, // resolved and closed: both done
    { sla_breached: true },
    { first_response_at: new Date(ticket.created_at.getTime() + 60_000) },
    { assignee: 'agent-1' },
    { title: 'renamed', escalation_level: 2, sla_state: 'breached' },
    { priority: 'critical' },
  ];
  const fired: boolean[] = [];
  const changed: boolean[] = [];
  for (const update of updates) {
    await h.db.transaction(async (trx) => {
      const db = trx as unknown as Harness['db'];
      const factBefore = await fact(db);
      await trx('tickets').where({ id: ticket.id }).update(update);
      changed.push((await fact(db)) !== factBefore);
      // The deltas this transaction wrote: the API's relay cannot fold them away before it commits.
      const { rows } = await trx.raw(
        'SELECT count(*)::int AS n FROM ticket_rollup_deltas WHERE xmin = pg_current_xact_id()::xid',
      );
      fired.push(rows[0].n > 0);
    });
  }
  expect(fired).toEqual(changed);
  // The list above covers both kinds, including the near misses.
  expect(changed).toEqual([
    false,
    false,
    false,
    true,
    true,
    false,
    true,
    false,
    true,
    true,
    true,
    false,
    true,
  ]);
  expect(await rollups(h.db, own.id)).toEqual(await rebuilt(own.id));
});

test('the SQL histograms use the ratios the repository reads them with (LATENCY_RATIOS)', async () => {
  const seconds = 1000;
  const { rows } = await h.db.raw(
    `SELECT measure, bucket FROM ticket_fact_latencies(
       ROW(NULL, NULL, NULL, NULL, NULL, NULL, 'alice', NULL, NULL, NULL, ?, ?)::ticket_fact)`,
    [seconds, seconds],
  );
  const expected = (ratio: number) => 1 + Math.floor(Math.log(seconds) / Math.log(ratio));
  expect(
    Object.fromEntries(
      (rows as Array<{ measure: string; bucket: number }>).map((r) => [r.measure, r.bucket]),
    ),
  ).toEqual({
    first_response: expected(LATENCY_RATIOS.first_response),
    resolution: expected(LATENCY_RATIOS.resolution),
    handling: expected(LATENCY_RATIOS.handling),
  });
});
