/**
 * Records the history of a full ticket lifecycle into test/histories/, for the replay test that keeps workflow
 * changes compatible with tickets already running. Run after a deliberate, versioned workflow change:
 *   npx tsx scripts/record-history.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { run, withProduct } from '../bench/support';
import { eventually } from '../test/helpers/harness';

async function main(): Promise<void> {
  await withProduct(async (h) => {
    const tenant = await h.createTenant({
      sla_policy: { targets: { medium: { first_response_seconds: 2, resolution_seconds: 3 } } },
    });
    const created = await h.call('POST', '/v1/tickets', {
      token: tenant.tokens.client,
      body: { content: 'My export fails with an error', priority: 'medium' },
    });
    const id = created.body.id as string;
    const agent = tenant.tokens.agent;
    await eventually(
      async () =>
        (await h.call('GET', `/v1/tickets/${id}/workflow`, { token: agent })).body.status === 'open',
    );
    await h.call('POST', `/v1/tickets/${id}/assign`, { token: agent, body: { assignee: 'alice' } });
    await new Promise((r) => setTimeout(r, 3500)); // let warnings and breaches fire
    await h.call('POST', `/v1/tickets/${id}/messages`, {
      token: agent,
      body: { body: 'Looking', next_status: 'pending_customer' },
    });
    await h.call('POST', `/v1/tickets/${id}/messages`, {
      token: tenant.tokens.client,
      body: { body: 'Here is the file' },
    });
    await h.call('POST', `/v1/tickets/${id}/escalate`, {
      token: agent,
      body: { reason: 'engineering', level: 2 },
    });
    await h.call('POST', `/v1/tickets/${id}/resolve`, { token: agent, body: { resolution: 'fixed' } });
    await h.call('POST', `/v1/tickets/${id}/reopen`, { token: agent, body: {} });
    await h.call('POST', `/v1/tickets/${id}/resolve`, { token: agent, body: {} });
    await h.call('POST', `/v1/tickets/${id}/close`, { token: agent, body: {} });
    const handle = h.client.workflow.getHandle(`ticket-${id}`);
    await handle.result();
    const history = await handle.fetchHistory();
    const file = path.join(__dirname, '..', 'test', 'histories', 'ticket-full-lifecycle.json');
    // The same JSON format as the Temporal CLI's and UI's history export.
    fs.writeFileSync(file, historyToJSON(history));
    console.log(`wrote ${file} (${history.events?.length} events)`);
  });
}

run(main);
