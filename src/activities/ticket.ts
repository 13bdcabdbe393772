/**
 * Activities: every piece of I/O the ticket workflow does. Built by a factory so the worker passes real
 * clients and tests pass their own.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import type { CategorySpec, Classifier, Drafter, Retriever } from '../connectors/ai/ports';
import type { ItsmEvent, ItsmGateway, ItsmSyncOutcome } from '../connectors/itsm/ports';
import { ITSM_RATE_LIMITED, type RateLimitWait } from '../connectors/itsm/gateway';
import type { TicketChange, TicketRepository, TriageRecord } from '../stores/ticket-repository';
import type { TenantRepository } from '../stores/tenant-repository';
import { type Classification, type Draft, type Passage, ticketText } from '../domain/triage';
import {
  DEFAULT_ESCALATION_TRIGGERS,
  type EscalationTriggers,
  type TriggerDecision,
  evaluateTriggers,
} from '../domain/escalation-triggers';
import { type CustomerTier, DEFAULT_CATEGORIES, PRODUCTS } from '../domain/vocabulary';
import type { Logger } from '../platform/logger';
import type { OutboundPolicy } from '../platform/net/outbound-policy';
import { metrics } from '../platform/metrics';
import type { KnowledgeActivityDeps } from './knowledge';
import { DeliveryError, type SlaAlertMessage, deliverAlert } from '../connectors/notifications/deliver';
import type { AlertKey, NotificationRepository } from '../stores/notification-repository';
import { ownValue } from '../domain/lookup';

export interface ActivityDeps {
  tickets: TicketRepository;
  notifications: NotificationRepository;
  /** Where links in notifications point. */
  links: { publicUrl: string; temporalUiUrl: string | undefined; namespace: string };
  tenants: TenantRepository;
  classifier: Classifier;
  retriever: Retriever;
  drafter: Drafter;
  /** The classifier, retriever and drafter answer in milliseconds (offline models): triage runs them as local activities. */
  modelsAreLocal: boolean;
  itsm: ItsmGateway;
  /** Where tenant-configured URLs (notification targets) may be called: the SSRF policy. */
  outbound: OutboundPolicy;
  knowledge: KnowledgeActivityDeps;
  logger: Logger;
}

export const FAILURE_TICKET_NOT_FOUND = 'TicketNotFound';

/** Integrity violations that are the data's fault: not null, foreign key, check (a unique race is retried). */
const DATA_INTEGRITY_CODES = new Set(['23502', '23503', '23514']);

/**
 * PostgreSQL's data exceptions (class 22: a value out of range, not a number, bad syntax) and integrity
 * violations of the data: the SQLSTATE and the constraint or column named, never the value; undefined for
 * anything a retry may cure.
 */
export function dataRefusal(error: unknown): string | undefined {
  const e = error as { code?: string; constraint?: string; column?: string; nativeError?: typeof e };
  const pg = e?.nativeError ?? e;
  const code = pg?.code;
  if (typeof code !== 'string' || !(code.startsWith('22') || DATA_INTEGRITY_CODES.has(code)))
    return undefined;
  const where = pg.constraint ? `, constraint ${pg.constraint}` : pg.column ? `, column ${pg.column}` : '';
  return `PostgreSQL ${code}${where}`;
}

