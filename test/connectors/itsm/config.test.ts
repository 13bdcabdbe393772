import { randomBytes } from 'node:crypto';
import {
  openItsmConfig,
  parseItsmConfig,
  redactConfig,
  sealItsmConfig,
  type ItsmConfig,
  type JiraConfig,
  type ServiceNowConfig,
  type ZendeskConfig,
} from '../../../src/connectors/itsm/config';
import { createSecretBox } from '../../../src/platform/crypto/secrets';

const jiraInput = {
  tool_type: 'jira',
  base_url: 'https://acme.atlassian.net/',
  credentials: { email: 'bot@acme.com', api_token: 'ATATT-secret-jira-token' },
  settings: {
    project_key: 'SUPPORT',
    issue_type: 'Bug',
    priority_mapping: { urgent: 'Highest', low: 'Lowest' },
    custom_fields: { customfield_10000: 'tenant-id-value' },
    auto_transition_on_resolve: true,
    target_status: 'Resolved',
  },
};

function ok(input: unknown): ItsmConfig {
  const result = parseItsmConfig(input);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.config;
}

function errors(input: unknown) {
  const result = parseItsmConfig(input);
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.errors;
}

describe('parseItsmConfig', () => {
  it('parses a Jira config with defaults merged (seed 002 shape)', () => {
    const config = ok(jiraInput) as JiraConfig;
    expect(config.base_url).toBe('https://acme.atlassian.net');
    expect(config.settings.priority_mapping).toEqual({
      low: 'Lowest',
      medium: 'Medium',
      high: 'High',
      critical: 'Highest',
    });
    expect(config.settings.status_mapping.resolved).toBe('Resolved');
    expect(config.settings.status_mapping.in_progress).toBe('In Progress');
    expect(config.settings.rate_limit_per_minute).toBe(100);
    expect(config.settings.inbound_status_mapping['in progress']).toBe('in_progress');
  });

  it('has sensible per-tool priority defaults', () => {
    const sn = ok({
      tool_type: 'servicenow',
      base_url: 'https://acme.service-now.com',
      credentials: { username: 'u', password: 'p' },
      settings: {},
    }) as ServiceNowConfig;
    expect(sn.settings.priority_mapping.critical).toEqual({ impact: 1, urgency: 1 });
    expect(sn.settings.close_code).toBe('Solution provided');
    const zd = ok({
      tool_type: 'zendesk',
      base_url: 'https://acme.zendesk.com',
      credentials: { email: 'a@acme.com', api_token: 't' },
      settings: {},
    }) as ZendeskConfig;
    expect(zd.settings.priority_mapping).toEqual({
      low: 'low',
      medium: 'normal',
      high: 'high',
      critical: 'urgent',
    });
    const sdp = ok({
      tool_type: 'servicedesk_plus',
      base_url: 'https://sdp.acme.com',
      credentials: { authtoken: 'k' },
      settings: {},
    });
    expect(sdp.settings).toMatchObject({
      priority_mapping: { critical: 'Urgent' },
      target_status: 'Resolved',
    });
    const hook = ok({
      tool_type: 'webhook',
      base_url: 'https://hooks.acme.com/itsm',
      credentials: { secret: 'x'.repeat(16) },
    });
    expect(hook.settings).toMatchObject({ include_content: true, rate_limit_per_minute: 120 });
  });

  it('refuses an unknown tool type clearly, listing the supported ones', () => {
    expect(errors({ ...jiraInput, tool_type: 'remedy' })).toEqual([
      {
        field: 'tool_type',
        message:
          'unsupported tool type "remedy"; supported: jira, servicenow, zendesk, servicedesk_plus, webhook',
      },
    ]);
    expect(errors({ base_url: 'https://x' })).toEqual([{ field: 'tool_type', message: 'is required' }]);
    expect(errors('jira')).toEqual([{ field: '(root)', message: 'must be an object' }]);
  });

  it('reports field-level errors', () => {
    const found = errors({
      tool_type: 'jira',
      base_url: 'http://acme.atlassian.net',
      credentials: { email: 'not-an-email', api_token: '' },
      settings: {
        project_key: 'support',
        priority_mapping: { critical: '' },
        labels: ['has space'],
        typo_setting: 1,
      },
    });
    const fields = found.map((e) => e.field).sort();
    expect(fields).toEqual(
      [
        'base_url',
        'credentials.api_token',
        'credentials.email',
        'settings.labels.0',
        'settings.priority_mapping.critical',
        'settings.project_key',
        'settings.typo_setting',
      ].sort(),
    );
    expect(found.find((e) => e.field === 'base_url')!.message).toMatch(/https/);
    expect(found.find((e) => e.field === 'settings.typo_setting')!.message).toBe('unknown field');
  });

  it('checks credentials per tool', () => {
    const sn = (credentials: unknown) =>
      parseItsmConfig({
        tool_type: 'servicenow',
        base_url: 'https://x.service-now.com',
        credentials,
        settings: {},
      });
    expect(sn({ username: 'u', password: 'p' }).ok).toBe(true);
    expect(sn({ oauth_token: 't' }).ok).toBe(true);
    expect(sn({})).toMatchObject({ ok: false, errors: [{ field: 'credentials' }] });
    expect(sn({ username: 'u' })).toMatchObject({ ok: false, errors: [{ field: 'credentials.password' }] });
    expect(sn({ username: 'u', password: 'p', oauth_token: 't' }).ok).toBe(false);
    const sdp = (credentials: unknown) =>
      parseItsmConfig({
        tool_type: 'servicedesk_plus',
        base_url: 'https://sdp.x.com',
        credentials,
        settings: {},
      });
    expect(sdp({ authtoken: 'k' }).ok).toBe(true);
    expect(sdp({ oauth_token: 'k' }).ok).toBe(true);
    expect(sdp({ authtoken: 'k', oauth_token: 'k' }).ok).toBe(false);
    const hook = parseItsmConfig({
      tool_type: 'webhook',
      base_url: 'https://h.x.com',
      credentials: { secret: 'short' },
    });
    expect(hook).toMatchObject({
      ok: false,
      errors: [{ field: 'credentials.secret', message: 'must be at least 16 characters' }],
    });
  });

  it('checks tool-specific values: ServiceNow impact/urgency 1–3, Zendesk enums and numeric field ids', () => {
    const sn = errors({
      tool_type: 'servicenow',
      base_url: 'https://x.service-now.com',
      credentials: { oauth_token: 't' },
      settings: {
        priority_mapping: { high: { impact: 4, urgency: 1 } },
        status_mapping: { resolved: 'Resolved' },
      },
    });
    expect(sn.map((e) => e.field).sort()).toEqual([
      'settings.priority_mapping.high.impact',
      'settings.status_mapping.resolved',
    ]);
    const zd = errors({
      tool_type: 'zendesk',
      base_url: 'https://x.zendesk.com',
      credentials: { email: 'a@x.com', api_token: 't' },
      settings: { priority_mapping: { high: 'critical' }, custom_fields: { department: 'IT' } },
    });
    expect(zd.map((e) => e.field).sort()).toEqual([
      'settings.custom_fields.department',
      'settings.priority_mapping.high',
    ]);
  });

  it('refuses URLs with credentials, queries, or plain http off localhost', () => {
    const base = (base_url: string) => parseItsmConfig({ ...jiraInput, base_url });
    expect(base('https://user:pw@acme.atlassian.net').ok).toBe(false);
    expect(base('https://acme.atlassian.net?x=1').ok).toBe(false);
    expect(base('http://acme.atlassian.net').ok).toBe(false);
    expect(base('http://127.0.0.1:8080').ok).toBe(true);
    expect(base('not a url').ok).toBe(false);
  });
});

describe('redactConfig', () => {
  it('never returns a credential value', () => {
    const config = ok(jiraInput);
    const redacted = redactConfig(config);
    expect(JSON.stringify(redacted)).not.toContain('ATATT-secret-jira-token');
    expect(JSON.stringify(redacted)).not.toContain('bot@acme.com');
    expect(redacted.credentials).toEqual({ configured: ['api_token', 'email'] });
    expect(redacted.settings).toMatchObject({ project_key: 'SUPPORT' });
    // Redacting does not touch the config itself.
    expect(config.credentials).toEqual(jiraInput.credentials);
  });
});

describe('sealed configs at rest', () => {
  it('seals the credentials bound to the tenant and opens them back to the same config', () => {
    const box = createSecretBox({ keys: { k1: randomBytes(32).toString('base64') }, activeKeyId: 'k1' });
    const config = ok(jiraInput);
    const stored = sealItsmConfig(config, box, 'tenant-acme');
    expect(JSON.stringify(stored)).not.toContain('ATATT-secret-jira-token');
    const opened = openItsmConfig(stored, box, 'tenant-acme');
    expect(opened).toEqual({ ok: true, config });
    expect(() => openItsmConfig(stored, box, 'tenant-other')).toThrow(/authentication/);
  });
});
