/**
 * Generic signed-webhook connector: each operation POSTs one event to the tenant's `base_url`.
 *
 * Contract (documented for receivers):
 * - body: `{ event_id, type, … }`: `ticket.created` carries `tenant_id`, `ticket_id` and `ticket` (the snapshot);
 *   later events carry `external_id` (the receiver's id if it answered one, else our ticket id) and `change`,
 *   `comment: { body, is_public }` or `resolution`;
 *   JSON, UTF-8; `type` is one of `ticket.created`, `ticket.updated`, `ticket.commented`, `ticket.resolved`,
 *   `ticket.closed`
 * - headers: `X-Event-Id` (= body `event_id`, stable across retries), `X-Signature-Timestamp` (unix seconds),
 *   `X-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>">` with the shared secret
 * - receivers must refuse timestamps older than 5 minutes, compare signatures in constant time and process
 *   each `event_id` once (a retry re-sends the same event id with a new timestamp and signature)
 * - any 2xx is success; a JSON answer may carry `external_id`, `external_url` and `status`
 *
 * Exactly-once create is the receiver's dedupe on `event_id`: a retried activity sends the same event id.
 * There is nothing to look up, so `findByCorrelation` is always null and `getStatus` reports what we last knew.
 */
import type { WebhookConfig } from './config';
import { mapInboundStatus } from './config';
import { correlationKey, derivedEventId } from './common';
import { createHttpClient } from './http';
import { signedHeaders } from '../../platform/crypto/signing';
import type {
  CommentInput,
  CommentResult,
  ConnectorOptions,
  CreateResult,
  ExternalRef,
  ExternalStatus,
  ItsmConnector,
  ItsmTicketSnapshot,
  ResolveInput,
  UpdateInput,
} from './types';
import { TICKET_STATUSES, type TicketStatus } from '../../domain/vocabulary';

export type WebhookEventType =
  'ticket.created' | 'ticket.updated' | 'ticket.commented' | 'ticket.resolved' | 'ticket.closed';

interface ReceiverAnswer {
  external_id?: unknown;
  external_url?: unknown;
  status?: unknown;
}

export function createWebhookConnector(
  config: WebhookConfig,
  options: ConnectorOptions & { now?: () => number } = {},
): ItsmConnector {
  const secret = config.credentials.secret;
  const now = options.now ?? Date.now;
  const http = createHttpClient({
    system: 'webhook',
    baseUrl: config.base_url,
    headers: { 'user-agent': 'support-triage-webhook/1' },
    secrets: [secret],
    outbound: options.outbound,
    timeoutMs: options.timeoutMs,
    rateLimiter: options.rateLimiter,
  });

  async function send(
    type: WebhookEventType,
    eventId: string,
    payload: Record<string, unknown>,
  ): Promise<ReceiverAnswer> {
    const raw = JSON.stringify({ event_id: eventId, type, ...payload });
    const res = await http.request<ReceiverAnswer | string | null>({
      method: 'POST',
      path: '',
      raw: { body: raw, contentType: 'application/json' },
      headers: signedHeaders(secret, raw, eventId, now()),
      operation: type.replace('ticket.', ''),
    });
    return res.body && typeof res.body === 'object' ? res.body : {};
  }

  function refFrom(answer: ReceiverAnswer, ref: ExternalRef, status: string | null): ExternalRef {
    return {
      system: 'webhook',
      externalId: typeof answer.external_id === 'string' ? answer.external_id : ref.externalId,
      externalUrl: typeof answer.external_url === 'string' ? answer.external_url : ref.externalUrl,
      externalStatus: typeof answer.status === 'string' ? answer.status : status,
    };
  }

  async function createTicket(
    snapshot: ItsmTicketSnapshot,
    { eventId }: { eventId: string },
  ): Promise<CreateResult> {
    correlationKey(snapshot.ticketId, 'webhook'); // same ticket id rules as the other tools
    const ticket = config.settings.include_content
      ? snapshot
      : {
          ticketId: snapshot.ticketId,
          tenantId: snapshot.tenantId,
          status: snapshot.status,
          priority: snapshot.priority,
        };
    const answer = await send('ticket.created', eventId, {
      tenant_id: snapshot.tenantId,
      ticket_id: snapshot.ticketId,
      ticket,
    });
    const base: ExternalRef = {
      system: 'webhook',
      externalId: snapshot.ticketId,
      externalUrl: null,
      externalStatus: snapshot.status,
    };
    return { ...refFrom(answer, base, snapshot.status), created: true };
  }

  async function updateTicket(ref: ExternalRef, input: UpdateInput): Promise<ExternalRef> {
    const change = { status: input.status, priority: input.priority };
    const eventId = input.eventId ?? derivedEventId('update', ref.externalId, input.status, input.priority);
    const answer = await send('ticket.updated', eventId, { external_id: ref.externalId, change });
    return refFrom(answer, ref, input.status ?? ref.externalStatus);
  }

  async function addComment(ref: ExternalRef, input: CommentInput): Promise<CommentResult> {
    await send('ticket.commented', input.eventId, {
      external_id: ref.externalId,
      comment: { body: input.body, is_public: input.isPublic },
    });
    return { created: true, externalCommentId: null };
  }

  async function resolve(ref: ExternalRef, input: ResolveInput): Promise<ExternalRef> {
    const eventId = input.eventId ?? derivedEventId('resolve', ref.externalId, input.resolution);
    const answer = await send('ticket.resolved', eventId, {
      external_id: ref.externalId,
      resolution: input.resolution ?? null,
    });
    return refFrom(answer, ref, 'resolved');
  }

  async function close(ref: ExternalRef, input: { eventId?: string } = {}): Promise<ExternalRef> {
    const eventId = input.eventId ?? derivedEventId('close', ref.externalId);
    const answer = await send('ticket.closed', eventId, { external_id: ref.externalId });
    return refFrom(answer, ref, 'closed');
  }

  async function getStatus(ref: ExternalRef): Promise<ExternalStatus> {
    const externalStatus = ref.externalStatus ?? 'unknown';
    const ours = (TICKET_STATUSES as readonly string[]).includes(externalStatus)
      ? (externalStatus as TicketStatus)
      : mapInboundStatus(config, externalStatus);
    return { externalStatus, mappedStatus: ours };
  }

  return {
    toolType: 'webhook',
    findByCorrelation: async () => null,
    createTicket,
    updateTicket,
    addComment,
    resolve,
    close,
    getStatus,
  };
}
