/**
 * Analytics over a date range (seed dashboards): ticket volume and response/resolution percentiles, per human
 * agent figures, per AI agent figures; and the reports the built-in agents send (SLA digest, knowledge gaps).
 *
 * Ticket figures come from the rollups of migration 20261202010000 (per tenant, UTC day / ISO week / month):
 * a range reads whole months, then whole weeks, then whole days, plus the raw rows of its partial edge days
 * (covering index `tickets_analytics`), so a year costs about as much as a month. Counts are exact; percentiles
 * come from log-bucket histograms (see LATENCY_RATIOS for the precision).
 */
import type { Knex } from 'knex';
import { withTenant } from './db';

const num = (v: unknown): number | null =>
  v === null || v === undefined ? null : Math.round(Number(v) * 10) / 10;

export interface Percentiles {
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

export interface TicketAnalytics {
  total: number;
  by_category: Record<string, number>;
  by_priority: Record<string, number>;
  by_tier: Record<string, number>;
  by_channel: Record<string, number>;
  first_response_seconds: Percentiles;
  resolution_seconds: Percentiles;
  human_agents: Array<{
    assignee: string;
    handled: number;
    resolved: number;
    median_handling_seconds: number | null;
    reopen_rate: number | null;
  }>;
}

export interface SlaComplianceRow {
  key: string;
  tickets: number;
  met: number;
  breached: number;
  compliance_pct: number | null;
}

export interface AiAgentAnalytics {
  agent_id: string;
  name: string;
  runs: number;
  completed: number;
  failed: number;
  success_rate: number | null;
  prompt_tokens: number;
  completion_tokens: number;
  cost_estimate_usd: number;
  median_duration_ms: number | null;
}

/**
 * Histogram bucket ratios, as in the SQL function `ticket_fact_latencies` (test/db/analytics-rollup.test.ts
 * checks they agree): bucket k >= 1 holds [r^(k-1), r^k)
 * seconds and reads as r^(k-1/2); bucket 0 (under 1 s) reads as 0.5 s. A percentile (an interpolation between
 * two such readings, as percentile_cont) is therefore within a factor sqrt(r) of the exact one: 2.5% for the
 * tenant's first-response and resolution times; 9.5% for the per-assignee median handling time, whose buckets
 * are coarser because each assignee has histograms of their own.
 */
export const LATENCY_RATIOS = { first_response: 1.05, resolution: 1.05, handling: 1.2 } as const;

/** percentile_cont over a histogram of [bucket, count] pairs. */
export function histogramPercentile(
  histogram: Array<[number, number]>,
  ratio: number,
  p: number,
): number | null {
  const sorted = [...histogram].sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return null;
  const reading = (bucket: number) => (bucket === 0 ? 0.5 : ratio ** (bucket - 0.5));
  const at = (rank: number) => {
    let seen = 0;
    for (const [bucket, n] of sorted) {
      seen += n;
      if (rank < seen) return reading(bucket);
    }
    return reading(sorted[sorted.length - 1]![0]);
  };
  const pos = p * (total - 1);
  const lo = at(Math.floor(pos));
  return lo + (at(Math.ceil(pos)) - lo) * (pos - Math.floor(pos));
}

const DAY_MS = 86_400_000;
const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const addDays = (d: Date, n: number) => new Date(d.getTime() + n * DAY_MS);
const floorDay = (d: Date) => new Date(Math.floor(d.getTime() / DAY_MS) * DAY_MS);
const floorMonth = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
const nextMonth = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
/** The Monday (ISO week start) on or before `d`. */
const floorWeek = (d: Date) => addDays(floorDay(d), -((d.getUTCDay() + 6) % 7));

/** How a range [from, to) is read: rollup periods (grain and UTC start) and the raw remainder at each end. */
export interface RangePlan {
  periods: Array<{ grain: 'day' | 'week' | 'month'; start: string }>;
  /** [from, firstDay) and [lastDay, to): the partial days at either end, from raw rows (may be empty). */
  raw: [Date, Date, Date, Date];
}

/** Whole months in the middle, then whole ISO weeks, then whole days, then partial days from raw rows. */
export function planRange(from: Date, to: Date): RangePlan {
  const firstDay = floorDay(from).getTime() === from.getTime() ? from : addDays(floorDay(from), 1);
  const lastDay = floorDay(to);
  if (firstDay >= lastDay) return { periods: [], raw: [from, to, to, to] };
  const periods: RangePlan['periods'] = [];
  const days = (a: Date, b: Date) => {
    for (let d = a; d < b; d = addDays(d, 1)) periods.push({ grain: 'day', start: isoDay(d) });
  };
  const weeksThenDays = (a: Date, b: Date) => {
    const w1 = floorWeek(a).getTime() === a.getTime() ? a : addDays(floorWeek(a), 7);
    const w2 = floorWeek(b);
    if (w1 >= w2) return days(a, b);
    days(a, w1);
    for (let w = w1; w < w2; w = addDays(w, 7)) periods.push({ grain: 'week', start: isoDay(w) });
    days(w2, b);
  };
  const m1 = floorMonth(firstDay).getTime() === firstDay.getTime() ? firstDay : nextMonth(firstDay);
  const m2 = floorMonth(lastDay);
  if (m1 < m2) {
    weeksThenDays(firstDay, m1);
    for (let m = m1; m < m2; m = nextMonth(m)) periods.push({ grain: 'month', start: isoDay(m) });
    weeksThenDays(m2, lastDay);
  } else {
    weeksThenDays(firstDay, lastDay);
  }
  return { periods, raw: [from, firstDay, lastDay, to] };
}

/**
 * `periods` (the plan's rollup periods) and `edge` (the facts of the tickets in its partial days as columns,
 * read by index-only scans of `tickets_analytics`), for a query that sums rollup rows joined with `periods` and
 * the same figures aggregated from `edge` (which is materialised: a query may read it more than once).
 */
function rangeSql(tenantId: string, from: Date, to: Date): { ctes: string; bindings: Knex.RawBinding[] } {
  const plan = planRange(from, to);
  const [from1, to1, from2, to2] = plan.raw;
  return {
    ctes: `periods AS (SELECT * FROM unnest(?::text[], ?::date[]) AS p(grain, period_start)),
           edge AS MATERIALIZED (
             SELECT (x.f).* FROM (
               SELECT ticket_fact(t) AS f FROM tickets t
                WHERE t.tenant_id = ? AND t.created_at >= ? AND t.created_at < ?
               UNION ALL
               SELECT ticket_fact(t) FROM tickets t
                WHERE t.tenant_id = ? AND t.created_at >= ? AND t.created_at < ?) x)`,
    bindings: [
      plan.periods.map((p) => p.grain),
      plan.periods.map((p) => p.start),
      tenantId,
      from1,
      to1,
      tenantId,
      from2,
      to2,
    ],
  };
}

/** Tickets, met and breached by dimension: rollup rows plus the edge's facts (`rangeSql`'s CTEs). */
const COUNTS_SQL = `
  SELECT dimension, key, sum(tickets) AS tickets, sum(met) AS met, sum(breached) AS breached
    FROM (SELECT r.dimension, r.key, r.tickets, r.met, r.breached
            FROM ticket_rollup_counts r JOIN periods USING (grain, period_start)
           WHERE r.tenant_id = ?
          UNION ALL
          -- One row per group of one dimension: the key is the one column grouped on.
          SELECT CASE WHEN GROUPING(category) = 0 THEN 'category' WHEN GROUPING(priority) = 0 THEN 'priority'
                      WHEN GROUPING(tier) = 0 THEN 'tier' ELSE 'channel' END,
                 COALESCE(category, priority, tier, channel), count(*), count(*) FILTER (WHERE met),
                 count(*) FILTER (WHERE breached)
            FROM edge GROUP BY GROUPING SETS ((category), (priority), (tier), (channel))) x
   GROUP BY dimension, key
  HAVING sum(tickets) > 0`;

export class AnalyticsRepository {
  /** `platform` (the owner's pool) folds every tenant's rollup deltas; without it, only a reader's own. */
  constructor(
    private readonly db: Knex,
    private readonly platform?: Knex,
  ) {}

