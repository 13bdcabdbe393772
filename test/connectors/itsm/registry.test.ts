import { createConnector, SUPPORTED_TOOL_TYPES } from '../../../src/connectors/itsm/registry';
import { ItsmError } from '../../../src/connectors/itsm/http';
import type { ItsmConfig } from '../../../src/connectors/itsm/config';
import { config } from './helpers';

const inputs: Record<string, unknown> = {
  jira: { credentials: { email: 'a@b.co', api_token: 't' }, settings: { project_key: 'SUP' } },
  servicenow: { credentials: { oauth_token: 't' }, settings: {} },
  zendesk: { credentials: { email: 'a@b.co', api_token: 't' }, settings: {} },
  servicedesk_plus: { credentials: { authtoken: 't' }, settings: {} },
  webhook: { credentials: { secret: 's'.repeat(32) } },
};

describe('registry', () => {
  it('supports the five tool types', () => {
    expect([...SUPPORTED_TOOL_TYPES]).toEqual([
      'jira',
      'servicenow',
      'zendesk',
      'servicedesk_plus',
      'webhook',
    ]);
  });

  it.each(Object.keys(inputs))('routes %s to its connector', (tool) => {
    const c = createConnector(
      config({ tool_type: tool, base_url: 'https://itsm.example.com', ...(inputs[tool] as object) }),
    );
    expect(c.toolType).toBe(tool);
    for (const method of [
      'findByCorrelation',
      'createTicket',
      'updateTicket',
      'addComment',
      'resolve',
      'close',
      'getStatus',
    ]) {
      expect(typeof (c as unknown as Record<string, unknown>)[method]).toBe('function');
    }
  });

  it('refuses an unknown tool type', () => {
    const bogus = {
      tool_type: 'remedy',
      base_url: 'https://x',
      credentials: {},
      settings: {},
    } as unknown as ItsmConfig;
    expect(() => createConnector(bogus)).toThrow(ItsmError);
    expect(() => createConnector(bogus)).toThrow(/unsupported tool type "remedy"/);
  });
});
