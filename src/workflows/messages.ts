/**
 * The ticket workflow's messages and search attributes, declared once: the workflow implements them, the API
 * sends them. Side-effect free so both can import it.
 */
import { type SearchAttributePair, SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { TicketLiveView } from '../domain/live-view';
import type { ItsmEventType } from '../connectors/itsm/ports';
import type { SlaAlert, SlaPolicy } from '../domain/sla';
import { type Actor, type TicketState, ticketSlaState } from '../domain/ticket-state';
import { type ItsmSyncState, clockStates } from '../domain/ticket-rules';
import type { CustomerTier, Priority } from '../domain/vocabulary';

/**
 * The workflow type new tickets start as: the ticket workflow with its patches built in (see
 * src/workflows/ticket/versions.ts). Tickets started before it run on as the type they started as.
 */
export const TICKET_WORKFLOW_TYPE = 'ticketWorkflowV4';
export const TICKET_WORKFLOW_V3_TYPE = 'ticketWorkflowV3';
export const TICKET_WORKFLOW_V2_TYPE = 'ticketWorkflowV2';
export const TICKET_WORKFLOW_V1_TYPE = 'ticketWorkflow';

export function ticketWorkflowId(ticketId: string): string {
  return `ticket-${ticketId}`;
}

export interface TicketWorkflowInput {
  ticketId: string;
  tenantId: string;
  priority: Priority;
  priorityPinned: boolean;
  customerTier: CustomerTier;
  createdAtMs: number;
  policy: SlaPolicy;
  /** Resolved tickets close by themselves after this long without a reopen. */
  autoCloseAfterMs: number;
  /** Set when the workflow continued as new: the state it carries over. */
  carriedState?: TicketState;
  carriedStateVersion?: number;
  carriedActionIds?: string[];
  /** ITSM events not yet sent (the head may have been in flight), and how many gave up so far. */
  carriedItsmQueue?: CarriedItsmEvent[];
  carriedItsmFailed?: number;
  /**
   * Whether the tenant has an ITSM tool, as last known: carried by continue-as-new, and given by the API when it
   * starts a ticket (from its own read of the tenant's integration).
   */
  carriedItsmConfigured?: boolean;
  /** SLA alerts whose notifications were still being delivered. */
  carriedNotifications?: SlaAlert[];
  /** Continue as new once the history has this many events (unset: when the server suggests it). */
  historyEventLimit?: number;
}

export interface CarriedItsmEvent {
  type: ItsmEventType;
  sourceEventId?: string;
  note?: string;
  eventId?: string;
}

/** Every agent action carries who did it and an id that makes a retried request a no-op. */
export interface ActionEnvelope {
  actionId: string;
  actor: Actor;
  /** Where the action came from; changes that came from the ITSM tool are not synced back to it. */
  origin?: 'api' | 'itsm';
}

export interface AssignTicketArgs extends ActionEnvelope {
  assignee: string;
}
export interface AddMessageArgs extends ActionEnvelope {
  author: 'agent' | 'customer';
  body: string;
  isPublic: boolean;
  nextStatus?: 'pending_customer' | 'pending_vendor' | 'in_progress';
}
export interface EscalateTicketArgs extends ActionEnvelope {
  reason: string;
  level?: number;
}
export interface ResolveTicketArgs extends ActionEnvelope {
  resolution?: string;
}
export interface ReopenTicketArgs extends ActionEnvelope {
  reason?: string;
}
export interface CloseTicketArgs extends ActionEnvelope {
  reason?: string;
}

export const assignTicketUpdate = defineUpdate<TicketLiveView, [AssignTicketArgs]>('assignTicket');
export const addMessageUpdate = defineUpdate<TicketLiveView, [AddMessageArgs]>('addMessage');
export const escalateTicketUpdate = defineUpdate<TicketLiveView, [EscalateTicketArgs]>('escalateTicket');
export const resolveTicketUpdate = defineUpdate<TicketLiveView, [ResolveTicketArgs]>('resolveTicket');
export const reopenTicketUpdate = defineUpdate<TicketLiveView, [ReopenTicketArgs]>('reopenTicket');
export const closeTicketUpdate = defineUpdate<TicketLiveView, [CloseTicketArgs]>('closeTicket');

export interface SetPriorityArgs extends ActionEnvelope {
  priority: Priority;
  customerTier?: CustomerTier;
}
export const setPriorityUpdate = defineUpdate<TicketLiveView, [SetPriorityArgs]>('setPriority');

export const getTicketStateQuery = defineQuery<TicketLiveView>('getTicketState');

/** A tenant's changed SLA policy, applied to an open ticket (sent by the bulk-apply workflow). */
export const applySlaPolicySignal = defineSignal<[SlaPolicy]>('applySlaPolicy');

export const APPLY_SLA_POLICY_WORKFLOW_TYPE = 'applySlaPolicyWorkflow';

export interface ApplySlaPolicyInput {
  tenantId: string;
  policy: SlaPolicy;
  /** Carried across continue-as-new. */
  progress?: BulkProgress;
  afterTicketId?: string | null;
}

export interface BulkProgress {
  state: 'running' | 'completed';
  total: number;
  applied: number;
  skipped: number;
  failed: number;
}

export const getBulkProgressQuery = defineQuery<BulkProgress>('getBulkProgress');

/** Failure type of an action that is illegal in the ticket's current status: the API answers 409. */
export const INVALID_TRANSITION = 'InvalidTransition';
/** An action the ticket's data does not allow (SLA arithmetic failed on it): refused with the reason. */
export const INVALID_TICKET_DATA = 'InvalidTicketData';

export const searchAttributes = {
  tenantId: defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('TicketStatus', SearchAttributeType.KEYWORD),
  priority: defineSearchAttributeKey('TicketPriority', SearchAttributeType.KEYWORD),
  category: defineSearchAttributeKey('TicketCategory', SearchAttributeType.KEYWORD),
  customerTier: defineSearchAttributeKey('CustomerTier', SearchAttributeType.KEYWORD),
  slaState: defineSearchAttributeKey('SlaState', SearchAttributeType.KEYWORD),
  /** Each clock's state as `clock:state`, e.g. `first_response:breached` (one list: the dev server allows 10 keywords). */
  slaClocks: defineSearchAttributeKey('SlaClocks', SearchAttributeType.KEYWORD_LIST),
  assignee: defineSearchAttributeKey('Assignee', SearchAttributeType.KEYWORD),
  escalationLevel: defineSearchAttributeKey('EscalationLevel', SearchAttributeType.INT),
  itsmSync: defineSearchAttributeKey('ItsmSync', SearchAttributeType.KEYWORD),
} as const;

/** A ticket's SLA at an instant, as its search attributes and the workflow's current details show it. */
export interface TicketSlaView {
  state: ReturnType<typeof ticketSlaState>;
  clocks: ReturnType<typeof clockStates>;
}

export function ticketSlaView(state: TicketState, nowMs: number): TicketSlaView {
  return { state: ticketSlaState(state, nowMs), clocks: clockStates(state, nowMs) };
}

/**
 * The search attributes that show where a ticket stands (TenantId and CustomerTier are set once, at start). The
 * workflow publishes them after every change; the API starts a ticket with those of its first state, so that the
 * workflow's first publish finds them all in place and upserts nothing (search-attributes-changed-keys).
 */
export function ticketStateSearchAttributes(
  state: TicketState,
  sla: TicketSlaView,
  itsm: ItsmSyncState,
): SearchAttributePair[] {
  return [
    { key: searchAttributes.itsmSync, value: itsm },
    { key: searchAttributes.slaClocks, value: sla.clocks },
    { key: searchAttributes.status, value: state.status },
    { key: searchAttributes.priority, value: state.priority },
    { key: searchAttributes.slaState, value: sla.state },
    { key: searchAttributes.escalationLevel, value: state.escalationLevel },
    ...(state.category ? [{ key: searchAttributes.category, value: state.category }] : []),
    ...(state.assignee ? [{ key: searchAttributes.assignee, value: state.assignee }] : []),
  ];
}

export const INGEST_DOCUMENT_WORKFLOW_TYPE = 'ingestDocumentWorkflow';

export function ingestWorkflowId(documentId: string): string {
  return `kb-ingest-${documentId}`;
}

export interface IngestDocumentInput {
  tenantId: string;
  documentId: string;
  /** The version this one replaces: archived once this one is ready. */
  previousId: string | null;
}

export interface IngestProgress {
  state: 'chunking' | 'indexing' | 'ready' | 'failed';
  chunks_total: number;
  chunks_indexed: number;
  error: string | null;
}

export const getIngestProgressQuery = defineQuery<IngestProgress>('getIngestProgress');

export const FIT_KB_TENANT_WORKFLOW_TYPE = 'fitKbTenantWorkflow';

/** One fit workflow per tenant at a time: ingestions signal it (signal-with-start) rather than start their own. */
export function kbFitWorkflowId(tenantId: string): string {
  return `kb-fit-tenant-${tenantId}`;
}

export interface FitKbTenantInput {
  tenantId: string;
  /** The fit starts once no ingestion asked for one for this long… */
  quietMs: number;
  /** …or this long after the first request, whichever comes first (a steady trickle still gets fitted). */
  maxDelayMs: number;
  /** Requests carried over a continue-as-new (they came in during the last fit of the previous run). */
  pending?: number;
}

/** An ingestion made a document current: the tenant's retrieval model should take it in. */
export const kbFitRequestedSignal = defineSignal('kbFitRequested');
