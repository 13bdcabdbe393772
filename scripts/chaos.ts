/**
 * A reproducible chaos run (`npm run chaos [-- --seconds 120 --seed 7]`): the API and the worker run as their
 * own processes (the compose services' entry points) on an embedded PostgreSQL and a Temporal dev server of this
 * run's own, a tenant with short SLA targets, a Jira (local fake speaking Jira Cloud's REST API) and a signed
 * webhook for SLA alerts. Clients create tickets with Idempotency-Keys, retrying until acknowledged, while the
 * worker, the API or both are SIGKILLed and PostgreSQL and Temporal are restarted, at seeded random times.
 * Afterwards everything is brought back, and the run waits for every acknowledged ticket to be triaged and synced.
 *
 * It prints acknowledged, lost, duplicated and stuck tickets, duplicate SLA alerts (recorded and delivered),
 * duplicate external tickets, and the API's answers while a dependency was down (503s must be problem+json; a
 * request that gets no answer within 15 s is a hang), then a JSON line. Exit code 0 only when all are zero.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import knexFactory from 'knex';
import { SignJWT } from 'jose';
import { startEmbeddedPostgres, type RunningPostgres } from '../src/platform/postgres';
import {
  findTemporalCli,
  freePort,
  startTemporalDevServer,
  type RunningTemporal,
} from '../src/platform/temporal-server';
import { seededRandom, shuffled } from '../src/ml/random';
import { FakeJira } from '../test/fixtures/fake-itsm/jira';
import { WORKFLOW_THREAD_PRELOAD } from '../src/worker/workflow-stack-traces';

const ROOT = path.resolve(__dirname, '..');
const FAULTS = ['kill worker', 'kill api', 'kill product', 'restart postgres', 'restart temporal'];
const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '120' },
    seed: { type: 'string', default: '7' },
    clients: { type: 'string', default: '3' },
    settle: { type: 'string', default: '300' },
  },
});
const SECONDS = Number(args.seconds);
const SETTLE_SECONDS = Number(args.settle);
const rng = seededRandom(Number(args.seed));
const log = (message: string) => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${message}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const JWT_SECRET = crypto.randomBytes(48).toString('base64');
const secrets = {
  JWT_SECRET,
  SECRET_KEYS: `k1:${crypto.randomBytes(32).toString('base64')}`,
  PAYLOAD_KEYS: `p1:${crypto.randomBytes(32).toString('base64')}`,
};

// ---------------------------------------------------------------------------------------------------------
// The servers and processes of this run

interface Stack {
  workDir: string;
  pgPort: number;
  temporalPort: number;
  temporalUiPort: number;
  apiPort: number;
  postgres?: RunningPostgres;
  temporal?: RunningTemporal;
  api?: ChildProcess;
  worker?: ChildProcess;
}

async function startPostgres(stack: Stack): Promise<void> {
  stack.postgres = await startEmbeddedPostgres({
    dataDir: path.join(stack.workDir, 'pg'),
    port: stack.pgPort,
    database: 'triage',
    persistent: true,
  });
}

async function startTemporal(stack: Stack, cliPath: string): Promise<void> {
  stack.temporal = await startTemporalDevServer({
    cliPath,
    dbFile: path.join(stack.workDir, 'temporal.db'),
    port: stack.temporalPort,
    uiPort: stack.temporalUiPort,
    namespace: 'default',
    logFile: path.join(stack.workDir, 'temporal.log'),
  });
}

function entryEnv(stack: Stack, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: `postgres://postgres:postgres@127.0.0.1:${stack.pgPort}/triage`,
    TEMPORAL_ADDRESS: `127.0.0.1:${stack.temporalPort}`,
    OUTBOUND_ALLOW_NETWORKS: '127.0.0.0/8',
    RATE_LIMITS: 'free:0,standard:0,business:0,enterprise:0,starter:0,professional:0,global_enterprise:0',
    ...secrets,
    ...extra,
  };
}

function spawnEntry(stack: Stack, name: 'api' | 'worker'): ChildProcess {
  const entry = name === 'api' ? 'src/api/server.ts' : 'src/worker/main.ts';
  const env =
    name === 'api'
      ? entryEnv(stack, {
          PORT: String(stack.apiPort),
          HOST: '127.0.0.1',
          DATA_DIR: path.join(stack.workDir, 'api'),
        })
      : entryEnv(stack, { METRICS_PORT: '0', DATA_DIR: path.join(stack.workDir, 'worker') });
  const out = fs.openSync(path.join(stack.workDir, `${name}.log`), 'a');
  const child = spawn(
    process.execPath,
    ['--require', `./${WORKFLOW_THREAD_PRELOAD}`, '--import', 'tsx', entry],
    {
      cwd: ROOT,
      env,
      stdio: ['ignore', out, out],
    },
  );
  fs.closeSync(out);
  return child;
}

async function kill(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

async function waitForApi(stack: Stack, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${stack.apiPort}/readyz`)).ok) return;
    } catch {
      // not up yet
    }
    await sleep(250);
  }
  throw new Error('the API did not become ready');
}

// ---------------------------------------------------------------------------------------------------------
// What the run observes

/** The signed SLA-alert webhook: every delivery, by event id and by what it announces. */
async function alertReceiver() {
  const byEvent = new Map<string, number>();
  const eventsByAlert = new Map<string, Set<string>>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      try {
        const m = JSON.parse(body) as {
          event_id: string;
          type: string;
          ticket: { id: string };
          clock: string;
          threshold: number;
          cycle: number;
        };
        byEvent.set(m.event_id, (byEvent.get(m.event_id) ?? 0) + 1);
        const alert = `${m.ticket.id}|${m.type}|${m.clock}|${m.threshold}|${m.cycle}`;
        if (!eventsByAlert.has(alert)) eventsByAlert.set(alert, new Set());
        eventsByAlert.get(alert)!.add(m.event_id);
      } catch {
        // not an alert
      }
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    alerts: () => eventsByAlert.size,
    duplicateAlerts: () => [...eventsByAlert.values()].filter((ids) => ids.size > 1).length,
    redeliveries: () => [...byEvent.values()].reduce((n, count) => n + count - 1, 0),
    close: () => new Promise((r) => server.close(r)),
  };
}

