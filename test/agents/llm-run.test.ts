/**
 * Custom-prompt agents on the LLM path, against the local OpenAI-compatible server scripting tool calls: the
 * bounded loop, tools refused outside the grant or the tenant (whatever the model asks), malformed calls,
 * human approval (approve, timeout), limits, and the ticket-event dispatch activity.
 */
import { AgentRuns } from '../../src/api/agent-gateway';
import { type AgentActivityDeps, createAgentActivities } from '../../src/activities/agents';
import { AgentRepository } from '../../src/stores/agent-repository';
import { type FakeOpenAi, startFakeOpenAi } from '../fixtures/fake-openai';
import { type Harness, type TestTenant, eventually, startHarness, testSecretBox } from '../helpers/harness';

const API_KEY = 'sk-test-agents';
let fake: FakeOpenAi;
let h: Harness;
let tenant: TestTenant;
let other: TestTenant;
let agentId: string;
let ownTicket: string;
let foreignTicket: string;

async function openTicket(t: TestTenant, content: string): Promise<string> {
  const res = await h.call('POST', '/v1/tickets', { token: t.tokens.client, body: { content } });
  expect(res.status).toBe(201);
  await eventually(async () => {
    const r = await h.call('GET', `/v1/tickets/${res.body.id}`, { token: t.tokens.agent });
    // Triage over: open, or escalated at once by a trigger (with local steps there is no window to see it open).
    return ['new', 'triaging'].includes(r.body.status) ? undefined : r;
  });
  return res.body.id;
}

async function run(payload: unknown): Promise<string> {
  const res = await h.call('POST', `/v1/agents/${agentId}/run`, {
    token: tenant.tokens.admin,
    body: { payload },
  });
  expect(res.status).toBe(202);
  return res.body.execution_id;
}

async function finished(executionId: string) {
  return eventually(async () => {
    const r = await h.call('GET', `/v1/agent-executions/${executionId}`, { token: tenant.tokens.admin });
    return r.status === 200 && (r.body.status === 'completed' || r.body.status === 'failed')
      ? r.body
      : undefined;
  }, 60_000);
}

const call = (name: string, args: unknown) => ({ name, arguments: JSON.stringify(args) });

beforeAll(async () => {
  fake = await startFakeOpenAi(API_KEY);
  h = await startHarness({ env: { OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: fake.baseUrl } });
  tenant = await h.createTenant();
  other = await h.createTenant();
  ownTicket = await openTicket(tenant, 'The export to CSV fails with an error since this morning.');
  foreignTicket = await openTicket(other, 'SECRET-OTHER-TENANT: our contract renewal details are attached.');
  const created = await h.call('POST', '/v1/agents', {
    token: tenant.tokens.admin,
    body: {
      name: 'Summariser',
      system_prompt: 'You read tickets and leave a one-line internal summary.',
      llm_config: { provider: 'openai', model: 'gpt-4o-mini', temperature: 0, max_tokens: 500 },
      tools: ['read_ticket', 'add_internal_note', { name: 'set_priority', requires_approval: true }],
      triggers: [{ trigger_type: 'ticket_event', ticket_event: 'ticket.created' }],
    },
  });
  expect(created.status).toBe(201);
  agentId = created.body.id;
  expect(
    (await h.call('POST', `/v1/agents/${agentId}/activate`, { token: tenant.tokens.admin })).status,
  ).toBe(200);
});
afterAll(async () => {
  await h?.stop();
  await fake?.close();
});

