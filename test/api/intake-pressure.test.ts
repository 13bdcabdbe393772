/**
 * `npm start`'s worker gives way to the API's creates (src/worker/intake-first-slots.ts): the API counts every
 * create while it is in flight, a refused one too, and nothing else; the count returns to zero, and a burst of
 * creates answered while the worker runs with fewer slots is triaged in full once they end.
 */
import { type Harness, type TestTenant, eventually, startHarness } from '../helpers/harness';

let h: Harness;
let tenant: TestTenant;

beforeAll(async () => {
  h = await startHarness();
  tenant = await h.createTenant();
});
afterAll(() => h?.stop());

function countEnters() {
  const seen: number[] = [];
  const original = h.intakePressure.enter.bind(h.intakePressure);
  const spy = jest.spyOn(h.intakePressure, 'enter').mockImplementation(() => {
    const end = original();
    seen.push(h.intakePressure.inFlight);
    return end;
  });
  return { seen, restore: () => spy.mockRestore() };
}

test('each create is counted while in flight, a refused one too; reads are not', async () => {
  const enters = countEnters();
  try {
    const created = await h.call('POST', '/v1/tickets', {
      token: tenant.tokens.client,
      body: { content: 'The VPN drops every ten minutes since the update' },
    });
    expect(created.status).toBe(201);
    const refused = await h.call('POST', '/v1/tickets', {
      token: tenant.tokens.client,
      body: { content: '' },
    });
    expect(refused.status).toBe(400);
    expect((await h.call('GET', '/v1/tickets', { token: tenant.tokens.agent })).status).toBe(200);
    expect(enters.seen).toEqual([1, 1]);
    expect(h.intakePressure.inFlight).toBe(0);
    // Operators see the slots at /metrics: all 40 back once the creates are answered.
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/worker_workflow_task_slots\{state="limit"\} 40/);
    expect(metrics).toMatch(/worker_workflow_task_slots\{state="creates_in_flight"\} 0/);
    expect(metrics).toMatch(/worker_workflow_task_slots\{state="issued"\} \d+/);
  } finally {
    enters.restore();
  }
});

test('a burst of creates is counted, answered, and triaged in full once it ends', async () => {
  const enters = countEnters();
  try {
    const ids = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const created = await h.call('POST', '/v1/tickets', {
          token: tenant.tokens.client,
          body: { content: `Invoice ${i} was charged twice, please refund the duplicate` },
        });
        expect(created.status).toBe(201);
        return created.body.id as string;
      }),
    );
    expect(enters.seen).toHaveLength(20);
    // The creates overlapped: the worker saw more than one in flight.
    expect(Math.max(...enters.seen)).toBeGreaterThan(1);
    expect(h.intakePressure.inFlight).toBe(0);
    await eventually(async () => {
      const rows = await h.db('tickets').whereIn('id', ids).select('status');
      return rows.filter((r) => !['new', 'triaging'].includes(r.status)).length === ids.length;
    }, 60_000);
  } finally {
    enters.restore();
  }
});
