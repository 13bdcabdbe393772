/**
 * The knowledge base end to end, offline: ingestion workflows with versions and dedup, hybrid search, and
 * tickets whose triage and grounded drafts use it.
 */
import { type Harness, type TestTenant, eventually, startHarness } from '../helpers/harness';
import { kbFitWorkflowId } from '../../src/workflows/messages';

let h: Harness;
let tenant: TestTenant;

const DOCS = {
  password: {
    title: 'Resetting your password',
    external_id: 'kb/password-reset.md',
    content: `# Resetting your password

If you forgot your password, open the sign-in page and choose **Forgot password**. We email you a reset link.

## The reset link expired

Reset links are valid for 30 minutes. If yours expired, request a new link from the sign-in page; the old link
stops working as soon as a new one is sent.

## Two-factor authentication

After a reset you are asked for your two-factor code again.`,
  },
  refunds: {
    title: 'Refund policy',
    external_id: 'kb/refunds.md',
    content: `# Refund policy

Duplicate charges are refunded automatically within 5 business days. Annual plans can be refunded within 14
days of purchase. Refunds go back to the original payment method; we cannot refund to a different card.`,
  },
  export: {
    title: 'Exporting reports to CSV',
    external_id: 'kb/export.html',
    content: `<html><body><h1>Exporting reports</h1><p>Open a report and choose Export, then CSV. Exports with more
than one million rows are split into several files.</p><script>tracking()</script></body></html>`,
  },
};

beforeAll(async () => {
  h = await startHarness();
  tenant = await h.createTenant();
});
afterAll(() => h?.stop());

async function post(doc: { title: string; content: string; external_id: string }, to = tenant) {
  return h.call('POST', '/v1/kb/documents', { token: to.tokens.admin, body: doc });
}

async function fittedChunks(tenantId: string): Promise<number> {
  const latest = await h
    .db('kb_retrieval_models')
    .where({ tenant_id: tenantId })
    .orderBy('version', 'desc')
    .first();
  return latest.fitted_chunks;
}

async function currentChunkCount(tenantId: string): Promise<number> {
  return Number((await h.db('kb_chunks').where({ tenant_id: tenantId, is_current: true }).count())[0]!.count);
}

test('a burst of ingestions costs one or two fits, and the last fit covers every chunk', async () => {
  const bulk = await h.createTenant();
  const topics = ['billing', 'shipping', 'returns', 'accounts', 'exports', 'security', 'invoices', 'plans'];
  const documents = topics.flatMap((topic, i) =>
    [0, 1].map((part) => ({
      title: `${topic} guide ${part}`,
      external_id: `kb/${topic}-${part}.md`,
      content: `# ${topic} guide ${part}\n\nHow ${topic} works, part ${part}. Step ${i} explains ${topic} settings.\n\nAsk support about ${topic} if the steps do not help.`,
    })),
  );
  const posted = await Promise.all(documents.map((doc) => post(doc, bulk)));
  for (const r of posted) expect(r.status).toBe(201);
  const fit = await h.client.workflow.getHandle(kbFitWorkflowId(bulk.id)).result();
  const versions = await h.db('kb_retrieval_models').where({ tenant_id: bulk.id }).count();
  // Sixteen ingestions, one fit workflow: the requests were coalesced (one fit, or two if some arrived mid-fit).
  expect(fit.requests).toBe(documents.length);
  expect(fit.fits).toBeLessThanOrEqual(2);
  expect(Number(versions[0]!.count)).toBeLessThanOrEqual(2);
  expect(await fittedChunks(bulk.id)).toBe(await currentChunkCount(bulk.id));
});

test('documents are ingested by a workflow: created, unchanged on repeat, versioned on change', async () => {
  const ingested: string[] = [];
  for (const doc of Object.values(DOCS)) {
    const r = await post(doc);
    ingested.push(r.body.document.id);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      status: 'created',
      document: { status: 'ready', is_current: true, version: 1 },
    });
    expect(r.body.document.chunk_count).toBeGreaterThan(0);
    const run = await h.client.workflow.getHandle(`kb-ingest-${r.body.document.id}`).describe();
    expect(run.status.name).toBe('COMPLETED');
  }
  const html = await h
    .db('kb_documents')
    .where({ tenant_id: tenant.id, external_id: DOCS.export.external_id })
    .first();
  expect(html.format).toBe('html');
  const htmlChunks = await h.db('kb_chunks').where({ document_id: html.id });
  expect(htmlChunks.map((c) => c.text).join(' ')).not.toContain('tracking');

  // After the ingestions the tenant's fit workflow (one per tenant, signalled by each ingestion) fits the
  // tenant's retrieval model once they stop; its last fit covers every chunk.
  const fit = await h.client.workflow.getHandle(kbFitWorkflowId(tenant.id)).result();
  expect(fit.fits).toBeGreaterThanOrEqual(1);
  expect(['refitted', 'folded_in']).toContain(fit.last.action);
  expect(await fittedChunks(tenant.id)).toBe(await currentChunkCount(tenant.id));

  const again = await post(DOCS.refunds);
  expect(again.status).toBe(200);
  expect(again.body.status).toBe('unchanged');

  const changed = await post({
    ...DOCS.refunds,
    content: `${DOCS.refunds.content}\n\nMonthly plans are not refunded.`,
  });
  expect(changed.status).toBe(200);
  expect(changed.body).toMatchObject({ status: 'updated', document: { version: 2, is_current: true } });
  const versions = await h
    .db('kb_documents')
    .where({ tenant_id: tenant.id, external_id: DOCS.refunds.external_id })
    .orderBy('version');
  expect(versions.map((v) => [v.version, v.is_current, v.status, v.archived_at !== null])).toEqual([
    [1, false, 'archived', true],
    [2, true, 'ready', false],
  ]);
  const oldChunks = await h.db('kb_chunks').where({ document_id: versions[0].id });
  expect(oldChunks.every((c) => !c.is_current && c.archived_at)).toBe(true);

  const list = await h.call('GET', '/v1/kb/documents', { token: tenant.tokens.agent });
  expect(list.body.items).toHaveLength(3);
  const all = await h.call('GET', '/v1/kb/documents?include_archived=true', { token: tenant.tokens.agent });
  expect(all.body.items).toHaveLength(4);
});

