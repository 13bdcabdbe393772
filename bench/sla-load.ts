/**
 * Thousands of open tickets with live SLA clocks on one worker: how late do warnings and breaches fire, how much
 * memory does the worker use, and what does a workflow the worker evicted from its cache cost to bring back?
 * Real Temporal dev server and PostgreSQL; the API runs in this process, the worker in its own (the worker-only
 * entry point, src/worker/main.ts), so its RSS is the worker's alone.
 *   npm run bench:sla -- [--tickets 10000] [--seeded 0] [--probes 200] [--probe-rate 0] [--target 60] [--concurrency 16]
 *     [--replays 20] [--cpu-prof DIR]
 *   (worker configuration through the environment, e.g. WORKER_MAX_CACHED_WORKFLOWS=2000 npm run bench:sla)
 * First `tickets` open tickets are created and left running (medium priority, clocks of hours: they hold
 * timers, state and memory). Once their triage has settled, `probes` tickets (high priority) get a first-response
 * target of `target` seconds and a resolution target of twice that, with a warning at 50%: four alerts each,
 * whose lateness (fired minus due) is measured while the thousands are resident.
 * Afterwards the histories of a resident (triaged, no alert yet) and of a probe (four alerts) are fetched: their
 * length in events and bytes, and the time to replay each (what a cache miss costs the worker), median of `replays`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { encryptedDataConverter } from '../src/platform/crypto/payload-codec';
import { freePort } from '../src/platform/temporal-server';
import { percentile as fractionPercentile } from '../src/ml/metrics';
import {
  type Harness,
  SHARED_MODEL_CACHE,
  TEST_PAYLOAD_KEYS,
  TEST_SECRET_KEYS,
  workflowBundle,
} from '../test/helpers/harness';
import { run, withProduct } from './support';
import { tenantPolicy } from '../src/api/tenant-policy';
import { applyTriageResult, markTriageStarted, newTicketState } from '../src/domain/ticket-state';
import type { CustomerTier } from '../src/domain/vocabulary';
import type { TenantModel } from '../src/stores/models';
import { TICKET_WORKFLOW_TYPE, type TicketWorkflowInput, ticketWorkflowId } from '../src/workflows/messages';
import { WORKFLOW_THREAD_PRELOAD } from '../src/worker/workflow-stack-traces';

const ROOT = path.resolve(__dirname, '..');
const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** p-th percentile (0–100); NaN when nothing was measured. */
function percentile(sorted: number[], p: number): number {
  return sorted.length ? fractionPercentile(sorted, p / 100) : NaN;
}

export interface SlaLoadOptions {
  /** Resident open tickets created through the API and triaged (medium priority, clocks of hours). */
  tickets: number;
  /**
   * Further residents started directly in the triaged state (the state a triaged ticket's run carries over on
   * continue-as-new), without the API and triage: the same workflow, timers and cached state at a fraction of
   * the time it takes to triage thousands of tickets on a shared machine. They have no row in Postgres.
   */
  seeded: number;
  /** Probe tickets whose four alerts are timed. */
  probes: number;
  /**
   * Probes created per second; 0: as fast as the API takes them (`concurrency` at a time). Their alerts fall due
   * as bunched as they were created, the first-response breach together with the resolution warning: at r probes
   * a second, up to 2r alerts are due in one second.
   */
  probeRate: number;
  /** The probes' first-response target in seconds (resolution: twice that; warnings at 50%). */
  targetSeconds: number;
  /** Tickets created at once through the API. */
  concurrency: number;
  /** Replays per history for the replay cost (median). */
  replays: number;
  /** A folder: the worker process writes a V8 CPU profile there (`node --cpu-prof`); see bench/profile.ts. */
  cpuProfDir?: string;
  /** Configuration of the worker process and the API (e.g. WORKER_MAX_CACHED_WORKFLOWS, TICKET_HISTORY_EVENT_LIMIT). */
  env?: Record<string, string>;
  /** Progress lines; silent when unset. */
  log?: (line: string) => void;
}

export interface HistoryFigures {
  events: number;
  bytes: number;
  /** Median time to replay the whole history with the ticket workflow's code (a cache miss's cost). */
  replayMs: number;
  /** Events by type (without the EVENT_TYPE_ prefix), most frequent first. */
  eventTypes: Record<string, number>;
}

