/** The ITSM port. Issue #5 adds Jira, ServiceNow, Zendesk, ServiceDesk Plus and webhook connectors behind it. */
export type ItsmEventType =
  'created' | 'triaged' | 'updated' | 'commented' | 'resolved' | 'closed' | 'reopened';

export interface ItsmEvent {
  /** Stable across retries: connectors use it to deduplicate. */
  eventId: string;
  tenantId: string;
  ticketId: string;
  type: ItsmEventType;
  /** The workflow event that caused it, e.g. the message's event id for a comment. */
  sourceEventId?: string;
  /** Free text for the tool, e.g. the resolution note. */
  note?: string;
}

export interface ItsmSyncOutcome {
  /** The tool synced to, or `none`. */
  system: string;
  status: 'success' | 'skipped';
  externalId?: string;
  detail?: string;
}

export interface ItsmGateway {
  sync(event: ItsmEvent): Promise<ItsmSyncOutcome>;
  /** Whether the tenant has an ITSM tool to sync to: a cheap read, asked before a sync is scheduled. */
  isConfigured(tenantId: string): Promise<boolean>;
}