  /** One query bound to the tenant (row-level security), on a connection of its own: several run in parallel. */
  private raw(tenantId: string, sql: string, bindings: readonly Knex.RawBinding[]) {
    return withTenant(this.db, tenantId, (trx) => trx.raw(sql, bindings));
  }

  /**
   * A query of the rollups, after folding the tenant's pending deltas into them (migration 20261204000000): the
   * writes committed before it are all counted.
   */
  private rollupRaw(tenantId: string, sql: string, bindings: readonly Knex.RawBinding[]) {
    return withTenant(this.db, tenantId, async (trx) => {
      await trx.raw('SELECT ticket_rollup_fold(?::uuid, NULL)', [tenantId]);
      return trx.raw(sql, bindings);
    });
  }

  /** Folds the oldest pending rollup deltas of every tenant, at most `limit`; answers how many. */
  async foldPendingRollups(limit = 5000): Promise<number> {
    if (!this.platform) throw new Error('folding every tenant needs the platform pool');
    const { rows } = await this.platform.raw('SELECT ticket_rollup_fold(NULL, ?) AS folded', [limit]);
    return Number(rows[0].folded);
  }

  /** Tickets, met and breached by dimension (category, priority, tier, channel) of tickets created in [from, to). */
  private async counts(
    tenantId: string,
    from: Date,
    to: Date,
  ): Promise<Array<{ dimension: string; key: string; tickets: number; met: number; breached: number }>> {
    const { ctes, bindings } = rangeSql(tenantId, from, to);
    const { rows } = await this.rollupRaw(tenantId, `WITH ${ctes} ${COUNTS_SQL} ORDER BY dimension, key`, [
      ...bindings,
      tenantId,
    ]);
    return (rows as Array<Record<string, unknown>>).map((r) => ({
      dimension: String(r.dimension),
      key: String(r.key),
      tickets: Number(r.tickets),
      met: Number(r.met),
      breached: Number(r.breached),
    }));
  }

