/**
 * The ticket list stays fast at any table size because each of its shapes reads one index range in its sort's
 * order (migration 20261202050000_ticket_list_indexes.ts), never every ticket of the tenant, then a sort. Here:
 * a database of its own with tens of thousands of tickets (bench/seed-tickets.ts) and fresh statistics; each
 * shape's exact SQL, as TicketRepository.list sends it, EXPLAINed as the application runs it (role triage_app,
 * row-level security, the tenant set) must scan the intended index, with no Seq Scan and no Sort but the one
 * over the several-status fan-out's few rows; a cursor must be an index condition, not a filter.
 * The figures at 1,000,000 tickets are bench/ticket-list.ts's.
 *
 * And every page walk returns each matching ticket once, in order: ties on the sort key, instants of the same
 * millisecond, tickets without an SLA deadline, several statuses, against a plain ORDER BY of the same rows.
 */
import crypto from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { SEED_YEAR_START, seedTickets } from '../../bench/seed-tickets';
import { type PlatformDb, createAppDb, createDb, migrateToLatest, withTenant } from '../../src/stores/db';
import {
  type Cursor,
  type TicketListFilters,
  type TicketSort,
  TicketRepository,
  decodeCursor,
} from '../../src/stores/ticket-repository';

const name = `triage_list_plan_${crypto.randomUUID().slice(0, 8)}`;
let admin: Knex;
let owner: PlatformDb;
let app: Knex;
let repository: TicketRepository;
let tenantId: string;

