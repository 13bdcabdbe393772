/**
 * Which triage steps run as local activities (patches local-short-steps, triage-in-fewer-steps): with offline
 * models every short step (Postgres writes, the models) is local, recorded as markers, and the models are one
 * step (triageTicket), the result, completion and escalation triggers another (completeTriage); with a model API
 * (a worker whose models are not local) the model calls stay regular activities, each visible and heartbeating,
 * while the writes stay local.
 */
import { type Harness, type TestTenant, eventually, startHarness } from '../helpers/harness';
import { historySteps } from '../helpers/history-steps';

let h: Harness;
let tenant: TestTenant;

beforeAll(async () => {
  h = await startHarness();
  tenant = await h.createTenant();
});
afterAll(() => h?.stop());

async function triagedSteps(content: string): Promise<string[]> {
  const created = await h.call('POST', '/v1/tickets', { token: tenant.tokens.client, body: { content } });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  await eventually(async () => {
    const ticket = await h.call('GET', `/v1/tickets/${id}`, { token: tenant.tokens.agent });
    return ticket.body.status === 'open' ? ticket : undefined;
  }, 60_000);
  // Local activities are recorded when their workflow task completes, after the writes they did.
  return eventually(async () => {
    const history = await h.client.workflow.getHandle(`ticket-${id}`).fetchHistory();
    const steps = historySteps(history.events ?? []);
    return steps.includes('local:completeTriage') ? steps : undefined;
  }, 30_000);
}

const MODEL_STEPS = ['classifyTicket', 'retrieveKnowledge', 'draftReply'];
const STORE_STEPS = ['persistTicketChange', 'completeTriage'];
/** The steps the patch triage-in-fewer-steps folded into others. */
const FOLDED_STEPS = ['triageSetup', 'recordTriage', 'checkEscalationTriggers'];

test('offline models: every triage step is a local activity, the models one step', async () => {
  const steps = await triagedSteps('The export to CSV fails with an error since this morning');
  for (const step of ['triageTicket', ...STORE_STEPS]) {
    expect(steps).toContain(`local:${step}`);
    expect(steps).not.toContain(`activity:${step}`);
  }
  for (const step of [...MODEL_STEPS, ...FOLDED_STEPS]) {
    expect(steps).not.toContain(`local:${step}`);
    expect(steps).not.toContain(`activity:${step}`);
  }
  // The tenant has no ITSM tool: asked for the first event, not again for the next ones a second later.
  expect(steps.filter((s) => s === 'local:itsmConfigured')).toHaveLength(1);
});

test('a model API: model calls stay regular activities, the writes stay local', async () => {
  await h.stopWorker();
  await h.startWorker({ modelsAreLocal: false });
  const steps = await triagedSteps('The mobile app logs me out every few minutes');
  for (const step of MODEL_STEPS) {
    expect(steps).toContain(`activity:${step}`);
    expect(steps).not.toContain(`local:${step}`);
  }
  for (const step of STORE_STEPS) expect(steps).toContain(`local:${step}`);
  expect(steps).not.toContain('local:triageTicket');
});