export interface SlaLoadResult {
  /** Residents in all: triaged through the API plus seeded. */
  residentTickets: number;
  seededTickets: number;
  probeTickets: number;
  createSeconds: number;
  /** Creates answered 5xx and retried (same Idempotency-Key). */
  createRetries: number;
  triageSettledSeconds: number;
  /** From then until the workflow task queue's backlog was empty (every resident's first task taken). */
  residentsSettledSeconds: number;
  /** The probes' creation through the API (their alerts fall due as bunched as they were created). */
  probeCreateSeconds: number;
  peakAlertsDuePerSecond: number;
  alertsExpected: number;
  alertsFired: number;
  duplicates: number;
  latenessMs: { p50: number; p99: number; max: number };
  latenessByAlert: Array<{ alert: string; n: number; p50: number; p99: number }>;
  /** Where each alert's lateness went, from the probes' histories (see latenessBreakdown). */
  latenessParts: LatenessParts;
  /** From the first alert's due time to the last one's firing, on the monotonic clock of CPU profiles (µs). */
  alertWindowUs: [number, number];
  worker: {
    /** Peak resident set (the kernel's high-water mark) of the worker process, and before the probes. */
    peakRssMb: number;
    residentRssMb: number;
    peakHeapUsedMb: number;
    /** Workflows in the worker's sticky cache at the end, and evictions forced by its size. */
    stickyCacheSize: number | null;
    forcedEvictions: number | null;
  };
  history: { triagedResident: HistoryFigures; probeAfterAlerts: HistoryFigures };
  /** Load average (1 min) at the start and at the end: the machine is shared. */
  loadAverage: { start: number; end: number };
}

/** The worker-only entry point on the harness's database, Temporal and task queue. */
function spawnWorker(
  h: Harness,
  dataDir: string,
  metricsPort: number,
  sdkMetricsPort: number,
  extra: Record<string, string>,
  cpuProfDir?: string,
): ChildProcess {
  // The models the harness trained are reused (trained once per machine, not once per process).
  fs.symlinkSync(SHARED_MODEL_CACHE, path.join(dataDir, 'models'));
  const out = fs.openSync(path.join(dataDir, 'worker.log'), 'a');
  const child = spawn(
    process.execPath,
    [
      ...(cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(cpuProfDir)}`] : []),
      '--require',
      `./${WORKFLOW_THREAD_PRELOAD}`,
      '--import',
      'tsx',
      'src/worker/main.ts',
    ],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        // glibc's malloc arenas (MALLOC_ARENA_MAX=2 bounds them), when this process was given the setting.
        ...(process.env.MALLOC_ARENA_MAX ? { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX } : {}),
        NODE_ENV: 'test',
        // The workflow threads as production runs them (src/worker/workflow-thread-preload.cjs).
        WORKFLOW_STACK_TRACES: 'off',
        LOG_LEVEL: 'warn',
        DATABASE_URL: h.databaseUrl,
        TEMPORAL_ADDRESS: h.temporalAddress,
        TEMPORAL_TASK_QUEUE: h.taskQueue,
        TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${sdkMetricsPort}`,
        SECRET_KEYS: TEST_SECRET_KEYS,
        PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
        METRICS_PORT: String(metricsPort),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        ...extra,
      },
      stdio: ['ignore', out, out],
    },
  );
  fs.closeSync(out);
  return child;
}

