/**
 * One product instance per test file, on the real Postgres and Temporal started by global-setup: a worker on
 * its own task queue, the API on a free port, and helpers to mint tokens and call endpoints.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { type WorkflowBundleWithSourceMap, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { SignJWT } from 'jose';
import type { Knex } from 'knex';
import { createAiStack } from '../../src/connectors/ai/stack';
import { loadConfig } from '../../src/platform/config';
import { type PlatformDb, createDatabases, destroyDatabases } from '../../src/stores/db';
import type { Role } from '../../src/domain/vocabulary';
import pino from 'pino';
import { LOG_REDACTIONS, createLogger } from '../../src/platform/logger';
import { startApi } from '../../src/api/start';
import { IntakePressure } from '../../src/platform/intake-pressure';
import { secretBoxFromEnv } from '../../src/platform/crypto/secrets';
import { type OutboundPolicy, createOutboundPolicy } from '../../src/platform/net/outbound-policy';
import { WORKFLOWS_PATH, type WorkerDeps, createWorker, defaultActivityDeps } from '../../src/worker';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';
export const TEST_SECRET_KEYS = `test1:${Buffer.alloc(32, 7).toString('base64')}`;
export const testSecretBox = secretBoxFromEnv(TEST_SECRET_KEYS);
/** Workflow payloads are encrypted in every test, as in production. */
export const TEST_PAYLOAD_KEYS = `ptest1:${Buffer.alloc(32, 9).toString('base64')}`;
/** Trained offline models are cached here across test files and runs (keyed by a hash of their data). */
export const SHARED_MODEL_CACHE = path.join(os.tmpdir(), 'support-triage-models');
export const TEST_LINKS = {
  publicUrl: 'http://api.test',
  temporalUiUrl: 'http://ui.test',
  namespace: 'default',
};

let bundlePromise: Promise<WorkflowBundleWithSourceMap> | undefined;
/** Workflows are bundled once per test file. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundlePromise ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
  return bundlePromise;
}

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string) => console.error(message),
};

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface TestTenant {
  id: string;
  slug: string;
  tokens: Record<'client' | 'agent' | 'admin', string>;
}

export interface Harness {
  url: string;
  /** The owner's pool (row-level security does not apply): tests read and write any tenant's rows with it. */
  db: PlatformDb;
  /** The application's pool, as the API and the worker use it (role triage_app, row-level security). */
  appDb: Knex;
  client: Client;
  /** The API's creates in flight, which the harness's worker gives way to (as in `npm start`). */
  intakePressure: IntakePressure;
  taskQueue: string;
  temporalAddress: string;
  databaseUrl: string;
  superadminToken: string;
  mint(
    claims: { tenant: string; roles: Role[]; sub?: string },
    options?: { expiresIn?: string },
  ): Promise<string>;
  call<T = any>(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> },
  ): Promise<ApiResponse<T>>;
  createTenant(settings?: Record<string, unknown>, tier?: string): Promise<TestTenant>;
  startWorker(deps?: Partial<WorkerDeps>): Promise<Worker>;
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

export async function mintToken(
  claims: { tenant: string; roles: Role[]; sub?: string },
  options: { expiresIn?: string; secret?: string } = {},
): Promise<string> {
  return new SignJWT({ tenant_id: claims.tenant, roles: claims.roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub ?? `${claims.roles[0]}-user`)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '1h')
    .sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}

