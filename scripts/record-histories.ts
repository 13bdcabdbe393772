/**
 * Records ticket workflow histories from real runs into test/histories/, the replay corpus that keeps workflow
 * changes compatible with tickets already running. Append-only: a history that exists is never written again
 * (a change that breaks one is guarded with patched(), never re-recorded). Each scenario drives one path.
 *
 *   npx tsx scripts/record-histories.ts [scenario …]
 *
 * The `continue-as-new…` scenarios need a server that suggests continuing early: run them alone against one started with
 * `--dynamic-config-value limit.historyCount.suggestContinueAsNew=120` (TEMPORAL_ADDRESS=that server).
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { run, withProduct } from '../bench/support';
import { type Harness, type TestTenant, eventually } from '../test/helpers/harness';
import { FakeJira, signedJiraWebhook } from '../test/fixtures/fake-itsm/jira';
import { receiver } from '../test/fixtures/http-receiver';
import { ownValue } from '../src/domain/lookup';

const DIR = path.join(__dirname, '..', 'test', 'histories');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const INBOUND_SECRET = 'jira-inbound-secret-0123456789';

interface Ctx {
  h: Harness;
  jira: FakeJira;
}

async function ticket(h: Harness, tenant: TestTenant, content: string, priority = 'medium'): Promise<string> {
  const r = await h.call('POST', '/v1/tickets', { token: tenant.tokens.client, body: { content, priority } });
  if (r.status !== 201) throw new Error(`create: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id as string;
}

async function untilStatus(h: Harness, tenant: TestTenant, id: string, statuses: string[]): Promise<void> {
  await eventually(
    async () =>
      statuses.includes(
        (await h.call('GET', `/v1/tickets/${id}/workflow`, { token: tenant.tokens.agent })).body.status,
      ),
    60_000,
  );
}

async function act(h: Harness, token: string, id: string, action: string, body: object = {}): Promise<void> {
  const r = await h.call('POST', `/v1/tickets/${id}/${action}`, { token, body });
  if (r.status >= 300) throw new Error(`${action}: ${r.status} ${JSON.stringify(r.body)}`);
}

async function connectJira(h: Harness, tenant: TestTenant, jira: FakeJira): Promise<void> {
  const r = await h.call('PUT', '/v1/integrations/itsm', {
    token: tenant.tokens.admin,
    body: {
      tool_type: 'jira',
      base_url: jira.url,
      credentials: { email: jira.email, api_token: jira.apiToken },
      settings: { project_key: 'SUP' },
      inbound_secret: INBOUND_SECRET,
    },
  });
  if (r.status !== 200) throw new Error(`jira: ${r.status} ${JSON.stringify(r.body)}`);
}

async function notifyTo(h: Harness, tenant: TestTenant, url: string): Promise<void> {
  const r = await h.call('POST', '/v1/notification-targets', {
    token: tenant.tokens.admin,
    body: { type: 'webhook', name: 'ops hook', url, secret: 'hook-secret-0123456789abcdef' },
  });
  if (r.status !== 201) throw new Error(`target: ${r.status} ${JSON.stringify(r.body)}`);
}

/** Each scenario returns the ticket ids whose workflows it drove; their histories are saved once it is done. */
const scenarios: Record<string, (ctx: Ctx) => Promise<string[]>> = {
  async 'ai-failed'({ h }) {
    // The classifier is down for good: four attempts, then ai_failed; the ticket stays workable.
    await h.stopWorker();
    await h.startWorker({
      classifier: {
        classify: async () => {
          throw new Error('model server unavailable');
        },
      },
    } as never);
    try {
      const tenant = await h.createTenant();
      const id = await ticket(h, tenant, 'The dashboard shows a blank page');
      await untilStatus(h, tenant, id, ['ai_failed']);
      await act(h, tenant.tokens.agent, id, 'assign', { assignee: 'alice' });
      await act(h, tenant.tokens.agent, id, 'resolve', { resolution: 'cleared the cache' });
      await act(h, tenant.tokens.agent, id, 'close');
      return [id];
    } finally {
      await h.stopWorker();
      await h.startWorker();
    }
  },

  async 'every-action'({ h }) {
    const tenant = await h.createTenant({
      sla_policy: { targets: { medium: { first_response_seconds: 600, resolution_seconds: 3600 } } },
    });
    const id = await ticket(h, tenant, 'Our invoices show the wrong VAT number');
    await untilStatus(h, tenant, id, ['open']);
    const agent = tenant.tokens.agent;
    await act(h, agent, id, 'assign', { assignee: 'alice' });
    await act(h, agent, id, 'messages', { body: 'Internal: check the billing profile', internal: true });
    await act(h, agent, id, 'messages', {
      body: 'Could you send an invoice number?',
      next_status: 'pending_customer',
    });
    await act(h, tenant.tokens.client, id, 'messages', { body: 'INV-2291' });
    await act(h, agent, id, 'messages', { body: 'Asked the vendor', next_status: 'pending_vendor' });
    await act(h, agent, id, 'priority', { priority: 'high' });
    await act(h, agent, id, 'escalate', { reason: 'billing engineering', level: 2 });
    // The tenant's policy changes while the ticket is open: applied to it by the bulk workflow (a signal).
    const policy = await h.call('PUT', '/v1/sla-policy', {
      token: tenant.tokens.admin,
      body: { targets: { high: { first_response_seconds: 900, resolution_seconds: 7200 } } },
    });
    if (policy.status !== 200) throw new Error(`policy: ${policy.status} ${JSON.stringify(policy.body)}`);
    const apply = await h.call('POST', '/v1/sla-policy/apply', { token: tenant.tokens.admin, body: {} });
    if (apply.status >= 300) throw new Error(`apply: ${apply.status} ${JSON.stringify(apply.body)}`);
    await eventually(
      async () => (await h.db('audit_log').where({ ticket_id: id, action: 'sla_policy_applied' }))[0],
    );
    await act(h, agent, id, 'resolve', { resolution: 'corrected the VAT number' });
    await act(h, agent, id, 'reopen', { reason: 'customer says still wrong' });
    await act(h, agent, id, 'resolve', { resolution: 'corrected again' });
    await act(h, agent, id, 'close', { reason: 'confirmed' });
    return [id];
  },

  async 'sla-breach-escalation'({ h }) {
    const tenant = await h.createTenant({
      sla_policy: {
        targets: {
          medium: { first_response_seconds: 2, resolution_seconds: 4 },
          high: { first_response_seconds: 3, resolution_seconds: 5 },
        },
        warning_thresholds: [0.5, 0.75],
        escalation: { raise_priority: true, escalation_level: 2, reassign_to: 'tier2', notify: true },
      },
    });
    const id = await ticket(h, tenant, 'Exports time out for every report');
    await eventually(
      async () => (await h.db('sla_events').where({ ticket_id: id, kind: 'breach' })).length >= 1,
      60_000,
    );
    await sleep(1000);
    await act(h, tenant.tokens.agent, id, 'messages', { body: 'We are on it' });
    await act(h, tenant.tokens.agent, id, 'resolve');
    await act(h, tenant.tokens.agent, id, 'close');
    return [id];
  },

  async 'auto-close'({ h }) {
    // 0.001 h = 3.6 s after resolution the ticket closes by itself.
    const tenant = await h.createTenant({ auto_close_after_hours: 0.001 });
    const id = await ticket(h, tenant, 'Please change my email address');
    await untilStatus(h, tenant, id, ['open']);
    await act(h, tenant.tokens.agent, id, 'messages', { body: 'Done' });
    await act(h, tenant.tokens.agent, id, 'resolve');
    await untilStatus(h, tenant, id, ['closed']);
    return [id];
  },

  async 'itsm-outage-and-inbound'({ h, jira }) {
    const tenant = await h.createTenant({
      sla_policy: { targets: { medium: { first_response_seconds: 3, resolution_seconds: 600 } } },
    });
    await connectJira(h, tenant, jira);
    // Jira is down for the first three attempts, past the first SLA warning; then the sync completes.
    jira.server.inject({ status: 503, body: { errorMessages: ['maintenance'] } }, 3);
    const id = await ticket(h, tenant, 'Single sign-on stopped working for our team');
    await eventually(async () => jira.issuesWithLabel(`triage-${id}`).length === 1, 60_000, 500);
    await act(h, tenant.tokens.agent, id, 'messages', { body: 'Looking into it' });
    // Jira says Done: a signed inbound webhook resolves the ticket (an update with origin itsm).
    const key = jira.issuesWithLabel(`triage-${id}`)[0]!.key;
    const signed = signedJiraWebhook(
      {
        timestamp: Date.now(),
        webhookEvent: 'jira:issue_updated',
        user: { accountId: 'human-agent' },
        issue: { id: '1', key, fields: { labels: [`triage-${id}`], status: { name: 'Done' } } },
        changelog: {
          id: '9',
          items: [{ field: 'status', fieldId: 'status', fromString: 'In Progress', toString: 'Done' }],
        },
      },
      INBOUND_SECRET,
    );
    const inbound = await h.call('POST', `/v1/integrations/itsm/inbound/${tenant.slug}`, {
      rawBody: signed.raw,
      headers: signed.headers,
    });
    if (inbound.status !== 200) throw new Error(`inbound: ${inbound.status} ${JSON.stringify(inbound.body)}`);
    await act(h, tenant.tokens.agent, id, 'close');
    return [id];
  },

  async 'sla-notification'({ h }) {
    // Warning and breach delivered to a webhook that is down for the first two attempts.
    const hook = await receiver(2);
    try {
      const tenant = await h.createTenant({
        sla_policy: {
          targets: { medium: { first_response_seconds: 3, resolution_seconds: 600 } },
          warning_thresholds: [0.5],
          escalation: { notify: true },
        },
      });
      await notifyTo(h, tenant, hook.url);
      const id = await ticket(h, tenant, 'The API returns 500 on every call');
      await eventually(async () => hook.received.length >= 2, 60_000, 250);
      await act(h, tenant.tokens.agent, id, 'messages', { body: 'Fixed' });
      await act(h, tenant.tokens.agent, id, 'resolve');
      await act(h, tenant.tokens.agent, id, 'close');
      return [id];
    } finally {
      await hook.close();
    }
  },

  async 'agent-ticket-events'({ h }) {
    // Ticket events for the tenant's AI agents (patched in): created, triaged, and an SLA breach.
    const tenant = await h.createTenant({
      sla_policy: { targets: { medium: { first_response_seconds: 3, resolution_seconds: 600 } } },
    });
    const agent = await h.call('POST', '/v1/agents', {
      token: tenant.tokens.admin,
      body: {
        name: 'Ticket Enhancement Agent',
        kind: 'ticket_enhancement',
        tools: ['add_internal_note'],
        triggers: [
          { trigger_type: 'ticket_event', ticket_event: 'ticket.triaged' },
          { trigger_type: 'ticket_event', ticket_event: 'sla.breached' },
        ],
      },
    });
    if (agent.status !== 201) throw new Error(`agent: ${agent.status} ${JSON.stringify(agent.body)}`);
    await h.call('POST', `/v1/agents/${agent.body.id}/activate`, { token: tenant.tokens.admin });
    const id = await ticket(h, tenant, 'The export button does nothing in Firefox');
    await eventually(
      async () => (await h.db('sla_events').where({ ticket_id: id, kind: 'breach' }))[0],
      60_000,
    );
    await sleep(3000);
    await act(h, tenant.tokens.agent, id, 'messages', { body: 'Fixed in the next release' });
    await act(h, tenant.tokens.agent, id, 'resolve');
    await act(h, tenant.tokens.agent, id, 'close');
    return [id];
  },

  async 'continue-as-new-carries-work'({ h }) {
    // The patched continue-as-new: notifications still retrying are carried to the next run, clocks keep running.
    const hook = await receiver(4);
    try {
      const tenant = await h.createTenant({
        sla_policy: {
          targets: { medium: { first_response_seconds: 4, resolution_seconds: 10 } },
          warning_thresholds: [0.5],
          escalation: { notify: true },
        },
      });
      await notifyTo(h, tenant, hook.url);
      const id = await ticket(h, tenant, 'Our mobile app crashes at login');
      await untilStatus(h, tenant, id, ['open']);
      for (let i = 0; i < 16; i++) {
        await act(h, tenant.tokens.client, id, 'messages', { body: `More detail ${i}` });
        await sleep(700);
      }
      await eventually(async () => hook.received.length >= 4, 90_000, 250);
      await act(h, tenant.tokens.agent, id, 'messages', { body: 'Fixed in 4.2.1' });
      await act(h, tenant.tokens.agent, id, 'resolve');
      await act(h, tenant.tokens.agent, id, 'close');
      return [id];
    } finally {
      await hook.close();
    }
  },

  async 'continue-as-new'({ h }) {
    // A long conversation with live clocks: the server suggests continuing as new every ~120 events.
    const tenant = await h.createTenant({
      sla_policy: {
        targets: { medium: { first_response_seconds: 3, resolution_seconds: 9 } },
        warning_thresholds: [0.5],
        escalation: { notify: true },
      },
    });
    const id = await ticket(h, tenant, 'Our mobile app crashes at login');
    await untilStatus(h, tenant, id, ['open']);
    for (let i = 0; i < 12; i++) {
      await act(h, tenant.tokens.client, id, 'messages', { body: `More detail ${i}` });
      await sleep(400);
    }
    await sleep(8000); // the resolution clock warns and breaches across the runs
    await act(h, tenant.tokens.agent, id, 'messages', { body: 'Fixed in 4.2.1' });
    await act(h, tenant.tokens.agent, id, 'resolve');
    await act(h, tenant.tokens.agent, id, 'close');
    return [id];
  },

  // Recorded after the patch `local-short-steps`: the same paths with store and offline-model steps as local
  // activities (markers in the history instead of scheduled activities).
  'local-short-steps-every-action': (ctx) => scenarios['every-action']!(ctx),
  'local-short-steps-sla-notification': (ctx) => scenarios['sla-notification']!(ctx),
  'local-short-steps-sla-breach-escalation': (ctx) => scenarios['sla-breach-escalation']!(ctx),
  // After the patch `local-integration-checks`: ITSM and agent-event checks as local activities.
  'local-integration-checks-agent-ticket-events': (ctx) => scenarios['agent-ticket-events']!(ctx),
  'local-integration-checks-itsm': (ctx) => scenarios['itsm-outage-and-inbound']!(ctx),
  'local-integration-checks-every-action': (ctx) => scenarios['every-action']!(ctx),
  // After the patch `triage-in-fewer-steps`: the start's persist says whether models are offline, the models in
  // one step, the result + completion + escalation triggers in one, an ITSM "none" answer reused.
  'triage-in-fewer-steps-every-action': (ctx) => scenarios['every-action']!(ctx),
  'triage-in-fewer-steps-ai-failed': (ctx) => scenarios['ai-failed']!(ctx),
  'triage-in-fewer-steps-sla-breach-escalation': (ctx) => scenarios['sla-breach-escalation']!(ctx),
  'triage-in-fewer-steps-itsm': (ctx) => scenarios['itsm-outage-and-inbound']!(ctx),
  'triage-in-fewer-steps-agent-ticket-events': (ctx) => scenarios['agent-ticket-events']!(ctx),
  async 'triage-in-fewer-steps-escalation-trigger'({ h }) {
    // A refund request: seed 003's triggers escalate it as soon as it is triaged (decided by completeTriage).
    const tenant = await h.createTenant();
    const id = await ticket(
      h,
      tenant,
      'I was charged twice for my invoice this month, please refund the duplicate',
    );
    await eventually(async () => (await h.db('audit_log').where({ ticket_id: id, action: 'escalate' }))[0]);
    await act(h, tenant.tokens.agent, id, 'resolve', { resolution: 'refunded' });
    await act(h, tenant.tokens.agent, id, 'close');
    return [id];
  },
  async 'triage-in-fewer-steps-helpers-fail'({ h }) {
    // Retrieval and drafting fail inside the one model step: the ticket is triaged without them.
    await h.stopWorker();
    await h.startWorker({
      retriever: {
        retrieve: async () => {
          throw new Error('vector store unavailable');
        },
      },
      drafter: {
        draft: async () => {
          throw new Error('drafter unavailable');
        },
      },
    } as never);
    try {
      const tenant = await h.createTenant();
      const id = await ticket(h, tenant, 'The login page does not load on Safari');
      await untilStatus(h, tenant, id, ['open']);
      await act(h, tenant.tokens.agent, id, 'resolve', { resolution: 'browser update' });
      await act(h, tenant.tokens.agent, id, 'close');
      return [id];
    } finally {
      await h.stopWorker();
      await h.startWorker();
    }
  },
  async 'triage-in-fewer-steps-model-api'({ h }) {
    // Models behind an API (not offline): the three model steps stay regular activities.
    await h.stopWorker();
    await h.startWorker({ modelsAreLocal: false });
    try {
      const tenant = await h.createTenant();
      const id = await ticket(h, tenant, 'The mobile app logs me out every few minutes');
      await untilStatus(h, tenant, id, ['open']);
      await act(h, tenant.tokens.agent, id, 'resolve', { resolution: 'fixed in 4.2' });
      await act(h, tenant.tokens.agent, id, 'close');
      return [id];
    } finally {
      await h.stopWorker();
      await h.startWorker();
    }
  },
  // ticketWorkflowV2: the same paths in the type with every patch built in (no patch markers, no
  // TemporalChangeVersion upserts), see src/workflows/ticket/versions.ts.
  'v2-every-action': (ctx) => scenarios['every-action']!(ctx),
  'v2-ai-failed': (ctx) => scenarios['ai-failed']!(ctx),
  'v2-sla-notification': (ctx) => scenarios['sla-notification']!(ctx),
  'v2-sla-breach-escalation': (ctx) => scenarios['sla-breach-escalation']!(ctx),
  'v2-itsm': (ctx) => scenarios['itsm-outage-and-inbound']!(ctx),
  'v2-agent-ticket-events': (ctx) => scenarios['agent-ticket-events']!(ctx),
  'v2-escalation-trigger': (ctx) => scenarios['triage-in-fewer-steps-escalation-trigger']!(ctx),
  'v2-helpers-fail': (ctx) => scenarios['triage-in-fewer-steps-helpers-fail']!(ctx),
  'v2-model-api': (ctx) => scenarios['triage-in-fewer-steps-model-api']!(ctx),
  'v2-auto-close': (ctx) => scenarios['auto-close']!(ctx),
  // ticketWorkflowV3: V2 with its own patches built in (search attributes by changed key, no ItsmSync flip for a
  // tenant without a tool, one SLA timer per wake time), see src/workflows/ticket/versions.ts.
  'v3-every-action': (ctx) => scenarios['every-action']!(ctx),
  'v3-ai-failed': (ctx) => scenarios['ai-failed']!(ctx),
  'v3-sla-notification': (ctx) => scenarios['sla-notification']!(ctx),
  'v3-sla-breach-escalation': (ctx) => scenarios['sla-breach-escalation']!(ctx),
  'v3-itsm': (ctx) => scenarios['itsm-outage-and-inbound']!(ctx),
  'v3-agent-ticket-events': (ctx) => scenarios['agent-ticket-events']!(ctx),
  'v3-escalation-trigger': (ctx) => scenarios['triage-in-fewer-steps-escalation-trigger']!(ctx),
  'v3-helpers-fail': (ctx) => scenarios['triage-in-fewer-steps-helpers-fail']!(ctx),
  'v3-model-api': (ctx) => scenarios['triage-in-fewer-steps-model-api']!(ctx),
  'v3-auto-close': (ctx) => scenarios['auto-close']!(ctx),
  // ticketWorkflowV4: V3 with a triage's search attributes upserted once (search-attributes-once-per-triage).
  'v4-every-action': (ctx) => scenarios['every-action']!(ctx),
  'v4-ai-failed': (ctx) => scenarios['ai-failed']!(ctx),
  'v4-sla-notification': (ctx) => scenarios['sla-notification']!(ctx),
  'v4-sla-breach-escalation': (ctx) => scenarios['sla-breach-escalation']!(ctx),
  'v4-itsm': (ctx) => scenarios['itsm-outage-and-inbound']!(ctx),
  'v4-agent-ticket-events': (ctx) => scenarios['agent-ticket-events']!(ctx),
  'v4-escalation-trigger': (ctx) => scenarios['triage-in-fewer-steps-escalation-trigger']!(ctx),
  'v4-helpers-fail': (ctx) => scenarios['triage-in-fewer-steps-helpers-fail']!(ctx),
  'v4-model-api': (ctx) => scenarios['triage-in-fewer-steps-model-api']!(ctx),
  'v4-auto-close': (ctx) => scenarios['auto-close']!(ctx),
};

