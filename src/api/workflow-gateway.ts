/** How the API talks to ticket workflows: start (idempotently), act through updates, read through queries. */
import crypto from 'node:crypto';
import {
  type Client,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  isGrpcCancelledError,
  isGrpcDeadlineError,
  isGrpcServiceError,
} from '@temporalio/client';
import {
  ActivityFailure,
  ApplicationFailure,
  type SearchAttributePair,
  type UpdateDefinition,
} from '@temporalio/common';
import type { TicketModel } from '../stores/models';
import type { TicketLiveView } from '../domain/live-view';
import type { SlaPolicy } from '../domain/sla';
import type { CustomerTier, Priority } from '../domain/vocabulary';
import {
  APPLY_SLA_POLICY_WORKFLOW_TYPE,
  type ApplySlaPolicyInput,
  type BulkProgress,
  getBulkProgressQuery,
  getIngestProgressQuery,
  INGEST_DOCUMENT_WORKFLOW_TYPE,
  type IngestDocumentInput,
  type IngestProgress,
  ingestWorkflowId,
  INVALID_TICKET_DATA,
  INVALID_TRANSITION,
  TICKET_WORKFLOW_TYPE,
  type TicketWorkflowInput,
  getTicketStateQuery,
  searchAttributes,
  ticketSlaView,
  ticketStateSearchAttributes,
} from '../workflows/messages';
import { newTicketState } from '../domain/ticket-state';
import { itsmSyncState } from '../domain/ticket-rules';
import { problems } from './problems';
import { tenantFairness } from './tenant-fairness';

export interface TicketWorkflowsOptions {
  /** Ticket workflows continue as new past this many history events. */
  historyEventLimit?: number;
  /**
   * How long an action (update) or a live read (query) may wait for the workflow: with no worker polling, the
   * call would otherwise hang until the client gives up. Past it the API answers 503 with Retry-After.
   */
  updateTimeoutMs?: number;
  /** Ask the server to hand a new ticket's first workflow task to this process's worker (a shared connection). */
  eagerStart?: boolean;
  /**
   * Whether the tenant has an active ITSM tool (a cached read): a new ticket starts knowing it, so its ItsmSync
   * does not show its first event `pending` while the workflow finds out. Unset: the workflow finds out.
   */
  itsmConfigured?: (tenantId: string) => Promise<boolean>;
}

export const DEFAULT_UPDATE_TIMEOUT_MS = 10_000;
/** gRPC's FAILED_PRECONDITION status code. */
const FAILED_PRECONDITION = 9;

/**
 * The server's answer to a query nobody polls for, once it has seen the task queue's pollers go: "no poller seen
 * for task queue recently, worker may be down" (FAILED_PRECONDITION). With no worker a query may also end in a
 * deadline or a cancelled stream, whichever comes first: all three are the same condition to the client.
 */
function isNoPollerError(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (isGrpcServiceError(e) && e.code === FAILED_PRECONDITION && /no poller/i.test(e.details)) return true;
  }
  return false;
}

/** What a 503 for an unreachable workflow asks the client to wait. */
const RETRY_AFTER_SECONDS = 5;

