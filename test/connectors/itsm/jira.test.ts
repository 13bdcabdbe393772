import type { ExternalRef } from '../../../src/connectors/itsm/types';
import { FakeJira } from '../../fixtures/fake-itsm/jira';
import { describeItsmConnectorContract, triageRef } from './contract';
import { connectorsFor, expectItsmError, snapshot } from './helpers';

const jira = new FakeJira();
const { connector, withCredentials } = connectorsFor(jira, () => ({
  tool_type: 'jira',
  credentials: { email: jira.email, api_token: jira.apiToken },
  settings: { project_key: 'SUP', custom_fields: { customfield_10000: 'acme' } },
}));

const label = (ticketId: string) => `triage-${ticketId}`;

describeItsmConnectorContract({
  system: 'jira',
  server: () => jira.server,
  connector: (o) => connector(o?.settings, o?.timeoutMs),
  badAuthConnector: () => withCredentials({ email: jira.email, api_token: 'wrong-token-value' }),
  secrets: () => [
    jira.apiToken,
    'wrong-token-value',
    Buffer.from(`${jira.email}:wrong-token-value`).toString('base64'),
  ],
  isCreate: (r) => r.method === 'POST' && r.path === '/rest/api/3/issue',
  ticketsFor: (snap) => jira.issuesWithLabel(label(snap.ticketId)).map((issue) => issue.key),
  commentsOf: (ref) =>
    jira.issues.get(ref.externalId)!.comments.map((comment) => ({
      text: JSON.stringify(comment.body),
      isPublic: !comment.properties.some((p) => p.key === 'sd.public.comment' && (p.value as any).internal),
      eventId: triageRef(JSON.stringify(comment.body)),
    })),
  externalUrl: (ref) => `${jira.url}/browse/${ref.externalId}`,
  statuses: {
    created: 'To Do',
    resolved: 'Done',
    closed: 'Done',
    closedMapsTo: 'resolved',
    updates: [['in_progress', 'In Progress']],
  },
  resolveSettings: { resolution_name: 'Done' },
  lookup: {
    missingRef: () => ({ system: 'jira', externalId: 'SUP-99999', externalUrl: null, externalStatus: null }),
  },
});

