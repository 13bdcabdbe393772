import { createHmac } from 'node:crypto';
import { parseItsmConfig, type ItsmConfig } from '../../../src/connectors/itsm/config';
import { parseInbound, verifyInbound, ZENDESK_TRIGGER_TEMPLATE } from '../../../src/connectors/itsm/inbound';
import { signedHeaders } from '../../../src/platform/crypto/signing';
import type { ToolType } from '../../../src/connectors/itsm/types';

const secret = 'inbound-secret-0123456789abcdef';
const now = Date.parse('2026-03-01T12:00:00Z');
const nowS = Math.floor(now / 1000);

function ours(body: string, ts = nowS, key = secret): Record<string, string> {
  const sig = 'v1=' + createHmac('sha256', key).update(`${ts}.${body}`).digest('hex');
  return { 'X-Signature-Timestamp': String(ts), 'X-Signature': sig, 'X-Event-Id': 'evt-123' };
}

function zendesk(body: string, ts = '2026-03-01T12:00:00Z', key = secret): Record<string, string> {
  return {
    'x-zendesk-webhook-signature': createHmac('sha256', key)
      .update(ts + body)
      .digest('base64'),
    'x-zendesk-webhook-signature-timestamp': ts,
    'x-zendesk-webhook-invocation-id': 'inv-9',
  };
}

function jiraHeaders(body: string, key = secret): Record<string, string> {
  return {
    'x-hub-signature': 'sha256=' + createHmac('sha256', key).update(body).digest('hex'),
    'x-atlassian-webhook-identifier': 'wh-77',
  };
}

describe('verifyInbound', () => {
  const body = JSON.stringify({
    event_id: 'evt-123',
    type: 'ticket.status_changed',
    external_id: 'X-1',
    status: 'resolved',
  });

  describe.each<ToolType>(['webhook', 'servicenow', 'servicedesk_plus'])('our scheme (%s)', (tool) => {
    it('accepts a valid signature and returns the event id', () => {
      expect(verifyInbound(tool, { headers: ours(body), rawBody: body, secret, now })).toEqual({
        ok: true,
        eventId: 'evt-123',
        timestamp: now,
      });
    });

    it('refuses a bad signature, a tampered body, a stale or future timestamp, missing headers', () => {
      expect(
        verifyInbound(tool, {
          headers: ours(body, nowS, 'other-secret-xxxxxxxx'),
          rawBody: body,
          secret,
          now,
        }),
      ).toMatchObject({
        ok: false,
        reason: 'bad_signature',
      });
      expect(
        verifyInbound(tool, {
          headers: ours(body),
          rawBody: body.replace('resolved', 'closed'),
          secret,
          now,
        }),
      ).toMatchObject({
        ok: false,
        reason: 'bad_signature',
      });
      expect(
        verifyInbound(tool, { headers: ours(body, nowS - 301), rawBody: body, secret, now }),
      ).toMatchObject({
        ok: false,
        reason: 'stale',
      });
      expect(
        verifyInbound(tool, { headers: ours(body, nowS + 301), rawBody: body, secret, now }),
      ).toMatchObject({
        ok: false,
        reason: 'stale',
      });
      expect(verifyInbound(tool, { headers: ours(body, nowS - 299), rawBody: body, secret, now }).ok).toBe(
        true,
      );
      expect(verifyInbound(tool, { headers: {}, rawBody: body, secret, now })).toMatchObject({
        ok: false,
        reason: 'missing_signature',
      });
      const headers = { ...ours(body), 'X-Signature': 'sha1=abc' };
      expect(verifyInbound(tool, { headers, rawBody: body, secret, now })).toMatchObject({
        ok: false,
        reason: 'malformed',
      });
    });
  });

  it('accepts any of several secrets (rotation) and several v1 signatures', () => {
    const headers = ours(body, nowS, 'old-secret-0123456789');
    expect(
      verifyInbound('webhook', { headers, rawBody: body, secret: [secret, 'old-secret-0123456789'], now }).ok,
    ).toBe(true);
    const two = { ...headers, 'X-Signature': `v1=${'0'.repeat(64)}, ${headers['X-Signature']}` };
    expect(
      verifyInbound('webhook', {
        headers: two,
        rawBody: Buffer.from(body),
        secret: 'old-secret-0123456789',
        now,
      }).ok,
    ).toBe(true);
  });

  it('verifies what the webhook connector signs (round trip, Headers object)', () => {
    const headers = new Headers(signedHeaders(secret, body, 'evt-rt', now));
    expect(verifyInbound('webhook', { headers, rawBody: body, secret, now })).toMatchObject({
      ok: true,
      eventId: 'evt-rt',
    });
  });

  it('Zendesk: base64 HMAC of timestamp + body, ISO timestamps, invocation id', () => {
    expect(verifyInbound('zendesk', { headers: zendesk(body), rawBody: body, secret, now })).toEqual({
      ok: true,
      eventId: 'inv-9',
      timestamp: now,
    });
    expect(
      verifyInbound('zendesk', { headers: zendesk(body), rawBody: body + ' ', secret, now }),
    ).toMatchObject({
      reason: 'bad_signature',
    });
    expect(
      verifyInbound('zendesk', {
        headers: zendesk(body, '2026-03-01T11:50:00Z'),
        rawBody: body,
        secret,
        now,
      }),
    ).toMatchObject({
      reason: 'stale',
    });
    expect(
      verifyInbound('zendesk', { headers: zendesk(body, 'yesterday'), rawBody: body, secret, now }),
    ).toMatchObject({
      reason: 'malformed',
    });
    expect(verifyInbound('zendesk', { headers: ours(body), rawBody: body, secret, now })).toMatchObject({
      reason: 'missing_signature',
    });
  });

  it('Jira: X-Hub-Signature sha256=<hex> over the body; the signed body timestamp is windowed', () => {
    const jiraBody = JSON.stringify({ timestamp: now - 1000, webhookEvent: 'jira:issue_updated' });
    expect(verifyInbound('jira', { headers: jiraHeaders(jiraBody), rawBody: jiraBody, secret, now })).toEqual(
      {
        ok: true,
        eventId: 'wh-77',
        timestamp: now - 1000,
      },
    );
    expect(
      verifyInbound('jira', {
        headers: jiraHeaders(jiraBody, 'nope-nope-nope-nope'),
        rawBody: jiraBody,
        secret,
        now,
      }),
    ).toMatchObject({
      reason: 'bad_signature',
    });
    const old = JSON.stringify({ timestamp: now - 3_600_000, webhookEvent: 'jira:issue_updated' });
    expect(verifyInbound('jira', { headers: jiraHeaders(old), rawBody: old, secret, now })).toMatchObject({
      reason: 'stale',
    });
    expect(
      verifyInbound('jira', { headers: { 'x-hub-signature': 'md5=xyz' }, rawBody: old, secret, now }),
    ).toMatchObject({
      reason: 'malformed',
    });
  });

  it('never accepts an empty secret', () => {
    expect(
      verifyInbound('webhook', { headers: ours(body, nowS, ''), rawBody: body, secret: '', now }),
    ).toMatchObject({ ok: false });
  });
});