async function saveAll(h: Harness, scenario: string, ids: string[]): Promise<void> {
  for (const id of ids) {
    const handle = h.client.workflow.getHandle(`ticket-${id}`);
    await eventually(async () => (await handle.describe()).status.name !== 'RUNNING', 60_000, 250).catch(() =>
      console.warn(`${scenario}: ticket-${id} still running; saving its history so far`),
    );
    // Every run of the workflow, oldest first (continue-as-new makes a chain).
    const runs = [];
    for await (const execution of h.client.workflow.list({ query: `WorkflowId = 'ticket-${id}'` }))
      runs.push(execution);
    runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
    for (const [index, execution] of runs.entries()) {
      const name = runs.length > 1 ? `${scenario}-run${index + 1}` : scenario;
      const file = path.join(DIR, `${name}.json`);
      if (fs.existsSync(file)) {
        console.log(`kept ${file}: histories are recorded once`);
        continue;
      }
      const history = await h.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      fs.writeFileSync(file, historyToJSON(history));
      console.log(`wrote ${file} (${history.events?.length} events)`);
    }
  }
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const names = wanted.length
    ? wanted
    : Object.keys(scenarios).filter((n) => !n.startsWith('continue-as-new'));
  const jira = await new FakeJira().start();
  try {
    await withProduct(async (h) => {
      for (const name of names) {
        const scenario = ownValue(scenarios, name);
        if (!scenario) throw new Error(`unknown scenario ${name}`);
        console.log(`recording ${name}`);
        await saveAll(h, name, await scenario({ h, jira }));
      }
    });
  } finally {
    await jira.stop();
  }
}

run(main);
