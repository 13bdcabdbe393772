/**
 * The production entry points as built (`npm run build` → dist) and as docker-compose.yml runs them: the api and
 * worker services' commands, with their environment from the compose file (secrets filled in, addresses pointed
 * at this test's PostgreSQL and Temporal). Development packages are made unloadable, as in the pruned image.
 * The API answers /readyz, a ticket is triaged by the worker, both serve metrics, and SIGTERM stops both with 0.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { SignJWT } from 'jose';
import { Client, Connection } from '@temporalio/client';
import { ticketWorkflowId } from '../../src/workflows/messages';
import { freePort } from '../../src/platform/temporal-server';
import { ROOT, type Spawned, spawnEntry, waitForHttp } from '../helpers/processes';

jest.setTimeout(600_000);

interface ComposeService {
  command: string[];
  environment: Record<string, string | number>;
}
const compose = yaml.load(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>;
};

const JWT_SECRET = crypto.randomBytes(48).toString('base64');
const SECRET_KEYS = `k1:${crypto.randomBytes(32).toString('base64')}`;
const PAYLOAD_KEYS = `p1:${crypto.randomBytes(32).toString('base64')}`;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'triage-prod-'));
const running: Spawned[] = [];

/** The compose environment of a service, with `${VAR:?…}` / `${VAR:-default}` resolved like compose would. */
function composeEnv(service: string, given: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, raw] of Object.entries(compose.services[service]!.environment)) {
    env[key] = String(raw).replace(
      /\$\{(\w+)(?::([?-])([^}]*))?\}/g,
      (_m, name: string, op?: string, rest?: string) => {
        if (given[name] !== undefined) return given[name]!;
        if (op === '?') throw new Error(`compose requires ${name}: ${rest}`);
        return rest ?? '';
      },
    );
  }
  return env;
}

function entry(service: string, env: Record<string, string>): Spawned {
  const [program, ...args] = compose.services[service]!.command;
  expect(program).toBe('node');
  const s = spawnEntry(
    ['--require', path.join(ROOT, 'test', 'fixtures', 'forbid-dev-packages.js'), ...args!],
    {
      PATH: process.env.PATH,
      ...env,
    },
  );
  running.push(s);
  return s;
}

afterAll(() => {
  for (const s of running) s.child.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('compose requires the production secrets', () => {
  expect(() => composeEnv('api', { JWT_SECRET, PAYLOAD_KEYS })).toThrow(/SECRET_KEYS/);
  expect(() => composeEnv('worker', { SECRET_KEYS, PAYLOAD_KEYS })).toThrow(/JWT_SECRET/);
  expect(() => composeEnv('api', { JWT_SECRET, SECRET_KEYS })).toThrow(/PAYLOAD_KEYS/);
});

test('built api and worker, with the compose environment: ready, a ticket triaged, metrics, clean stop', async () => {
  execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
  const [apiPort, metricsPort, sdkMetricsPort] = [await freePort(), await freePort(), await freePort()];
  const local = {
    DATABASE_URL: process.env.TEST_DATABASE_URL!,
    TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS!,
    // No Qdrant here: the embedded vector store (a ticket's triage does not need the knowledge base).
    QDRANT_URL: '',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
  };
  const apiEnv: Record<string, string> = {
    ...composeEnv('api', { JWT_SECRET, SECRET_KEYS, PAYLOAD_KEYS }),
    ...local,
    PORT: String(apiPort),
  };
  const workerEnv: Record<string, string> = {
    ...composeEnv('worker', { JWT_SECRET, SECRET_KEYS, PAYLOAD_KEYS }),
    ...local,
    METRICS_PORT: String(metricsPort),
    TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${sdkMetricsPort}`,
  };
  expect(apiEnv.NODE_ENV).toBe('production');
  expect(workerEnv.NODE_ENV).toBe('production');

  const api = entry('api', apiEnv);
  await api.waitForLog(/^API listening/);
  await waitForHttp(`http://127.0.0.1:${apiPort}/readyz`);
  const worker = entry('worker', workerEnv);
  await worker.waitForLog(/^worker running/);
  // Production logs are JSON lines (for collectors), never pretty-printed.
  expect(api.logs.length).toBeGreaterThan(0);
  expect(api.output()).not.toMatch(/development package/);

  const sign = (tenant: string, roles: string[]) =>
    new SignJWT({ tenant_id: tenant, roles })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('prod-test')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(JWT_SECRET));
  const call = async (method: string, url: string, token: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${apiPort}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const slug = `prod-${crypto.randomUUID().slice(0, 8)}`;
  const tenant = await call('POST', '/v1/tenants', await sign('platform', ['superadmin']), {
    slug,
    name: 'Production check',
  });
  expect(tenant.status).toBe(201);
  const agent = await sign(slug, ['agent']);
  const created = await call('POST', '/v1/tickets', agent, {
    // No escalation trigger word (seed 003's list has "refund"): the ticket ends triage as `open`, not escalated.
    content: 'I was charged twice for my subscription this month, please correct the duplicate payment',
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  let ticket: Record<string, unknown> = { status: 'new' };
  const untriaged = ['new', 'triaging'];
  for (
    const deadline = Date.now() + 120_000;
    Date.now() < deadline && untriaged.includes(String(ticket.status));
  ) {
    await new Promise((r) => setTimeout(r, 500));
    ticket = (await call('GET', `/v1/tickets/${id}`, agent)).body;
  }
  expect(ticket.status).toBe('open');

  // The workflow threads run without the SDK's per-promise stack capture (WORKFLOW_STACK_TRACES is off by default
  // in production, and the compose command preloads the switch): the stack trace query says so.
  const connection = await Connection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
  try {
    const handle = new Client({ connection }).workflow.getHandle(ticketWorkflowId(id));
    await expect(handle.query('__stack_trace')).rejects.toThrow(/stack traces are not enabled/);
  } finally {
    await connection.close();
  }

  const text = async (url: string) => (await fetch(url)).text();
  const apiMetrics = await text(`http://127.0.0.1:${apiPort}/metrics`);
  expect(apiMetrics).toMatch(/http_requests_total\{method="POST",route="\/v1\/tickets",status="201"\} 1/);
  expect(apiMetrics).toMatch(/tickets_created_total\{source="[a-z_]+"\} 1/);
  // Where the create's time went (bench/triage.ts reads these): the insert and the workflow's start.
  expect(apiMetrics).toMatch(/ticket_create_phase_seconds_count\{phase="database"\} 1/);
  expect(apiMetrics).toMatch(/ticket_create_phase_seconds_count\{phase="workflow_start"\} 1/);
  const workerMetrics = await text(`http://127.0.0.1:${metricsPort}/metrics`);
  expect(workerMetrics).toMatch(/tickets_triaged_total\{outcome="triaged"\} 1/);
  expect(workerMetrics).toMatch(/triage_duration_seconds_count 1/);
  const sdkMetrics = await text(`http://127.0.0.1:${sdkMetricsPort}/metrics`);
  expect(sdkMetrics).toMatch(/temporal_/);

  worker.child.kill('SIGTERM');
  api.child.kill('SIGTERM');
  const [w, a] = await Promise.all([worker.exited, api.exited]);
  expect({ worker: w.code, api: a.code }).toEqual({ worker: 0, api: 0 });
  expect(worker.output() + api.output()).not.toMatch(/IllegalStateError|development package/);
  // No workflow task failed on the way (the SDK retries one, and the ticket may still get there).
  expect(worker.output()).not.toMatch(/Failing workflow task/);
});
