/**
 * The product as a user runs it: `npm start`'s entry point (src/main.ts) as its own process in production mode,
 * attached to the given PostgreSQL and Temporal, measured from outside through its HTTP API.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { freePort } from '../src/platform/temporal-server';
import { WORKFLOW_THREAD_PRELOAD } from '../src/worker/workflow-stack-traces';

const ROOT = path.resolve(__dirname, '..');

export interface ProductProcess {
  url: string;
  pid: number;
  logFile: string;
  /** An API call; the body parsed as JSON (undefined when empty). */
  call(
    method: string,
    url: string,
    token: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> | undefined }>;
  /** A tenant and its client, agent and admin tokens. */
  createTenant(settings?: Record<string, unknown>): Promise<{ id: string; client: string; agent: string }>;
  /** Resident set size of the product's process, in bytes (from /proc). */
  rss(): number;
  stop(): Promise<void>;
}

export async function startProductProcess(options: {
  databaseUrl: string;
  temporalAddress: string;
  env?: Record<string, string>;
  /** Node's own options before the entry point (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
}): Promise<ProductProcess> {
  const port = await freePort();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'triage-bench-product-'));
  const jwtSecret = crypto.randomBytes(48).toString('base64');
  // Kept after the run: what the product logged (warnings and errors) is part of the result.
  const logFile = path.join(os.tmpdir(), `triage-bench-product-${process.pid}.log`);
  const out = fs.openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      '--require',
      `./${WORKFLOW_THREAD_PRELOAD}`,
      '--import',
      'tsx',
      'src/main.ts',
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', out, out],
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: workDir,
        DATABASE_URL: options.databaseUrl,
        TEMPORAL_ADDRESS: options.temporalAddress,
        JWT_SECRET: jwtSecret,
        SECRET_KEYS: `k1:${crypto.randomBytes(32).toString('base64')}`,
        PAYLOAD_KEYS: `p1:${crypto.randomBytes(32).toString('base64')}`,
        OUTBOUND_ALLOW_NETWORKS: '127.0.0.0/8',
        // The benchmark measures the product, not its per-tenant request quotas.
        RATE_LIMITS: 'free:0,standard:0,business:0,enterprise:0,starter:0,professional:0,global_enterprise:0',
        ...options.env,
      },
    },
  );
  fs.closeSync(out);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the product exited (${child.exitCode}); see ${logFile}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the product did not become ready; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const sign = (tenant: string, roles: string[]) =>
    new SignJWT({ tenant_id: tenant, roles })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('bench')
      .setIssuedAt()
      .setExpirationTime('4h')
      .sign(new TextEncoder().encode(jwtSecret));
  const call: ProductProcess['call'] = async (method, path, token, body) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  return {
    url,
    pid: child.pid!,
    logFile,
    call,
    async createTenant(settings = {}) {
      const slug = `bench-${crypto.randomUUID().slice(0, 8)}`;
      const created = await call('POST', '/v1/tenants', await sign('platform', ['superadmin']), {
        slug,
        name: slug,
        ...settings,
      });
      if (created.status !== 201)
        throw new Error(`tenant: ${created.status} ${JSON.stringify(created.body)}`);
      return {
        id: created.body!.id as string,
        client: await sign(slug, ['client']),
        agent: await sign(slug, ['agent']),
      };
    },
    rss() {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(workDir, { recursive: true, force: true });
    },
  };
}