  /** Tickets created in [from, to): volumes, percentiles (wall-clock seconds) and per-assignee figures. */
  async tickets(tenantId: string, from: Date, to: Date): Promise<TicketAnalytics> {
    // One statement (one plan, one read of the edge): counts, latency histograms and assignees, told apart
    // by `part`.
    const { ctes, bindings } = rangeSql(tenantId, from, to);
    const { rows } = await this.rollupRaw(
      tenantId,
      `WITH ${ctes}
       SELECT 'count' AS part, dimension AS a, key AS b, NULL::smallint AS bucket,
              tickets AS n1, met AS n2, breached AS n3
         FROM (${COUNTS_SQL}) c
       UNION ALL
       SELECT 'latency', measure, assignee, bucket, sum(tickets), NULL, NULL
         FROM (SELECT r.measure, r.assignee, r.bucket, r.tickets
                 FROM ticket_rollup_latencies r JOIN periods USING (grain, period_start)
                WHERE r.tenant_id = ?
               UNION ALL
               SELECT 'first_response', '', ticket_latency_bucket(first_response_seconds, ?), 1
                 FROM edge WHERE first_response_seconds IS NOT NULL
               UNION ALL
               SELECT 'resolution', '', ticket_latency_bucket(resolution_seconds, ?), 1
                 FROM edge WHERE resolution_seconds IS NOT NULL
               UNION ALL
               SELECT 'handling', assignee, ticket_latency_bucket(resolution_seconds, ?), 1
                 FROM edge WHERE resolution_seconds IS NOT NULL AND assignee IS NOT NULL) x
        GROUP BY measure, assignee, bucket
       HAVING sum(tickets) > 0
       UNION ALL
       SELECT 'assignee', assignee, NULL, NULL, sum(handled), sum(resolved), sum(reopened)
         FROM (SELECT r.assignee, r.handled, r.resolved, r.reopened
                 FROM ticket_rollup_assignees r JOIN periods USING (grain, period_start)
                WHERE r.tenant_id = ?
               UNION ALL
               SELECT assignee, 1, (resolution_seconds IS NOT NULL)::int, reopened::int
                 FROM edge WHERE assignee IS NOT NULL) x
        GROUP BY assignee
       HAVING sum(handled) > 0`,
      [
        ...bindings,
        tenantId,
        tenantId,
        LATENCY_RATIOS.first_response,
        LATENCY_RATIOS.resolution,
        LATENCY_RATIOS.handling,
        tenantId,
      ],
    );
    const parts = rows as Array<
      { part: string; a: string; b: string | null; bucket: number | null } & Record<
        'n1' | 'n2' | 'n3',
        string | null
      >
    >;
    const counts = parts
      .filter((r) => r.part === 'count')
      .map((r) => ({ dimension: r.a, key: String(r.b), tickets: Number(r.n1) }));
    const latencies = parts
      .filter((r) => r.part === 'latency')
      .map((r) => ({ measure: r.a, assignee: String(r.b), bucket: Number(r.bucket), n: Number(r.n1) }));
    const people = parts
      .filter((r) => r.part === 'assignee')
      .map((r) => ({ assignee: r.a, handled: Number(r.n1), resolved: Number(r.n2), reopened: Number(r.n3) }))
      .sort(
        (x, y) => y.handled - x.handled || (x.assignee < y.assignee ? -1 : x.assignee > y.assignee ? 1 : 0),
      );
    // Keys are data, so they go through Maps.
    const byDimension = new Map<string, Map<string, number>>();
    for (const c of counts) {
      const group = byDimension.get(c.dimension) ?? new Map<string, number>();
      group.set(c.key, c.tickets);
      byDimension.set(c.dimension, group);
    }
    const histograms = new Map<string, Array<[number, number]>>();
    for (const r of latencies) {
      const id = `${r.measure}\u0000${r.assignee}`;
      const histogram = histograms.get(id) ?? [];
      histogram.push([r.bucket, r.n]);
      histograms.set(id, histogram);
    }
    const percentile = (measure: keyof typeof LATENCY_RATIOS, assignee: string, p: number) =>
      num(
        histogramPercentile(histograms.get(`${measure}\u0000${assignee}`) ?? [], LATENCY_RATIOS[measure], p),
      );
    const percentiles = (measure: 'first_response' | 'resolution'): Percentiles => ({
      p50: percentile(measure, '', 0.5),
      p90: percentile(measure, '', 0.9),
      p99: percentile(measure, '', 0.99),
    });
    const group = (dimension: string) => Object.fromEntries(byDimension.get(dimension) ?? new Map());
    return {
      total: [...(byDimension.get('channel')?.values() ?? [])].reduce((s, n) => s + n, 0),
      by_category: group('category'),
      by_priority: group('priority'),
      by_tier: group('tier'),
      by_channel: group('channel'),
      first_response_seconds: percentiles('first_response'),
      resolution_seconds: percentiles('resolution'),
      human_agents: people.map((r) => ({
        assignee: r.assignee,
        handled: r.handled,
        resolved: r.resolved,
        median_handling_seconds: percentile('handling', r.assignee, 0.5),
        reopen_rate: Math.round((1000 * r.reopened) / r.handled) / 1000,
      })),
    };
  }

