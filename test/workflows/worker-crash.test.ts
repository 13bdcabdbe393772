/** A worker killed in the middle of triage: another worker finishes the ticket, and nothing is duplicated. */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { type Harness, type TestTenant, eventually, startHarness } from '../helpers/harness';

let h: Harness;
let tenant: TestTenant;
let child: ChildProcess | undefined;

beforeAll(async () => {
  h = await startHarness({ worker: false });
  tenant = await h.createTenant();
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await h?.stop();
});

test('SIGKILL during triage, restart: the ticket completes once', async () => {
  const root = path.resolve(__dirname, '..', '..');
  // node itself (not the tsx CLI, which would fork a grandchild that SIGKILL misses) runs the worker.
  child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'test', 'fixtures', 'slow-worker.ts')],
    {
      cwd: root,
      env: { ...process.env, TASK_QUEUE: h.taskQueue },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child!.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    child!.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
  });

  const created = await h.call('POST', '/v1/tickets', {
    token: tenant.tokens.client,
    headers: { 'Idempotency-Key': 'crash-1' },
    body: { content: 'The dashboard crashes with an error every time I open it' },
  });
  expect(created.status).toBe(201);
  const id = created.body.id;

  // Wait until the classify activity is running on the doomed worker, then kill it.
  await eventually(async () => {
    const d = await h.client.workflow.getHandle(`ticket-${id}`).describe();
    const raw = d.raw.pendingActivities ?? [];
    return raw.some((a) => a.activityType?.name === 'classifyTicket' && a.state === 2 /* STARTED */);
  }, 30_000);
  child.kill('SIGKILL');
  await new Promise((r) => child!.once('exit', r));

  // A client retry during the outage changes nothing.
  const retry = await h.call('POST', '/v1/tickets', {
    token: tenant.tokens.client,
    headers: { 'Idempotency-Key': 'crash-1' },
    body: { content: 'The dashboard crashes with an error every time I open it' },
  });
  expect(retry.body.id).toBe(id);

  await h.startWorker();
  const ticket = await eventually(
    async () => {
      const r = await h.call('GET', `/v1/tickets/${id}`, { token: tenant.tokens.agent });
      return r.body.status === 'open' ? r.body : undefined;
    },
    60_000,
    250,
  );
  expect(ticket.category).toBe('technical');

  expect(await h.db('tickets').where({ tenant_id: tenant.id })).toHaveLength(1);
  expect(await h.db('triage_results').where({ ticket_id: id })).toHaveLength(1);
  const audit = await h.db('audit_log').where({ ticket_id: id }).orderBy('id');
  expect(audit.map((a) => a.action)).toEqual(['triage_started', 'triage_completed']);
  const attempts = await h.client.workflow.getHandle(`ticket-${id}`).fetchHistory();
  const classifyStarts = attempts.events!.filter(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'classifyTicket',
  );
  expect(classifyStarts).toHaveLength(1);
});
