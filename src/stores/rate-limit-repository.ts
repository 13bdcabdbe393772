/** Per-tenant request counters in fixed windows, shared by every API process through Postgres. */
import type { Knex } from 'knex';
import { type PreparedStatement, bound, runTenantStatement } from './tenant-transactions';

export interface RateCount {
  /** Requests counted in the current window, this one included. */
  count: number;
  /** Seconds until the current window ends (at least 1). */
  resetSeconds: number;
}

/** Every API request runs these: prepared statements (tenant-transactions.ts), not knex's builder. */
const HIT: PreparedStatement = {
  name: 'api_rate_counters.hit',
  text: `insert into api_rate_counters as c (tenant_id, window_start, count)
    values ($1, to_timestamp(floor(extract(epoch from clock_timestamp()) / $2::float8) * $2::float8), 1)
    on conflict (tenant_id, window_start) do update set count = c.count + 1
    returning c.count,
      ceil(extract(epoch from c.window_start + make_interval(secs => $2::float8) - clock_timestamp()))::int
        as reset_seconds`,
};

const CLEAR_OLD_WINDOWS: PreparedStatement = {
  name: 'api_rate_counters.clear_old',
  text: `delete from api_rate_counters
    where tenant_id = $1 and window_start < clock_timestamp() - make_interval(secs => $2::float8)`,
};

export class RateLimitRepository {
  constructor(private readonly db: Knex) {}

  /**
   * Counts one request of the tenant in the current window (by the database's clock, so every process agrees
   * on the windows) with one atomic upsert; the first request of a window then clears the tenant's old windows.
   *
   * The commit does not wait for its WAL flush: every request of a tenant updates the same counter row, so each
   * waited for the previous one's flush (row lock held until COMMIT), and the request for its own. A crash can
   * forget the last fraction of a second of counts, which only lets a few requests more through.
   */
  async hit(tenantId: string, windowSeconds: number): Promise<RateCount> {
    const quick = { synchronousCommit: false };
    const [row] = await runTenantStatement<{ count: number; reset_seconds: number }>(
      this.db,
      tenantId,
      bound(HIT, [tenantId, windowSeconds]),
      quick,
    );
    if (row!.count === 1) {
      await runTenantStatement(this.db, tenantId, bound(CLEAR_OLD_WINDOWS, [tenantId, windowSeconds]), quick);
    }
    return { count: row!.count, resetSeconds: Math.max(1, row!.reset_seconds) };
  }
}