test('search returns the right passages with their sources; archived documents drop out', async () => {
  const search = (query: string) =>
    h.call('POST', '/v1/kb/search', { token: tenant.tokens.agent, body: { query } });
  const r = await search('my password reset link has expired');
  expect(r.status).toBe(200);
  expect(r.body.results[0]).toMatchObject({
    title: 'Resetting your password',
    external_id: DOCS.password.external_id,
  });
  expect(Object.keys(r.body.results[0]).sort()).toEqual([
    'chunk_id',
    'document_id',
    'external_id',
    'score',
    'text',
    'title',
  ]);
  const refund = await search('I was charged twice, when do I get the money back?');
  expect(refund.body.results[0].title).toBe('Refund policy');
  expect(refund.body.results[0].text).toContain('Monthly plans are not refunded');

  const exportDoc = (await h.call('GET', '/v1/kb/documents', { token: tenant.tokens.agent })).body.items.find(
    (d: { title: string }) => d.title === 'Exporting reports to CSV',
  );
  expect(
    (await h.call('DELETE', `/v1/kb/documents/${exportDoc.id}`, { token: tenant.tokens.admin })).status,
  ).toBe(204);
  const afterDelete = await search('export a report to csv');
  expect(afterDelete.body.results.map((x: { document_id: string }) => x.document_id)).not.toContain(
    exportDoc.id,
  );

  // Roles and bad input.
  expect(
    (await h.call('POST', '/v1/kb/search', { token: tenant.tokens.client, body: { query: 'x' } })).status,
  ).toBe(403);
  expect(
    (await h.call('POST', '/v1/kb/documents', { token: tenant.tokens.agent, body: DOCS.password })).status,
  ).toBe(403);
  const bad = await h.call('POST', '/v1/kb/documents', {
    token: tenant.tokens.admin,
    body: { title: '', content: 'x', colour: 1 },
  });
  expect(bad.status).toBe(400);
  expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['title']));
  expect(
    (await h.call('POST', '/v1/kb/search', { token: tenant.tokens.agent, body: { query: '' } })).status,
  ).toBe(400);
  // Another tenant sees nothing of this knowledge base.
  const other = await h.createTenant();
  const foreign = await h.call('POST', '/v1/kb/search', {
    token: other.tokens.agent,
    body: { query: 'password reset link' },
  });
  expect(foreign.body.results).toEqual([]);
});

async function triaged(content: string) {
  const created = await h.call('POST', '/v1/tickets', { token: tenant.tokens.client, body: { content } });
  const id = created.body.id;
  return eventually(async () => {
    const r = await h.call('GET', `/v1/tickets/${id}`, { token: tenant.tokens.agent });
    return r.body.triage && r.body.status !== 'triaging' ? r.body : undefined;
  });
}

test('a ticket about a documented topic gets the right category and a draft citing that document', async () => {
  const ticket = await triaged(
    'I forgot my password and the reset link in the email has expired. How can I log in?',
  );
  expect(ticket.category).toBe('technical');
  expect(ticket.triage.language).toBe('en');
  expect(ticket.draft.citations.length).toBeGreaterThan(0);
  const cited = await h.db('kb_chunks').whereIn('id', ticket.draft.citations);
  expect(cited).toHaveLength(ticket.draft.citations.length); // citations name chunks that exist
  const docs = await h.db('kb_documents').whereIn(
    'id',
    cited.map((c) => c.document_id),
  );
  expect(docs.map((d) => d.title)).toContain('Resetting your password');
  expect(ticket.draft.body).toContain('30 minutes');
  expect(ticket.draft.body).toContain('Resetting your password');
});

test('the draft answers in the customer language, and says plainly when nothing relevant is known', async () => {
  const german = await triaged(
    'Ich habe mein Passwort vergessen und der Link zum Zurücksetzen ist abgelaufen.',
  );
  expect(german.triage.language).toBe('de');
  expect(german.draft.body.startsWith('Hallo')).toBe(true);

  const unknown = await triaged('Does your product support exporting invoices to the Martian tax authority?');
  expect(unknown.draft.citations).toEqual([]);
  expect(unknown.draft.body).toContain('knowledge base has no article');
});

test('a chargeback threat escalates the ticket with its reason', async () => {
  const ticket = await triaged(
    'If this double charge is not refunded today I will file a chargeback with my bank.',
  );
  expect(ticket.category).toBe('billing');
  const live = await eventually(async () => {
    const r = await h.call('GET', `/v1/tickets/${ticket.id}/workflow`, { token: tenant.tokens.agent });
    return r.body.status === 'escalated' ? r.body : undefined;
  });
  expect(live.escalation_level).toBeGreaterThanOrEqual(1);
  const audit = await h.db('audit_log').where({ ticket_id: ticket.id, action: 'escalate' }).first();
  expect(audit.changes.reason).toMatch(/trigger words: .*chargeback/);
});