interface ApiCounts {
  answered: Map<number, number>;
  problem503: number;
  /** 5xx other than 503: an outage the API did not recognise as one (or a bug). */
  serverErrors: number;
  plain503: number;
  hangs: number;
  refused: number;
}

async function main(): Promise<void> {
  const cliPath = await findTemporalCli(process.env.TEMPORAL_CLI_PATH);
  if (!cliPath) throw new Error('no temporal CLI: run `npm run temporal:install` or set TEMPORAL_CLI_PATH');
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'triage-chaos-'));
  // The embedded PostgreSQL runs as its own user when this runs as root: it must reach its folder.
  fs.chmodSync(workDir, 0o755);
  const stack: Stack = {
    workDir,
    pgPort: await freePort(),
    temporalPort: await freePort(),
    temporalUiPort: await freePort(),
    apiPort: await freePort(),
  };
  const jira = await new FakeJira().start();
  const receiver = await alertReceiver();
  log(`work dir ${workDir}; ${SECONDS} s of chaos, seed ${args.seed}`);
  try {
    await startPostgres(stack);
    await startTemporal(stack, cliPath);
    stack.api = spawnEntry(stack, 'api');
    stack.worker = spawnEntry(stack, 'worker');
    await waitForApi(stack);
    const api = (
      method: string,
      url: string,
      token: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) =>
      fetch(`http://127.0.0.1:${stack.apiPort}${url}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
    const sign = (tenant: string, roles: string[]) =>
      new SignJWT({ tenant_id: tenant, roles })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('chaos')
        .setIssuedAt()
        .setExpirationTime('2h')
        .sign(new TextEncoder().encode(JWT_SECRET));
    const slug = `chaos-${crypto.randomUUID().slice(0, 8)}`;
    const created = await api('POST', '/v1/tenants', await sign('platform', ['superadmin']), {
      slug,
      name: 'Chaos',
    });
    if (created.status !== 201) throw new Error(`tenant: ${created.status} ${await created.text()}`);
    const tenantId = ((await created.json()) as { id: string }).id;
    const admin = await sign(slug, ['admin']);
    const client = await sign(slug, ['client']);
    for (const [url, body] of [
      [
        '/v1/sla-policy',
        {
          targets: { medium: { first_response_seconds: 40, resolution_seconds: 90 } },
          warning_thresholds: [0.5],
        },
      ],
      [
        '/v1/integrations/itsm',
        {
          tool_type: 'jira',
          base_url: jira.url,
          credentials: { email: jira.email, api_token: jira.apiToken },
          settings: { project_key: 'SUP', rate_limit_per_minute: 6000 },
        },
      ],
    ] as const) {
      const r = await api('PUT', url, admin, body);
      if (r.status !== 200) throw new Error(`${url}: ${r.status} ${await r.text()}`);
    }
    const target = await api('POST', '/v1/notification-targets', admin, {
      type: 'webhook',
      name: 'chaos alerts',
      url: receiver.url,
      secret: crypto.randomBytes(24).toString('hex'),
    });
    if (target.status !== 201)
      throw new Error(`notification target: ${target.status} ${await target.text()}`);

    // Load: every ticket is retried under its Idempotency-Key until the API acknowledges it.
    const counts: ApiCounts = {
      answered: new Map(),
      serverErrors: 0,
      problem503: 0,
      plain503: 0,
      hangs: 0,
      refused: 0,
    };
    const acknowledged = new Map<string, string>(); // key → ticket id
    let loadRunning = true;
    let sequence = 0;
    const clients = Array.from({ length: Number(args.clients) }, async () => {
      while (loadRunning) {
        const key = `chaos-${sequence++}`;
        for (let attempt = 0; loadRunning || attempt === 0; attempt++) {
          try {
            const res = await api(
              'POST',
              '/v1/tickets',
              client,
              { content: `Export ${key} fails with an error`, priority: 'medium' },
              { 'Idempotency-Key': key },
            );
            counts.answered.set(res.status, (counts.answered.get(res.status) ?? 0) + 1);
            if (res.status >= 500 && res.status !== 503) counts.serverErrors += 1;
            if (res.status === 503) {
              if ((res.headers.get('content-type') ?? '').includes('application/problem+json'))
                counts.problem503 += 1;
              else counts.plain503 += 1;
            }
            if (res.status === 201 || res.status === 200) {
              acknowledged.set(key, ((await res.json()) as { id: string }).id);
              break;
            }
            await res.body?.cancel();
          } catch (error) {
            if ((error as Error).name === 'TimeoutError') counts.hangs += 1;
            else counts.refused += 1; // the API process is down: connection refused
          }
          await sleep(200 + attempt * 100);
        }
        // About one new ticket per client per second: the point is faults, not throughput.
        await sleep(1000);
      }
    });

    // Chaos: a fault every 6–14 s until the time is up, every kind once per round, in a seeded order.
    const faults: string[] = [];
    const deck = shuffled(FAULTS, rng);
    const chaosEnd = Date.now() + SECONDS * 1000;
    while (Date.now() < chaosEnd) {
      await sleep(6000 + rng() * 8000);
      const fault = deck[faults.length % deck.length]!;
      faults.push(fault);
      log(fault);
      if (fault === 'kill worker' || fault === 'kill product') await kill(stack.worker);
      if (fault === 'kill api' || fault === 'kill product') await kill(stack.api);
      if (fault === 'restart postgres') {
        await stack.postgres!.stop();
        await sleep(1000 + rng() * 3000);
        await startPostgres(stack);
      }
      if (fault === 'restart temporal') {
        await stack.temporal!.stop();
        await sleep(1000 + rng() * 3000);
        await startTemporal(stack, cliPath);
      }
      await sleep(500 + rng() * 2500);
      if (fault.startsWith('kill')) {
        if (stack.worker?.exitCode !== null || stack.worker.signalCode !== null)
          stack.worker = spawnEntry(stack, 'worker');
        if (stack.api?.exitCode !== null || stack.api.signalCode !== null)
          stack.api = spawnEntry(stack, 'api');
      }
    }
    loadRunning = false;
    await Promise.all(clients);
    await waitForApi(stack);
    log(
      `chaos over: ${faults.length} faults; ${acknowledged.size} tickets acknowledged; settling (up to ${SETTLE_SECONDS} s)`,
    );

    // Settle: every acknowledged ticket triaged, synced to Jira, and its SLA alerts fired.
    const db = knexFactory({
      client: 'pg',
      connection: entryEnv(stack, {}).DATABASE_URL,
      pool: { min: 0, max: 2 },
    });
    const ids = [...acknowledged.values()];
    const settleEnd = Date.now() + SETTLE_SECONDS * 1000;
    let stuck = ids;
    let unsynced = ids;
    for (;;) {
      const rows: Array<{ id: string; status: string }> = await db('tickets')
        .whereIn('id', ids)
        .select('id', 'status');
      stuck = ids.filter((id) =>
        ['new', 'triaging'].includes(rows.find((r) => r.id === id)?.status ?? 'new'),
      );
      unsynced = ids.filter((id) => jira.issuesWithLabel(`triage-${id}`).length === 0);
      if ((stuck.length === 0 && unsynced.length === 0) || Date.now() > settleEnd) break;
      await sleep(2000);
    }
    // Breaches come 90 s after a ticket's creation: give the last ones time to fire.
    await sleep(Math.min(100_000, Math.max(0, settleEnd - Date.now())));

    const present: Array<{ id: string; idempotency_key: string }> = await db('tickets')
      .where({ tenant_id: tenantId })
      .select('id', 'idempotency_key');
    const lost = ids.filter((id) => !present.some((r) => r.id === id)).length;
    const perKey = new Map<string, number>();
    for (const r of present) perKey.set(r.idempotency_key, (perKey.get(r.idempotency_key) ?? 0) + 1);
    const duplicated = [...perKey.values()].filter((n) => n > 1).length;
    const [{ n: duplicateRecordedAlerts }] = (
      await db.raw(
        `select count(*)::int as n from (select 1 from sla_events where tenant_id = ? group by ticket_id, clock, kind, threshold, cycle having count(*) > 1) d`,
        [tenantId],
      )
    ).rows;
    const [{ n: recordedAlerts }] = (
      await db.raw(`select count(*)::int as n from sla_events where tenant_id = ?`, [tenantId])
    ).rows;
    const duplicateExternal = ids.filter((id) => jira.issuesWithLabel(`triage-${id}`).length > 1).length;
    await db.destroy();

    const result = {
      seconds: SECONDS,
      seed: Number(args.seed),
      faults: faults.length,
      fault_kinds: Object.fromEntries(FAULTS.map((f) => [f, faults.filter((x) => x === f).length])),
      acknowledged: acknowledged.size,
      lost,
      duplicated,
      stuck: stuck.length,
      unsynced: unsynced.length,
      sla_alerts_recorded: Number(recordedAlerts),
      sla_alerts_delivered: receiver.alerts(),
      duplicate_sla_alerts_recorded: Number(duplicateRecordedAlerts),
      duplicate_sla_alerts_delivered: receiver.duplicateAlerts(),
      alert_redeliveries_same_event_id: receiver.redeliveries(),
      jira_issues: jira.issues.size,
      duplicate_external_tickets: duplicateExternal,
      api_answers: Object.fromEntries([...counts.answered.entries()].sort((a, b) => a[0] - b[0])),
      answers_503_problem_json: counts.problem503,
      answers_503_not_problem_json: counts.plain503,
      answers_other_5xx: counts.serverErrors,
      connection_refused_while_api_down: counts.refused,
      hangs: counts.hangs,
    };
    console.log(
      [
        `faults: ${faults.length} (${Object.entries(result.fault_kinds)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ')})`,
        `tickets: acknowledged ${result.acknowledged}, lost ${lost}, duplicated ${duplicated}, stuck ${stuck.length}, not synced to Jira ${unsynced.length}`,
        `SLA alerts: recorded ${recordedAlerts}, delivered ${result.sla_alerts_delivered}; duplicates recorded ${duplicateRecordedAlerts}, delivered ${result.duplicate_sla_alerts_delivered} (same-event-id redeliveries ${result.alert_redeliveries_same_event_id})`,
        `external tickets: ${jira.issues.size} Jira issues, duplicates ${duplicateExternal}`,
        `API: answers ${JSON.stringify(result.api_answers)}; 503s as problem+json ${counts.problem503}, otherwise ${counts.plain503}; other 5xx ${counts.serverErrors}; refused while down ${counts.refused}; hangs ${counts.hangs}`,
      ].join('\n'),
    );
    console.log(JSON.stringify(result));
    const clean =
      lost +
        duplicated +
        stuck.length +
        unsynced.length +
        Number(duplicateRecordedAlerts) +
        result.duplicate_sla_alerts_delivered +
        duplicateExternal +
        counts.plain503 +
        counts.serverErrors +
        counts.hangs ===
        0 && acknowledged.size > 0;
    process.exitCode = clean ? 0 : 1;
  } finally {
    await kill(stack.api);
    await kill(stack.worker);
    await stack.temporal?.stop().catch(() => undefined);
    await stack.postgres?.stop().catch(() => undefined);
    await jira.stop();
    await receiver.close();
    if (process.exitCode === 0) fs.rmSync(workDir, { recursive: true, force: true });
    else log(`logs kept in ${workDir}`);
  }
}

main().then(
  () => process.exit(),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