/** Keeps a long call visibly alive, so a dead worker's attempt is retried after the heartbeat timeout. */
async function withHeartbeat<T>(work: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  if (ctx.info.isLocal) return work(); // a local activity lives inside the workflow task: nothing to keep alive
  const timer = setInterval(() => ctx.heartbeat(), 1000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** A tenant's own list (names, or specs with descriptions and examples), or the product's default. */
function tenantList<T>(settings: Record<string, unknown>, key: string, fallback: readonly T[]): T[] {
  const value = ownValue(settings, key);
  return Array.isArray(value) && value.length > 0 ? (value as T[]) : [...fallback];
}

export function createActivities(deps: ActivityDeps) {
  const { tickets, tenants, logger } = deps;

  const notFound = (ticketId: string) =>
    ApplicationFailure.create({
      type: FAILURE_TICKET_NOT_FOUND,
      message: `ticket ${ticketId} not found`,
      nonRetryable: true,
    });

  async function loadTicket(tenantId: string, ticketId: string) {
    const ticket = await tickets.findById(tenantId, ticketId);
    if (!ticket) throw notFound(ticketId);
    return ticket;
  }

  /** The ticket's text (never changes): cached by the repository, so the steps of one triage read it once. */
  async function loadText(tenantId: string, ticketId: string) {
    const text = await tickets.findText(tenantId, ticketId);
    if (!text) throw notFound(ticketId);
    return text;
  }

  /** The tenant's categories and products for the classifier (its settings, or the product's defaults). */
  function classifierLists(settings: Record<string, unknown>) {
    return {
      categories: tenantList<string | CategorySpec>(settings, 'categories', DEFAULT_CATEGORIES),
      products: tenantList<string>(settings, 'products', PRODUCTS),
    };
  }

  function triggersOf(settings: Record<string, unknown> | undefined): EscalationTriggers {
    const configured = (settings as { escalation_triggers?: Partial<EscalationTriggers> } | undefined)
      ?.escalation_triggers;
    return { ...DEFAULT_ESCALATION_TRIGGERS, ...configured };
  }

  /** A change the database refuses on its data fails for good, with the reason (never the data). */
  function refusalOf(change: TicketChange, error: unknown): unknown {
    const refused = dataRefusal(error);
    if (!refused) return error;
    logger.warn(
      { tenant_id: change.tenantId, ticket_id: change.ticketId, action: change.action, reason: refused },
      'ticket change refused',
    );
    return ApplicationFailure.create({
      type: 'InvalidData',
      message: `the change holds data the database refuses (${refused})`,
      nonRetryable: true,
    });
  }

  /** The log line and metrics of a persisted change. */
  async function changePersisted(change: TicketChange, applied: boolean): Promise<void> {
    const log = {
      tenant_id: change.tenantId,
      ticket_id: change.ticketId,
      action: change.action,
      to: change.mirror.status,
      applied,
    };
    if (change.slaEvent)
      logger.warn({ ...log, clock: change.slaEvent.clock, kind: change.slaEvent.kind }, 'SLA alert');
    else logger.info(log, 'ticket change');
    if (applied) await countChange(change);
  }

  /** Metrics of a change applied for the first time (a retried activity counts nothing twice). */
  async function countChange(change: TicketChange): Promise<void> {
    if (change.slaEvent) {
      const { clock, kind, dueAt } = change.slaEvent;
      metrics.slaAlerts.inc({ clock, kind });
      metrics.slaAlertLateness.observe({ kind }, Math.max(0, (Date.now() - Date.parse(dueAt)) / 1000));
    }
    if (change.action === 'triage_completed' || change.action === 'triage_failed') {
      metrics.ticketsTriaged.inc({ outcome: change.action === 'triage_completed' ? 'triaged' : 'failed' });
      const ticket = await tickets.findText(change.tenantId, change.ticketId);
      if (ticket) metrics.triageDuration.observe((Date.now() - new Date(ticket.created_at).getTime()) / 1000);
    }
  }

  return {
    /** Whether an ITSM event has anywhere to go: the workflow schedules no sync for a tenant without a tool. */
    async itsmConfigured(input: { tenantId: string }): Promise<boolean> {
      return deps.itsm.isConfigured(input.tenantId);
    },

    /** What the ticket workflow needs to know about this worker's models before triage. */
    async triageSetup(): Promise<{ modelsAreLocal: boolean }> {
      return { modelsAreLocal: deps.modelsAreLocal };
    },

    /**
     * Returns this worker's clock after the write: the ticket workflow plans its timers by it (TicketRun.now); and
     * whether this worker's models are offline, which a triage started by this change needs to know (patch
     * triage-in-fewer-steps: asked here instead of by a triageSetup step of its own).
     */
    async persistTicketChange(
      change: TicketChange,
    ): Promise<{ persistedAtMs: number; modelsAreLocal: boolean }> {
      let applied: boolean;
      try {
        ({ applied } = await tickets.applyChange(change));
      } catch (error) {
        throw refusalOf(change, error);
      }
      await changePersisted(change, applied);
      return { persistedAtMs: Date.now(), modelsAreLocal: deps.modelsAreLocal };
    },

    /**
     * Triage's three model steps in one local activity, for offline models (patch triage-in-fewer-steps): the
     * ticket and the tenant are read once. A classification that fails fails the step (retried, then the ticket
     * goes to ai_failed); retrieval and drafting only help, so their failure is answered, not thrown (an offline
     * model fails the same way on every attempt), and the ticket is triaged without them.
     */
    async triageTicket(input: { tenantId: string; ticketId: string; limit: number }): Promise<{
      classification: Classification;
      passages: Passage[];
      draft: Draft;
      retrievalError?: string;
      draftError?: string;
    }> {
      const [ticket, tenant] = await Promise.all([
        loadText(input.tenantId, input.ticketId),
        tenants.findByIdOrSlug(input.tenantId),
      ]);
      const text = ticketText(ticket);
      const classification = await deps.classifier.classify({
        text,
        ...classifierLists(tenant?.settings ?? {}),
      });
      let passages: Passage[] = [];
      let retrievalError: string | undefined;
      try {
        passages = await deps.retriever.retrieve({
          tenantId: input.tenantId,
          query: text,
          limit: input.limit,
        });
      } catch (error) {
        retrievalError = String(error);
      }
      let draft: Draft = { body: '', citations: [], model: 'none' };
      let draftError: string | undefined;
      try {
        draft = await deps.drafter.draft({ text, classification, passages });
      } catch (error) {
        draftError = String(error);
      }
      return {
        classification,
        passages,
        draft,
        ...(retrievalError ? { retrievalError } : {}),
        ...(draftError ? { draftError } : {}),
      };
    },

    /**
     * The end of a triage in one local activity and one transaction (patch triage-in-fewer-steps): its result
     * recorded, the change to `triage_completed` persisted, and seed 003's escalation triggers evaluated.
     */
    async completeTriage(input: {
      record: TriageRecord;
      change: TicketChange;
      triggers: { sentiment: number; customerTier: CustomerTier; bestRetrievalScore: number | null };
    }): Promise<{ persistedAtMs: number; decision: TriggerDecision | null }> {
      const { record, change } = input;
      let applied: boolean;
      try {
        ({ applied } = await tickets.recordTriageAndApplyChange(record, change));
      } catch (error) {
        throw refusalOf(change, error);
      }
      const persistedAtMs = Date.now();
      await changePersisted(change, applied);
      const [ticket, tenant] = await Promise.all([
        loadText(change.tenantId, change.ticketId),
        tenants.findByIdOrSlug(change.tenantId),
      ]);
      const decision = evaluateTriggers(triggersOf(tenant?.settings), {
        text: ticketText(ticket),
        ...input.triggers,
      });
      return { persistedAtMs, decision };
    },

    async classifyTicket(input: { tenantId: string; ticketId: string }): Promise<Classification> {
      const [ticket, tenant] = await Promise.all([
        loadText(input.tenantId, input.ticketId),
        tenants.findByIdOrSlug(input.tenantId),
      ]);
      return withHeartbeat(() =>
        deps.classifier.classify({ text: ticketText(ticket), ...classifierLists(tenant?.settings ?? {}) }),
      );
    },

    async retrieveKnowledge(input: {
      tenantId: string;
      ticketId: string;
      limit: number;
    }): Promise<Passage[]> {
      const ticket = await loadText(input.tenantId, input.ticketId);
      return withHeartbeat(() =>
        deps.retriever.retrieve({ tenantId: input.tenantId, query: ticketText(ticket), limit: input.limit }),
      );
    },

    async draftReply(input: {
      tenantId: string;
      ticketId: string;
      classification: Classification;
      passages: Passage[];
    }): Promise<Draft> {
      const ticket = await loadText(input.tenantId, input.ticketId);
      return withHeartbeat(() =>
        deps.drafter.draft({
          text: ticketText(ticket),
          classification: input.classification,
          passages: input.passages,
        }),
      );
    },

    async listNotificationTargets(input: {
      tenantId: string;
      kind?: 'warning' | 'breach';
    }): Promise<string[]> {
      return deps.notifications.activeTargetIds(input.tenantId, input.kind ?? 'breach');
    },

    /** One alert to one target. The target's URL and secret are read here, so they never enter workflow history. */
    async deliverSlaNotification(input: AlertKey & { targetId: string }): Promise<void> {
      const { targetId, ...key } = input;
      const attempt = Context.current().info.attempt;
      if (await deps.notifications.wasDelivered(key, targetId)) return;
      const [target, ticket, event] = await Promise.all([
        deps.notifications.open(key.tenantId, targetId),
        loadTicket(key.tenantId, key.ticketId),
        tickets.findSlaEvent(key),
      ]);
      if (!target || !event) return; // the target was removed, or the alert is not recorded: nothing to send
      const { publicUrl, temporalUiUrl, namespace } = deps.links;
      const message: SlaAlertMessage = {
        event_id: `${key.ticketId}:${key.clock}:${key.cycle}:${key.kind}:${key.threshold}:${targetId}`,
        type: key.kind === 'breach' ? 'sla.breach' : 'sla.warning',
        ticket: {
          id: ticket.id,
          title: ticket.title,
          priority: event.priority,
          customer_tier: ticket.customer_tier,
          status: ticket.status,
          url: `${publicUrl}/v1/tickets/${ticket.id}`,
        },
        clock: key.clock,
        threshold: key.threshold,
        cycle: key.cycle,
        deadline: event.deadline.toISOString(),
        fired_at: event.fired_at.toISOString(),
        remaining_seconds: event.remaining_seconds,
        temporal_ui_url: temporalUiUrl
          ? `${temporalUiUrl}/namespaces/${namespace}/workflows/${ticket.workflow_id}`
          : null,
      };
      try {
        const { httpStatus } = await deliverAlert(target, message, { outbound: deps.outbound });
        metrics.notificationDeliveries.inc({ status: 'sent' });
        await deps.notifications.recordAttempt(key, targetId, {
          status: 'sent',
          attempts: attempt,
          httpStatus,
        });
      } catch (error) {
        const failure = error instanceof DeliveryError ? error : new DeliveryError(String(error), true);
        if (failure.httpStatus === 429) {
          // The target asked us to wait: one log line per wait, and the retry comes when it said (Retry-After).
          logger.info(
            {
              tenant_id: key.tenantId,
              ticket_id: key.ticketId,
              target_id: targetId,
              attempt,
              wait_ms: failure.retryAfterMs,
            },
            'SLA notification waits for the rate limit',
          );
        }
        metrics.notificationDeliveries.inc({ status: failure.retryable ? 'retrying' : 'failed' });
        await deps.notifications.recordAttempt(key, targetId, {
          status: failure.retryable ? 'retrying' : 'failed',
          attempts: attempt,
          httpStatus: failure.httpStatus,
          error: failure.message,
        });
        throw ApplicationFailure.create({
          type: failure.httpStatus === 429 ? 'NotificationRateLimited' : 'NotificationDeliveryFailed',
          message: failure.message,
          nonRetryable: !failure.retryable,
          ...(failure.retryAfterMs ? { nextRetryDelay: failure.retryAfterMs } : {}),
          // A wait is expected, not a fault: the SDK logs it at debug level (logged once above).
          ...(failure.httpStatus === 429 ? { category: ApplicationFailureCategory.BENIGN } : {}),
        });
      }
    },

    async recordNotificationOutcome(
      input: AlertKey & { status: 'sent' | 'failed' | 'not_configured' },
    ): Promise<void> {
      const { status, ...key } = input;
      await deps.notifications.recordOutcome(key, status);
    },

    /** Seed 003's escalation triggers over the ticket's text and the tenant's trigger settings. */
    async checkEscalationTriggers(input: {
      tenantId: string;
      ticketId: string;
      sentiment: number;
      customerTier: CustomerTier;
      bestRetrievalScore: number | null;
    }): Promise<TriggerDecision | null> {
      const [ticket, tenant] = await Promise.all([
        loadText(input.tenantId, input.ticketId),
        tenants.findByIdOrSlug(input.tenantId),
      ]);
      return evaluateTriggers(triggersOf(tenant?.settings), {
        text: ticketText(ticket),
        sentiment: input.sentiment,
        customerTier: input.customerTier,
        bestRetrievalScore: input.bestRetrievalScore,
      });
    },

    async listOpenTicketIds(input: {
      tenantId: string;
      afterId: string | null;
      limit: number;
    }): Promise<string[]> {
      return tickets.openTicketIds(input.tenantId, input.afterId, input.limit);
    },

    async recordTriage(record: TriageRecord): Promise<void> {
      await tickets.recordTriage(record);
    },

    /**
     * Syncs one event to the tenant's ITSM tool. Answers what happened, so the workflow can show `not_configured`
     * (no tool: nothing synced, nothing recorded) instead of `synced` in its ItsmSync search attribute.
     */
    async syncTicketToItsm(
      event: ItsmEvent,
    ): Promise<{ status: 'not_configured' | ItsmSyncOutcome['status'] }> {
      const startedAt = new Date();
      const attempt = Context.current().info.attempt;
      /** One row of the sync log for this attempt (the metadata always names the ITSM event). */
      const record = (
        entry: {
          system: string;
          status: 'failed' | 'success' | 'pending' | 'skipped';
          errorMessage?: string;
        },
        metadata: Record<string, unknown> = {},
      ) =>
        tickets.recordSync({
          tenantId: event.tenantId,
          ticketId: event.ticketId,
          direction: 'outbound',
          operation: event.type,
          attempts: attempt,
          durationMs: Date.now() - startedAt.getTime(),
          startedAt,
          ...entry,
          metadata: { event_id: event.eventId, ...metadata },
        });
      try {
        const outcome = await deps.itsm.sync(event);
        if (outcome.system === 'none') {
          // No ITSM tool configured for the tenant: nothing was synced, so nothing is recorded as a sync.
          metrics.itsmSyncs.inc({ system: 'none', status: 'not_configured' });
          return { status: 'not_configured' };
        }
        metrics.itsmSyncs.inc({ system: outcome.system, status: outcome.status });
        await record(
          { system: outcome.system, status: outcome.status },
          outcome.detail ? { detail: outcome.detail } : {},
        );
        return { status: outcome.status };
      } catch (error) {
        if (error instanceof ApplicationFailure && error.type === ITSM_RATE_LIMITED) {
          // A wait for capacity, not a failure: Temporal retries when the capacity is back (nextRetryDelay),
          // and the wait is logged and recorded once, not once per attempt.
          const wait = error.details?.[0] as RateLimitWait | undefined;
          metrics.itsmSyncs.inc({ system: 'itsm', status: 'rate_limited' });
          if (wait?.newWait !== false) {
            logger.info(
              {
                tenant_id: event.tenantId,
                ticket_id: event.ticketId,
                operation: event.type,
                attempt,
                wait_ms: wait?.waitMs,
              },
              'ITSM sync waits for the rate limit',
            );
            await record(
              { system: 'itsm', status: 'pending', errorMessage: error.message },
              { wait_ms: wait?.waitMs },
            );
          }
          throw error;
        }
        metrics.itsmSyncs.inc({ system: 'itsm', status: 'failed' });
        await record({
          system: 'itsm',
          status: 'failed',
          errorMessage: error instanceof Error ? error.message : String(error),
        });
        throw error;
      }
    },
  };
}

export type TicketActivities = ReturnType<typeof createActivities>;
