/**
 * Public types of the ITSM connector library (issue #5). Everything here is transport-free: the workflow's
 * activities hold an `ItsmConnector` built by `createConnector` (registry.ts) and call it; the API layer uses
 * `parseItsmConfig` / `redactConfig` (config.ts), `createSecretBox` (secrets.ts) and `verifyInbound` /
 * `parseInbound` (inbound.ts).
 */
import type { Priority, TicketStatus } from '../../domain/vocabulary';
import type { OutboundPolicy } from '../../platform/net/outbound-policy';
import type { RateLimiter } from './http';

export const TOOL_TYPES = ['jira', 'servicenow', 'zendesk', 'servicedesk_plus', 'webhook'] as const;
export type ToolType = (typeof TOOL_TYPES)[number];

export function isToolType(value: unknown): value is ToolType {
  return typeof value === 'string' && (TOOL_TYPES as readonly string[]).includes(value);
}

/** What we send to an ITSM tool: the ticket as our product sees it. */
export interface ItsmTicketSnapshot {
  ticketId: string;
  tenantId: string;
  title: string;
  content: string;
  status: TicketStatus;
  priority: Priority;
  category: string | null;
  customerTier: string | null;
  requesterEmail: string | null;
  assignee: string | null;
  /** Link back to the ticket in our product, written into the external description. */
  url?: string;
}

/** A row of `ticket_external_refs`: where the ticket lives in the tenant's tool. */
export interface ExternalRef {
  system: ToolType;
  /** The id every later call needs (Jira key, ServiceNow sys_id, Zendesk id, SDP request id). */
  externalId: string;
  externalUrl: string | null;
  /** The tool's own status word at the time of the call (Jira status name, ServiceNow state code, …). */
  externalStatus: string | null;
}

export interface CreateResult extends ExternalRef {
  /** False when an external ticket carrying our correlation key already existed and was returned instead. */
  created: boolean;
}

export interface CreateOptions {
  /** Stable across retries of the same activity. */
  eventId: string;
}

export interface UpdateInput {
  status?: TicketStatus;
  priority?: Priority;
  eventId?: string;
}

export interface CommentInput {
  body: string;
  /** True: visible to the requester (Jira public / ServiceNow `comments` / Zendesk public / SDP show_to_requester). */
  isPublic: boolean;
  /** Stable across retries: the connector writes the comment at most once per event id. */
  eventId: string;
}

export interface CommentResult {
  /** False when a comment carrying this event id was already on the external ticket. */
  created: boolean;
  externalCommentId: string | null;
}

export interface ResolveInput {
  resolution?: string;
  eventId?: string;
}

export interface ExternalStatus {
  externalStatus: string;
  /** Our status for the tool's status, or null when the tenant's mapping has no entry for it. */
  mappedStatus: TicketStatus | null;
}

export interface ItsmConnector {
  readonly toolType: ToolType;
  /** The external ticket carrying our correlation key for this ticket, if any. */
  findByCorrelation(ticketId: string): Promise<ExternalRef | null>;
  /**
   * Exactly once per ticket: looks for an external ticket carrying our correlation key first and returns it
   * (`created: false`) instead of creating a second one, so a retried activity never duplicates.
   */
  createTicket(snapshot: ItsmTicketSnapshot, options: CreateOptions): Promise<CreateResult>;
  updateTicket(ref: ExternalRef, input: UpdateInput): Promise<ExternalRef>;
  addComment(ref: ExternalRef, input: CommentInput): Promise<CommentResult>;
  /** Uses the tenant's workflow settings (auto-transition on resolve, target status, close code). */
  resolve(ref: ExternalRef, input: ResolveInput): Promise<ExternalRef>;
  close(ref: ExternalRef, input?: { eventId?: string }): Promise<ExternalRef>;
  getStatus(ref: ExternalRef): Promise<ExternalStatus>;
}

/** Options every connector factory takes. */
export interface ConnectorOptions {
  /** Where requests may go (the SSRF policy). Default: public addresses only, system DNS. */
  outbound?: OutboundPolicy;
  /** Per-call timeout; default 10 s. */
  timeoutMs?: number;
  /** The tenant's limiter (createRateLimiterRegistry().get(tenantId, settings.rate_limit_per_minute)). */
  rateLimiter?: RateLimiter;
}
