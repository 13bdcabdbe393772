/**
 * Tenant AI agents through HTTP, offline (no LLM configured): configuration, versions and rollback, lifecycle,
 * triggers (signed webhook, Temporal Schedule), built-in kinds that run offline, and tenant isolation.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ScheduleNotFoundError } from '@temporalio/client';
import { signV1 } from '../../src/platform/crypto/signing';
import { type Harness, type TestTenant, eventually, startHarness } from '../helpers/harness';

let h: Harness;
let tenant: TestTenant;
let other: TestTenant;

beforeAll(async () => {
  h = await startHarness();
  tenant = await h.createTenant();
  other = await h.createTenant();
});
afterAll(() => h?.stop());

const customAgent = {
  name: 'Triage helper',
  description: 'Summarises new tickets',
  system_prompt: 'You summarise support tickets for agents. Be brief.',
  llm_config: { provider: 'openai', model: 'gpt-4o-mini', temperature: 0.7, max_tokens: 4096 },
  tools: ['read_ticket', 'add_internal_note'],
};

function signedCall(
  agentId: string,
  secret: string,
  body: string,
  timestamp = Math.floor(Date.now() / 1000),
) {
  return h.call('POST', `/v1/agents/${agentId}/webhook`, {
    rawBody: body,
    headers: {
      'content-type': 'application/json',
      'x-signature-timestamp': String(timestamp),
      'x-signature': signV1(secret, timestamp, body),
    },
  });
}

async function createTicket(content: string): Promise<string> {
  const res = await h.call('POST', '/v1/tickets', { token: tenant.tokens.client, body: { content } });
  expect(res.status).toBe(201);
  const id: string = res.body.id;
  await eventually(async () => {
    const t = await h.call('GET', `/v1/tickets/${id}`, { token: tenant.tokens.agent });
    // Triage over: open, or escalated at once by a trigger (with local steps there is no window to see it open).
    return ['new', 'triaging'].includes(t.body.status) ? undefined : t;
  });
  return id;
}

test('create, read, list, patch with versions, rollback; bad input is 400 and writes nothing', async () => {
  const created = await h.call('POST', '/v1/agents', { token: tenant.tokens.admin, body: customAgent });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({
    status: 'draft',
    kind: 'custom',
    current_version: 1,
    created_by: 'admin-bob',
    tools: [
      { name: 'read_ticket', requires_approval: false },
      { name: 'add_internal_note', requires_approval: false },
    ],
  });
  const id = created.body.id;

  // Only admins; other roles are forbidden.
  expect((await h.call('GET', '/v1/agents', { token: tenant.tokens.agent })).status).toBe(403);

  const before = Number((await h.db('agents').count('* as n'))[0]!.n);
  for (const bad of [
    { ...customAgent, system_prompt: 'too short' },
    { ...customAgent, llm_config: { ...customAgent.llm_config, model: 'not-allowed-model' } },
    { ...customAgent, llm_config: { ...customAgent.llm_config, temperature: 2.5 } },
    { ...customAgent, llm_config: { ...customAgent.llm_config, max_tokens: 32_001 } },
    { ...customAgent, tools: ['delete_everything'] },
    { ...customAgent, triggers: [{ trigger_type: 'schedule', schedule_cron: '61 * * * *' }] },
    {
      ...customAgent,
      triggers: [{ trigger_type: 'schedule', schedule_cron: '0 9 * * *', schedule_timezone: 'Nowhere/City' }],
    },
    { ...customAgent, triggers: [{ trigger_type: 'webhook', payload_schema: { type: 'no-such-type' } }] },
    { ...customAgent, surprise: true },
  ]) {
    const res = await h.call('POST', '/v1/agents', { token: tenant.tokens.admin, body: bad });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  }
  expect(Number((await h.db('agents').count('* as n'))[0]!.n)).toBe(before);

  // A name change is not a version; prompt and configuration changes are, each one immutable.
  const renamed = await h.call('PATCH', `/v1/agents/${id}`, {
    token: tenant.tokens.admin,
    body: { name: 'Helper' },
  });
  expect(renamed.body).toMatchObject({ name: 'Helper', current_version: 1, new_version: null });
  const v2 = await h.call('PATCH', `/v1/agents/${id}`, {
    token: tenant.tokens.admin,
    body: { system_prompt: 'You summarise support tickets in one line.' },
  });
  expect(v2.body).toMatchObject({ current_version: 2, new_version: 2 });
  const v3 = await h.call('PATCH', `/v1/agents/${id}`, {
    token: tenant.tokens.admin,
    body: { llm_config: { temperature: 0.1 } },
  });
  expect(v3.body).toMatchObject({
    current_version: 3,
    llm_config: { temperature: 0.1, model: 'gpt-4o-mini' },
  });
  const rolled = await h.call('POST', `/v1/agents/${id}/rollback`, {
    token: tenant.tokens.admin,
    body: { version_number: 1 },
  });
  expect(rolled.status).toBe(200);
  expect(rolled.body).toMatchObject({
    current_version: 4,
    system_prompt: customAgent.system_prompt,
    llm_config: { temperature: 0.7 },
  });
  const versions = await h.call('GET', `/v1/agents/${id}/versions`, { token: tenant.tokens.admin });
  expect(versions.body.items.map((v: { version_number: number }) => v.version_number)).toEqual([4, 3, 2, 1]);
  expect(versions.body.items[0]).toMatchObject({
    rolled_back_from: 1,
    system_prompt: customAgent.system_prompt,
  });
  // The database refuses to rewrite a version.
  await expect(
    h.db('agent_versions').where({ agent_id: id }).update({ system_prompt: 'rewritten history' }),
  ).rejects.toThrow(/immutable/);

  const list = await h.call('GET', '/v1/agents?status=draft', { token: tenant.tokens.admin });
  expect(list.body.items.map((a: { id: string }) => a.id)).toContain(id);

  // Another tenant's admin sees nothing of it.
  expect((await h.call('GET', `/v1/agents/${id}`, { token: other.tokens.admin })).status).toBe(404);
  expect(
    (await h.call('PATCH', `/v1/agents/${id}`, { token: other.tokens.admin, body: { name: 'x' } })).status,
  ).toBe(404);
  expect((await h.call('GET', '/v1/agents', { token: other.tokens.admin })).body.items).toEqual([]);
  expect((await h.call('GET', '/v1/agents/not-a-uuid', { token: tenant.tokens.admin })).status).toBe(404);
});

test('lifecycle: activation needs a trigger and, for a custom prompt, an LLM; illegal moves are 409', async () => {
  const created = await h.call('POST', '/v1/agents', { token: tenant.tokens.admin, body: customAgent });
  const id = created.body.id;
  const noTrigger = await h.call('POST', `/v1/agents/${id}/activate`, { token: tenant.tokens.admin });
  expect(noTrigger.status).toBe(409);
  expect(noTrigger.body.type).toBe('/problems/agent-needs-trigger');

  await h.call('POST', `/v1/agents/${id}/triggers`, {
    token: tenant.tokens.admin,
    body: { trigger_type: 'ticket_event', ticket_event: 'ticket.created' },
  });
  const offline = await h.call('POST', `/v1/agents/${id}/activate`, { token: tenant.tokens.admin });
  expect(offline.status).toBe(409);
  expect(offline.headers.get('content-type')).toContain('application/problem+json');
  expect(offline.body).toMatchObject({
    type: '/problems/llm-not-configured',
    missing_config: ['OPENAI_API_KEY'],
  });
  expect(offline.body.detail).toContain('OPENAI_API_KEY');

  for (const action of ['suspend', 'deactivate']) {
    const res = await h.call('POST', `/v1/agents/${id}/${action}`, { token: tenant.tokens.admin });
    expect(res.status).toBe(409);
    expect(res.body.type).toBe('/problems/invalid-transition');
  }
});

test('a built-in ticket-enhancement agent runs offline from a signed webhook; bad calls start nothing', async () => {
  const created = await h.call('POST', '/v1/agents', {
    token: tenant.tokens.admin,
    body: {
      name: 'Ticket Enhancement Agent',
      kind: 'ticket_enhancement',
      tools: ['add_internal_note'],
      triggers: [
        {
          trigger_type: 'webhook',
          payload_schema: {
            type: 'object',
            required: ['ticket_id'],
            properties: { ticket_id: { type: 'string', format: 'uuid' } },
          },
        },
      ],
    },
  });
  expect(created.status).toBe(201);
  const id = created.body.id;
  const secret: string = created.body.triggers[0].hmac_secret;
  expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  // Shown once: later reads say only that one is configured; at rest it is sealed.
  const read = await h.call('GET', `/v1/agents/${id}`, { token: tenant.tokens.admin });
  expect(read.body.triggers[0]).toMatchObject({
    secret_configured: true,
    webhook_url: `/v1/agents/${id}/webhook`,
  });
  expect(JSON.stringify(read.body)).not.toContain(secret);
  const row = await h.db('agent_triggers').where({ agent_id: id }).first();
  expect(row.hmac_secret_sealed).not.toContain(secret);

  const ticketId = await createTicket('I was charged twice this month, please refund the duplicate payment.');
  const body = JSON.stringify({ ticket_id: ticketId });

  // Not active yet: a correctly signed call is refused and starts nothing.
  expect((await signedCall(id, secret, body)).status).toBe(409);
  const activated = await h.call('POST', `/v1/agents/${id}/activate`, { token: tenant.tokens.admin });
  expect(activated.status).toBe(200);
  expect(activated.body.status).toBe('active');

  const refusals = [
    await signedCall(id, 'wrong-secret', body),
    await signedCall(id, secret, body, Math.floor(Date.now() / 1000) - 3600),
    await h.call('POST', `/v1/agents/${id}/webhook`, {
      rawBody: body,
      headers: { 'content-type': 'application/json' },
    }),
    await signedCall(crypto.randomUUID(), secret, body),
  ];
  expect(refusals.map((r) => r.status)).toEqual([401, 401, 401, 401]);
  const badPayload = await signedCall(id, secret, JSON.stringify({ ticket: 'nope' }));
  expect(badPayload.status).toBe(422);
  expect(badPayload.body.type).toBe('/problems/invalid-payload');
  expect(await h.db('agent_executions').where({ agent_id: id })).toEqual([]);

  const ts = Math.floor(Date.now() / 1000);
  const started = await signedCall(id, secret, body, ts);
  expect(started.status).toBe(202);
  expect(started.body.workflow_id).toBe(`agent-${id}-${started.body.execution_id}`);
  // Replaying the same signed call inside the window starts nothing new.
  const replay = await signedCall(id, secret, body, ts);
  expect(replay.status).toBe(200);
  expect(replay.body).toMatchObject({ status: 'duplicate', execution_id: started.body.execution_id });

  const execution = await eventually(async () => {
    const r = await h.call('GET', `/v1/agent-executions/${started.body.execution_id}`, {
      token: tenant.tokens.admin,
    });
    return r.status === 200 && r.body.status === 'completed' ? r.body : undefined;
  }, 60_000);
  expect(execution).toMatchObject({ trigger_type: 'webhook', version_number: 1, error: null });
  expect(execution.output).toMatchObject({ ticket_id: ticketId, category: 'billing' });
  expect(
    execution.steps.map((s: { kind: string; tool: string; status: string }) => [s.kind, s.tool, s.status]),
  ).toEqual([
    ['model', 'builtin:ticket_enhancement', 'ok'],
    ['tool', 'add_internal_note', 'ok'],
  ]);
  // The note went through the ticket workflow: an internal message by the AI agent.
  const ticket = await h.call('GET', `/v1/tickets/${ticketId}`, { token: tenant.tokens.agent });
  const note = ticket.body.messages.find((m: { body: string }) => m.body.startsWith('AI enhancement'));
  expect(note).toMatchObject({ is_public: false });
  // The run is the workflow, and its result says the same.
  const result = await h.client.workflow.getHandle(started.body.workflow_id).result();
  expect(result).toMatchObject({ execution_id: started.body.execution_id, status: 'completed', error: null });

  const history = await h.call('GET', `/v1/agents/${id}/executions`, { token: tenant.tokens.admin });
  expect(history.body.items.map((e: { id: string }) => e.id)).toEqual([started.body.execution_id]);
  expect(
    (await h.call('GET', `/v1/agent-executions/${started.body.execution_id}`, { token: other.tokens.admin }))
      .status,
  ).toBe(404);
});

test('a schedule trigger is a Temporal Schedule that follows the lifecycle, and its runs are recorded', async () => {
  const created = await h.call('POST', '/v1/agents', {
    token: tenant.tokens.admin,
    body: {
      name: 'SLA digest',
      kind: 'sla_digest',
      triggers: [
        { trigger_type: 'schedule', schedule_cron: '0 9 * * 1-5', schedule_timezone: 'Europe/Paris' },
      ],
    },
  });
  expect(created.status).toBe(201);
  const id = created.body.id;
  expect(created.body.triggers[0].next_fire_times[0]).toMatch(/T0[78]:00:00.000Z$/);
  const handle = h.client.schedule.getHandle(`agent-${id}-schedule`);
  let d = await handle.describe();
  expect(d.state.paused).toBe(true); // a draft agent's schedule waits
  expect(d.spec.timezone).toBe('Europe/Paris');
  expect(d.policies).toMatchObject({ overlap: 'SKIP', catchupWindow: 600_000 });

  expect((await h.call('POST', `/v1/agents/${id}/activate`, { token: tenant.tokens.admin })).status).toBe(
    200,
  );
  d = await handle.describe();
  expect(d.state.paused).toBe(false);

  // Fire it now (as the schedule would at 09:00) and find the run in the history.
  await handle.trigger();
  const execution = await eventually(async () => {
    const r = await h.call('GET', `/v1/agents/${id}/executions`, { token: tenant.tokens.admin });
    return r.body.items[0]?.status === 'completed' ? r.body.items[0] : undefined;
  }, 60_000);
  expect(execution).toMatchObject({ trigger_type: 'schedule', trigger_id: created.body.triggers[0].id });
  expect(execution.workflow_id).toMatch(new RegExp(`^agent-${id}-scheduled-`));
  expect(execution.output).toMatchObject({ at_risk: 0, breached: 0 });

  const changed = await h.call('PATCH', `/v1/agents/${id}/triggers/${created.body.triggers[0].id}`, {
    token: tenant.tokens.admin,
    body: { schedule_cron: '30 7 * * *' },
  });
  expect(changed.status).toBe(200);
  expect((await handle.describe()).spec.calendars?.[0]).toMatchObject({
    hour: [{ start: 7, end: 7, step: 1 }],
  });
  const badCron = await h.call('PATCH', `/v1/agents/${id}/triggers/${created.body.triggers[0].id}`, {
    token: tenant.tokens.admin,
    body: { schedule_cron: '0 25 * * *' },
  });
  expect(badCron.status).toBe(400);

  expect((await h.call('POST', `/v1/agents/${id}/suspend`, { token: tenant.tokens.admin })).status).toBe(200);
  expect((await handle.describe()).state.paused).toBe(true);
  expect((await h.call('POST', `/v1/agents/${id}/activate`, { token: tenant.tokens.admin })).status).toBe(
    200,
  );
  expect((await handle.describe()).state.paused).toBe(false);
  // The last trigger of an active agent cannot go.
  const lastTrigger = await h.call('DELETE', `/v1/agents/${id}/triggers/${created.body.triggers[0].id}`, {
    token: tenant.tokens.admin,
  });
  expect(lastTrigger.status).toBe(409);

  expect((await h.call('POST', `/v1/agents/${id}/deactivate`, { token: tenant.tokens.admin })).status).toBe(
    200,
  );
  await expect(handle.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  // Inactive is terminal.
  const revive = await h.call('POST', `/v1/agents/${id}/activate`, { token: tenant.tokens.admin });
  expect(revive.status).toBe(409);
  expect(
    (await h.call('PATCH', `/v1/agents/${id}`, { token: tenant.tokens.admin, body: { name: 'x' } })).status,
  ).toBe(409);
});

test('a knowledge-gap agent reports unanswered tickets and posts the report, signed, to the tenant channel', async () => {
  const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const channelSecret = 'channel-secret-0123456789';
    const target = await h.call('POST', '/v1/notification-targets', {
      token: tenant.tokens.admin,
      body: { type: 'webhook', name: 'support-leads', url, secret: channelSecret },
    });
    expect(target.status).toBe(201);
    await createTicket('How do I rotate my API token? I cannot find it in the settings.');
    const created = await h.call('POST', '/v1/agents', {
      token: tenant.tokens.admin,
      body: {
        name: 'Knowledge gap',
        kind: 'knowledge_gap',
        tools: [{ name: 'post_notification', requires_approval: false }],
        triggers: [{ trigger_type: 'ticket_event', ticket_event: 'sla.breached' }],
      },
    });
    const id = created.body.id;
    expect((await h.call('POST', `/v1/agents/${id}/activate`, { token: tenant.tokens.admin })).status).toBe(
      200,
    );
    const started = await h.call('POST', `/v1/agents/${id}/run`, { token: tenant.tokens.admin, body: {} });
    expect(started.status).toBe(202);
    const execution = await eventually(async () => {
      const r = await h.call('GET', `/v1/agent-executions/${started.body.execution_id}`, {
        token: tenant.tokens.admin,
      });
      return r.body.status === 'completed' ? r.body : undefined;
    }, 60_000);
    // The same figures straight from the rows: this tenant's current triage results without citations.
    const since = new Date(Date.now() - 7 * 86_400_000);
    const triage = await h
      .db('triage_results')
      .where({ tenant_id: tenant.id, is_current: true })
      .where('created_at', '>=', since);
    const unanswered = triage.filter((t) => t.citations.length === 0);
    expect(unanswered.length).toBeGreaterThan(0);
    expect(execution.output).toMatchObject({ triaged: triage.length, unanswered: unanswered.length });
    expect(execution.output.tool_results).toEqual([
      { tool: 'post_notification', status: 'ok', output: { target: 'support-leads', http_status: 200 } },
    ]);
    expect(received).toHaveLength(1);
    const post = received[0]!;
    expect(post.headers['x-signature']).toBe(
      signV1(channelSecret, String(post.headers['x-signature-timestamp']), post.body),
    );
    expect(JSON.parse(post.body)).toMatchObject({
      type: 'agent.message',
      agent_id: id,
      execution_id: started.body.execution_id,
      text: expect.stringContaining(`${unanswered.length} of ${triage.length} triaged tickets`),
    });
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test('the ticket workflow fires ticket.created and ticket.triaged: an active agent on those events runs once each', async () => {
  const t = await h.createTenant();
  const created = await h.call('POST', '/v1/agents', {
    token: t.tokens.admin,
    body: {
      name: 'Ticket Enhancement Agent',
      kind: 'ticket_enhancement',
      tools: ['add_internal_note'],
      triggers: [
        { trigger_type: 'ticket_event', ticket_event: 'ticket.created' },
        { trigger_type: 'ticket_event', ticket_event: 'ticket.triaged' },
      ],
    },
  });
  expect(created.status).toBe(201);
  const agentId = created.body.id;
  expect((await h.call('POST', `/v1/agents/${agentId}/activate`, { token: t.tokens.admin })).status).toBe(
    200,
  );
  const ticket = await h.call('POST', '/v1/tickets', {
    token: t.tokens.client,
    body: { content: 'The export button does nothing in Firefox' },
  });
  expect(ticket.status).toBe(201);
  const runs = await eventually(async () => {
    const res = await h.call('GET', `/v1/agents/${agentId}/executions`, { token: t.tokens.admin });
    const items = res.body.items as Array<{ trigger_type?: string; status: string }>;
    return items.length >= 2 && items.every((i) => i.status !== 'running') ? items : undefined;
  }, 60_000);
  expect(runs).toHaveLength(2);
  expect(runs.every((r) => r.status === 'completed')).toBe(true);
});
