/**
 * Thousands of open tickets with live SLA clocks on one worker: how late do warnings and breaches fire, and
 * how much memory does the process (API + worker) use? Real Temporal dev server and PostgreSQL.
 *   npx tsx bench/sla-load.ts [--tickets 2000] [--probes 200] [--target 60] [--concurrency 16]
 * First `tickets` open tickets are created and left running (medium priority, clocks of hours: they hold
 * timers, state and memory). Once their triage has settled, `probes` tickets (high priority) get a first-response
 * target of `target` seconds and a resolution target of twice that, with a warning at 50%: four alerts each,
 * whose lateness (fired minus due) is measured while the thousands are resident.
 */
import { parseArgs } from 'node:util';
import { run, withProduct } from './support';
import { percentile as fractionPercentile } from '../src/ml/metrics';

/** p-th percentile (0–100); NaN when nothing was measured. */
function percentile(sorted: number[], p: number): number {
  return sorted.length ? fractionPercentile(sorted, p / 100) : NaN;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tickets: { type: 'string', default: '2000' },
      probes: { type: 'string', default: '200' },
      target: { type: 'string', default: '60' },
      concurrency: { type: 'string', default: '16' },
    },
  });
  const count = Number(values.tickets);
  const probes = Number(values.probes);
  const target = Number(values.target);
  await withProduct(async (h) => {
    let peakRss = 0;
    let peakHeap = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 500);
    try {
      const tenant = await h.createTenant({
        sla_policy: {
          targets: {
            medium: { first_response_seconds: 4 * 3600, resolution_seconds: 8 * 3600 },
            high: { first_response_seconds: target, resolution_seconds: 2 * target },
          },
          warning_thresholds: [0.5],
          escalation: { notify: false },
        },
      });
      const create = async (n: number, priority: string, label: string) => {
        let next = 0;
        await Promise.all(
          Array.from({ length: Number(values.concurrency) }, async () => {
            while (next < n) {
              const i = next++;
              const r = await h.call('POST', '/v1/tickets', {
                token: tenant.tokens.client,
                body: { content: `${label} ${i}: the export fails with an error`, priority },
              });
              if (r.status !== 201) throw new Error(`create failed: ${r.status}`);
            }
          }),
        );
      };
      const started = Date.now();
      await create(count, 'medium', 'Resident ticket');
      console.log(`created ${count} resident tickets in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const settleStarted = Date.now();
      for (;;) {
        const pending = Number(
          (
            await h
              .db('tickets')
              .where({ tenant_id: tenant.id })
              .whereIn('status', ['new', 'triaging'])
              .count('* as n')
          )[0]!.n,
        );
        if (pending === 0) break;
        await new Promise((r) => setTimeout(r, 2000));
      }
      console.log(`their triage settled ${((Date.now() - settleStarted) / 1000).toFixed(1)} s later`);
      await create(probes, 'high', 'Probe ticket');
      const expected = probes * 4;
      const deadline = Date.now() + (2 * target + 120) * 1000;
      let fired = 0;
      while (Date.now() < deadline) {
        fired = Number((await h.db('sla_events').where({ tenant_id: tenant.id }).count('* as n'))[0]!.n);
        if (fired >= expected) break;
        await new Promise((r) => setTimeout(r, 2000));
      }
      const rows: Array<{ late: number }> = (
        await h.db.raw(
          `SELECT EXTRACT(EPOCH FROM fired_at - due_at) * 1000 AS late FROM sla_events WHERE tenant_id = ?`,
          [tenant.id],
        )
      ).rows;
      const lateness = rows.map((r) => Number(r.late)).sort((a, b) => a - b);
      const duplicates = Number(
        (
          await h.db.raw(
            `SELECT count(*) AS n FROM (SELECT ticket_id, clock, kind, threshold, cycle FROM sla_events WHERE tenant_id = ?
            GROUP BY 1, 2, 3, 4, 5 HAVING count(*) > 1) d`,
            [tenant.id],
          )
        ).rows[0].n,
      );
      const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
      console.log(
        `${count} resident + ${probes} probe tickets; alerts: ${lateness.length}/${expected} fired, duplicates ${duplicates}; lateness median ${percentile(lateness, 50).toFixed(0)} ms, ` +
          `p99 ${percentile(lateness, 99).toFixed(0)} ms, max ${lateness[lateness.length - 1]?.toFixed(0)} ms`,
      );
      console.log(`process (API + worker) peak RSS ${mb(peakRss)}, peak heap ${mb(peakHeap)}`);
      console.log(
        JSON.stringify({
          resident_tickets: count,
          probe_tickets: probes,
          alerts_expected: expected,
          alerts_fired: lateness.length,
          duplicates,
          lateness_ms: {
            median: percentile(lateness, 50),
            p99: percentile(lateness, 99),
            max: lateness[lateness.length - 1],
          },
          peak_rss_mb: Math.round(peakRss / 1048576),
          peak_heap_mb: Math.round(peakHeap / 1048576),
        }),
      );
    } finally {
      clearInterval(sampler);
    }
  });
}

run(main);