export class TicketWorkflows {
  private readonly historyEventLimit?: number;
  private readonly updateTimeoutMs: number;
  private readonly eagerStart: boolean;
  private readonly itsmConfigured?: (tenantId: string) => Promise<boolean>;

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    options: TicketWorkflowsOptions = {},
  ) {
    this.historyEventLimit = options.historyEventLimit;
    this.updateTimeoutMs = options.updateTimeoutMs ?? DEFAULT_UPDATE_TIMEOUT_MS;
    this.eagerStart = options.eagerStart ?? false;
    this.itsmConfigured = options.itsmConfigured;
  }

  /** Runs a call to a ticket workflow within the timeout; past it, a 503 problem with Retry-After. */
  private async bounded<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await this.client.withDeadline(Date.now() + this.updateTimeoutMs, call);
    } catch (error) {
      const noPoller = isNoPollerError(error);
      if (
        noPoller ||
        error instanceof WorkflowUpdateRPCTimeoutOrCancelledError ||
        isGrpcDeadlineError(error) ||
        isGrpcCancelledError(error)
      ) {
        throw problems.unavailable(
          (noPoller
            ? `no worker is polling for the ticket workflow, so it could not ${what}; `
            : `the ticket workflow did not ${what} within ${this.updateTimeoutMs} ms (no worker available?); `) +
            'retry with the same Idempotency-Key: an action that lands late is applied once',
          RETRY_AFTER_SECONDS,
        );
      }
      throw error;
    }
  }

  /** Starts the ticket's workflow; starting one that already exists is a success, so callers may retry. */
  async start(ticket: TicketModel, policy: SlaPolicy, autoCloseAfterMs: number): Promise<void> {
    const itsmConfigured = await this.itsmConfigured?.(ticket.tenant_id);
    const input: TicketWorkflowInput = {
      ticketId: ticket.id,
      tenantId: ticket.tenant_id,
      priority: ticket.priority as Priority,
      priorityPinned: ticket.priority_pinned,
      customerTier: ticket.customer_tier as CustomerTier,
      createdAtMs: ticket.created_at.getTime(),
      policy,
      autoCloseAfterMs,
      ...(this.historyEventLimit ? { historyEventLimit: this.historyEventLimit } : {}),
      ...(itsmConfigured !== undefined ? { carriedItsmConfigured: itsmConfigured } : {}),
    };
    try {
      await this.client.workflow.start(TICKET_WORKFLOW_TYPE, {
        workflowId: ticket.workflow_id,
        taskQueue: this.taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        ...(this.eagerStart ? { requestEagerStart: true } : {}),
        priority: tenantFairness(ticket.tenant_id),
        typedSearchAttributes: startSearchAttributes(input),
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }

  /** Starts the bulk application of a tenant's policy to its open tickets; returns the operation id. */
  async startPolicyApply(tenantId: string, policy: SlaPolicy): Promise<string> {
    const operationId = `sla-policy-${tenantId}-${crypto.randomUUID()}`;
    const input: ApplySlaPolicyInput = { tenantId, policy };
    await this.client.workflow.start(APPLY_SLA_POLICY_WORKFLOW_TYPE, {
      workflowId: operationId,
      taskQueue: this.taskQueue,
      args: [input],
      typedSearchAttributes: [{ key: searchAttributes.tenantId, value: tenantId }],
      priority: tenantFairness(tenantId),
    });
    return operationId;
  }

  async policyApplyProgress(tenantId: string, operationId: string): Promise<BulkProgress | undefined> {
    if (!operationId.startsWith(`sla-policy-${tenantId}-`)) return undefined;
    try {
      return await this.client.workflow.getHandle(operationId).query(getBulkProgressQuery);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  /** Starts a document's ingestion and waits up to `waitMs` for it; undefined progress means still running. */
  async ingestDocument(input: IngestDocumentInput, waitMs: number): Promise<IngestProgress | undefined> {
    const handle = await this.client.workflow.start(INGEST_DOCUMENT_WORKFLOW_TYPE, {
      workflowId: ingestWorkflowId(input.documentId),
      taskQueue: this.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [{ key: searchAttributes.tenantId, value: input.tenantId }],
      priority: tenantFairness(input.tenantId),
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), waitMs);
    });
    try {
      return await Promise.race([handle.result() as Promise<IngestProgress>, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async ingestProgress(documentId: string): Promise<IngestProgress | undefined> {
    try {
      return await this.client.workflow.getHandle(ingestWorkflowId(documentId)).query(getIngestProgressQuery);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  /**
   * Sends an agent action; the update id makes a retried request return the first answer. Bounded: with no
   * worker the update stays admitted and may land late, which the same update id (the workflow also remembers
   * applied action ids) makes harmless when the client retries.
   */
  async act<Args>(
    ticket: TicketModel,
    update: UpdateDefinition<TicketLiveView, [Args]>,
    args: Args,
    updateId: string,
  ): Promise<TicketLiveView> {
    const handle = this.client.workflow.getHandle(ticket.workflow_id);
    try {
      return await this.bounded('take the action', async () => {
        // An update the server aborts as the run continues as new (or an RPC the frontend refuses meanwhile) is
        // sent again to the next run: the same update id, and the action ids carried over, apply it once.
        for (let attempt = 1; ; attempt++) {
          try {
            return await handle.executeUpdate(update, { args: [args], updateId });
          } catch (error) {
            if (!(error instanceof ServiceError) || attempt >= 3) throw error;
            await new Promise((r) => setTimeout(r, 250 * attempt));
          }
        }
      });
    } catch (error) {
      throw this.translate(error, ticket);
    }
  }

  async live(ticket: TicketModel): Promise<TicketLiveView> {
    try {
      return await this.bounded('answer', () =>
        this.client.workflow.getHandle(ticket.workflow_id).query(getTicketStateQuery),
      );
    } catch (error) {
      throw this.translate(error, ticket);
    }
  }

  private translate(error: unknown, ticket: TicketModel): unknown {
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
      if (error.cause.type === INVALID_TRANSITION) {
        const detail = (error.cause.details?.[0] ?? {}) as { action?: string; status?: string };
        return problems.conflict('invalid-transition', error.cause.message, {
          action: detail.action,
          ticket_status: detail.status,
        });
      }
      if (error.cause.type === INVALID_TICKET_DATA) {
        return problems.conflict('invalid-ticket-data', error.cause.message);
      }
    }
    // The change was refused by the database on its data (persistTicketChange's non-retryable InvalidData).
    if (
      error instanceof WorkflowUpdateFailedError &&
      error.cause instanceof ActivityFailure &&
      error.cause.cause instanceof ApplicationFailure &&
      error.cause.cause.type === 'InvalidData'
    ) {
      return problems.conflict('invalid-ticket-data', error.cause.cause.message);
    }
    if (error instanceof WorkflowNotFoundError) {
      return ticket.workflow_started_at
        ? problems.conflict('ticket-closed', 'the ticket is closed and its workflow has completed')
        : problems.unavailable('the ticket is still being registered; retry shortly');
    }
    if (error instanceof Error && /already completed/i.test(error.message)) {
      return problems.conflict('ticket-closed', 'the ticket is closed and its workflow has completed');
    }
    return error;
  }
}

/**
 * A new ticket's search attributes: those its workflow's first publish would set (the ITSM state as its outbox
 * starts, nothing queued), so that publish upserts nothing. When the ticket's SLA arithmetic fails (the workflow
 * records why and goes on without alert timers), the few that need none.
 */
export function startSearchAttributes(input: TicketWorkflowInput): SearchAttributePair[] {
  const fixed: SearchAttributePair[] = [
    { key: searchAttributes.tenantId, value: input.tenantId },
    { key: searchAttributes.customerTier, value: input.customerTier },
  ];
  try {
    const itsm = itsmSyncState(0, 0, input.carriedItsmConfigured ?? true);
    const state = newTicketState(input);
    return [...fixed, ...ticketStateSearchAttributes(state, ticketSlaView(state, Date.now()), itsm)];
  } catch {
    return [
      ...fixed,
      { key: searchAttributes.status, value: 'new' },
      { key: searchAttributes.priority, value: input.priority },
      { key: searchAttributes.escalationLevel, value: 0 },
    ];
  }
}
