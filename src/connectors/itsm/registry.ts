/**
 * Plugin routing by `tool_type` (seed 002): one factory per supported tool.
 */
import type {
  ItsmConfig,
  JiraConfig,
  ServiceDeskPlusConfig,
  ServiceNowConfig,
  WebhookConfig,
  ZendeskConfig,
} from './config';
import { ItsmError } from './http';
import { createJiraConnector } from './jira';
import { createServiceDeskPlusConnector } from './servicedesk-plus';
import { createServiceNowConnector } from './servicenow';
import { TOOL_TYPES, type ConnectorOptions, type ItsmConnector, type ToolType } from './types';
import { createWebhookConnector } from './webhook';
import { createZendeskConnector } from './zendesk';

export const SUPPORTED_TOOL_TYPES: readonly ToolType[] = TOOL_TYPES;

/** Builds the connector for a parsed configuration (see `parseItsmConfig`). */
export function createConnector(config: ItsmConfig, options: ConnectorOptions = {}): ItsmConnector {
  switch (config.tool_type) {
    case 'jira':
      return createJiraConnector(config as JiraConfig, options);
    case 'servicenow':
      return createServiceNowConnector(config as ServiceNowConfig, options);
    case 'zendesk':
      return createZendeskConnector(config as ZendeskConfig, options);
    case 'servicedesk_plus':
      return createServiceDeskPlusConnector(config as ServiceDeskPlusConfig, options);
    case 'webhook':
      return createWebhookConnector(config as WebhookConfig, options);
    default:
      throw new ItsmError({
        kind: 'invalid',
        message: `unsupported tool type "${String((config as { tool_type?: unknown }).tool_type)}"; supported: ${SUPPORTED_TOOL_TYPES.join(', ')}`,
      });
  }
}
