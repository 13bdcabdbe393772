/** Per-tenant request counters in fixed windows, shared by every API process through Postgres. */
import type { Knex } from 'knex';
import { withTenant } from './db';

export interface RateCount {
  /** Requests counted in the current window, this one included. */
  count: number;
  /** Seconds until the current window ends (at least 1). */
  resetSeconds: number;
}

export class RateLimitRepository {
  constructor(private readonly db: Knex) {}

  /**
   * Counts one request of the tenant in the current window (by the database's clock, so every process agrees
   * on the windows) with one atomic upsert; the first request of a window clears the tenant's old windows.
   */
  async hit(tenantId: string, windowSeconds: number): Promise<RateCount> {
    return withTenant(this.db, tenantId, (trx) => this.hitIn(trx, tenantId, windowSeconds));
  }

  private async hitIn(trx: Knex.Transaction, tenantId: string, windowSeconds: number): Promise<RateCount> {
    const { rows } = await trx.raw<{ rows: Array<{ count: number; reset_seconds: number }> }>(
      `insert into api_rate_counters as c (tenant_id, window_start, count)
       values (?, to_timestamp(floor(extract(epoch from clock_timestamp()) / ?) * ?), 1)
       on conflict (tenant_id, window_start) do update set count = c.count + 1
       returning c.count,
         ceil(extract(epoch from c.window_start + make_interval(secs => ?) - clock_timestamp()))::int
           as reset_seconds`,
      [tenantId, windowSeconds, windowSeconds, windowSeconds],
    );
    const row = rows[0]!;
    if (row.count === 1) {
      await trx('api_rate_counters')
        .where('tenant_id', tenantId)
        .where('window_start', '<', trx.raw('clock_timestamp() - make_interval(secs => ?)', [windowSeconds]))
        .delete();
    }
    return { count: row.count, resetSeconds: Math.max(1, row.reset_seconds) };
  }
}
