/**
 * Zendesk connector, Ticketing API (https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/):
 *
 * - auth: basic `{email_address}/token:{api_token}` (API token authentication)
 * - find by correlation: `GET /api/v2/tickets.json?external_id=<key>` (List Tickets by external id)
 * - create: `POST /api/v2/tickets.json` `{ ticket: { subject, comment: { body, public }, external_id, priority,
 *   type, tags, group_id, requester, custom_fields: [{ id, value }] } }` with an `Idempotency-Key` header
 *   (Ticketing API "Idempotency")
 * - update / comment / resolve / close: `PUT /api/v2/tickets/{id}.json` with `status` (new, open, pending, hold,
 *   solved, closed), `priority` (low, normal, high, urgent), `comment: { body, public }`
 * - comment dedupe: `GET /api/v2/tickets/{id}/comments.json?sort_order=desc`
 * - status: `GET /api/v2/tickets/{id}.json`
 * - 429 with `Retry-After` (and `ratelimit-reset`, `zendesk-ratelimit-tickets-index`)
 *
 * Exactly-once create: `external_id = triage-<ticketId>` is looked up first, and the create carries an
 * Idempotency-Key derived from the event id, so a create whose response was lost is replayed by Zendesk
 * rather than repeated.
 */
import type { ZendeskConfig, ZendeskStatus } from './config';
import { mapInboundStatus } from './config';
import {
  correlationKey,
  createOnce,
  derivedEventId,
  describe,
  hasMarker,
  markerId,
  truncate,
  withMarker,
} from './common';
import { basicAuth, createHttpClient, type ClassifiedFailure, type FailureContext } from './http';
import type {
  CommentInput,
  CommentResult,
  ConnectorOptions,
  ExternalRef,
  ExternalStatus,
  ItsmConnector,
  ItsmTicketSnapshot,
  ResolveInput,
  UpdateInput,
} from './types';

interface ZendeskTicket {
  id: number;
  status?: string;
  external_id?: string | null;
}

interface ZendeskComment {
  id: number;
  body?: string;
  plain_body?: string;
}

/** Zendesk reports a reused idempotency key with a different payload, or duplicate values, in the error name. */
function classify(ctx: FailureContext): ClassifiedFailure | undefined {
  if (ctx.status < 400) return undefined;
  const error = (ctx.body as { error?: unknown } | null)?.error;
  const name = typeof error === 'string' ? error : ((error as { title?: string } | undefined)?.title ?? '');
  if (/idempot|duplicate/i.test(name)) return { kind: 'conflict', retryable: false };
  return undefined;
}