/** A Prometheus gauge or counter's value (summed over its label sets); null when absent or unreachable. */
async function scrape(url: string, metric: string): Promise<number | null> {
  try {
    const body = await (await fetch(url, { signal: AbortSignal.timeout(5000) })).text();
    let total: number | null = null;
    for (const line of body.split('\n')) {
      if (line.startsWith('#')) continue;
      const name = line.split(/[ {]/, 1)[0];
      if (name === metric) total = (total ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return total;
  } catch {
    return null;
  }
}

/** VmRSS and VmHWM (peak) of a process, in bytes. */
function rssOf(pid: number): { rss: number; hwm: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Percentiles (ms) of one part of the alerts' lateness. */
interface Part {
  p50: number;
  p99: number;
  max: number;
}

/**
 * An alert's lateness (fired − due) in three parts, read from the history of the workflow that fired it:
 * - timerStart: the timer's planned end (TimerStarted time + its duration) after the due time: the time between
 *   the clock reading the workflow planned by and the server starting the timer (the rest of that workflow task);
 * - server: TimerFired after the planned end (the server's timer queue);
 * - pickUp: the workflow task that fired the alert started after TimerFired (the worker taking it up: its
 *   slots, pollers and cache; fired_at is that task's start).
 * Alerts whose task could not be matched (fired_at is not a task's start) are counted apart.
 */
export interface LatenessParts {
  matched: number;
  unmatched: number;
  timerStartMs: Part;
  serverMs: Part;
  pickUpMs: Part;
}

async function latenessBreakdown(h: Harness, tenantId: string): Promise<LatenessParts> {
  const E = temporal.api.enums.v1.EventType;
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
    t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : NaN;
  const alerts: Array<{ workflow_id: string; due: string; fired: string }> = (
    await h.db.raw(
      `SELECT t.workflow_id, (EXTRACT(EPOCH FROM e.due_at) * 1000)::bigint::text AS due,
          (EXTRACT(EPOCH FROM e.fired_at) * 1000)::bigint::text AS fired
        FROM sla_events e JOIN tickets t ON t.id = e.ticket_id AND t.tenant_id = e.tenant_id
        WHERE e.tenant_id = ?`,
      [tenantId],
    )
  ).rows;
  const byWorkflow = new Map<string, Array<{ due: number; fired: number }>>();
  for (const a of alerts) {
    const list = byWorkflow.get(a.workflow_id) ?? [];
    list.push({ due: Number(a.due), fired: Number(a.fired) });
    byWorkflow.set(a.workflow_id, list);
  }
  const timerStart: number[] = [];
  const server: number[] = [];
  const pickUp: number[] = [];
  let unmatched = 0;
  for (const [workflowId, fired] of byWorkflow) {
    const events = (await h.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const byId = new Map(events.map((e) => [Number(e.eventId), e]));
    for (const alert of fired) {
      const started = events.findIndex(
        (e) =>
          e.eventType === E.EVENT_TYPE_WORKFLOW_TASK_STARTED && Math.abs(ms(e.eventTime) - alert.fired) <= 1,
      );
      // The timer that woke that task: the last one fired since the task before it completed.
      let timerFired: (typeof events)[number] | undefined;
      for (let i = started - 1; i >= 0; i--) {
        const type = events[i]!.eventType;
        if (type === E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) break;
        if (type === E.EVENT_TYPE_TIMER_FIRED) {
          timerFired = events[i];
          break;
        }
      }
      const timerStarted =
        timerFired && byId.get(Number(timerFired.timerFiredEventAttributes?.startedEventId));
      if (started < 0 || !timerFired || !timerStarted) {
        unmatched += 1;
        continue;
      }
      const plannedEnd =
        ms(timerStarted.eventTime) + ms(timerStarted.timerStartedEventAttributes?.startToFireTimeout);
      timerStart.push(plannedEnd - alert.due);
      server.push(ms(timerFired.eventTime) - plannedEnd);
      pickUp.push(alert.fired - ms(timerFired.eventTime));
    }
  }
  const part = (values: number[]): Part => {
    values.sort((a, b) => a - b);
    return {
      p50: percentile(values, 50),
      p99: percentile(values, 99),
      max: values[values.length - 1] ?? NaN,
    };
  };
  return {
    matched: timerStart.length,
    unmatched,
    timerStartMs: part(timerStart),
    serverMs: part(server),
    pickUpMs: part(pickUp),
  };
}

/** Length and replay cost of one workflow's history. */
async function historyFigures(h: Harness, workflowId: string, replays: number): Promise<HistoryFigures> {
  const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
  const bytes = temporal.api.history.v1.History.encode(history).finish().length;
  try {
    // The replayers' own logs (a worker started and stopped per history) are noise here.
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // installed already (e.g. by a combined bench run)
  }
  const bundle = await workflowBundle();
  const dataConverter = encryptedDataConverter(TEST_PAYLOAD_KEYS);
  // One replayer for all: the first replay also loads the bundle, so it is left out.
  async function* copies() {
    for (let i = 0; i <= replays; i++) yield { workflowId: `${workflowId}-replay-${i}`, history };
  }
  const samples: number[] = [];
  let last = performance.now();
  let first = true;
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle, dataConverter }, copies())) {
    if (result.error) throw result.error;
    const now = performance.now();
    if (!first) samples.push(now - last);
    first = false;
    last = now;
  }
  samples.sort((a, b) => a - b);
  const eventTypes = new Map<string, number>();
  for (const event of history.events ?? []) {
    const type = String(temporal.api.enums.v1.EventType[event.eventType ?? 0]).replace(/^EVENT_TYPE_/, '');
    eventTypes.set(type, (eventTypes.get(type) ?? 0) + 1);
  }
  return {
    events: history.events?.length ?? 0,
    bytes,
    replayMs: percentile(samples, 50),
    eventTypes: Object.fromEntries([...eventTypes].sort((a, b) => b[1] - a[1])),
  };
}

/** Workflow tasks waiting in the task queue (not yet taken by the worker); null when the server does not say. */
async function workflowBacklog(h: Harness): Promise<number | null> {
  const { enums } = temporal.api;
  const r = await h.client.workflowService.describeTaskQueue({
    namespace: 'default',
    taskQueue: { name: h.taskQueue, kind: enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    reportStats: true,
  });
  return r.stats ? Number(r.stats.approximateBacklogCount ?? 0) : null;
}

/** Starts `n` ticket workflows already triaged (as a continued run would be), `concurrency` at a time. */
async function seedResidents(
  h: Harness,
  tenantId: string,
  n: number,
  concurrency: number,
  historyEventLimit: number | undefined,
): Promise<void> {
  const tenant = (await h.db('tenants').where({ id: tenantId }).first()) as TenantModel;
  const policy = tenantPolicy(tenant);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next += 1;
        const ticketId = crypto.randomUUID();
        const now = Date.now();
        const fresh = newTicketState({
          ticketId,
          tenantId,
          priority: 'medium',
          priorityPinned: false,
          customerTier: tenant.tier as CustomerTier,
          createdAtMs: now,
          policy,
        });
        const state = applyTriageResult(
          markTriageStarted(fresh, now),
          { category: 'technical', suggestedPriority: 'medium' },
          now,
        );
        const input: TicketWorkflowInput = {
          ticketId,
          tenantId,
          priority: 'medium',
          priorityPinned: false,
          customerTier: state.customerTier,
          createdAtMs: now,
          policy,
          autoCloseAfterMs: 168 * 3600_000,
          carriedState: state,
          carriedStateVersion: 3,
          ...(historyEventLimit ? { historyEventLimit } : {}),
        };
        await h.client.workflow.start(TICKET_WORKFLOW_TYPE, {
          workflowId: ticketWorkflowId(ticketId),
          taskQueue: h.taskQueue,
          args: [input],
        });
      }
    }),
  );
}

