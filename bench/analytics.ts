/**
 * Analytics latency at scale: `--tickets` tickets (default 1M) of one tenant over a year (plus a quarter as many
 * of another tenant in the same tables), a quarter of them with an SLA breach, and AI agent executions; loaded
 * with set-based INSERT … SELECT generate_series statements (bench/seed-tickets.ts), through the rollup triggers
 * as any write. Then each analytics query (tickets, sla, agents) over random 30-day windows and random whole-year
 * windows, both starting and ending at random seconds (so partial days are read from raw rows), timed through
 * the HTTP API (an admin's GET /v1/analytics/…, served by the product's API on a throwaway database and Temporal
 * server).
 * Prints a line per query and a JSON summary line.
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:analytics -- [--tickets 1000000] [--runs 100]
 * Works in a database of its own, dropped at the end.
 */
import { parseArgs } from 'node:util';
import { percentile } from '../src/ml/metrics';
import { seedTickets } from './seed-tickets';
import { run, withProduct } from './support';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { tickets: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '100' } },
  });
  const count = Number(values.tickets);
  const runs = Number(values.runs);
  if (!process.env.DATABASE_URL)
    throw new Error('set DATABASE_URL to a PostgreSQL server (a database is created and dropped)');
  await withProduct(
    async (h) => {
      const db = h.db;
      const tenant = await h.createTenant();
      const noise = await h.createTenant();
      const yearStart = new Date('2026-01-01T00:00:00Z');
      let t0 = Date.now();
      await seedTickets(db, tenant.id, count, { yearStart });
      await seedTickets(db, noise.id, Math.round(count / 4), { yearStart });
      await db.raw(
        `INSERT INTO sla_events (ticket_id, tenant_id, clock, kind, threshold, cycle, due_at, deadline, fired_at,
                               remaining_seconds, priority)
       SELECT id, tenant_id, 'first_response', 'breach', 1, 0, created_at, created_at, created_at, 0, priority
         FROM tickets WHERE random() < 0.25`,
      );
      const [agent] = await db('agents')
        .insert({
          tenant_id: tenant.id,
          name: 'digest',
          kind: 'sla_digest',
          system_prompt: 'bench digest agent',
        })
        .returning('*');
      await db.raw(
        `INSERT INTO agent_executions (id, agent_id, tenant_id, trigger_type, version_number, workflow_id, status,
                                     prompt_tokens, completion_tokens, cost_estimate, started_at, duration_ms)
       SELECT gen_random_uuid(), ?, ?, 'schedule', 1, 'agent-bench-' || i,
              CASE WHEN i % 10 = 0 THEN 'failed' ELSE 'completed' END, 500, 100, 0.0002,
              ?::timestamptz + make_interval(secs => random() * 365 * 86400), 1000 + i % 5000
         FROM generate_series(1, 50000) AS i`,
        [agent.id, tenant.id, yearStart],
      );
      await db.raw('VACUUM ANALYZE');
      const loadSeconds = (Date.now() - t0) / 1000;
      console.log(
        `loaded ${count} + ${Math.round(count / 4)} tickets, 50,000 agent runs in ${loadSeconds.toFixed(0)} s`,
      );

      const summary: Record<string, { p50_ms: number; p99_ms: number; max_ms: number; runs: number }> = {};
      for (const [label, days] of [
        ['30-day window', 30],
        ['whole year', 365],
      ] as const) {
        for (const endpoint of ['tickets', 'sla', 'agents']) {
          const times: number[] = [];
          const n = days === 365 ? Math.max(5, Math.round(runs / 2)) : runs;
          for (let i = 0; i < n; i++) {
            // Any second of the year's first (365 - days) days; the window ends at a random second too.
            const from = new Date(
              yearStart.getTime() + Math.floor(Math.random() * (365 - days) * 86_400) * 1000,
            );
            const to = new Date(
              from.getTime() + (days - 1) * 86_400_000 + Math.floor(Math.random() * 86_400) * 1000,
            );
            t0 = performance.now();
            const res = await h.call(
              'GET',
              `/v1/analytics/${endpoint}?from=${from.toISOString()}&to=${to.toISOString()}`,
              {
                token: tenant.tokens.admin,
              },
            );
            times.push(performance.now() - t0);
            if (res.status !== 200) throw new Error(`${endpoint}: ${res.status} ${JSON.stringify(res.body)}`);
          }
          times.sort((a, b) => a - b);
          summary[`${endpoint} ${days}d`] = {
            p50_ms: Math.round(percentile(times, 0.5)),
            p99_ms: Math.round(percentile(times, 0.99)),
            max_ms: Math.round(times[times.length - 1]!),
            runs: n,
          };
          console.log(
            `${endpoint.padEnd(8)} ${label.padEnd(14)} n=${n} p50 ${percentile(times, 0.5).toFixed(0)} ms, ` +
              `p99 ${percentile(times, 0.99).toFixed(0)} ms, max ${times[times.length - 1]!.toFixed(0)} ms`,
          );
        }
      }
      console.log(
        JSON.stringify({ bench: 'analytics', tickets: count, load_seconds: loadSeconds, ...summary }),
      );
      // Figures of the queries, not of the per-tenant request limit (lifted); no worker needed.
    },
    { worker: false, env: { RATE_LIMITS: 'standard:0' } },
  );
}

run(main);
