/**
 * The ItsmGateway the sync activity uses: the tenant's connector, its stored external reference, and the
 * event's effect on the external ticket. Creation is exactly once: the reference is looked up locally, then
 * by correlation key remotely (the connector), before anything is created.
 */
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type { ItsmEvent, ItsmGateway, ItsmSyncOutcome } from './ports';
import type { TicketRepository } from '../../stores/ticket-repository';
import type { Priority, TicketStatus } from '../../domain/vocabulary';
import { type RateLimiter, isItsmError } from './http';
import { createConnector } from './registry';
import type { ExternalRef, ItsmConnector, ItsmTicketSnapshot } from './types';
import type { IntegrationRepository } from '../../stores/integration-repository';
import type { OutboundPolicy } from '../../platform/net/outbound-policy';

export interface ItsmGatewayDeps {
  integrations: IntegrationRepository;
  tickets: TicketRepository;
  /** One limiter per tenant, shared by every sync in this worker. */
  rateLimiterFor(tenantId: string, perMinute: number): RateLimiter;
  publicUrl: string;
  /** The outbound policy every call to the tenant's base URL goes through. */
  outbound: OutboundPolicy;
  timeoutMs?: number;
}

export const ITSM_RATE_LIMITED = 'Itsm_rate_limited';

/** What a rate-limited attempt's failure carries (its `details[0]`). */
export interface RateLimitWait {
  waitMs: number;
  /** False when the attempt came back early within the same wait (not logged again). */
  newWait: boolean;
}

/**
 * Retryable ITSM errors wait as long as the tool asked (Retry-After) or our limiter reserved; permanent ones stop
 * retrying. A rate-limited attempt is an expected wait, not a fault: BENIGN, so the SDK logs it at debug level
 * (the activity logs each wait once).
 */
export function toActivityFailure(error: unknown): unknown {
  if (!isItsmError(error)) return error;
  const rateLimited = error.kind === 'rate_limited';
  return ApplicationFailure.create({
    type: `Itsm_${error.kind}`,
    message: error.message,
    nonRetryable: !error.retryable,
    ...(error.retryAfterMs ? { nextRetryDelay: error.retryAfterMs } : {}),
    ...(rateLimited
      ? {
          category: ApplicationFailureCategory.BENIGN,
          details: [{ waitMs: error.retryAfterMs ?? 0, newWait: error.newWait } satisfies RateLimitWait],
        }
      : {}),
  });
}

export function createItsmGateway(deps: ItsmGatewayDeps): ItsmGateway {
  async function ensureRef(
    connector: ItsmConnector,
    snapshot: ItsmTicketSnapshot,
    eventId: string,
  ): Promise<{ ref: ExternalRef; created: boolean }> {
    const known = await deps.integrations.findRef(snapshot.tenantId, snapshot.ticketId, connector.toolType);
    if (known) return { ref: known, created: false };
    const result = await connector.createTicket(snapshot, { eventId });
    const ref: ExternalRef = {
      system: result.system,
      externalId: result.externalId,
      externalUrl: result.externalUrl,
      externalStatus: result.externalStatus,
    };
    await deps.integrations.saveRef(snapshot.tenantId, snapshot.ticketId, ref);
    return { ref, created: result.created };
  }

  return {
    isConfigured: (tenantId) => deps.integrations.isActive(tenantId),
    async sync(event: ItsmEvent): Promise<ItsmSyncOutcome> {
      const integration = await deps.integrations.open(event.tenantId);
      if (!integration) {
        return {
          system: 'none',
          status: 'skipped',
          detail: 'no ITSM integration configured for this tenant',
        };
      }
      const ticket = await deps.tickets.findById(event.tenantId, event.ticketId);
      if (!ticket)
        return { system: integration.config.tool_type, status: 'skipped', detail: 'ticket not found' };
      const perMinute =
        (integration.config.settings as { rate_limit_per_minute?: number }).rate_limit_per_minute ?? 60;
      const connector = createConnector(integration.config, {
        outbound: deps.outbound,
        timeoutMs: deps.timeoutMs,
        // The event is the holder: its attempts share one reservation at the tenant's limiter.
        rateLimiter: deps.rateLimiterFor(event.tenantId, perMinute).forHolder(event.eventId),
      });
      const snapshot: ItsmTicketSnapshot = {
        ticketId: ticket.id,
        tenantId: ticket.tenant_id,
        title: ticket.title,
        content: ticket.content,
        status: ticket.status as TicketStatus,
        priority: ticket.priority as Priority,
        category: ticket.category,
        customerTier: ticket.customer_tier,
        requesterEmail: ticket.requester_email,
        assignee: ticket.assignee,
        url: `${deps.publicUrl}/v1/tickets/${ticket.id}`,
      };
      try {
        const { ref, created } = await ensureRef(connector, snapshot, event.eventId);
        let saved = ref;
        switch (event.type) {
          case 'created':
            break;
          case 'triaged':
          case 'updated':
          case 'reopened':
            if (!created)
              saved = await connector.updateTicket(ref, {
                status: snapshot.status,
                priority: snapshot.priority,
                eventId: event.eventId,
              });
            break;
          case 'commented': {
            const message = event.sourceEventId
              ? await deps.tickets.findMessageByEvent(event.tenantId, event.sourceEventId)
              : undefined;
            if (message)
              await connector.addComment(ref, {
                body: message.body,
                isPublic: message.is_public,
                eventId: event.eventId,
              });
            break;
          }
          case 'resolved':
            saved = await connector.resolve(ref, { resolution: event.note, eventId: event.eventId });
            break;
          case 'closed':
            saved = await connector.close(ref, { eventId: event.eventId });
            break;
        }
        if (saved !== ref) await deps.integrations.saveRef(event.tenantId, event.ticketId, saved);
        return {
          system: connector.toolType,
          status: 'success',
          externalId: saved.externalId,
          detail: created ? 'created the external ticket' : undefined,
        };
      } catch (error) {
        throw toActivityFailure(error);
      }
    },
  };
}