test('tool calls outside the grant or the tenant are refused, malformed ones answered, and the run completes', async () => {
  const firstRequest = fake.requests.length;
  fake.script(
    {
      toolCalls: [
        call('read_ticket', { ticket_id: ownTicket }),
        call('read_ticket', { ticket_id: foreignTicket }), // another tenant's ticket
        call('escalate_ticket', { ticket_id: ownTicket, reason: 'because' }), // not granted
        call('delete_all_tickets', {}), // not in the catalogue
        { name: 'add_internal_note', arguments: '{"ticket_id": "' }, // malformed JSON
        call('read_ticket', { ticket_id: 42 }), // wrong type
      ],
    },
    { toolCalls: [call('add_internal_note', { ticket_id: ownTicket, body: 'Summary: CSV export broken.' })] },
    { content: 'Left a summary on the ticket.' },
  );
  const executionId = await run({ ticket_id: ownTicket });
  const execution = await finished(executionId);
  expect(execution).toMatchObject({
    status: 'completed',
    trigger_type: 'manual',
    version_number: 1,
    output: { answer: 'Left a summary on the ticket.' },
    token_usage: { prompt_tokens: 3 * 123, completion_tokens: 3 * 45, total_tokens: 3 * 168 },
  });
  expect(execution.cost_estimate_usd).toBeGreaterThan(0);
  expect(
    execution.steps.map((s: { kind: string; tool: string | null; status: string }) => [
      s.kind,
      s.tool,
      s.status,
    ]),
  ).toEqual([
    ['model', null, 'ok'],
    ['tool', 'read_ticket', 'ok'],
    ['tool', 'read_ticket', 'refused'],
    ['tool', 'escalate_ticket', 'refused'],
    ['tool', 'delete_all_tickets', 'refused'],
    ['tool', 'add_internal_note', 'error'],
    ['tool', 'read_ticket', 'error'],
    ['model', null, 'ok'],
    ['tool', 'add_internal_note', 'ok'],
    ['model', null, 'ok'],
  ]);
  expect(execution.steps[2].error).toBe(`ticket ${foreignTicket} not found`);
  expect(execution.steps[3].error).toContain('not granted');
  expect(execution.steps[5].error).toBe('arguments are not valid JSON');

  // Nothing of the other tenant reached the model or the record; the other tenant's ticket is untouched.
  const requests = fake.requests.slice(firstRequest);
  expect(requests).toHaveLength(3);
  expect(JSON.stringify(requests)).not.toContain('SECRET-OTHER-TENANT');
  expect(JSON.stringify(execution)).not.toContain('SECRET-OTHER-TENANT');
  const foreign = await h.call('GET', `/v1/tickets/${foreignTicket}`, { token: other.tokens.agent });
  expect(foreign.body.messages.filter((m: { author_type: string }) => m.author_type !== 'customer')).toEqual(
    [],
  );
  // The model was offered only the granted tools; the payload came as data; the refusals were reported back.
  expect(requests[0]!.body.tools.map((t: { function: { name: string } }) => t.function.name).sort()).toEqual([
    'add_internal_note',
    'read_ticket',
    'set_priority',
  ]);
  expect(requests[0]!.body.messages[1].content).toContain('<payload>');
  const toolReplies = requests[1]!.body.messages.filter((m: { role: string }) => m.role === 'tool');
  expect(toolReplies).toHaveLength(6);
  expect(JSON.parse(toolReplies[1].content)).toEqual({
    status: 'refused',
    output: { error: `ticket ${foreignTicket} not found` },
  });

  // The note went through the ticket workflow.
  const own = await h.call('GET', `/v1/tickets/${ownTicket}`, { token: tenant.tokens.agent });
  expect(own.body.messages).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ body: 'Summary: CSV export broken.', is_public: false }),
    ]),
  );
  const wf = await h.client.workflow.getHandle(execution.workflow_id).describe();
  expect(wf.workflowId).toBe(`agent-${agentId}-${executionId}`);
});

test('a tool that needs approval waits for a human: approved, it runs; a second decision is 409', async () => {
  fake.script(
    { toolCalls: [call('set_priority', { ticket_id: ownTicket, priority: 'critical' })] },
    { content: 'Raised.' },
  );
  const executionId = await run({ ticket_id: ownTicket });
  const waiting = await eventually(async () => {
    const r = await h.call('GET', `/v1/agent-executions/${executionId}`, { token: tenant.tokens.agent });
    return r.body.status === 'awaiting_approval' && r.body.live?.pending_approval ? r.body : undefined;
  });
  expect(waiting.live.pending_approval).toMatchObject({ tool: 'set_priority' });
  // Nothing changed yet.
  expect(
    (await h.call('GET', `/v1/tickets/${ownTicket}`, { token: tenant.tokens.agent })).body.priority,
  ).not.toBe('critical');
  // Another tenant cannot approve it.
  expect(
    (
      await h.call('POST', `/v1/agent-executions/${executionId}/approval`, {
        token: other.tokens.agent,
        body: { approve: true },
      })
    ).status,
  ).toBe(404);
  const approved = await h.call('POST', `/v1/agent-executions/${executionId}/approval`, {
    token: tenant.tokens.agent,
    body: { approve: true, reason: 'customer is blocked' },
  });
  expect(approved.status).toBe(200);
  const execution = await finished(executionId);
  expect(execution.status).toBe('completed');
  expect(execution.steps.map((s: { kind: string; status: string }) => [s.kind, s.status])).toEqual([
    ['model', 'ok'],
    ['approval', 'approved'],
    ['tool', 'ok'],
    ['model', 'ok'],
  ]);
  expect(execution.steps[1].output).toEqual({ by: 'agent-alice', reason: 'customer is blocked' });
  expect(
    (await h.call('GET', `/v1/tickets/${ownTicket}`, { token: tenant.tokens.agent })).body.priority,
  ).toBe('critical');
  const late = await h.call('POST', `/v1/agent-executions/${executionId}/approval`, {
    token: tenant.tokens.agent,
    body: { approve: true },
  });
  expect(late.status).toBe(409);
});

