/**
 * `npm run bench`: every figure of the product beside its floor, in one run, then one JSON line.
 *
 *   npm run bench [-- --tickets 200 --concurrency 20 --rounds 3 --warm-up-rounds 1 --latency 30 --burst 1000 --burst-rate 20
 *                     --list-tickets 1000000 --list-runs 50
 *                     --sla-tickets 200 --sla-seeded 9800 --sla-probes 200 --sla-probe-rate 10 --sla-target 60
 *                     --only triage --cpu-prof DIR --product-env NAME=value,…]
 *
 * 1. Triage (bench/triage.ts): the product as `npm start` runs it against a bare Temporal workflow of as many
 *    do-nothing steps, on the same dev server: latency, intake, throughput, a burst.
 * 2. SLA clocks with `sla-tickets` + `sla-seeded` open tickets on one worker process (bench/sla-load.ts): alert
 *    lateness of the probes, the worker's memory, an evicted workflow's replay cost.
 * 3. `GET /v1/tickets` with `list-tickets` tickets in the table (bench/ticket-list.ts).
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { run, withProduct } from './support';
import { benchSlaLoad } from './sla-load';
import { benchTicketList } from './ticket-list';
import { type BenchRow, benchTriage } from './triage';

const { values: args } = parseArgs({
  options: {
    tickets: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '20' },
    latency: { type: 'string', default: '30' },
    burst: { type: 'string', default: '1000' },
    'burst-rate': { type: 'string', default: '20' },
    /** Throughput rounds of `tickets`, taking turns with the floors' (rates pooled over the rounds). */
    rounds: { type: 'string', default: '3' },
    /** Rounds of the product and both floors before those, not counted (connections, JIT). */
    'warm-up-rounds': { type: 'string', default: '1' },
    'list-tickets': { type: 'string', default: '1000000' },
    'list-runs': { type: 'string', default: '50' },
    'sla-tickets': { type: 'string', default: '200' },
    'sla-seeded': { type: 'string', default: '9800' },
    'sla-probes': { type: 'string', default: '200' },
    /** Probes created per second (0: as fast as the API takes them): up to twice as many alerts due per second. */
    'sla-probe-rate': { type: 'string', default: '10' },
    'sla-target': { type: 'string', default: '60' },
    /** `triage`: the triage figures alone (no list, no SLA load), e.g. to compare a change against the floor. */
    only: { type: 'string' },
    /** A folder: the product process writes a V8 CPU profile there (`node --cpu-prof`); see bench/profile.ts. */
    'cpu-prof': { type: 'string' },
    /** The product's configuration for this run, `NAME=value[,NAME=value…]` (e.g. WORKER_WORKFLOW_TASK_SLOTS=40). */
    'product-env': { type: 'string' },
  },
});
if (args.only !== undefined && args.only !== 'triage') throw new Error(`--only: 'triage' or nothing`);
/** A count option, refused before anything starts when it is not a whole number of at least `min`. */
function count(name: keyof typeof args, min: number): number {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be a whole number ≥ ${min}`);
  return value;
}
// Percentiles need samples; a burst of 0 skips the burst.
const counts = {
  tickets: count('tickets', 1),
  concurrency: count('concurrency', 1),
  latency: count('latency', 1),
  burst: count('burst', 0),
  burstRate: count('burst-rate', 1),
  rounds: count('rounds', 1),
  warmUpRounds: count('warm-up-rounds', 0),
  slaProbeRate: count('sla-probe-rate', 0),
};

const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

function printTable(rows: BenchRow[]): void {
  const header: BenchRow = ['figure', 'floor', 'product', 'ratio'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of rows) console.log(line(r));
}

async function main(): Promise<void> {
  console.log(`machine: ${os.cpus().length} cores, load average ${loadAverage()}`);
  const triage = await benchTriage({
    ...counts,
    ...(args['cpu-prof'] ? { cpuProfileDir: args['cpu-prof'] } : {}),
    ...(args['product-env']
      ? {
          productEnv: Object.fromEntries(
            args['product-env']
              .split(',')
              .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
          ),
        }
      : {}),
  });
  printTable(triage.rows);
  console.log(`load average at the end: ${loadAverage()}`);
  console.log(JSON.stringify({ cores: os.cpus().length, load_average: os.loadavg(), ...triage.result }));
  if (args.only === 'triage') return;
  // The SLA clocks before the list: the list loads 1.2M rows and drops them, and PostgreSQL's checkpoints and
  // vacuum after that slowed the SLA part (alert lateness p99 2.2 s right after it, 1.0 s alone on an idle machine).
  const slaTickets = Number(args['sla-tickets']) + Number(args['sla-seeded']);
  const sla = await benchSlaLoad({
    tickets: Number(args['sla-tickets']),
    seeded: Number(args['sla-seeded']),
    probes: Number(args['sla-probes']),
    probeRate: counts.slaProbeRate,
    targetSeconds: Number(args['sla-target']),
    concurrency: 16,
    replays: 10,
  });
  const listTickets = Number(args['list-tickets']);
  // The list's figures are of its queries: the request quota is lifted, no worker runs.
  const list = await withProduct(
    (h) =>
      benchTicketList(h, {
        tickets: listTickets,
        otherTickets: Math.round(listTickets / 5),
        runs: Number(args['list-runs']),
        log: () => undefined,
      }),
    { worker: false, env: { RATE_LIMITS: 'standard:0' } },
  );
  console.log(JSON.stringify({ ticket_list: { tickets: listTickets, overall: list.overall } }));
  const worst = Object.entries(list.shapes).sort((a, b) => b[1].p99_ms - a[1].p99_ms)[0]!;
  const rows: BenchRow[] = [
    ...triage.rows,
    [
      `GET /v1/tickets, ${listTickets.toLocaleString('en')} tickets (${Object.keys(list.shapes).length} shapes)`,
      `SQL alone p50 ${list.overall.query.p50_ms.toFixed(1)} ms, p99 ${list.overall.query.p99_ms.toFixed(1)} ms`,
      `p50 ${list.overall.p50_ms.toFixed(1)} ms, p99 ${list.overall.p99_ms.toFixed(1)} ms (worst: ${worst[0]} ${worst[1].p99_ms.toFixed(1)} ms)`,
      `p99 ${(list.overall.p99_ms / 50).toFixed(2)}× the 50 ms target`,
    ],
    [
      `SLA alerts, ${slaTickets.toLocaleString('en')} open tickets on one worker (${sla.alertsFired}/${sla.alertsExpected} fired, ${sla.duplicates} twice; up to ${sla.peakAlertsDuePerSecond} due in one second)`,
      `due time`,
      `lateness p50 ${sla.latenessMs.p50.toFixed(0)} ms, p99 ${sla.latenessMs.p99.toFixed(0)} ms; worker RSS peak ${sla.worker.peakRssMb.toFixed(0)} MB`,
      `p99 ${(sla.latenessMs.p99 / 1000).toFixed(2)}× the 1 s target; RSS ${(sla.worker.peakRssMb / 1024).toFixed(2)}× 1 GB`,
    ],
    [
      'an evicted ticket brought back (replay of its history)',
      '—',
      `triaged: ${sla.history.triagedResident.events} events, ${sla.history.triagedResident.replayMs.toFixed(0)} ms; after 4 alerts: ${sla.history.probeAfterAlerts.events} events, ${sla.history.probeAfterAlerts.replayMs.toFixed(0)} ms`,
      '',
    ],
  ];
  console.log('');
  printTable(rows);
  console.log(`load average at the end: ${loadAverage()}`);
  console.log(
    JSON.stringify({
      cores: os.cpus().length,
      load_average: os.loadavg(),
      ...triage.result,
      ticket_list: { tickets: listTickets, overall: list.overall, shapes: list.shapes },
      sla_load: sla,
    }),
  );
}

run(main);