export async function startHarness(
  options: {
    deps?: Partial<WorkerDeps>;
    worker?: boolean;
    logLines?: string[];
    /** Extra configuration (environment variables, e.g. OPENAI_API_KEY for the agents' LLM calls). */
    env?: Record<string, string>;
    /**
     * The outbound (SSRF) policy of the API and the worker. Default: the test environment's, which allows
     * loopback only (OUTBOUND_ALLOW_NETWORKS unset), so the local fake ITSM servers and receivers are reachable.
     */
    outbound?: OutboundPolicy;
  } = {},
): Promise<Harness> {
  const databaseUrl = process.env.TEST_DATABASE_URL!;
  const temporalAddress = process.env.TEST_TEMPORAL_ADDRESS!;
  const taskQueue = `test-${crypto.randomUUID()}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    SECRET_KEYS: TEST_SECRET_KEYS,
    TEMPORAL_TASK_QUEUE: taskQueue,
    OUTBOX_INTERVAL_MS: '200',
    OUTBOX_GRACE_MS: '300',
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  // With logLines, every log line (API and worker) is kept, so a test can check what was written.
  const logger = options.logLines
    ? pino(
        { level: 'debug', redact: LOG_REDACTIONS },
        { write: (line: string) => options.logLines!.push(line) },
      )
    : createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const dbs = createDatabases({
    url: databaseUrl,
    poolMax: 5,
    platformPoolMax: 5,
    tenantConfig: { logger, maxAgeMs: config.database.tenantConfigMaxAgeMs },
  });
  const db = dbs.platform;
  const outbound = options.outbound ?? createOutboundPolicy({ allow: config.outbound.allowNetworks });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'triage-harness-'));
  const ai = createAiStack(
    { dataDir, openai: undefined, qdrant: undefined },
    logger,
    SHARED_MODEL_CACHE,
    dbs.app,
    dbs.tenantConfig,
  );
  await ai.warmUp();
  // As in `npm start`: the worker gives way to the API's creates in flight.
  const intakePressure = new IntakePressure();
  const api = await startApi({
    intakePressure,
    config,
    auth: config.auth,
    secrets: testSecretBox,
    ai,
    dbs,
    temporalAddress,
    logger,
    port: 0,
    host: '127.0.0.1',
    payloadKeys: TEST_PAYLOAD_KEYS,
    outbound,
  });

  let running: { worker: Worker; run: Promise<void>; close: () => Promise<void> } | undefined;
  async function startWorker(deps: Partial<WorkerDeps> = {}): Promise<Worker> {
    const { worker, connection } = await createWorker({
      address: temporalAddress,
      namespace: 'default',
      taskQueue,
      slots: config.temporal.slots,
      intakePressure,
      payloadKeys: TEST_PAYLOAD_KEYS,
      deps: {
        ...defaultActivityDeps({
          dbs,
          ai,
          logger,
          secrets: testSecretBox,
          links: TEST_LINKS,
          itsmTimeoutMs: 1500,
          outbound,
          // Only agents use it: the harness's triage stays offline.
          openai: config.openai,
          // Tests do not wait ten seconds for a bulk upload to end.
          kbFitDebounce: { quietMs: 300, maxDelayMs: 5_000 },
        }),
        ...deps,
      },
      workflowBundle: await workflowBundle(),
    });
    running = { worker, run: worker.run(), close: () => connection.close() };
    return worker;
  }
  async function stopWorker(): Promise<void> {
    if (!running) return;
    const current = running;
    running = undefined;
    current.worker.shutdown();
    await current.run;
    await current.close();
  }
  if (options.worker !== false) await startWorker(options.deps);

  const superadminToken = await mintToken({ tenant: 'platform', roles: ['superadmin'], sub: 'root' });

  async function call<T>(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined = opts.rawBody;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${api.url}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  async function createTenant(
    settings: Record<string, unknown> = {},
    tier = 'standard',
  ): Promise<TestTenant> {
    const slug = `t-${crypto.randomUUID().slice(0, 8)}`;
    const res = await call<{ id: string }>('POST', '/v1/tenants', {
      token: superadminToken,
      body: { slug, name: `Tenant ${slug}`, tier, settings },
    });
    if (res.status !== 201)
      throw new Error(`tenant creation failed: ${res.status} ${JSON.stringify(res.body)}`);
    const tokens = {
      client: await mintToken({ tenant: slug, roles: ['client'], sub: 'portal' }),
      agent: await mintToken({ tenant: slug, roles: ['agent'], sub: 'agent-alice' }),
      admin: await mintToken({ tenant: slug, roles: ['admin'], sub: 'admin-bob' }),
    };
    return { id: res.body.id, slug, tokens };
  }

  return {
    url: api.url,
    db,
    appDb: dbs.app,
    client: api.client,
    intakePressure,
    taskQueue,
    temporalAddress,
    databaseUrl,
    superadminToken,
    mint: (claims, opts) => mintToken(claims, opts),
    call,
    createTenant,
    startWorker,
    stopWorker,
    async stop() {
      await saveHistories(api.client, taskQueue);
      await stopWorker();
      await api.stop();
      await destroyDatabases(dbs);
      await ai.close();
      await outbound.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * With RECORD_HISTORIES_DIR set, every workflow this harness ran is saved there when it stops: the raw material
 * of the replay corpus (test/histories), recorded from real runs and picked by hand (scripts/pick-histories.ts).
 */
async function saveHistories(client: Client, taskQueue: string): Promise<void> {
  const dir = process.env.RECORD_HISTORIES_DIR;
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  // jest's expect, when a test file runs this (scripts run it too, without jest).
  const jestExpect = (globalThis as { expect?: { getState(): { testPath?: string } } }).expect;
  const testPath = jestExpect?.getState().testPath;
  const testFile = path.basename(testPath ?? 'script', '.test.ts');
  for await (const execution of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) {
    const handle = client.workflow.getHandle(execution.workflowId, execution.runId);
    const history = await handle.fetchHistory();
    const file = path.join(dir, `${testFile}--${execution.workflowId}--${execution.runId}.json`);
    fs.writeFileSync(file, historyToJSON(history));
  }
}

/** Polls until the check returns a value (not undefined/false) or the time runs out. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export { Worker };