describe('parseInbound', () => {
  const jiraConfig = parseItsmConfig({
    tool_type: 'jira',
    base_url: 'https://acme.atlassian.net',
    credentials: { email: 'bot@acme.com', api_token: 't' },
    settings: {
      project_key: 'SUP',
      integration_user: '5b10ac8d82e05b22cc7d4ef5',
      inbound_status_mapping: { 'Waiting for Vendor': 'pending_vendor' },
    },
  });
  const jira = (jiraConfig as { config: ItsmConfig }).config;

  const jiraIssue = {
    id: '10002',
    key: 'SUP-7',
    fields: { labels: ['triage-abc-123', 'other'], status: { name: 'Done' } },
  };

  it('Jira status change from the changelog → resolved, mapped with the tenant mapping', () => {
    const event = parseInbound(
      'jira',
      {
        timestamp: now,
        webhookEvent: 'jira:issue_updated',
        user: { accountId: 'human-1' },
        issue: jiraIssue,
        changelog: {
          id: '555',
          items: [{ field: 'status', fieldId: 'status', fromString: 'In Progress', toString: 'Done' }],
        },
      },
      { config: jira },
    );
    expect(event).toEqual({
      eventId: expect.stringMatching(/^d-/),
      externalId: 'SUP-7',
      correlationTicketId: 'abc-123',
      kind: 'resolved',
      externalStatus: 'Done',
      mappedStatus: 'resolved',
      origin: 'external',
    });
    const vendor = parseInbound(
      'jira',
      {
        webhookEvent: 'jira:issue_updated',
        user: { accountId: '5b10ac8d82e05b22cc7d4ef5' },
        issue: jiraIssue,
        changelog: { id: '556', items: [{ field: 'status', toString: 'Waiting for Vendor' }] },
      },
      { config: jira, headers: { 'X-Atlassian-Webhook-Identifier': 'wh-1' } },
    );
    expect(vendor).toMatchObject({
      eventId: 'wh-1',
      kind: 'status_changed',
      mappedStatus: 'pending_vendor',
      origin: 'triage',
    });
  });

  it('Jira comment_created with an ADF body; our own marker makes it origin triage', () => {
    const external = parseInbound('jira', {
      webhookEvent: 'comment_created',
      issue: jiraIssue,
      comment: {
        id: '900',
        author: { accountId: 'human-1', emailAddress: 'agent@acme.com' },
        body: {
          type: 'doc',
          version: 1,
          content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Customer called back' }] }],
        },
        jsdPublic: false,
      },
    });
    expect(external).toMatchObject({
      kind: 'comment_added',
      comment: { body: 'Customer called back', isPublic: false, author: 'agent@acme.com' },
      origin: 'external',
    });
    const echo = parseInbound('jira', {
      webhookEvent: 'comment_created',
      issue: jiraIssue,
      comment: {
        id: '901',
        author: { accountId: 'someone' },
        body: {
          type: 'doc',
          version: 1,
          content: [
            { type: 'paragraph', content: [{ type: 'text', text: 'We refunded you' }] },
            { type: 'paragraph', content: [{ type: 'text', text: '[triage-ref:evt-42]' }] },
          ],
        },
      },
    });
    expect(echo).toMatchObject({
      kind: 'comment_added',
      origin: 'triage',
      comment: { body: 'We refunded you', isPublic: true },
    });
  });

  it('Jira events we do not use are ignored', () => {
    expect(
      parseInbound('jira', {
        webhookEvent: 'jira:issue_updated',
        issue: jiraIssue,
        changelog: { items: [{ field: 'summary' }] },
      }),
    ).toMatchObject({
      kind: 'ignored',
    });
  });

  it('Zendesk trigger template payloads: status and comments, actor = integration user → triage', () => {
    expect(Object.keys(ZENDESK_TRIGGER_TEMPLATE)).toContain('event_id');
    const status = parseInbound('zendesk', {
      event_id: '55-2026-03-01T12:00:00Z-status',
      event: 'status_changed',
      ticket_id: '55',
      external_id: 'triage-t-1',
      status: 'Pending',
      actor: 'agent@acme.com',
    });
    expect(status).toMatchObject({
      eventId: '55-2026-03-01T12:00:00Z-status',
      externalId: '55',
      correlationTicketId: 't-1',
      kind: 'status_changed',
      externalStatus: 'pending',
      mappedStatus: 'pending_customer',
      origin: 'external',
    });
    const comment = parseInbound(
      'zendesk',
      {
        event: 'comment_added',
        ticket_id: '55',
        comment: { body: 'Thanks!', is_public: 'false', author: 'Bot@Acme.com' },
        actor: 'bot@acme.com',
      },
      { integrationUser: 'bot@acme.com', headers: { 'x-zendesk-webhook-invocation-id': 'inv-1' } },
    );
    expect(comment).toMatchObject({
      eventId: 'inv-1',
      kind: 'comment_added',
      comment: { body: 'Thanks!', isPublic: false },
      origin: 'triage',
    });
  });

  it('Zendesk event-subscription payloads', () => {
    const event = parseInbound('zendesk', {
      type: 'zen:event-type:ticket.status_changed',
      id: '01HN-EVENT',
      subject: 'zen:ticket:35436',
      detail: { id: '35436', status: 'SOLVED', external_id: 'triage-t-9' },
      event: { current: 'SOLVED', previous: 'OPEN' },
    });
    expect(event).toMatchObject({
      eventId: '01HN-EVENT',
      externalId: '35436',
      correlationTicketId: 't-9',
      kind: 'resolved',
    });
  });

  it('ServiceNow contract: state codes, vendor hold reason, work notes; sys_updated_by = integration user → triage', () => {
    const sn = parseItsmConfig({
      tool_type: 'servicenow',
      base_url: 'https://acme.service-now.com',
      credentials: { username: 'triage.integration', password: 'p' },
      settings: {},
    });
    const config = (sn as { config: ItsmConfig }).config;
    expect(
      parseInbound(
        'servicenow',
        {
          event_id: 'g1',
          event: 'incident.updated',
          sys_id: 'abc',
          correlation_id: 'triage-t-2',
          state: '7',
          sys_updated_by: 'jdoe',
        },
        { config },
      ),
    ).toMatchObject({
      eventId: 'g1',
      externalId: 'abc',
      correlationTicketId: 't-2',
      kind: 'closed',
      mappedStatus: 'closed',
      origin: 'external',
    });
    expect(
      parseInbound(
        'servicenow',
        { event_id: 'g2', sys_id: 'abc', state: '3', hold_reason: '4', sys_updated_by: 'triage.integration' },
        { config },
      ),
    ).toMatchObject({ kind: 'status_changed', mappedStatus: 'pending_vendor', origin: 'triage' });
    expect(
      parseInbound(
        'servicenow',
        {
          event_id: 'g3',
          sys_id: 'abc',
          comment: { body: 'Checked logs', is_public: false, author: 'jdoe' },
        },
        { config },
      ),
    ).toMatchObject({
      kind: 'comment_added',
      comment: { body: 'Checked logs', isPublic: false, author: 'jdoe' },
      origin: 'external',
    });
  });

  it('ServiceDesk Plus contract: status names, HTML notes, correlation from udf or subject tag', () => {
    expect(
      parseInbound('servicedesk_plus', {
        event_id: 's1',
        request: { id: '301', subject: 'VPN down [triage-t-3]', status: 'Resolved' },
        updated_by: 'tech',
      }),
    ).toMatchObject({
      externalId: '301',
      correlationTicketId: 't-3',
      kind: 'resolved',
      externalStatus: 'Resolved',
      origin: 'external',
    });
    expect(
      parseInbound('servicedesk_plus', {
        event_id: 's2',
        request: { id: '301', udf_fields: { udf_sline_301: 'triage-t-4' } },
        note: {
          description: '<p>Swapped &amp; rebooted</p><p>[triage-ref:e-1]</p>',
          show_to_requester: true,
          author: 'tech',
        },
      }),
    ).toMatchObject({
      correlationTicketId: 't-4',
      kind: 'comment_added',
      comment: { body: 'Swapped & rebooted', isPublic: true },
      origin: 'triage',
    });
  });

  it('generic webhook contract uses our vocabulary', () => {
    expect(
      parseInbound(
        'webhook',
        '{"event_id":"w1","type":"ticket.status_changed","external_id":"EXT-1","ticket_id":"t-5","status":"in_progress"}',
      ),
    ).toEqual({
      eventId: 'w1',
      externalId: 'EXT-1',
      correlationTicketId: 't-5',
      kind: 'status_changed',
      externalStatus: 'in_progress',
      mappedStatus: 'in_progress',
      origin: 'external',
    });
    expect(
      parseInbound('webhook', {
        event_id: 'w2',
        external_id: 'EXT-1',
        status: 'closed',
        origin: 'support-triage',
      }),
    ).toMatchObject({
      kind: 'closed',
      origin: 'triage',
    });
  });

  it('the same payload always yields the same event id (replays are detectable)', () => {
    const payload = {
      webhookEvent: 'jira:issue_updated',
      issue: jiraIssue,
      changelog: { id: '1', items: [{ field: 'status', toString: 'Done' }] },
    };
    expect(parseInbound('jira', payload).eventId).toBe(parseInbound('jira', JSON.stringify(payload)).eventId);
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'a tool status named %p maps to nothing, with and without the tenant mapping',
    (status) => {
      const changed = (config?: ItsmConfig) =>
        parseInbound(
          'jira',
          {
            timestamp: now,
            webhookEvent: 'jira:issue_updated',
            user: { accountId: 'human-1' },
            issue: { ...jiraIssue, fields: { ...jiraIssue.fields, status: { name: status } } },
            changelog: { id: '556', items: [{ field: 'status', fieldId: 'status', toString: status }] },
          },
          config ? { config } : {},
        );
      for (const event of [changed(jira), changed()]) {
        expect(event.mappedStatus ?? null).toBeNull();
      }
      const hook = parseInbound('webhook', { ticket_id: 'x', status });
      expect(hook.mappedStatus ?? null).toBeNull();
    },
  );

  it('refuses bodies that are not objects or have no ticket id', () => {
    expect(() => parseInbound('webhook', 'not json')).toThrow(/not a JSON object/);
    expect(() => parseInbound('servicenow', { state: '6' })).toThrow(/no ticket id/);
  });
});