  /**
   * SLA compliance of tickets created in [from, to), by priority and by tier (the SLA report's definition:
   * met = resolved or closed without a breach; compliance = met / (met + breached)).
   */
  async slaCompliance(
    tenantId: string,
    from: Date,
    to: Date,
  ): Promise<Record<'by_priority' | 'by_tier', SlaComplianceRow[]>> {
    const out: Record<'by_priority' | 'by_tier', SlaComplianceRow[]> = { by_priority: [], by_tier: [] };
    for (const c of await this.counts(tenantId, from, to)) {
      if (c.dimension !== 'priority' && c.dimension !== 'tier') continue;
      (c.dimension === 'priority' ? out.by_priority : out.by_tier).push({
        key: c.key,
        tickets: c.tickets,
        met: c.met,
        breached: c.breached,
        compliance_pct:
          c.met + c.breached === 0 ? null : Math.round((1000 * c.met) / (c.met + c.breached)) / 10,
      });
    }
    return out;
  }

  /** Runs of the tenant's AI agents started in [from, to). */
  async agents(tenantId: string, from: Date, to: Date): Promise<AiAgentAnalytics[]> {
    const { rows } = await this.raw(
      tenantId,
      `SELECT a.id, a.name,
              count(e.id) AS runs,
              count(e.id) FILTER (WHERE e.status = 'completed') AS completed,
              count(e.id) FILTER (WHERE e.status = 'failed') AS failed,
              COALESCE(sum(e.prompt_tokens), 0) AS prompt_tokens,
              COALESCE(sum(e.completion_tokens), 0) AS completion_tokens,
              COALESCE(sum(e.cost_estimate), 0) AS cost,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY e.duration_ms) AS duration50
         FROM agents a
         JOIN agent_executions e ON e.agent_id = a.id AND e.tenant_id = a.tenant_id
              AND e.started_at >= ? AND e.started_at < ?
        WHERE a.tenant_id = ?
        GROUP BY a.id, a.name
        ORDER BY count(e.id) DESC, a.name`,
      [from, to, tenantId],
    );
    return (rows as Array<Record<string, unknown>>).map((r) => {
      const completed = Number(r.completed);
      const failed = Number(r.failed);
      return {
        agent_id: String(r.id),
        name: String(r.name),
        runs: Number(r.runs),
        completed,
        failed,
        // Of the finished runs; running ones count in `runs` only.
        success_rate:
          completed + failed === 0 ? null : Math.round((1000 * completed) / (completed + failed)) / 1000,
        prompt_tokens: Number(r.prompt_tokens),
        completion_tokens: Number(r.completion_tokens),
        cost_estimate_usd: Math.round(Number(r.cost) * 1e6) / 1e6,
        median_duration_ms: num(r.duration50),
      };
    });
  }

