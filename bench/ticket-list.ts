/**
 * The ticket list at scale: `--tickets` tickets (default 1M) of one tenant over a year, plus `--other` (default
 * 200k) of another tenant in the same table (bench/seed-tickets.ts: set-based INSERT … SELECT, realistic mixes
 * of status, priority, category, tier, assignee and SLA deadlines), then `GET /v1/tickets` through the HTTP API
 * as an agent, `--runs` times (default 100) for each query shape, its parameters drawn at random each time:
 *
 *   newest               no filter, first page
 *   newest, deep         20 pages followed by next_cursor, from a random point of the year
 *   status               one status, or a few (the queue's views), incl. the rare ones (new, ai_failed)
 *   status+priority      one or a few statuses with one or two priorities
 *   assignee             one of 50 agents (some busy, some nearly idle)
 *   category             one category
 *   tier                 one customer tier
 *   created range        a random window of 1–30 days, first page and the next
 *   sla                  sort=sla, first page
 *   sla, deep            sort=sla from a random deadline of the year, or among the tickets without one
 *   sla+status           sort=sla with one or a few working statuses
 *   queue                the console's default: every open status by SLA, first page and the next
 *   queue, mine          the same, one agent's ("mine")
 *
 * Prints p50/p99/max per shape and overall (the whole request, and the list's SQL statement alone, timed on
 * the API's pool in the same process), then a JSON line.
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:list -- [--tickets 1000000] [--runs 100]
 * Run alone it works in a throwaway database, dropped at the end. `benchTicketList(h, options)` runs it on a
 * product already started (the combined bench): it creates its two tenants and seeds them there; the product
 * must not limit the standard tier's request rate (RATE_LIMITS=standard:0), or the figures measure the limiter.
 */
import { parseArgs } from 'node:util';
import { percentile } from '../src/ml/metrics';
import { TICKET_STATUSES } from '../src/domain/vocabulary';
import { encodeCursor } from '../src/stores/ticket-repository';
import type { Harness } from '../test/helpers/harness';
import { SEED_YEAR_START, seedTickets } from './seed-tickets';
import { run, withProduct } from './support';

export interface TicketListBenchOptions {
  /** Tickets of the measured tenant (default 1,000,000). */
  tickets?: number;
  /** Tickets of another tenant in the same table (default 200,000). */
  otherTickets?: number;
  /** Requests per query shape (default 100; `newest, deep` counts pages). */
  runs?: number;
  /** Where the table goes (default console.log). */
  log?: (line: string) => void;
}