test('an approval that does not come in time is a rejection, and the tool does not run', async () => {
  const patched = await h.call('PATCH', `/v1/agents/${agentId}`, {
    token: tenant.tokens.admin,
    body: { limits: { approval_timeout_seconds: 1 } },
  });
  expect(patched.body.limits.approval_timeout_seconds).toBe(1);
  fake.script(
    { toolCalls: [call('set_priority', { ticket_id: ownTicket, priority: 'low' })] },
    { content: 'Left it.' },
  );
  const execution = await finished(await run({ ticket_id: ownTicket }));
  expect(execution.status).toBe('completed');
  expect(execution.steps.map((s: { kind: string; status: string }) => [s.kind, s.status])).toEqual([
    ['model', 'ok'],
    ['approval', 'rejected'],
    ['model', 'ok'],
  ]);
  expect(execution.steps[1].output.by).toBe('timeout');
  expect(
    (await h.call('GET', `/v1/tickets/${ownTicket}`, { token: tenant.tokens.agent })).body.priority,
  ).toBe('critical');
});

test('the loop is bounded by steps and by tokens', async () => {
  await h.call('PATCH', `/v1/agents/${agentId}`, {
    token: tenant.tokens.admin,
    body: { limits: { max_steps: 2 } },
  });
  fake.script(
    { toolCalls: [call('read_ticket', { ticket_id: ownTicket })] },
    { toolCalls: [call('read_ticket', { ticket_id: ownTicket })] },
  );
  const stepped = await finished(await run(null));
  expect(stepped).toMatchObject({ status: 'failed', error: 'step limit reached (2 model calls)' });

  await h.call('PATCH', `/v1/agents/${agentId}`, {
    token: tenant.tokens.admin,
    body: { limits: { max_steps: 8, max_tokens: 200 } },
  });
  fake.script({
    toolCalls: [call('read_ticket', { ticket_id: ownTicket })],
    usage: { prompt_tokens: 150, completion_tokens: 60 },
  });
  const spent = await finished(await run(null));
  expect(spent).toMatchObject({ status: 'failed', error: 'token limit reached (200)' });
  expect(spent.steps.filter((s: { kind: string }) => s.kind === 'tool')).toEqual([]);
  // Each run recorded the version it ran; the limit changes were not versions.
  expect(spent.version_number).toBe(1);
});

test('dispatchTicketEvent starts each matching active agent once per ticket event', async () => {
  await h.call('PATCH', `/v1/agents/${agentId}`, {
    token: tenant.tokens.admin,
    body: { limits: { max_tokens: 20_000 } },
  });
  // A draft agent with the same trigger is not started.
  const draft = await h.call('POST', '/v1/agents', {
    token: tenant.tokens.admin,
    body: {
      name: 'Draft one',
      system_prompt: 'Never runs because it stays a draft.',
      llm_config: { model: 'gpt-4o-mini' },
      triggers: [{ trigger_type: 'ticket_event', ticket_event: 'ticket.created' }],
    },
  });
  expect(draft.status).toBe(201);
  const activities = createAgentActivities({
    agents: new AgentRepository(h.appDb, testSecretBox, h.db),
    runs: new AgentRuns(h.client, h.taskQueue),
  } as unknown as AgentActivityDeps);
  fake.script({ content: 'Seen.' });
  const first = await activities.dispatchTicketEvent({
    tenantId: tenant.id,
    ticketId: ownTicket,
    event: 'ticket.created',
  });
  const again = await activities.dispatchTicketEvent({
    tenantId: tenant.id,
    ticketId: ownTicket,
    event: 'ticket.created',
  });
  expect(first.started).toHaveLength(1);
  expect(again.started).toEqual(first.started);
  expect(first.started[0]).toMatch(new RegExp(`^agent-${agentId}-`));
  // Another breach of another clock is another event: it starts its own run.
  fake.script({ content: 'Seen again.' });
  const breachA = await activities.dispatchTicketEvent({
    tenantId: tenant.id,
    ticketId: ownTicket,
    event: 'ticket.created',
    eventKey: 'second',
  });
  expect(breachA.started).toHaveLength(1);
  expect(breachA.started[0]).not.toBe(first.started[0]);
  const none = await activities.dispatchTicketEvent({
    tenantId: other.id,
    ticketId: foreignTicket,
    event: 'ticket.created',
  });
  expect(none.started).toEqual([]);
  const row = await eventually(async () => {
    const r = await h.db('agent_executions').where({ workflow_id: first.started[0] }).first();
    return r?.status === 'completed' ? r : undefined;
  }, 60_000);
  expect(row).toMatchObject({
    trigger_type: 'ticket_event',
    input_payload: { event: 'ticket.created', ticket_id: ownTicket },
  });
  expect(await h.db('agent_executions').where({ agent_id: draft.body.id })).toEqual([]);
});
