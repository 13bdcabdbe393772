/**
 * Triage against the bare-Temporal floor, on one Temporal dev server and one PostgreSQL: the product runs as
 * `npm start` does (src/main.ts, production mode, its own process), the floor in this process on its own task
 * queue. Figures: create → draft visible (one ticket at a time, through the API); intake and triage throughput
 * of `tickets` created `concurrency` at a time; a burst of `burst` tickets arriving at `burstRate` per second.
 */
import os from 'node:os';
import knexFactory from 'knex';
import { percentile } from '../src/ml/metrics';
import { startEphemeralStack } from '../src/platform/ephemeral-stack';
import { type Floor, startFloor } from './floor';
import { cpuBetween, cpuSnapshot, pidsWhere } from './cpu';
import { type ProductProcess, startProductProcess } from './product-process';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { Knex } from 'knex';
import { historySteps } from '../test/helpers/history-steps';

/**
 * What the database has written so far: WAL bytes and rows inserted, updated or deleted (statistics). WAL is
 * the whole server's: the figure is the product's only on a server nothing else writes to meanwhile.
 */
async function writeCounters(db: Knex): Promise<{
  walBytes: number;
  rows: number;
  transactions: number;
  activeMs: number;
  functions: Record<string, { calls: number; selfMs: number; totalMs: number }>;
}> {
  // Statistics reach pg_stat_* when backends flush them (at most a second later).
  await new Promise((r) => setTimeout(r, 1500));
  const { rows } = await db.raw(
    `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::float8 AS wal,
            (SELECT sum(n_tup_ins + n_tup_upd + n_tup_del) FROM pg_stat_user_tables)::float8 AS tuples,
            (SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database())::float8 AS xacts,
            (SELECT active_time FROM pg_stat_database WHERE datname = current_database())::float8 AS active`,
  );
  // The analytics rollup triggers' share (track_functions = 'pl' on the bench database).
  const functions = await db.raw(
    `SELECT funcname, calls::float8, self_time::float8, total_time::float8 FROM pg_stat_user_functions`,
  );
  return {
    walBytes: Number(rows[0].wal),
    rows: Number(rows[0].tuples),
    transactions: Number(rows[0].xacts),
    activeMs: Number(rows[0].active),
    functions: Object.fromEntries(
      functions.rows.map((f: { funcname: string; calls: number; self_time: number; total_time: number }) => [
        f.funcname,
        { calls: f.calls, selfMs: f.self_time, totalMs: f.total_time },
      ]),
    ),
  };
}

/** Per workflow: history events, serialized history bytes, regular and local activities. */
async function historyCost(client: Client, workflowIds: string[]) {
  let events = 0;
  let bytes = 0;
  let regular = 0;
  let local = 0;
  for (const id of workflowIds) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    events += history.events?.length ?? 0;
    bytes += historyToJSON(history).length;
    for (const step of historySteps(history.events ?? [])) {
      if (step.startsWith('local:')) local += 1;
      else regular += 1;
    }
  }
  const n = workflowIds.length;
  return { events: events / n, bytes: bytes / n, regularActivities: regular / n, localActivities: local / n };
}

/**
 * The product's steps per triaged ticket, all local activities with offline models (triage-in-fewer-steps: the
 * ITSM check, the created event's dispatch, the start's write, the models, the completion, the triaged event's
 * dispatch, the escalation's write; test/histories/triage-in-fewer-steps-escalation-trigger.json).
 */
const TRIAGE_STEPS = 7;
/** Of those, the steps until the draft is recorded (visible through the API): up to the completion. */
const DRAFT_STEPS = 5;

export interface TriageBenchOptions {
  tickets: number;
  concurrency: number;
  latency: number;
  burst: number;
  burstRate: number;
  /** Throughput rounds, taking turns with the floors': the rates are pooled over them. */
  rounds: number;
  /** Rounds of all three before those, not counted. */
  warmUpRounds: number;
  /** The product process writes a V8 CPU profile into this folder when it stops (bench/profile.ts reads it). */
  cpuProfileDir?: string;
  /** The product's configuration (environment variables) for this run. */
  productEnv?: Record<string, string>;
}

