/** SLA reports, computed in SQL over tickets and their recorded breaches. */
import type { Knex } from 'knex';
import { withTenant } from './db';

export interface SlaReportRow {
  key: string;
  tickets: number;
  met: number;
  breached: number;
  compliance_pct: number | null;
  first_response_seconds: { median: number | null; p90: number | null };
  resolution_seconds: { median: number | null; p90: number | null };
  at_risk: number;
}

const num = (v: unknown): number | null =>
  v === null || v === undefined ? null : Math.round(Number(v) * 10) / 10;

export class ReportRepository {
  constructor(private readonly db: Knex) {}

  /** Per priority or per customer tier, for tickets created in [from, to). Times are wall-clock seconds. */
  async slaBreakdown(
    tenantId: string,
    from: Date,
    to: Date,
    by: 'priority' | 'customer_tier',
  ): Promise<SlaReportRow[]> {
    const { rows } = await withTenant(this.db, tenantId, (trx) =>
      trx.raw(
        `WITH scoped AS (
         SELECT t.${by} AS key, t.status, t.sla_state,
                EXTRACT(EPOCH FROM t.first_response_at - t.created_at) AS first_response,
                EXTRACT(EPOCH FROM t.resolved_at - t.created_at) AS resolution,
                EXISTS (SELECT 1 FROM sla_events e WHERE e.ticket_id = t.id AND e.kind = 'breach') AS breached
           FROM tickets t
          WHERE t.tenant_id = ? AND t.created_at >= ? AND t.created_at < ?)
       SELECT key,
              count(*) AS tickets,
              count(*) FILTER (WHERE NOT breached AND status IN ('resolved', 'closed')) AS met,
              count(*) FILTER (WHERE breached) AS breached,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY first_response) AS frt_median,
              percentile_cont(0.9) WITHIN GROUP (ORDER BY first_response) AS frt_p90,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY resolution) AS res_median,
              percentile_cont(0.9) WITHIN GROUP (ORDER BY resolution) AS res_p90,
              count(*) FILTER (WHERE sla_state = 'at_risk' AND status NOT IN ('resolved', 'closed')) AS at_risk
         FROM scoped
        GROUP BY key
        ORDER BY key`,
        [tenantId, from, to],
      ),
    );
    return (rows as Array<Record<string, unknown>>).map((r) => {
      const met = Number(r.met);
      const breached = Number(r.breached);
      return {
        key: String(r.key),
        tickets: Number(r.tickets),
        met,
        breached,
        compliance_pct: met + breached === 0 ? null : Math.round((1000 * met) / (met + breached)) / 10,
        first_response_seconds: { median: num(r.frt_median), p90: num(r.frt_p90) },
        resolution_seconds: { median: num(r.res_median), p90: num(r.res_p90) },
        at_risk: Number(r.at_risk),
      };
    });
  }
}