export async function benchSlaLoad(options: SlaLoadOptions): Promise<SlaLoadResult> {
  const log = options.log ?? (() => undefined);
  const { tickets: count, probes, targetSeconds: target } = options;
  const loadStart = os.loadavg()[0]!;
  return withProduct(
    async (h) => {
      log('API, database and Temporal ready');
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sla-load-worker-'));
      const metricsPort = await freePort();
      const sdkMetricsPort = await freePort();
      const worker = spawnWorker(
        h,
        dataDir,
        metricsPort,
        sdkMetricsPort,
        options.env ?? {},
        options.cpuProfDir,
      );
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.once('exit', (code, signal) => {
        if (code !== 0 && signal !== 'SIGTERM')
          log(`worker exited: ${code ?? signal} (see ${dataDir}/worker.log)`);
      });
      const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
      const sdkMetricsUrl = `http://127.0.0.1:${sdkMetricsPort}/metrics`;
      let peakHeap = 0;
      let peakRss = 0;
      const sampler = setInterval(() => {
        if (worker.pid === undefined || worker.exitCode !== null) return;
        peakRss = Math.max(peakRss, rssOf(worker.pid).hwm);
        void scrape(metricsUrl, 'nodejs_heap_size_used_bytes').then((heap) => {
          peakHeap = Math.max(peakHeap, heap ?? 0);
        });
      }, 2000);
      try {
        for (;;) {
          if (worker.exitCode !== null)
            throw new Error(`the worker did not start (see ${dataDir}/worker.log)`);
          if ((await scrape(metricsUrl, 'nodejs_heap_size_used_bytes')) !== null) break;
          await sleep(500);
        }
        log('worker ready');
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
        let createRetries = 0;
        const create = async (n: number, priority: string, label: string, perSecond = 0) => {
          let next = 0;
          const started = Date.now();
          await Promise.all(
            Array.from({ length: options.concurrency }, async () => {
              while (next < n) {
                const i = next++;
                if (perSecond > 0) await sleep(started + (i * 1000) / perSecond - Date.now());
                // A 5xx (e.g. a deadlock between concurrent inserts) is retried with the same key, as a client would.
                for (let attempt = 1; ; attempt++) {
                  const r = await h.call('POST', '/v1/tickets', {
                    token: tenant.tokens.client,
                    headers: { 'Idempotency-Key': `${label.replace(/ /g, '-')}-${i}` },
                    body: { content: `${label} ${i}: the export fails with an error`, priority },
                  });
                  if (r.status === 201 || r.status === 200) break;
                  if (r.status < 500 || attempt === 5) {
                    throw new Error(`create failed: ${r.status} ${JSON.stringify(r.body)}`);
                  }
                  createRetries += 1;
                  await sleep(200 * attempt);
                }
                if ((i + 1) % 1000 === 0) log(`${label}: ${i + 1} created`);
              }
            }),
          );
        };
        const pendingTriage = async () =>
          Number(
            (
              await h
                .db('tickets')
                .where({ tenant_id: tenant.id })
                .whereIn('status', ['new', 'triaging'])
                .count('* as n')
            )[0]!.n,
          );
        const started = Date.now();
        await create(count, 'medium', 'Resident ticket');
        const createSeconds = (Date.now() - started) / 1000;
        log(`created ${count} resident tickets in ${createSeconds.toFixed(1)} s`);
        if (options.seeded > 0) {
          const seedStarted = Date.now();
          const limit = options.env?.TICKET_HISTORY_EVENT_LIMIT;
          await seedResidents(h, tenant.id, options.seeded, 32, limit ? Number(limit) : undefined);
          log(
            `started ${options.seeded} seeded residents in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`,
          );
        }
        const settleStarted = Date.now();
        for (let pending = await pendingTriage(); pending > 0; pending = await pendingTriage()) {
          if (worker.exitCode !== null) throw new Error(`the worker stopped (see ${dataDir}/worker.log)`);
          await sleep(2000);
        }
        const triageSettledSeconds = (Date.now() - settleStarted) / 1000;
        log(`their triage settled ${triageSettledSeconds.toFixed(1)} s later`);
        // Every resident has had its first workflow task (it holds its timer in the worker) before the probes.
        const drainStarted = Date.now();
        for (let zeros = 0; zeros < 2;) {
          const backlog = await workflowBacklog(h);
          if (backlog === null) break;
          zeros = backlog === 0 ? zeros + 1 : 0;
          if (zeros < 2) await sleep(2000);
        }
        const residentsSettledSeconds = (Date.now() - drainStarted) / 1000;
        log(`the worker took up every resident ${residentsSettledSeconds.toFixed(1)} s later`);
        const residentRss = rssOf(worker.pid!).rss;
        const probesStarted = Date.now();
        await create(probes, 'high', 'Probe ticket', options.probeRate);
        const probeCreateSeconds = (Date.now() - probesStarted) / 1000;
        const expected = probes * 4;
        const deadline = Date.now() + (2 * target + 120) * 1000;
        while (Date.now() < deadline) {
          const fired = Number(
            (await h.db('sla_events').where({ tenant_id: tenant.id }).count('* as n'))[0]!.n,
          );
          if (fired >= expected) break;
          await sleep(2000);
        }
        // The alerts' window on the monotonic clock a CPU profile uses (bench/profile.ts cuts it there).
        const window: { first: Date; last: Date } = (
          await h.db.raw(
            'SELECT min(due_at) AS first, max(fired_at) AS last FROM sla_events WHERE tenant_id = ?',
            [tenant.id],
          )
        ).rows[0];
        const monotonicUsAt = (at: Date) =>
          Number(process.hrtime.bigint() / 1000n) - (Date.now() - at.getTime()) * 1000;
        const alertWindowUs: [number, number] = [monotonicUsAt(window.first), monotonicUsAt(window.last)];
        const rows: Array<{ late: number }> = (
          await h.db.raw(
            `SELECT EXTRACT(EPOCH FROM fired_at - due_at) * 1000 AS late FROM sla_events WHERE tenant_id = ?`,
            [tenant.id],
          )
        ).rows;
        const lateness = rows.map((r) => Number(r.late)).sort((a, b) => a - b);
        // By alert: the first-response breach and the resolution warning fall due together (a double burst).
        const byAlert: Array<{ alert: string; n: number; p50: number; p99: number }> = (
          await h.db.raw(
            `SELECT clock || ' ' || kind AS alert, count(*)::int AS n,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM fired_at - due_at) * 1000) AS p50,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM fired_at - due_at) * 1000) AS p99
            FROM sla_events WHERE tenant_id = ? GROUP BY 1 ORDER BY min(due_at)`,
            [tenant.id],
          )
        ).rows;
        // How bunched the alerts were: the most that fell due within one second (lateness grows with it).
        const peakAlertsDuePerSecond = Number(
          (
            await h.db.raw(
              `SELECT coalesce(max(n), 0) AS n FROM (SELECT count(*) AS n FROM sla_events WHERE tenant_id = ?
                GROUP BY date_trunc('second', due_at)) d`,
              [tenant.id],
            )
          ).rows[0].n,
        );
        const duplicates = Number(
          (
            await h.db.raw(
              `SELECT count(*) AS n FROM (SELECT ticket_id, clock, kind, threshold, cycle FROM sla_events WHERE tenant_id = ?
            GROUP BY 1, 2, 3, 4, 5 HAVING count(*) > 1) d`,
              [tenant.id],
            )
          ).rows[0].n,
        );
        peakRss = Math.max(peakRss, rssOf(worker.pid!).hwm);
        const sdkMetrics = await fetch(sdkMetricsUrl).then(
          (r) => r.text(),
          () => '',
        );
        log(
          sdkMetrics
            .split('\n')
            .filter((l) =>
              /^temporal_(sticky|workflow_task_schedule_to_start_latency_(sum|count)|num_pollers)/.test(l),
            )
            .join('; '),
        );
        const stickyCacheSize = await scrape(sdkMetricsUrl, 'temporal_sticky_cache_size');
        const forcedEvictions = await scrape(sdkMetricsUrl, 'temporal_sticky_cache_total_forced_eviction');
        const latenessParts = await latenessBreakdown(h, tenant.id);
        // A resident (triaged, its first alert hours away) and a probe that lived through its four alerts.
        const workflowOf = async (priority: string) =>
          (
            (await h
              .db('tickets')
              .where({ tenant_id: tenant.id, priority })
              .orderBy('created_at')
              .first('workflow_id')) as { workflow_id: string }
          ).workflow_id;
        const triagedResident = await historyFigures(h, await workflowOf('medium'), options.replays);
        const probeAfterAlerts = await historyFigures(h, await workflowOf('high'), options.replays);
        return {
          residentTickets: count + options.seeded,
          seededTickets: options.seeded,
          probeTickets: probes,
          createSeconds,
          createRetries,
          triageSettledSeconds,
          residentsSettledSeconds,
          probeCreateSeconds,
          peakAlertsDuePerSecond,
          alertsExpected: expected,
          alertsFired: lateness.length,
          duplicates,
          latenessMs: {
            p50: percentile(lateness, 50),
            p99: percentile(lateness, 99),
            max: lateness[lateness.length - 1] ?? NaN,
          },
          latenessByAlert: byAlert.map((a) => ({ ...a, p50: Number(a.p50), p99: Number(a.p99) })),
          latenessParts,
          alertWindowUs,
          worker: {
            peakRssMb: Math.round(peakRss / MiB),
            residentRssMb: Math.round(residentRss / MiB),
            peakHeapUsedMb: Math.round(peakHeap / MiB),
            stickyCacheSize,
            forcedEvictions,
          },
          history: { triagedResident, probeAfterAlerts },
          loadAverage: { start: loadStart, end: os.loadavg()[0]! },
        };
      } finally {
        clearInterval(sampler);
        worker.kill('SIGTERM');
        const killed = setTimeout(() => worker.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(killed);
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
    {
      worker: false,
      // The bench's own tenant creates thousands of tickets a minute: no request limit.
      env: {
        RATE_LIMITS: 'free:0,standard:0,starter:0,business:0,professional:0,enterprise:0,global_enterprise:0',
        ...options.env,
      },
    },
  );
}

function report(r: SlaLoadResult): void {
  const h = (f: HistoryFigures) =>
    `${f.events} events, ${(f.bytes / 1024).toFixed(1)} KiB, replay ${f.replayMs.toFixed(1)} ms`;
  console.log(
    `${r.residentTickets} resident (${r.seededTickets} of them seeded) + ${r.probeTickets} probe tickets (created in ${r.createSeconds.toFixed(0)} s with ${r.createRetries} retried 5xx, triage settled ${r.triageSettledSeconds.toFixed(0)} s later); ` +
      `probes created in ${r.probeCreateSeconds.toFixed(1)} s, up to ${r.peakAlertsDuePerSecond} alerts due in one second; ` +
      `alerts: ${r.alertsFired}/${r.alertsExpected} fired, duplicates ${r.duplicates}; lateness p50 ${r.latenessMs.p50.toFixed(0)} ms, ` +
      `p99 ${r.latenessMs.p99.toFixed(0)} ms, max ${r.latenessMs.max.toFixed(0)} ms`,
  );
  console.log(
    `lateness by alert: ${r.latenessByAlert.map((a) => `${a.alert} p50 ${a.p50.toFixed(0)} ms / p99 ${a.p99.toFixed(0)} ms`).join('; ')}`,
  );
  const part = (name: string, p: Part) =>
    `${name} p50 ${p.p50.toFixed(0)} / p99 ${p.p99.toFixed(0)} / max ${p.max.toFixed(0)} ms`;
  const parts = r.latenessParts;
  console.log(
    `lateness in parts (${parts.matched} alerts read from the probes' histories, ${parts.unmatched} unmatched): ` +
      [
        part('timer started after the due time', parts.timerStartMs),
        part("server's timer queue", parts.serverMs),
        part('worker taking up the task', parts.pickUpMs),
      ].join('; '),
  );
  console.log(
    `worker process: peak RSS ${r.worker.peakRssMb} MB (${r.worker.residentRssMb} MB with the residents, before the probes), ` +
      `peak heap used ${r.worker.peakHeapUsedMb} MB; sticky cache ${r.worker.stickyCacheSize ?? '?'} workflows, ${r.worker.forcedEvictions ?? '?'} forced evictions`,
  );
  console.log(`history of a triaged resident: ${h(r.history.triagedResident)}`);
  console.log(`history of a probe after its 4 alerts: ${h(r.history.probeAfterAlerts)}`);
  console.log(
    `load average (1 min): ${r.loadAverage.start.toFixed(2)} at the start, ${r.loadAverage.end.toFixed(2)} at the end`,
  );
  console.log(JSON.stringify(r));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tickets: { type: 'string', default: '10000' },
      seeded: { type: 'string', default: '0' },
      probes: { type: 'string', default: '200' },
      'probe-rate': { type: 'string', default: '0' },
      target: { type: 'string', default: '60' },
      concurrency: { type: 'string', default: '16' },
      replays: { type: 'string', default: '20' },
      'cpu-prof': { type: 'string' },
    },
  });
  // WORKER_* and TICKET_* variables of this process configure the worker and the API, as in production.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] => /^(WORKER|TICKET)_/.test(entry[0]) && entry[1] !== undefined,
    ),
  );
  report(
    await benchSlaLoad({
      tickets: Number(values.tickets),
      seeded: Number(values.seeded),
      probes: Number(values.probes),
      probeRate: Number(values['probe-rate']),
      targetSeconds: Number(values.target),
      concurrency: Number(values.concurrency),
      replays: Number(values.replays),
      ...(values['cpu-prof'] ? { cpuProfDir: values['cpu-prof'] } : {}),
      env,
      log: (line) => console.log(`[sla-load ${new Date().toISOString().slice(11, 19)}] ${line}`),
    }),
  );
}

if (require.main === module) run(main);