export interface LatencySummary {
  runs: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

/** A shape's requests through HTTP, and (`query`) the list's SQL statement alone. */
export interface ShapeSummary extends LatencySummary {
  query: LatencySummary;
}

export interface TicketListBenchResult {
  bench: 'ticket-list';
  tickets: number;
  other_tickets: number;
  load_seconds: number;
  shapes: Record<string, ShapeSummary>;
  overall: ShapeSummary;
}

const YEAR_MS = 365 * 86_400_000;
const MAX_UUID = 'ffffffff-ffff-ffff-ffff-ffffffffffff';
const MIN_UUID = '00000000-0000-0000-0000-000000000000';

const pick = <T>(values: readonly T[]): T => values[Math.floor(Math.random() * values.length)]!;
const randomInstant = (): Date => new Date(SEED_YEAR_START.getTime() + Math.random() * YEAR_MS);

const STATUS_VIEWS = [
  'open',
  'in_progress',
  'escalated',
  'new',
  'ai_failed',
  'resolved',
  'open,in_progress,escalated',
  'new,triaging,open,ai_failed',
  'pending_customer,pending_vendor',
  'open,in_progress,pending_customer,pending_vendor,escalated',
];
const WORKING_VIEWS = ['open', 'in_progress', 'escalated', 'open,in_progress,escalated', 'new,triaging,open'];
/** The console's default queue (web/src/pages/Queue.tsx): every status but resolved and closed, by SLA. */
const OPEN_STATUSES = TICKET_STATUSES.filter((s) => s !== 'resolved' && s !== 'closed').join(',');
const PRIORITY_VIEWS = ['critical', 'high', 'low', 'high,critical', 'medium'];

/** One request of each shape: a path, or several (a chain of pages, each timed). */
type Shape = (page: (path: string) => Promise<string | null>) => Promise<void>;

const SHAPES: Record<string, Shape> = {
  newest: async (page) => {
    await page('/v1/tickets');
  },
  'newest, deep': async (page) => {
    let cursor: string | null = encodeCursor({ createdAt: randomInstant().toISOString(), id: MAX_UUID });
    for (let i = 0; i < 20 && cursor; i++) cursor = await page(`/v1/tickets?cursor=${cursor}`);
  },
  status: async (page) => {
    await page(`/v1/tickets?status=${pick(STATUS_VIEWS)}`);
  },
  'status+priority': async (page) => {
    await page(`/v1/tickets?status=${pick(STATUS_VIEWS)}&priority=${pick(PRIORITY_VIEWS)}`);
  },
  assignee: async (page) => {
    await page(`/v1/tickets?assignee=agent-${Math.floor(Math.random() * 50)}`);
  },
  category: async (page) => {
    await page(`/v1/tickets?category=${pick(['billing', 'technical', 'feature_request'])}`);
  },
  tier: async (page) => {
    await page(`/v1/tickets?customer_tier=${pick(['free', 'standard', 'business', 'enterprise'])}`);
  },
  'created range': async (page) => {
    const from = randomInstant();
    const to = new Date(from.getTime() + (1 + Math.random() * 29) * 86_400_000);
    const range = `created_after=${from.toISOString()}&created_before=${to.toISOString()}`;
    const next = await page(`/v1/tickets?${range}`);
    if (next) await page(`/v1/tickets?${range}&cursor=${next}`);
  },
  sla: async (page) => {
    await page('/v1/tickets?sort=sla');
  },
  'sla, deep': async (page) => {
    // A deadline anywhere in the year (and the days after it), or past every deadline: the tickets without one.
    const dueAt =
      Math.random() < 0.8 ? new Date(randomInstant().getTime() + Math.random() * 3 * 86_400_000) : null;
    const id = dueAt ? MAX_UUID : pick([MIN_UUID, '80000000-0000-0000-0000-000000000000']);
    const cursor = encodeCursor({ sort: 'sla', dueAt: dueAt && dueAt.toISOString(), id });
    const next = await page(`/v1/tickets?sort=sla&cursor=${cursor}`);
    if (next) await page(`/v1/tickets?sort=sla&cursor=${next}`);
  },
  'sla+status': async (page) => {
    await page(`/v1/tickets?sort=sla&status=${pick(WORKING_VIEWS)}`);
  },
  queue: async (page) => {
    const next = await page(`/v1/tickets?sort=sla&status=${OPEN_STATUSES}`);
    if (next) await page(`/v1/tickets?sort=sla&status=${OPEN_STATUSES}&cursor=${next}`);
  },
  'queue, mine': async (page) => {
    const mine = `assignee=agent-${Math.floor(Math.random() * 50)}`;
    const next = await page(`/v1/tickets?sort=sla&status=${OPEN_STATUSES}&${mine}`);
    if (next) await page(`/v1/tickets?sort=sla&status=${OPEN_STATUSES}&${mine}&cursor=${next}`);
  },
};

function summarize(times: number[]): LatencySummary {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    runs: sorted.length,
    p50_ms: Math.round(percentile(sorted, 0.5) * 10) / 10,
    p99_ms: Math.round(percentile(sorted, 0.99) * 10) / 10,
    max_ms: Math.round((sorted[sorted.length - 1] ?? 0) * 10) / 10,
  };
}

interface QueryEvent {
  __knexQueryUid?: string;
  sql?: string;
}