export function createZendeskConnector(config: ZendeskConfig, options: ConnectorOptions = {}): ItsmConnector {
  const { settings } = config;
  const auth = basicAuth(`${config.credentials.email}/token`, config.credentials.api_token);
  const http = createHttpClient({
    system: 'zendesk',
    baseUrl: config.base_url,
    headers: { authorization: auth },
    secrets: [config.credentials.api_token, auth, auth.slice('Basic '.length)],
    outbound: options.outbound,
    timeoutMs: options.timeoutMs,
    rateLimiter: options.rateLimiter,
    classify,
  });

  const ticketPath = (id: string) => `/api/v2/tickets/${encodeURIComponent(id)}.json`;
  const toRef = (ticket: ZendeskTicket): ExternalRef => ({
    system: 'zendesk',
    externalId: String(ticket.id),
    externalUrl: `${config.base_url}/agent/tickets/${ticket.id}`,
    externalStatus: ticket.status ?? null,
  });

  async function get(id: string): Promise<ZendeskTicket> {
    const res = await http.request<{ ticket: ZendeskTicket }>({
      method: 'GET',
      path: ticketPath(id),
      operation: 'get_status',
    });
    return res.body.ticket;
  }

  async function put(id: string, ticket: Record<string, unknown>, operation: string) {
    const res = await http.request<{
      ticket: ZendeskTicket;
      audit?: { events?: Array<{ id: number; type: string }> };
    }>({ method: 'PUT', path: ticketPath(id), json: { ticket }, operation });
    return res.body;
  }

  async function commentWithMarker(id: string, eventId: string): Promise<ZendeskComment | undefined> {
    const res = await http.request<{ comments?: ZendeskComment[] }>({
      method: 'GET',
      path: `/api/v2/tickets/${encodeURIComponent(id)}/comments.json`,
      query: { sort_order: 'desc' },
      operation: 'list_comments',
    });
    return (res.body?.comments ?? []).find((c) => hasMarker(c.body ?? c.plain_body, eventId));
  }

  async function findByCorrelation(ticketId: string): Promise<ExternalRef | null> {
    const key = correlationKey(ticketId, 'zendesk');
    const res = await http.request<{ tickets?: ZendeskTicket[] }>({
      method: 'GET',
      path: '/api/v2/tickets.json',
      query: { external_id: key },
      operation: 'find',
    });
    const matches = (res.body?.tickets ?? [])
      .filter((t) => t.external_id === key)
      .sort((a, b) => a.id - b.id);
    return matches[0] ? toRef(matches[0]) : null;
  }

  async function createTicket(snapshot: ItsmTicketSnapshot, { eventId }: { eventId: string }) {
    const key = correlationKey(snapshot.ticketId, 'zendesk');
    return createOnce(
      () => findByCorrelation(snapshot.ticketId),
      async () => {
        const customFields = Object.entries(settings.custom_fields).map(([id, value]) => ({
          id: Number(id),
          value,
        }));
        const res = await http.request<{ ticket: ZendeskTicket }>({
          method: 'POST',
          path: '/api/v2/tickets.json',
          headers: { 'idempotency-key': `${key}:${markerId(eventId)}` },
          json: {
            ticket: {
              ...settings.default_fields,
              subject: truncate(snapshot.title || snapshot.content, 150),
              comment: { body: describe(snapshot), public: settings.public_description },
              external_id: key,
              priority: settings.priority_mapping[snapshot.priority],
              tags: [...new Set(['support-triage', ...settings.tags])],
              ...(settings.ticket_type ? { type: settings.ticket_type } : {}),
              ...(settings.group_id ? { group_id: settings.group_id } : {}),
              ...(settings.assignee_id ? { assignee_id: settings.assignee_id } : {}),
              ...(settings.brand_id ? { brand_id: settings.brand_id } : {}),
              ...(snapshot.requesterEmail ? { requester: { email: snapshot.requesterEmail } } : {}),
              ...(customFields.length > 0 ? { custom_fields: customFields } : {}),
            },
          },
          operation: 'create',
        });
        return toRef(res.body.ticket);
      },
    );
  }

  async function updateTicket(ref: ExternalRef, input: UpdateInput): Promise<ExternalRef> {
    const ticket: Record<string, unknown> = {};
    if (input.priority) ticket.priority = settings.priority_mapping[input.priority];
    const status = input.status ? settings.status_mapping[input.status] : undefined;
    if (status) ticket.status = status;
    if (Object.keys(ticket).length === 0) return ref;
    return toRef((await put(ref.externalId, ticket, 'update')).ticket);
  }

  async function addComment(ref: ExternalRef, input: CommentInput): Promise<CommentResult> {
    const already = await commentWithMarker(ref.externalId, input.eventId);
    if (already) return { created: false, externalCommentId: String(already.id) };
    const body = await put(
      ref.externalId,
      { comment: { body: withMarker(input.body, input.eventId), public: input.isPublic } },
      'comment',
    );
    const event = body.audit?.events?.find((e) => e.type === 'Comment');
    return { created: true, externalCommentId: event ? String(event.id) : null };
  }

  async function resolve(ref: ExternalRef, input: ResolveInput): Promise<ExternalRef> {
    const eventId = input.eventId ?? derivedEventId('resolve', ref.externalId, input.resolution);
    if (!settings.auto_transition_on_resolve) {
      if (input.resolution) {
        await addComment(ref, { body: `Resolution: ${input.resolution}`, isPublic: false, eventId });
      }
      return ref;
    }
    const ticket: Record<string, unknown> = { status: settings.target_status as ZendeskStatus };
    if (settings.assignee_id) ticket.assignee_id = settings.assignee_id;
    if (input.resolution && !(await commentWithMarker(ref.externalId, eventId))) {
      ticket.comment = { body: withMarker(`Resolution: ${input.resolution}`, eventId), public: false };
    }
    return toRef((await put(ref.externalId, ticket, 'resolve')).ticket);
  }

  async function close(ref: ExternalRef): Promise<ExternalRef> {
    const current = await get(ref.externalId);
    // A closed Zendesk ticket cannot be updated any more: closing twice is a no-op.
    if (current.status === 'closed') return toRef(current);
    return toRef((await put(ref.externalId, { status: 'closed' }, 'close')).ticket);
  }

  async function getStatus(ref: ExternalRef): Promise<ExternalStatus> {
    const ticket = await get(ref.externalId);
    const externalStatus = ticket.status ?? 'unknown';
    return { externalStatus, mappedStatus: mapInboundStatus(config, externalStatus) };
  }

  return {
    toolType: 'zendesk',
    findByCorrelation,
    createTicket,
    updateTicket,
    addComment,
    resolve,
    close,
    getStatus,
  };
}