describe('jira connector', () => {
  it('creates an issue with ADF description, correlation label, mapped priority and custom fields', async () => {
    const snap = snapshot({ priority: 'critical' });
    const before = jira.server.requests.length;
    const ref = await connector().createTicket(snap, { eventId: 'evt-create-1' });

    expect(ref.externalId).toMatch(/^SUP-\d+$/);

    const sent = jira.server.requests.slice(before);
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /rest/api/3/search/jql',
      'POST /rest/api/3/issue',
      `GET /rest/api/3/issue/${ref.externalId}`,
    ]);
    expect(sent[0]!.query.get('jql')).toBe(`labels = "triage-${snap.ticketId}" ORDER BY created ASC`);
    const create = sent[1]!;
    expect(create.headers.authorization).toBe(
      'Basic ' + Buffer.from(`${jira.email}:${jira.apiToken}`).toString('base64'),
    );
    expect(create.headers['content-type']).toBe('application/json');
    const fields = create.json.fields;
    expect(fields.project).toEqual({ key: 'SUP' });
    expect(fields.issuetype).toEqual({ name: 'Task' });
    expect(fields.summary).toBe(snap.title);
    expect(fields.labels).toEqual([`triage-${snap.ticketId}`]);
    expect(fields.priority).toEqual({ name: 'Highest' });
    expect(fields.customfield_10000).toBe('acme');
    expect(fields.description.type).toBe('doc');
    expect(fields.description.version).toBe(1);
    expect(fields.description.content[0]).toEqual({
      type: 'paragraph',
      content: [
        { type: 'text', text: 'I was charged twice this month, please refund.' },
        { type: 'hardBreak' },
        { type: 'text', text: 'Order #4411.' },
      ],
    });
    expect(create.json.properties).toEqual([
      {
        key: 'support-triage',
        value: { ticketId: snap.ticketId, tenantId: 'acme', eventId: 'evt-create-1' },
      },
    ]);
  });

  it('refuses a ticket id that could inject into JQL', async () => {
    await expectItsmError(connector().findByCorrelation('x" OR project = OTHER'), {
      kind: 'invalid',
      retryable: false,
    });
  });

  describe('on an existing issue', () => {
    let ref: ExternalRef;
    beforeEach(async () => {
      ref = await connector().createTicket(snapshot({ priority: 'low' }), { eventId: 'evt-setup' });
    });

    it('updates priority with PUT and status through a transition', async () => {
      const before = jira.server.requests.length;
      const updated = await connector().updateTicket(ref, { priority: 'high', status: 'in_progress' });
      expect(updated.externalStatus).toBe('In Progress');
      const issue = jira.issues.get(ref.externalId)!;
      expect(issue.fields.priority).toEqual({ name: 'High' });
      expect(issue.fields.status.name).toBe('In Progress');
      const sent = jira.server.requests.slice(before);
      const put = sent.find((r) => r.method === 'PUT')!;
      expect(put.json).toEqual({ fields: { priority: { name: 'High' } } });
      const transition = sent.find((r) => r.method === 'POST' && r.path.endsWith('/transitions'))!;
      expect(transition.json).toEqual({ transition: { id: '21' } });
    });

    it('writes comments as ADF with the event marker, internal notes flagged for JSM', async () => {
      const c = connector();
      await c.addComment(ref, { body: 'We are looking into it.', isPublic: true, eventId: 'evt-c1' });
      await c.addComment(ref, { body: 'Refund approved.', isPublic: false, eventId: 'evt-c2' });
      const comments = jira.issues.get(ref.externalId)!.comments;
      expect(comments[0]!.body).toEqual({
        type: 'doc',
        version: 1,
        content: [
          { type: 'paragraph', content: [{ type: 'text', text: 'We are looking into it.' }] },
          { type: 'paragraph', content: [{ type: 'text', text: '[triage-ref:evt-c1]' }] },
        ],
      });
      expect(comments[0]!.properties).toContainEqual({
        key: 'sd.public.comment',
        value: { internal: false },
      });
      expect(comments[1]!.properties).toContainEqual({ key: 'sd.public.comment', value: { internal: true } });
    });

    it('resolves with the tenant workflow: resolution comment, transition to the target status', async () => {
      await connector({ resolution_name: 'Done' }).resolve(ref, { resolution: 'Refunded', eventId: 'evt-r' });
      const issue = jira.issues.get(ref.externalId)!;
      expect(issue.fields.status.name).toBe('Done');
      expect(issue.fields.resolution).toEqual({ name: 'Done' });
      expect(issue.comments).toHaveLength(1);

      // Resolving again (a retried activity) neither transitions nor comments twice.
      const before = jira.server.requests.length;
      await connector().resolve(ref, { resolution: 'Refunded', eventId: 'evt-r' });
      expect(jira.server.requests.slice(before).filter((r) => r.method === 'POST')).toHaveLength(0);
    });

    it('without auto-transition, resolve only records the resolution', async () => {
      await connector({ auto_transition_on_resolve: false }).resolve(ref, {
        resolution: 'Workaround sent',
        eventId: 'evt-nr',
      });
      expect(jira.issues.get(ref.externalId)!.fields.status.name).toBe('To Do');
      expect(jira.issues.get(ref.externalId)!.comments).toHaveLength(1);
    });

    it('an unknown target status is an invalid (non-retryable) error naming the available transitions', async () => {
      const error = await expectItsmError(connector({ target_status: 'Shipped' }).resolve(ref, {}), {
        kind: 'invalid',
        retryable: false,
      });
      expect(error.message).toContain('Shipped');
      expect(error.message).toContain('In Progress');
    });
  });
});
