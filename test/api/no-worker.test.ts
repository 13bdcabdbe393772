/**
 * With no worker polling the task queue, an agent action (a workflow update) and a live read (a query) do not
 * hang: the API answers 503 problem+json with Retry-After past WORKFLOW_UPDATE_TIMEOUT_MS. When a worker is back,
 * the client's retry with the same Idempotency-Key is answered, and the action — also the first attempt's, if
 * it lands late — is applied once.
 */
import { type Harness, type TestTenant, eventually, startHarness } from '../helpers/harness';

const TIMEOUT_MS = 2000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let h: Harness;
let tenant: TestTenant;

beforeAll(async () => {
  h = await startHarness({ worker: false, env: { WORKFLOW_UPDATE_TIMEOUT_MS: String(TIMEOUT_MS) } });
  tenant = await h.createTenant();
});
afterAll(() => h?.stop());

test('no worker: 503 with Retry-After within the bound; the retried action is applied once', async () => {
  const created = await h.call('POST', '/v1/tickets', {
    token: tenant.tokens.client,
    body: { content: 'The shared drive is read-only since this morning' },
  });
  expect(created.status).toBe(201);
  expect(created.body.workflow_started).toBe(true);
  const id = created.body.id as string;

  const assign = () =>
    h.call('POST', `/v1/tickets/${id}/assign`, {
      token: tenant.tokens.agent,
      headers: { 'idempotency-key': 'assign-when-no-worker' },
      body: { assignee: 'agent-carol' },
    });
  const startedAt = Date.now();
  const refused = await assign();
  // Not a latency assertion: only that the call was bounded and did not hang until the client gave up.
  expect(Date.now() - startedAt).toBeLessThan(60_000);
  expect(refused.status).toBe(503);
  expect(refused.headers.get('content-type')).toContain('application/problem+json');
  expect(refused.headers.get('retry-after')).toBe('5');
  expect(refused.body).toMatchObject({ status: 503, retry_after_seconds: 5 });
  expect(refused.body.detail).toContain('Idempotency-Key');

  const live = await h.call('GET', `/v1/tickets/${id}/workflow`, { token: tenant.tokens.agent });
  expect(live.status).toBe(503);
  expect(live.headers.get('retry-after')).toBe('5');

  await h.startWorker();
  const applied = await eventually(
    async () => {
      const r = await assign();
      return r.status === 200 ? r : undefined;
    },
    60_000,
    500,
  );
  expect(applied.body.assignee).toBe('agent-carol');
  // The first attempt's update may land late too; either way the assignment is made once.
  await sleep(3000);
  expect(await h.db('audit_log').where({ ticket_id: id, action: 'assign' })).toHaveLength(1);
});
