/**
 * Loads many tickets of one tenant fast, for the benchmarks that need a table at scale (analytics, the ticket
 * list): set-based `INSERT … SELECT generate_series`, a quarter of a million rows a statement (memory stays
 * flat), through the table's triggers like any write. The rows look like a year of a support desk:
 *
 * - created_at over the year from `yearStart`, denser towards its end (a growing desk);
 * - status: 55 % closed, 30 % resolved, the rest in the working states (open 5 %, in_progress 4 %,
 *   pending_customer 3 %, escalated 1.5 %, pending_vendor 1 %, ai_failed 0.3 %, new and triaging 0.1 % each);
 * - priority: low 30 %, medium 45 %, high 20 %, critical 5 %; customer_tier: free 40 %, standard 35 %,
 *   business 18 %, enterprise 7 %; category: technical 50 %, billing 35 %, feature_request 15 % (none while
 *   new or triaging); source: one of five;
 * - assignee: one of 50 agents, a few of them busier than the rest; none for new, triaging, and a third of open;
 * - sla_due_at: a running deadline (hours to days after creation) for the states whose clocks run, none for the
 *   paused (pending_*) and finished ones; sla_state to match (breached when the deadline is past);
 * - first_response_at, resolved_at / closed_at where the state has them; 5 % reopened once;
 * - workflow_started_at set (the outbox relay leaves them alone), a few hundred bytes of content.
 */
import type { Knex } from 'knex';

export interface SeedOptions {
  /** The first instant of the year the tickets are created over. */
  yearStart?: Date;
  /** Rows per statement. */
  batch?: number;
}

export const SEED_YEAR_START = new Date('2026-01-01T00:00:00Z');

export async function seedTickets(
  db: Knex,
  tenantId: string,
  count: number,
  options: SeedOptions = {},
): Promise<void> {
  const yearStart = options.yearStart ?? SEED_YEAR_START;
  const batch = options.batch ?? 250_000;
  for (let start = 0; start < count; start += batch) {
    await db.raw(
      `INSERT INTO tickets (id, tenant_id, title, content, status, priority, customer_tier, category, source,
                            assignee, reopen_count, created_by, workflow_id, workflow_started_at, created_at,
                            first_response_at, resolved_at, closed_at, sla_state, sla_due_at)
       SELECT gen_random_uuid(), ?, 'Ticket ' || i || ': ' || left(md5(i::text), 24),
              repeat(md5(i::text) || ' ', 12), status,
              CASE WHEN r_priority < 0.30 THEN 'low' WHEN r_priority < 0.75 THEN 'medium'
                   WHEN r_priority < 0.95 THEN 'high' ELSE 'critical' END,
              CASE WHEN r_tier < 0.40 THEN 'free' WHEN r_tier < 0.75 THEN 'standard'
                   WHEN r_tier < 0.93 THEN 'business' ELSE 'enterprise' END,
              CASE WHEN status IN ('new', 'triaging') THEN NULL
                   WHEN r_category < 0.50 THEN 'technical' WHEN r_category < 0.85 THEN 'billing'
                   ELSE 'feature_request' END,
              (ARRAY['web','email','api','chat','phone'])[1 + (i % 5)],
              CASE WHEN status IN ('new', 'triaging') OR (status = 'open' AND r_assignee < 0.33) THEN NULL
                   ELSE 'agent-' || floor(50 * r_assignee * r_assignee)::int END,
              CASE WHEN r < 0.05 THEN 1 ELSE 0 END, 'bench', 'ticket-' || gen_random_uuid(), now(), c,
              CASE WHEN status NOT IN ('new', 'triaging', 'open', 'ai_failed')
                   THEN c + make_interval(secs => 60 + r * 7200) END,
              CASE WHEN status IN ('resolved', 'closed') THEN c + make_interval(secs => 3600 + r * 200000) END,
              CASE WHEN status = 'closed' THEN c + make_interval(secs => 3600 + r * 200000 + 86400) END,
              CASE WHEN status IN ('resolved', 'closed') THEN (CASE WHEN r < 0.12 THEN 'breached' ELSE 'met' END)
                   WHEN status IN ('pending_customer', 'pending_vendor') THEN 'paused'
                   WHEN c + make_interval(secs => 1800 + r * 259200) < now() THEN 'breached'
                   ELSE 'on_track' END,
              CASE WHEN status IN ('new', 'triaging', 'open', 'ai_failed', 'in_progress', 'escalated')
                   THEN c + make_interval(secs => 1800 + r * 259200) END
         FROM (SELECT i, r, r_priority, r_tier, r_category, r_assignee, c,
                      CASE WHEN r_status < 0.55 THEN 'closed' WHEN r_status < 0.85 THEN 'resolved'
                           WHEN r_status < 0.90 THEN 'open' WHEN r_status < 0.94 THEN 'in_progress'
                           WHEN r_status < 0.97 THEN 'pending_customer' WHEN r_status < 0.985 THEN 'escalated'
                           WHEN r_status < 0.995 THEN 'pending_vendor' WHEN r_status < 0.998 THEN 'ai_failed'
                           WHEN r_status < 0.999 THEN 'new' ELSE 'triaging' END AS status
                 FROM (SELECT i, random() AS r, random() AS r_status, random() AS r_priority, random() AS r_tier,
                              random() AS r_category, random() AS r_assignee,
                              ?::timestamptz + make_interval(secs => sqrt(random()) * 365 * 86400) AS c
                         FROM generate_series(?::int, ?::int) AS i) g) s`,
      [tenantId, yearStart, start, Math.min(count, start + batch) - 1],
    );
  }
}