  /** Open tickets whose SLA is at risk or breached, worst first. */
  async slaDigest(
    tenantId: string,
    limit: number,
  ): Promise<{
    at_risk: number;
    breached: number;
    tickets: Array<{ id: string; title: string; priority: string; sla_state: string; status: string }>;
  }> {
    return withTenant(this.db, tenantId, (trx) => this.slaDigestIn(trx, tenantId, limit));
  }

  private async slaDigestIn(
    trx: Knex.Transaction,
    tenantId: string,
    limit: number,
  ): Promise<Awaited<ReturnType<AnalyticsRepository['slaDigest']>>> {
    const open = () =>
      trx('tickets')
        .where({ tenant_id: tenantId })
        .whereIn('sla_state', ['at_risk', 'breached'])
        .whereNotIn('status', ['resolved', 'closed']);
    const counts = await open()
      .select('sla_state')
      .count<Array<{ sla_state: string; count: string }>>('* as count')
      .groupBy('sla_state');
    const tickets = await open()
      .select('id', 'title', 'priority', 'sla_state', 'status')
      .orderByRaw(
        `CASE sla_state WHEN 'breached' THEN 0 ELSE 1 END,
         CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, created_at`,
      )
      .limit(limit);
    const count = (state: string) => Number(counts.find((c) => c.sla_state === state)?.count ?? 0);
    return { at_risk: count('at_risk'), breached: count('breached'), tickets };
  }

  /** Tickets triaged since `since` whose draft cited nothing from the knowledge base, by category. */
  async knowledgeGaps(
    tenantId: string,
    since: Date,
    examplesPerCategory: number,
  ): Promise<{
    triaged: number;
    unanswered: number;
    by_category: Array<{ category: string; unanswered: number; examples: string[] }>;
  }> {
    const { rows } = await this.raw(
      tenantId,
      `SELECT r.category,
              count(*) AS triaged,
              count(*) FILTER (WHERE jsonb_array_length(r.citations) = 0) AS unanswered,
              (array_agg(t.title ORDER BY t.created_at DESC) FILTER (WHERE jsonb_array_length(r.citations) = 0))[1:?]
                AS examples
         FROM triage_results r
         JOIN tickets t ON t.id = r.ticket_id
        WHERE r.tenant_id = ? AND r.is_current AND r.created_at >= ?
        GROUP BY r.category
        ORDER BY 3 DESC, r.category`,
      [examplesPerCategory, tenantId, since],
    );
    const list = rows as Array<{
      category: string;
      triaged: string;
      unanswered: string;
      examples: string[] | null;
    }>;
    return {
      triaged: list.reduce((s, r) => s + Number(r.triaged), 0),
      unanswered: list.reduce((s, r) => s + Number(r.unanswered), 0),
      by_category: list
        .filter((r) => Number(r.unanswered) > 0)
        .map((r) => ({ category: r.category, unanswered: Number(r.unanswered), examples: r.examples ?? [] })),
    };
  }
}
