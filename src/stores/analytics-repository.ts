/**
 * Analytics over a date range (seed dashboards): ticket volume and response/resolution percentiles, per human
 * agent figures, per AI agent figures; and the reports the built-in agents send (SLA digest, knowledge gaps).
 * Each endpoint's figures come from one scan of the tenant's rows in the range (GROUPING SETS), on the covering
 * index `tickets_analytics` (migration 20261201100006).
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

export class AnalyticsRepository {
  constructor(private readonly db: Knex) {}

  /** One query bound to the tenant (row-level security), on a connection of its own: several run in parallel. */
  private raw(tenantId: string, sql: string, bindings: readonly Knex.RawBinding[]) {
    return withTenant(this.db, tenantId, (trx) => trx.raw(sql, bindings));
  }

  /** Tickets created in [from, to): volumes, percentiles (wall-clock seconds) and per-assignee figures. */
  async tickets(tenantId: string, from: Date, to: Date): Promise<TicketAnalytics> {
    const range = [tenantId, from, to];
    // Counts: one hash aggregate over the grouping sets. Percentiles: one sort per measure (an array of
    // fractions in one ordered-set aggregate), over the whole range only.
    const [{ rows }, { rows: pct }, { rows: people }] = await Promise.all([
      this.raw(
        tenantId,
        `SELECT GROUPING(category) AS g_cat, GROUPING(priority) AS g_pri, GROUPING(customer_tier) AS g_tier,
                COALESCE(category, 'uncategorised') AS category, priority, customer_tier, source, count(*) AS n
           FROM tickets
          WHERE tenant_id = ? AND created_at >= ? AND created_at < ?
          GROUP BY GROUPING SETS ((category), (priority), (customer_tier), (source))`,
        range,
      ),
      this.raw(
        tenantId,
        `SELECT count(*) AS n,
                percentile_cont(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP
                  (ORDER BY EXTRACT(EPOCH FROM first_response_at - created_at)) AS fr,
                percentile_cont(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP
                  (ORDER BY EXTRACT(EPOCH FROM resolved_at - created_at)) AS rs
           FROM tickets
          WHERE tenant_id = ? AND created_at >= ? AND created_at < ?`,
        range,
      ),
      this.raw(
        tenantId,
        `SELECT assignee,
                count(*) AS handled,
                count(resolved_at) AS resolved,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM resolved_at - created_at)) AS handling50,
                avg(CASE WHEN reopen_count > 0 THEN 1.0 ELSE 0.0 END) AS reopen_rate
           FROM tickets
          WHERE tenant_id = ? AND created_at >= ? AND created_at < ? AND assignee IS NOT NULL
          GROUP BY assignee
          ORDER BY count(*) DESC, assignee`,
        range,
      ),
    ]);
    const p = (v: unknown): Percentiles => {
      const a = (v as Array<number | null> | null) ?? [];
      return { p50: num(a[0]), p90: num(a[1]), p99: num(a[2]) };
    };
    const totals = (pct as Array<Record<string, unknown>>)[0] ?? {};
    const result: TicketAnalytics = {
      total: Number(totals.n ?? 0),
      by_category: {},
      by_priority: {},
      by_tier: {},
      by_channel: {},
      first_response_seconds: p(totals.fr),
      resolution_seconds: p(totals.rs),
      human_agents: [],
    };
    // Grouping sets: each row is one group's count; keys are data, so they go through Maps.
    const groups = { category: new Map(), priority: new Map(), tier: new Map(), channel: new Map() };
    for (const r of rows as Array<Record<string, unknown>>) {
      const n = Number(r.n);
      if (Number(r.g_cat) === 0) groups.category.set(String(r.category), n);
      else if (Number(r.g_pri) === 0) groups.priority.set(String(r.priority), n);
      else if (Number(r.g_tier) === 0) groups.tier.set(String(r.customer_tier), n);
      else groups.channel.set(String(r.source), n);
    }
    result.by_category = Object.fromEntries(groups.category);
    result.by_priority = Object.fromEntries(groups.priority);
    result.by_tier = Object.fromEntries(groups.tier);
    result.by_channel = Object.fromEntries(groups.channel);
    result.human_agents = (people as Array<Record<string, unknown>>).map((r) => ({
      assignee: String(r.assignee),
      handled: Number(r.handled),
      resolved: Number(r.resolved),
      median_handling_seconds: num(r.handling50),
      reopen_rate: r.reopen_rate === null ? null : Math.round(Number(r.reopen_rate) * 1000) / 1000,
    }));
    return result;
  }

  /**
   * SLA compliance of tickets created in [from, to), by priority and by tier (the SLA report's definition:
   * met = resolved or closed without a breach; compliance = met / (met + breached)). One scan.
   */
  async slaCompliance(
    tenantId: string,
    from: Date,
    to: Date,
  ): Promise<Record<'by_priority' | 'by_tier', SlaComplianceRow[]>> {
    const { rows } = await this.raw(
      tenantId,
      `SELECT GROUPING(t.priority) AS g_pri, t.priority, t.customer_tier,
              count(*) AS tickets,
              count(*) FILTER (WHERE b.ticket_id IS NULL AND t.status IN ('resolved', 'closed')) AS met,
              count(b.ticket_id) AS breached
         FROM tickets t
         LEFT JOIN (SELECT DISTINCT ticket_id FROM sla_events
                     WHERE tenant_id = ? AND kind = 'breach' AND fired_at >= ?) b ON b.ticket_id = t.id
        WHERE t.tenant_id = ? AND t.created_at >= ? AND t.created_at < ?
        GROUP BY GROUPING SETS ((t.priority), (t.customer_tier))
        ORDER BY 2, 3`,
      // A breach fires after its ticket's creation, so only breaches since `from` can belong to these tickets.
      [tenantId, from, tenantId, from, to],
    );
    const out: Record<'by_priority' | 'by_tier', SlaComplianceRow[]> = { by_priority: [], by_tier: [] };
    for (const r of rows as Array<Record<string, unknown>>) {
      const met = Number(r.met);
      const breached = Number(r.breached);
      const row = {
        key: String(Number(r.g_pri) === 0 ? r.priority : r.customer_tier),
        tickets: Number(r.tickets),
        met,
        breached,
        compliance_pct: met + breached === 0 ? null : Math.round((1000 * met) / (met + breached)) / 10,
      };
      (Number(r.g_pri) === 0 ? out.by_priority : out.by_tier).push(row);
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