/** Times every shape against a tenant already loaded (`token`: one of its agents). */
export async function measureTicketList(
  h: Pick<Harness, 'call' | 'appDb'>,
  token: string,
  options: { runs?: number; log?: (line: string) => void } = {},
): Promise<{ shapes: Record<string, ShapeSummary>; overall: ShapeSummary }> {
  const runs = options.runs ?? 100;
  const log = options.log ?? console.log;
  // The list's own SQL statement, timed on the API's pool (same process): from the query's dispatch to its rows.
  const sent = new Map<string, number>();
  let queryTimes: number[] = [];
  const onQuery = (q: QueryEvent) => {
    if (q.__knexQueryUid && q.sql?.startsWith('select "tickets".*'))
      sent.set(q.__knexQueryUid, performance.now());
  };
  const onResponse = (_rows: unknown, q: QueryEvent) => {
    const t0 = q.__knexQueryUid === undefined ? undefined : sent.get(q.__knexQueryUid);
    if (t0 === undefined) return;
    sent.delete(q.__knexQueryUid!);
    queryTimes.push(performance.now() - t0);
  };
  h.appDb.on('query', onQuery).on('query-response', onResponse);
  const timed =
    (times: number[]) =>
    async (path: string): Promise<string | null> => {
      const t0 = performance.now();
      const res = await h.call<{ items: unknown[]; next_cursor: string | null }>('GET', path, { token });
      times.push(performance.now() - t0);
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.next_cursor;
    };
  const all: number[] = [];
  const allQueries: number[] = [];
  const shapes: Record<string, ShapeSummary> = {};
  try {
    // Each shape once untimed first: connections, the JIT, the first plans.
    for (const shape of Object.values(SHAPES)) await shape(timed([]));
    for (const [name, shape] of Object.entries(SHAPES)) {
      const times: number[] = [];
      queryTimes = [];
      while (times.length < runs) await shape(timed(times));
      shapes[name] = { ...summarize(times), query: summarize(queryTimes) };
      all.push(...times);
      allQueries.push(...queryTimes);
    }
  } finally {
    h.appDb.off('query', onQuery).off('query-response', onResponse);
  }
  const overall: ShapeSummary = { ...summarize(all), query: summarize(allQueries) };
  const cell = (v: number) => v.toFixed(1).padStart(8);
  log(
    `${'shape'.padEnd(16)} ${'runs'.padStart(5)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ` +
      `${'max ms'.padStart(8)} | SQL only: ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`,
  );
  for (const [name, s] of [...Object.entries(shapes), ['overall', overall] as const]) {
    log(
      `${name.padEnd(16)} ${String(s.runs).padStart(5)} ${cell(s.p50_ms)} ${cell(s.p99_ms)} ${cell(s.max_ms)} | ` +
        `          ${cell(s.query.p50_ms)} ${cell(s.query.p99_ms)}`,
    );
  }
  return { shapes, overall };
}

/** Creates two tenants on the running product, loads them, and times the list (see the file's comment). */
export async function benchTicketList(
  h: Harness,
  options: TicketListBenchOptions = {},
): Promise<TicketListBenchResult> {
  const tickets = options.tickets ?? 1_000_000;
  const otherTickets = options.otherTickets ?? 200_000;
  const log = options.log ?? console.log;
  const tenant = await h.createTenant();
  const other = await h.createTenant();
  const t0 = Date.now();
  await seedTickets(h.db, tenant.id, tickets);
  await seedTickets(h.db, other.id, otherTickets);
  await h.db.raw('VACUUM ANALYZE tickets');
  const loadSeconds = Math.round((Date.now() - t0) / 1000);
  log(`loaded ${tickets} + ${otherTickets} tickets in ${loadSeconds} s`);
  const { shapes, overall } = await measureTicketList(h, tenant.tokens.agent, { runs: options.runs, log });
  const result: TicketListBenchResult = {
    bench: 'ticket-list',
    tickets,
    other_tickets: otherTickets,
    load_seconds: loadSeconds,
    shapes,
    overall,
  };
  log(JSON.stringify(result));
  return result;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tickets: { type: 'string', default: '1000000' },
      other: { type: 'string', default: '200000' },
      runs: { type: 'string', default: '100' },
    },
  });
  if (!process.env.DATABASE_URL)
    throw new Error('set DATABASE_URL to a PostgreSQL server (a database is created and dropped)');
  // Figures of the queries, not of the per-tenant request limit (lifted); no worker needed.
  await withProduct(
    (h) =>
      benchTicketList(h, {
        tickets: Number(values.tickets),
        otherTickets: Number(values.other),
        runs: Number(values.runs),
      }),
    { worker: false, env: { RATE_LIMITS: 'standard:0' } },
  );
}

if (require.main === module) run(main);