beforeAll(async () => {
  admin = knexFactory({ client: 'pg', connection: process.env.TEST_DATABASE_URL!, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE DATABASE ${name}`);
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.pathname = `/${name}`;
  owner = createDb(url.toString(), 2);
  await migrateToLatest(owner);
  app = createAppDb(url.toString(), 2);
  repository = new TicketRepository(app, owner);
  const [tenant, other] = await owner('tenants')
    .insert([
      { slug: 'big', name: 'Big' },
      { slug: 'other', name: 'Other' },
    ])
    .returning('id');
  tenantId = tenant.id;
  await seedTickets(owner, tenantId, 40_000);
  await seedTickets(owner, other.id, 10_000);
  await owner.raw('VACUUM ANALYZE tickets');
}, 300_000);

afterAll(async () => {
  await app?.destroy();
  await owner?.destroy();
  await admin?.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin?.destroy();
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Filter?: string;
  Plans?: PlanNode[];
}

const flatten = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(flatten)];

/** The SQL the repository sends for one page (captured from the application's pool), and its plan there. */
async function planOf(
  filters: TicketListFilters,
  sort: TicketSort,
  after?: Cursor,
): Promise<{ sql: string; nodes: PlanNode[]; root: PlanNode }> {
  const sent: Array<{ sql: string; bindings: unknown[] }> = [];
  const listen = (q: { sql: string; bindings: unknown[] }) => {
    if (q.sql.startsWith('select "tickets".*')) sent.push(q);
  };
  app.on('query', listen);
  try {
    await repository.list(tenantId, filters, 50, after, sort);
  } finally {
    app.off('query', listen);
  }
  expect(sent).toHaveLength(1);
  // knex reports PostgreSQL's $n placeholders, in order: back to its own for raw().
  const sql = sent[0]!.sql.replace(/\$\d+/g, '?');
  const [explained] = await withTenant(app, tenantId, async (trx) => {
    const result = await trx.raw(`EXPLAIN (FORMAT JSON) ${sql}`, sent[0]!.bindings as Knex.RawBinding[]);
    return result.rows[0]['QUERY PLAN'] as Array<{ Plan: PlanNode }>;
  });
  return { sql, nodes: flatten(explained!.Plan), root: explained!.Plan };
}

const OPEN_STATUSES = [
  'new',
  'triaging',
  'open',
  'ai_failed',
  'in_progress',
  'pending_customer',
  'pending_vendor',
  'escalated',
];
const mid = new Date(SEED_YEAR_START.getTime() + 200 * 86_400_000).toISOString();
const createdCursor: Cursor = { createdAt: mid, id: 'ffffffff-ffff-ffff-ffff-ffffffffffff' };

/** Each shape, the index that must answer it, whether it fans out over its statuses, whether it has a cursor. */
const SHAPES: Array<{
  shape: string;
  filters: TicketListFilters;
  sort: TicketSort;
  after?: Cursor;
  index: string;
  fanOut?: boolean;
  /** Every condition read from the index entries: no ticket is visited to be excluded. */
  noFilter?: boolean;
}> = [
  { shape: 'newest', filters: {}, sort: 'created', index: 'tickets_tenant_created_id' },
  {
    shape: 'newest, deep',
    filters: {},
    sort: 'created',
    after: createdCursor,
    index: 'tickets_tenant_created_id',
  },
  {
    shape: 'one status',
    filters: { status: ['open'] },
    sort: 'created',
    index: 'tickets_tenant_status_created',
  },
  {
    shape: 'a less common status, deep',
    filters: { status: ['escalated'] },
    sort: 'created',
    after: createdCursor,
    index: 'tickets_tenant_status_created',
  },
  {
    shape: 'several statuses',
    filters: { status: ['open', 'in_progress', 'escalated'] },
    sort: 'created',
    index: 'tickets_tenant_status_created',
    fanOut: true,
  },
  {
    shape: 'several statuses and priorities, deep',
    filters: { status: ['open', 'resolved'], priority: ['high', 'critical'] },
    sort: 'created',
    after: createdCursor,
    index: 'tickets_tenant_status_created',
    fanOut: true,
    noFilter: true,
  },
  {
    shape: 'assignee',
    filters: { assignee: 'agent-30' },
    sort: 'created',
    index: 'tickets_tenant_assignee_created',
  },
  {
    shape: 'assignee with statuses',
    filters: { assignee: 'agent-3', status: ['open', 'in_progress'] },
    sort: 'created',
    index: 'tickets_tenant_assignee_created',
  },
  {
    shape: 'category',
    filters: { category: 'billing' },
    sort: 'created',
    index: 'tickets_tenant_created_id',
  },
  {
    shape: 'created range',
    filters: { createdAfter: new Date(mid), createdBefore: new Date(Date.parse(mid) + 30 * 86_400_000) },
    sort: 'created',
    index: 'tickets_tenant_created_id',
  },
  { shape: 'sla', filters: {}, sort: 'sla', index: 'tickets_tenant_sla' },
  {
    shape: 'sla, deep',
    filters: {},
    sort: 'sla',
    after: { sort: 'sla', dueAt: mid, id: '00000000-0000-0000-0000-000000000000' },
    index: 'tickets_tenant_sla',
  },
  {
    shape: 'sla, among the tickets without a deadline',
    filters: {},
    sort: 'sla',
    after: { sort: 'sla', dueAt: null, id: '80000000-0000-0000-0000-000000000000' },
    index: 'tickets_tenant_sla',
  },
  {
    shape: 'sla, one status',
    filters: { status: ['pending_customer'] },
    sort: 'sla',
    index: 'tickets_tenant_status_sla',
  },
  {
    shape: 'the queue: sla, every open status, deep',
    filters: { status: OPEN_STATUSES },
    sort: 'sla',
    after: { sort: 'sla', dueAt: mid, id: '00000000-0000-0000-0000-000000000000' },
    index: 'tickets_tenant_status_sla',
    fanOut: true,
  },
  {
    shape: 'the queue, critical tickets',
    filters: { status: OPEN_STATUSES, priority: ['critical'] },
    sort: 'sla',
    index: 'tickets_tenant_status_sla',
    fanOut: true,
    noFilter: true,
  },
  {
    shape: "an agent's queue",
    filters: { status: OPEN_STATUSES, assignee: 'agent-7' },
    sort: 'sla',
    index: 'tickets_tenant_assignee_sla',
  },
];

test.each(SHAPES)(
  '$shape: an ordered scan of $index',
  async ({ filters, sort, after, index, fanOut, noFilter }) => {
    const { nodes, root, sql } = await planOf(filters, sort, after);
    const tickets = nodes.filter((n) => n['Relation Name'] === 'tickets');
    expect(nodes.filter((n) => n['Node Type'].includes('Seq Scan'))).toEqual([]);
    expect(tickets.length).toBeGreaterThan(0);
    for (const scan of tickets) {
      expect(scan['Node Type']).toBe('Index Scan');
      expect(scan['Index Name']).toBe(index);
      // A cursor narrows the index range; as a filter it would read every ticket before it.
      if (after) {
        expect(scan['Index Cond']).toContain('ROW(');
        expect(scan.Filter ?? '').not.toContain('ROW(');
      }
      if (noFilter) expect(scan.Filter).toBeUndefined();
    }
    const sorts = nodes.filter((n) => n['Node Type'] === 'Sort');
    if (!fanOut) {
      expect(sorts).toEqual([]);
      return;
    }
    // One ordered range per status (a nested loop over the list), at most a page each: the only sort is of those.
    expect(sql).toContain('CROSS JOIN LATERAL');
    expect(sorts).toHaveLength(1);
    const loop = sorts[0]!.Plans?.[0];
    expect(loop?.['Node Type']).toBe('Nested Loop');
    expect(flatten(loop!).some((n) => n['Node Type'] === 'Function Scan')).toBe(true);
    expect(flatten(loop!).filter((n) => n['Node Type'] === 'Limit')).toHaveLength(1);
    expect(root['Node Type']).toBe('Limit');
  },
);

test('a filter on a value few tickets have reads its own small index, not the whole tenant in order', async () => {
  for (const filters of [
    { category: 'legal' },
    { customerTier: 'global_enterprise' },
  ] as TicketListFilters[]) {
    const { nodes } = await planOf(filters, 'created');
    expect(nodes.filter((n) => n['Node Type'].includes('Seq Scan'))).toEqual([]);
    const indexes = nodes.map((n) => n['Index Name']).filter(Boolean);
    expect(indexes).toEqual([filters.category ? 'tickets_tenant_category' : 'tickets_tenant_customer_tier']);
  }
});

describe('every page walk returns each matching ticket once, in order', () => {
  let small: string;

  beforeAll(async () => {
    const [tenant] = await owner('tenants').insert({ slug: 'walk', name: 'Walk' }).returning('id');
    small = tenant.id;
    // 400 tickets on 25 milliseconds, 4 microseconds apart within each (ties and same-millisecond instants);
    // a third without an SLA deadline, the others on 7 deadlines (ties again).
    await owner.raw(
      `INSERT INTO tickets (id, tenant_id, title, content, status, priority, assignee, created_by, workflow_id,
                            workflow_started_at, created_at, sla_due_at, resolved_at)
       SELECT gen_random_uuid(), ?, 't' || i, 'c', (ARRAY['open','in_progress','pending_customer','resolved'])[1 + i % 4],
              (ARRAY['low','high'])[1 + i % 2], 'agent-' || (i % 3), 'test', 'walk-' || i, now(),
              '2026-03-01T00:00:00Z'::timestamptz + (i % 25) * interval '1 millisecond' + (i % 4) * interval '1 microsecond',
              CASE WHEN i % 3 = 0 THEN NULL
                   ELSE '2026-03-02T00:00:00Z'::timestamptz + (i % 7) * interval '1 second' + (i % 2) * interval '1 microsecond' END,
              CASE WHEN i % 4 = 3 THEN now() END
         FROM generate_series(1, 400) AS i`,
      [small],
    );
  });

  const WALKS: Array<{ filters: TicketListFilters; where: (q: Knex.QueryBuilder) => void }> = [
    { filters: {}, where: () => undefined },
    { filters: { status: ['open'] }, where: (q) => q.where('status', 'open') },
    {
      filters: { status: ['open', 'pending_customer', 'resolved'] },
      where: (q) => q.whereIn('status', ['open', 'pending_customer', 'resolved']),
    },
    {
      filters: { status: ['open', 'in_progress'], priority: ['high'] },
      where: (q) => q.whereIn('status', ['open', 'in_progress']).where('priority', 'high'),
    },
    {
      filters: { status: ['open', 'resolved'], priority: ['low', 'high'] },
      where: (q) => q.whereIn('status', ['open', 'resolved']).whereIn('priority', ['low', 'high']),
    },
    {
      filters: { status: ['open', 'in_progress'], assignee: 'agent-1' },
      where: (q) => q.whereIn('status', ['open', 'in_progress']).where('assignee', 'agent-1'),
    },
  ];

  test.each(WALKS.flatMap((walk) => (['created', 'sla'] as const).map((sort) => ({ ...walk, sort }))))(
    '$filters by $sort',
    async ({ filters, where, sort }) => {
      const q = owner('tickets').where('tenant_id', small).select('id');
      where(q);
      const expected: string[] = (
        await (sort === 'sla'
          ? q.orderByRaw('sla_due_at ASC NULLS LAST, id ASC')
          : q.orderByRaw('created_at DESC, id DESC'))
      ).map((r: { id: string }) => r.id);
      expect(expected.length).toBeGreaterThan(20);

      const seen: string[] = [];
      let after: Cursor | undefined;
      for (let pages = 0; pages < 500; pages++) {
        const page = await repository.list(small, filters, 7, after, sort);
        expect(page.items.length).toBeLessThanOrEqual(7);
        seen.push(...page.items.map((t) => t.id));
        if (!page.nextCursor) break;
        after = decodeCursor(page.nextCursor);
        expect(after).toBeDefined();
      }
      expect(seen).toEqual(expected);
    },
  );
});