/** The monotonic clock in microseconds: the clock of V8's CPU profiles, to cut a profile to a phase. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/** One row of the printed table: what is measured, the floor, the product, the ratio and its target. */
export type BenchRow = [figure: string, floor: string, product: string, ratio: string];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ms = (v: number) => `${v.toFixed(0)} ms`;
const perSecond = (v: number) => `${v.toFixed(1)} /s`;
const ratio = (v: number) => v.toFixed(2);
/** The lowest and highest of some ratios. */
const spread = (values: number[]) => `${ratio(Math.min(...values))}–${ratio(Math.max(...values))}`;
const summary = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1]! };
};

interface Counts {
  drafted: number;
  triaged: number;
}

/** The product (its own process) and the floor (this process) on one fresh Temporal dev server and database. */
export async function benchTriage(
  options: TriageBenchOptions,
): Promise<{ rows: BenchRow[]; result: Record<string, unknown> }> {
  const { tickets, concurrency, latency: latencyCount, burst, burstRate, rounds, warmUpRounds } = options;
  const stack = await startEphemeralStack();
  const db = knexFactory({
    client: 'pg',
    connection: { connectionString: stack.databaseUrl, application_name: 'triage-bench' },
    pool: { min: 1, max: 2 },
  });
  let product: ProductProcess | undefined;
  let floor: Floor | undefined;
  let tunedFloor: Floor | undefined;
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const temporal = new Client({ connection });
  try {
    // PL/pgSQL functions (the analytics rollup triggers) timed in pg_stat_user_functions, for connections opened
    // from now on: the product's.
    await db.raw(
      `ALTER DATABASE "${new URL(stack.databaseUrl).pathname.slice(1)}" SET track_functions = 'pl'`,
    );
    product = await startProductProcess({
      databaseUrl: stack.databaseUrl,
      temporalAddress: stack.temporalAddress,
      ...(options.productEnv ? { env: options.productEnv } : {}),
      ...(options.cpuProfileDir
        ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`, '--cpu-prof-interval=500'] }
        : {}),
    });
    floor = await startFloor(stack.temporalAddress, stack.databaseUrl);
    tunedFloor = await startFloor(stack.temporalAddress, stack.databaseUrl, { workflowStackTraces: false });
    const tenant = await product.createTenant();
    const temporalPort = stack.temporalAddress.split(':').pop();
    const temporalPids = pidsWhere((c) => c.includes('start-dev') && c.includes(`--port ${temporalPort} `));
    const database = new URL(stack.databaseUrl).pathname.slice(1);
    // The bench's own connections (progress polls) are told apart by their application_name.
    const benchBackendPids = async () =>
      (await db.raw(`SELECT pid FROM pg_stat_activity WHERE application_name = 'triage-bench'`)).rows.map(
        (r: { pid: number }) => r.pid,
      ) as number[];
    const cpu = async () =>
      cpuSnapshot({
        productPid: product!.pid,
        temporalPids,
        database,
        benchPid: process.pid,
        benchBackendPids: await benchBackendPids(),
      });
    const perTicket = (c: Record<string, number>, n: number) =>
      Object.fromEntries(Object.entries(c).map(([k, v]) => [k, Number(((1000 * v) / n).toFixed(2))]));
    /** The product's own account of its creates (ticket_create_phase_seconds): milliseconds per phase so far. */
    const createPhases = async (): Promise<
      Record<'database' | 'workflow_start' | 'loopDelayMeanMs' | 'loopDelayP99Ms', number>
    > => {
      // prom-client's event-loop figures cover the time since the previous scrape (it resets them on each).
      const text = await (await fetch(`${product!.url}/metrics`)).text();
      const gauge = (name: string) => {
        const line = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
        return line ? Number(line[1]) * 1000 : 0;
      };
      const sum = (phase: string) => {
        const line = new RegExp(`^ticket_create_phase_seconds_sum\\{phase="${phase}"\\} (\\S+)$`, 'm').exec(
          text,
        );
        return line ? Number(line[1]) * 1000 : 0;
      };
      return {
        database: sum('database'),
        workflow_start: sum('workflow_start'),
        loopDelayMeanMs: gauge('nodejs_eventloop_lag_mean_seconds'),
        loopDelayP99Ms: gauge('nodejs_eventloop_lag_p99_seconds'),
      };
    };
    const counts = async (): Promise<Counts> => {
      const row = await db('tickets')
        .where({ tenant_id: tenant.id })
        .select(
          db.raw(
            `count(*) filter (where exists (select 1 from triage_results r where r.ticket_id = tickets.id)) as drafted`,
          ),
          db.raw(`count(*) filter (where status not in ('new', 'triaging')) as triaged`),
        )
        .first();
      return { drafted: Number(row.drafted), triaged: Number(row.triaged) };
    };
    let serial = 0;
    const create = async () => {
      serial += 1;
      const r = await product!.call('POST', '/v1/tickets', tenant.client, {
        content: `Ticket ${serial}: I was charged twice for my invoice this month, please refund the duplicate payment`,
      });
      if (r.status !== 201) throw new Error(`create: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body!.id as string;
    };
    const until = async (done: (c: Counts) => boolean, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const c = await counts();
        if (done(c)) return c;
        if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(c)}`);
        await sleep(50);
      }
    };

    // Warm-up: workflow bundles loaded, models trained, connections open, on both sides.
    for (let i = 0; i < 3; i++) await create();
    await floor.latencies('local', DRAFT_STEPS, 3);
    await floor.latencies('regular', DRAFT_STEPS, 3);
    await tunedFloor.latencies('local', DRAFT_STEPS, 3);
    await until((c) => c.triaged >= 3, 120_000);

    // 1. One ticket at a time: create → draft visible through the API.
    const createToDraft: number[] = [];
    for (let i = 0; i < latencyCount; i++) {
      const started = performance.now();
      const id = await create();
      for (;;) {
        const r = await product.call('GET', `/v1/tickets/${id}`, tenant.agent);
        if (r.body?.draft) break;
        await sleep(5);
      }
      createToDraft.push(performance.now() - started);
    }
    const floorLocalLatency = await floor.latencies('local', DRAFT_STEPS, latencyCount);
    const floorRegularLatency = await floor.latencies('regular', DRAFT_STEPS, latencyCount);

    // 2. Intake and triage throughput, `concurrency` clients, in `rounds` rounds that take turns with the two
    // floors' (their order reversed every other round): the machine's slow and fast moments (PostgreSQL's
    // checkpoints, the dev server's background work) fall on all three alike, and the rates are pooled.
    const cpuSum = (into: Record<string, number>, add: Record<string, number>) => {
      for (const [k, v] of Object.entries(add)) into[k] = (into[k] ?? 0) + v;
    };
    const pooled = () => ({
      tickets: 0,
      intakeSeconds: 0,
      completeSeconds: 0,
      cpu: {} as Record<string, number>,
      /** Milliseconds summed over the intakes: the floors' INSERTs and starts, the product's two phases. */
      insertMs: 0,
      startMs: 0,
      /** The event loop's delay during the intakes (the product's or the floor's process), summed per round. */
      loopDelayMeanMs: 0,
      loopDelayP99Ms: 0,
      rounds: 0,
    });
    const productRuns = { ...pooled(), draftedSeconds: 0, requestMs: 0 };
    const floorRuns = pooled();
    const tunedFloorRuns = pooled();
    const roundRatios: Array<{ triage: number; tuned: number; intake: number }> = [];
    const intakeIds: string[] = [];
    let writes: Awaited<ReturnType<typeof productRound>>['writes'] | undefined;
    let throughputWindowUs: [number, number] | undefined;

    async function productRound(withWrites: boolean) {
      const before = await counts();
      const writesBefore = withWrites ? await writeCounters(db) : undefined;
      const ids: string[] = [];
      const cpuBefore = await cpu();
      const phasesBefore = await createPhases();
      const startUs = monotonicUs();
      const started = performance.now();
      let next = 0;
      let requestMs = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < tickets) {
            next += 1;
            const sent = performance.now();
            ids.push(await create());
            requestMs += performance.now() - sent;
          }
        }),
      );
      const intakeSeconds = (performance.now() - started) / 1000;
      const phasesAfter = await createPhases();
      let draftedAt = 0;
      await until((c) => {
        if (!draftedAt && c.drafted >= before.drafted + tickets) draftedAt = performance.now();
        return c.triaged >= before.triaged + tickets;
      }, 600_000);
      const completeSeconds = (performance.now() - started) / 1000;
      const windowUs: [number, number] = [startUs, monotonicUs()];
      const cpuUsed = cpuBetween(cpuBefore, await cpu());
      const writesAfter = writesBefore ? await writeCounters(db) : undefined;
      return {
        ids,
        intakeSeconds,
        requestMs,
        databaseMs: phasesAfter.database - phasesBefore.database,
        startMs: phasesAfter.workflow_start - phasesBefore.workflow_start,
        loopDelayMs: { mean: phasesAfter.loopDelayMeanMs, p99: phasesAfter.loopDelayP99Ms },
        completeSeconds,
        draftedSeconds: (draftedAt - started) / 1000,
        cpuUsed,
        windowUs,
        writes:
          writesBefore && writesAfter
            ? {
                walBytes: (writesAfter.walBytes - writesBefore.walBytes) / tickets,
                rows: (writesAfter.rows - writesBefore.rows) / tickets,
                transactions: (writesAfter.transactions - writesBefore.transactions) / tickets,
                /** Milliseconds PostgreSQL's backends spent executing statements in this database (pg_stat_database). */
                activeMs: (writesAfter.activeMs - writesBefore.activeMs) / tickets,
                /** Per PL/pgSQL function: calls and milliseconds (total, including what it called) per ticket. */
                functions: Object.fromEntries(
                  Object.entries(writesAfter.functions).map(([name, f]) => {
                    const b = writesBefore.functions[name] ?? { calls: 0, selfMs: 0, totalMs: 0 };
                    return [
                      name,
                      {
                        calls: Number(((f.calls - b.calls) / tickets).toFixed(2)),
                        ms: Number(((f.totalMs - b.totalMs) / tickets).toFixed(3)),
                      },
                    ];
                  }),
                ),
              }
            : undefined,
      };
    }
    /**
     * Waits until the dev server, the product and PostgreSQL are quiet before a phase (at most 20 s): a phase
     * ends when its last ticket is triaged, and any background work the server still has (visibility updates)
     * must not fall on the next one. Answers how long it waited (0.26-0.53 s when it was introduced).
     */
    const settledMs = { product: [] as number[], floor: [] as number[], tuned: [] as number[] };
    async function settle(): Promise<number> {
      const started = Date.now();
      let before = await cpu();
      for (;;) {
        await sleep(250);
        const after = await cpu();
        const busy = Object.entries(cpuBetween(before, after))
          .filter(([key]) => !key.startsWith('bench process') && !key.startsWith('PostgreSQL: the bench'))
          .reduce((sum, [, seconds]) => sum + seconds, 0);
        // Under a tenth of one core over the window.
        if (busy < 0.025 || Date.now() - started > 20_000) return Date.now() - started;
        before = after;
      }
    }
    async function floorRound(which: Floor, into: ReturnType<typeof pooled>) {
      const cpuBefore = await cpu();
      const r = await which.intakeAndComplete('local', TRIAGE_STEPS, tickets, concurrency);
      cpuSum(into.cpu, cpuBetween(cpuBefore, await cpu()));
      into.tickets += tickets;
      into.insertMs += r.insertMs;
      into.startMs += r.startMs;
      into.loopDelayMeanMs += r.loopDelayMs.mean;
      into.loopDelayP99Ms += r.loopDelayMs.p99;
      into.rounds += 1;
      into.intakeSeconds += tickets / r.intakePerSecond;
      into.completeSeconds += tickets / r.completedPerSecond;
      return r.completedPerSecond;
    }
    // Warm-up rounds, not counted: the product's first round at full concurrency was the slowest of both runs
    // without one (17–18/s against 20–24/s after: new pool connections, far more code to compile than the floors').
    for (let w = 0; w < warmUpRounds; w++) {
      const p = await productRound(false);
      const f = await floor.intakeAndComplete('local', TRIAGE_STEPS, tickets, concurrency);
      const t = await tunedFloor.intakeAndComplete('local', TRIAGE_STEPS, tickets, concurrency);
      console.log(
        `warm-up round ${w + 1}/${warmUpRounds} (not counted): triage ${(tickets / p.completeSeconds).toFixed(1)}/s, ` +
          `floor ${f.completedPerSecond.toFixed(1)}/s, floor with the product's settings ${t.completedPerSecond.toFixed(1)}/s`,
      );
    }
    for (let round = 0; round < rounds; round++) {
      const rates: Record<'product' | 'floor' | 'tuned', number> = { product: 0, floor: 0, tuned: 0 };
      let productIntakeRate = 0;
      let floorIntakeRate = 0;
      const phases: Array<'product' | 'floor' | 'tuned'> =
        round % 2 === 0 ? ['product', 'floor', 'tuned'] : ['tuned', 'floor', 'product'];
      for (const phase of phases) {
        settledMs[phase].push(await settle());
        if (phase === 'product') {
          const r = await productRound(round === 0);
          if (round === 0) {
            writes = r.writes;
            throughputWindowUs = r.windowUs;
            intakeIds.push(...r.ids);
          }
          productRuns.tickets += tickets;
          productRuns.intakeSeconds += r.intakeSeconds;
          productRuns.requestMs += r.requestMs;
          productRuns.insertMs += r.databaseMs;
          productRuns.startMs += r.startMs;
          productRuns.loopDelayMeanMs += r.loopDelayMs.mean;
          productRuns.loopDelayP99Ms += r.loopDelayMs.p99;
          productRuns.rounds += 1;
          productRuns.completeSeconds += r.completeSeconds;
          productRuns.draftedSeconds += r.draftedSeconds;
          cpuSum(productRuns.cpu, r.cpuUsed);
          rates.product = tickets / r.completeSeconds;
          productIntakeRate = tickets / r.intakeSeconds;
        } else if (phase === 'floor') {
          const before = floorRuns.intakeSeconds;
          rates.floor = await floorRound(floor, floorRuns);
          floorIntakeRate = tickets / (floorRuns.intakeSeconds - before);
        } else {
          rates.tuned = await floorRound(tunedFloor, tunedFloorRuns);
        }
      }
      roundRatios.push({
        triage: rates.product / rates.floor,
        tuned: rates.product / rates.tuned,
        intake: productIntakeRate / floorIntakeRate,
      });
      console.log(
        `round ${round + 1}/${rounds}: triage ${rates.product.toFixed(1)}/s, floor ${rates.floor.toFixed(1)}/s ` +
          `(${roundRatios[round]!.triage.toFixed(2)}), floor with the product's settings ${rates.tuned.toFixed(1)}/s ` +
          `(${roundRatios[round]!.tuned.toFixed(2)}); intake ratio ${roundRatios[round]!.intake.toFixed(2)}`,
      );
    }
    if (!writes || !throughputWindowUs) throw new Error('no throughput round ran');
    console.log(
      `quiet before each phase after (ms): product ${settledMs.product.join(', ')}; floor ${settledMs.floor.join(', ')}; ` +
        `floor with the product's settings ${settledMs.tuned.join(', ')}`,
    );
    const [throughputStartUs, throughputEndUs] = throughputWindowUs;
    const productCpu = perTicket(productRuns.cpu, productRuns.tickets);
    const floorCpu = perTicket(floorRuns.cpu, floorRuns.tickets);
    const tunedFloorCpu = perTicket(tunedFloorRuns.cpu, tunedFloorRuns.tickets);
    const productIntake = productRuns.tickets / productRuns.intakeSeconds;
    const productDrafted = productRuns.tickets / productRuns.draftedSeconds;
    const productTriaged = productRuns.tickets / productRuns.completeSeconds;
    const floorLocal = {
      intakePerSecond: floorRuns.tickets / floorRuns.intakeSeconds,
      completedPerSecond: floorRuns.tickets / floorRuns.completeSeconds,
    };
    const tunedFloorLocal = {
      intakePerSecond: tunedFloorRuns.tickets / tunedFloorRuns.intakeSeconds,
      completedPerSecond: tunedFloorRuns.tickets / tunedFloorRuns.completeSeconds,
    };
    console.log(
      `PostgreSQL per ticket (round 1): ${writes.transactions.toFixed(1)} transactions, ${writes.activeMs.toFixed(2)} ms executing statements; ` +
        `PL/pgSQL functions (calls, ms): ${JSON.stringify(writes.functions)}`,
    );
    const productHistory = await historyCost(
      temporal,
      intakeIds.slice(0, 20).map((id) => `ticket-${id}`),
    );
    const floorHistory = await historyCost(temporal, floor.lastWorkflowIds.slice(0, 20));
    const floorRegular = await floor.intakeAndComplete('regular', TRIAGE_STEPS, tickets, concurrency);

    // 3. A burst arriving at a steady rate: is it triaged within twice its arrival time?
    const burstBefore = await counts();
    const burstStarted = performance.now();
    const creations: Promise<string>[] = [];
    for (let i = 0; i < burst; i++) {
      const due = burstStarted + (i * 1000) / burstRate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      creations.push(create());
    }
    await Promise.all(creations);
    const arrivalSeconds = (performance.now() - burstStarted) / 1000;
    await until((c) => c.triaged >= burstBefore.triaged + burst, 1_800_000);
    const burstSeconds = (performance.now() - burstStarted) / 1000;
    const rssMb = product.rss() / 2 ** 20;

    const latency = summary(createToDraft);
    const floorLocalSummary = summary(floorLocalLatency);
    const floorRegularSummary = summary(floorRegularLatency);
    const round = (v: number) => v.toFixed(1);
    const rows: BenchRow[] = [
      [
        'cost per triaged ticket (history, activities, writes)',
        `${round(floorHistory.events)} events, ${(floorHistory.bytes / 1024).toFixed(1)} KiB; ${round(floorHistory.localActivities)} local activities`,
        `${round(productHistory.events)} events, ${(productHistory.bytes / 1024).toFixed(1)} KiB; ${round(productHistory.localActivities)} local + ${round(productHistory.regularActivities)} regular activities; ${round(writes.rows)} rows, ${(writes.walBytes / 1024).toFixed(1)} KiB WAL; ${round(writes.transactions)} DB transactions`,
        `${(productHistory.events / floorHistory.events).toFixed(2)}× the floor's events`,
      ],
      [
        `create → draft visible, one at a time (${latencyCount})`,
        `p50 ${ms(floorLocalSummary.p50)} local / ${ms(floorRegularSummary.p50)} regular (${DRAFT_STEPS} steps)`,
        `p50 ${ms(latency.p50)}, p99 ${ms(latency.p99)}, max ${ms(latency.max)}`,
        `${ratio(floorLocalSummary.p50 / latency.p50)} of local floor; targets p50 ≤ 150 ms, p99 ≤ 500 ms`,
      ],
      [
        `intake (${tickets} creates, ${concurrency} in parallel, ${rounds} rounds pooled)`,
        `${perSecond(floorLocal.intakePerSecond)} (INSERT + start)`,
        `${perSecond(productIntake)} (POST /v1/tickets)`,
        `${ratio(productIntake / floorLocal.intakePerSecond)} (target ≥ 0.8; rounds ${spread(roundRatios.map((r) => r.intake))})`,
      ],
      [
        `triage complete (same ${tickets} × ${rounds})`,
        `${perSecond(floorLocal.completedPerSecond)} local / ${perSecond(floorRegular.completedPerSecond)} regular (${TRIAGE_STEPS} steps)`,
        `${perSecond(productTriaged)} triaged (${perSecond(productDrafted)} drafts visible)`,
        `${ratio(productTriaged / floorLocal.completedPerSecond)} of local floor (target ≥ 0.7; rounds ${spread(roundRatios.map((r) => r.triage))})`,
      ],
      [
        `the same ${tickets} against a floor with the product's worker settings (workflow stack traces off)`,
        `${perSecond(tunedFloorLocal.intakePerSecond)} intake, ${perSecond(tunedFloorLocal.completedPerSecond)} local (${TRIAGE_STEPS} steps)`,
        `${perSecond(productIntake)} intake, ${perSecond(productTriaged)} triaged`,
        `intake ${ratio(productIntake / tunedFloorLocal.intakePerSecond)}, triage ${ratio(productTriaged / tunedFloorLocal.completedPerSecond)} of this floor (rounds ${spread(roundRatios.map((r) => r.tuned))})`,
      ],
      // --burst 0 skips the burst: no row rather than a ratio of nothing.
      ...(burst > 0
        ? [
            [
              `burst of ${burst} at ${burstRate}/s`,
              `arrival ${arrivalSeconds.toFixed(1)} s`,
              `all triaged after ${burstSeconds.toFixed(1)} s`,
              `${ratio(burstSeconds / arrivalSeconds)}× arrival (target ≤ 2)`,
            ] satisfies BenchRow,
          ]
        : []),
    ];
    const cpuTotal = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
    const perCreate = (runs: ReturnType<typeof pooled>) => ({
      insert: runs.insertMs / runs.tickets,
      start: runs.startMs / runs.tickets,
      loopDelay: { mean: runs.loopDelayMeanMs / runs.rounds, p99: runs.loopDelayP99Ms / runs.rounds },
    });
    const floorCreate = perCreate(floorRuns);
    const productCreate = { ...perCreate(productRuns), request: productRuns.requestMs / productRuns.tickets };
    const loopDelay = (d: { mean: number; p99: number }) =>
      `event-loop delay mean ${d.mean.toFixed(1)} ms, p99 ${d.p99.toFixed(0)} ms`;
    rows.splice(3, 0, [
      `a create during intake, mean (${concurrency} in parallel)`,
      `${ms(floorCreate.insert)} INSERT + ${ms(floorCreate.start)} workflow start; ${loopDelay(floorCreate.loopDelay)}`,
      `${ms(productCreate.request)} at the client: ${ms(productCreate.insert)} database, ${ms(productCreate.start)} workflow start, ${ms(productCreate.request - productCreate.insert - productCreate.start)} the rest (HTTP, auth, validation, waiting for a core); ${loopDelay(productCreate.loopDelay)}`,
      `start ${ratio(productCreate.start / floorCreate.start)}× the floor's; ${Math.round((100 * productCreate.start) / productCreate.request)} % of the request`,
    ]);
    console.log(
      `CPU ms per ticket, throughput phase: product ${cpuTotal(productCpu).toFixed(1)} ms ${JSON.stringify(productCpu)}; ` +
        `floor (local) ${cpuTotal(floorCpu).toFixed(1)} ms ${JSON.stringify(floorCpu)}; ` +
        `floor (local, stack traces off) ${cpuTotal(tunedFloorCpu).toFixed(1)} ms ${JSON.stringify(tunedFloorCpu)}`,
    );
    console.log(
      `product process RSS after the burst: ${rssMb.toFixed(0)} MB; load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    return {
      rows,
      result: {
        create_to_draft_ms: latency,
        floor_latency_ms: { local: floorLocalSummary, regular: floorRegularSummary, steps: DRAFT_STEPS },
        intake_per_s: {
          product: productIntake,
          floor: floorLocal.intakePerSecond,
          ratio: productIntake / floorLocal.intakePerSecond,
        },
        /** A create's mean milliseconds during the intake rounds (the product's phases from its own metrics). */
        create_ms: {
          product: {
            request: productCreate.request,
            database: productCreate.insert,
            workflow_start: productCreate.start,
          },
          floor: { insert: floorCreate.insert, workflow_start: floorCreate.start },
          loop_delay_ms: { product: productCreate.loopDelay, floor: floorCreate.loopDelay },
        },
        triage_per_s: {
          product: productTriaged,
          product_drafts: productDrafted,
          floor_local: floorLocal.completedPerSecond,
          floor_regular: floorRegular.completedPerSecond,
          ratio_local: productTriaged / floorLocal.completedPerSecond,
          steps: TRIAGE_STEPS,
        },
        /** Each round's own ratios (product against the floor, the tuned floor, and intake against the floor). */
        rounds: roundRatios,
        warm_up_rounds: warmUpRounds,
        /** The floor with the product's worker settings (workflow stack traces off): intake and triage. */
        tuned_floor: {
          intake_per_s: tunedFloorLocal.intakePerSecond,
          triage_per_s: tunedFloorLocal.completedPerSecond,
          intake_ratio: productIntake / tunedFloorLocal.intakePerSecond,
          triage_ratio: productTriaged / tunedFloorLocal.completedPerSecond,
        },
        burst: {
          tickets: burst,
          rate: burstRate,
          arrival_s: arrivalSeconds,
          triaged_s: burstSeconds,
          ratio: burstSeconds / arrivalSeconds,
        },
        product_rss_mb: rssMb,
        cpu_ms_per_ticket: { product: productCpu, floor_local: floorCpu, floor_local_tuned: tunedFloorCpu },
        /** The throughput phase on the monotonic clock (µs): `npx tsx bench/profile.ts <profile> <start> <end>`. */
        throughput_window_us: [throughputStartUs, throughputEndUs],
        cost_per_ticket: {
          product: {
            ...productHistory,
            db_rows_written: writes.rows,
            wal_bytes: writes.walBytes,
            db_transactions: writes.transactions,
          },
          floor: floorHistory,
        },
      },
    };
  } finally {
    await floor?.stop();
    await tunedFloor?.stop();
    await product?.stop();
    await db.destroy();
    await connection.close();
    await stack.stop();
  }
}
