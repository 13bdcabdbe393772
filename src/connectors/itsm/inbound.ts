/**
 * Inbound webhooks from the tenants' tools: signature verification with a replay window, and parsing into one
 * event shape the workflow can apply.
 *
 * Signatures (all compared in constant time):
 * - `webhook`, `servicenow`, `servicedesk_plus`: our scheme (signing.ts) — `X-Signature-Timestamp: <unix s>`,
 *   `X-Signature: v1=<hex HMAC-SHA256("<timestamp>.<raw body>")>`; ServiceNow (outbound REST message / business
 *   rule) and SDP (custom trigger) senders are configured to sign this way.
 * - `zendesk`: `X-Zendesk-Webhook-Signature = base64(HMAC-SHA256(timestamp + body))` with
 *   `X-Zendesk-Webhook-Signature-Timestamp` (developer.zendesk.com "Verifying webhook authenticity").
 * - `jira`: secret-protected admin webhooks carry `X-Hub-Signature: sha256=<hex HMAC-SHA256(body)>` (WebSub);
 *   Jira signs no timestamp header, so the window applies to the signed body's `timestamp` (ms) when present.
 *
 * Replays inside the window are the caller's to catch: `verifyInbound` returns the event id (`X-Event-Id`,
 * `X-Atlassian-Webhook-Identifier`, `X-Zendesk-Webhook-Invocation-Id`, or the body's `event_id`), which the
 * caller records once (e.g. a unique index) and ignores when seen again.
 *
 * Payloads `parseInbound` understands:
 * - Jira: `webhookEvent` `jira:issue_updated` (status from `changelog.items[field=status].toString`; a comment
 *   riding on it) and `comment_created` (ADF `comment.body`); correlation from the `triage-<id>` label.
 * - Zendesk: the JSON body of a trigger/automation webhook we define (ZENDESK_TRIGGER_TEMPLATE), or event
 *   subscription payloads `zen:event-type:ticket.status_changed` / `ticket.comment_added`.
 * - ServiceNow, SDP and the generic webhook: our JSON contracts (SERVICENOW_CONTRACT_EXAMPLE, …).
 *
 * No sync loops: `origin: 'triage'` marks events caused by our own writes — a comment carrying our
 * `[triage-ref:…]` marker, or an actor equal to the integration user (setting `integration_user`, defaulting
 * to the connector's login) — so the caller does not apply them back.
 */
import { createHmac } from 'node:crypto';
import type { TicketStatus } from '../../domain/vocabulary';
import { ownValue } from '../../domain/lookup';
import { TICKET_STATUSES } from '../../domain/vocabulary';
import {
  adfToText,
  derivedEventId,
  findMarker,
  htmlToText,
  MARKER_PATTERN,
  sha256,
  ticketIdFromCorrelation,
} from './common';
import { DEFAULT_INBOUND_STATUS_MAPPING, mapInboundStatus, type ItsmConfig } from './config';
import { ItsmError } from './http';
import {
  EVENT_ID_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  safeEqual,
  signV1,
} from '../../platform/crypto/signing';
import type { ToolType } from './types';

export type HeaderBag = Headers | Record<string, string | string[] | undefined>;

export interface VerifyInboundOptions {
  headers: HeaderBag;
  /** The exact bytes received, before any JSON parsing. */
  rawBody: string | Buffer;
  /** The tenant's webhook secret; several during a rotation. */
  secret: string | readonly string[];
  /** Clock (ms since epoch or Date); default now. */
  now?: number | Date;
  toleranceSeconds?: number;
}

export type VerifyFailureReason = 'missing_signature' | 'malformed' | 'bad_signature' | 'stale';

export type VerifyResult =
  | { ok: true; eventId: string | null; timestamp: number | null }
  | { ok: false; reason: VerifyFailureReason; message: string };

function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const bag = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(bag).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : ownValue(bag, key);
  return Array.isArray(value) ? value[0] : value;
}

function parseJson(raw: string | Buffer): unknown {
  try {
    return JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** A Zendesk/ISO 8601 or unix-seconds timestamp → ms; undefined if unparseable. */
function timestampMs(value: string): number | undefined {
  if (/^\d{9,11}$/.test(value)) return Number(value) * 1000;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

const fail = (reason: VerifyFailureReason, message: string): VerifyResult => ({ ok: false, reason, message });

/** Verifies an inbound webhook's signature and freshness; never throws for bad input. */
export function verifyInbound(toolType: ToolType, options: VerifyInboundOptions): VerifyResult {
  const secrets = (typeof options.secret === 'string' ? [options.secret] : [...options.secret]).filter(
    (s) => s.length > 0,
  );
  if (secrets.length === 0) return fail('malformed', 'no webhook secret configured');
  const nowMs = options.now instanceof Date ? options.now.getTime() : (options.now ?? Date.now());
  const toleranceMs = (options.toleranceSeconds ?? 300) * 1000;
  const raw = typeof options.rawBody === 'string' ? Buffer.from(options.rawBody, 'utf8') : options.rawBody;
  let tsMs: number | undefined;

  if (toolType === 'zendesk') {
    const signature = header(options.headers, 'x-zendesk-webhook-signature');
    const timestamp = header(options.headers, 'x-zendesk-webhook-signature-timestamp');
    if (!signature || !timestamp) return fail('missing_signature', 'Zendesk signature headers are missing');
    tsMs = timestampMs(timestamp);
    if (tsMs === undefined) return fail('malformed', 'Zendesk signature timestamp is not a date');
    const message = Buffer.concat([Buffer.from(timestamp, 'utf8'), raw]);
    const valid = secrets.some((s) =>
      safeEqual(createHmac('sha256', s).update(message).digest('base64'), signature.trim()),
    );
    if (!valid) return fail('bad_signature', 'Zendesk signature does not match');
  } else if (toolType === 'jira') {
    const signature = header(options.headers, 'x-hub-signature');
    if (!signature) return fail('missing_signature', 'X-Hub-Signature is missing');
    const match = /^sha256=([0-9a-fA-F]{64})$/.exec(signature.trim());
    if (!match) return fail('malformed', 'X-Hub-Signature must be sha256=<hex>');
    const given = match[1]!.toLowerCase();
    const valid = secrets.some((s) => safeEqual(createHmac('sha256', s).update(raw).digest('hex'), given));
    if (!valid) return fail('bad_signature', 'X-Hub-Signature does not match');
    const ts = (parseJson(raw) as { timestamp?: unknown } | undefined)?.timestamp;
    if (typeof ts === 'number' && Number.isFinite(ts)) tsMs = ts;
  } else {
    const signature = header(options.headers, SIGNATURE_HEADER);
    const timestamp = header(options.headers, TIMESTAMP_HEADER);
    if (!signature || !timestamp)
      return fail('missing_signature', 'X-Signature and X-Signature-Timestamp are required');
    if (!/^\d{1,12}$/.test(timestamp.trim()))
      return fail('malformed', 'X-Signature-Timestamp must be unix seconds');
    tsMs = Number(timestamp.trim()) * 1000;
    const given = signature
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.startsWith('v1='));
    if (given.length === 0) return fail('malformed', 'X-Signature must contain a v1= signature');
    const valid = secrets.some((s) => {
      const expected = signV1(s, timestamp.trim(), raw);
      return given.some((g) => safeEqual(expected, g));
    });
    if (!valid) return fail('bad_signature', 'X-Signature does not match');
  }

  if (tsMs !== undefined && Math.abs(nowMs - tsMs) > toleranceMs) {
    return fail('stale', `timestamp is outside the ${toleranceMs / 1000} s window`);
  }
  return {
    ok: true,
    eventId: eventIdFrom(toolType, options.headers, parseJson(raw)),
    timestamp: tsMs ?? null,
  };
}

/** The delivery's event id: the tool's delivery header, else the body's `event_id`, else null. */
export function eventIdFrom(
  toolType: ToolType,
  headers: HeaderBag | undefined,
  body: unknown,
): string | null {
  const fromHeader =
    headers &&
    (toolType === 'jira'
      ? header(headers, 'x-atlassian-webhook-identifier')
      : toolType === 'zendesk'
        ? header(headers, 'x-zendesk-webhook-invocation-id')
        : header(headers, EVENT_ID_HEADER));
  if (fromHeader) return fromHeader;
  const b = body as { event_id?: unknown; id?: unknown; type?: unknown } | undefined;
  if (typeof b?.event_id === 'string' && b.event_id) return b.event_id;
  if (
    toolType === 'zendesk' &&
    typeof b?.type === 'string' &&
    b.type.startsWith('zen:') &&
    typeof b.id === 'string'
  ) {
    return b.id;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------------------

export type InboundKind = 'status_changed' | 'comment_added' | 'resolved' | 'closed' | 'ignored';

export interface InboundEvent {
  eventId: string;
  /** The id our ExternalRef holds for the ticket (Jira key, sys_id, Zendesk id, SDP request id, webhook id). */
  externalId: string;
  /** Our ticket id, from the correlation key on the external ticket, when present. */
  correlationTicketId?: string;
  kind: InboundKind;
  externalStatus?: string;
  mappedStatus?: TicketStatus | null;
  comment?: { body: string; isPublic: boolean; author: string | null };
  /** 'triage' when the change was made by our own write (skip it: no echo), else 'external'. */
  origin: 'triage' | 'external';
}

export interface ParseInboundOptions {
  headers?: HeaderBag;
  /** The tenant's parsed config: its status mapping and integration user apply. */
  config?: ItsmConfig;
  /** Overrides the integration user (the tool login our writes are made as). */
  integrationUser?: string;
}

/** Our JSON contract for ServiceNow senders (business rule + outbound REST message, signed with our scheme). */
export const SERVICENOW_CONTRACT_EXAMPLE = {
  event_id: '<gs.generateGUID() of this change>',
  event: 'incident.updated | incident.commented',
  sys_id: '<incident sys_id>',
  number: 'INC0010001',
  correlation_id: 'triage-<ticket id>',
  state: '6',
  hold_reason: '',
  comment: { body: '<journal text>', is_public: true, author: '<sys_created_by>' },
  sys_updated_by: '<user name>',
} as const;

/** Our JSON contract for ServiceDesk Plus senders (custom trigger / webhook action, signed with our scheme). */
export const SERVICEDESK_PLUS_CONTRACT_EXAMPLE = {
  event_id: '<unique id of this change>',
  event: 'request.updated | request.note_added',
  request: { id: '<request id>', subject: '… [triage-<ticket id>]', status: 'Resolved', udf_fields: {} },
  note: { description: '<html>', show_to_requester: true, author: '<technician>' },
  updated_by: '<technician login>',
} as const;

/** The JSON body to put in the Zendesk trigger's webhook action (one trigger per event kind). */
export const ZENDESK_TRIGGER_TEMPLATE = {
  event_id: '{{ticket.id}}-{{ticket.updated_at_with_timestamp}}-<event>',
  event: 'status_changed | comment_added',
  ticket_id: '{{ticket.id}}',
  external_id: '{{ticket.external_id}}',
  status: '{{ticket.status}}',
  comment: {
    body: '{{ticket.latest_comment.value}}',
    is_public: '{{ticket.latest_comment.is_public}}',
    author: '{{ticket.latest_comment.author.email}}',
  },
  actor: '{{current_user.email}}',
} as const;

// Third-party webhook JSON is walked loosely; every value taken from it goes through str()/bool()/checks.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

function asObject(body: unknown): Json {
  const value = typeof body === 'string' || Buffer.isBuffer(body) ? parseJson(body as string | Buffer) : body;
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new ItsmError({
      kind: 'invalid',
      message: 'inbound webhook body is not a JSON object',
      operation: 'inbound',
    });
  }
  return value as Json;
}

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0
    ? value
    : typeof value === 'number'
      ? String(value)
      : undefined;

const bool = (value: unknown, fallback: boolean): boolean =>
  typeof value === 'boolean' ? value : value === 'true' ? true : value === 'false' ? false : fallback;

function stripMarker(text: string): string {
  return text.replace(new RegExp(MARKER_PATTERN.source, 'g'), '').trim();
}

function integrationUsers(toolType: ToolType, options: ParseInboundOptions): string[] {
  const users = new Set<string>();
  if (options.integrationUser) users.add(options.integrationUser.toLowerCase());
  const config = options.config;
  if (config) {
    const configured = (config.settings as { integration_user?: string }).integration_user;
    if (configured) users.add(configured.toLowerCase());
    const creds = config.credentials as Record<string, string | undefined>;
    if (toolType === 'jira' || toolType === 'zendesk') {
      if (creds.email) users.add(creds.email.toLowerCase());
    } else if (toolType === 'servicenow' && creds.username) {
      users.add(creds.username.toLowerCase());
    }
  }
  return [...users];
}

function mapStatus(toolType: ToolType, options: ParseInboundOptions, external: string): TicketStatus | null {
  if (options.config) return mapInboundStatus(options.config, external);
  if (toolType === 'webhook') {
    return (TICKET_STATUSES as readonly string[]).includes(external) ? (external as TicketStatus) : null;
  }
  return ownValue(DEFAULT_INBOUND_STATUS_MAPPING[toolType], external.trim().toLowerCase()) ?? null;
}

function kindFor(mapped: TicketStatus | null): InboundKind {
  return mapped === 'resolved' ? 'resolved' : mapped === 'closed' ? 'closed' : 'status_changed';
}

/** Parses a verified inbound webhook body into an InboundEvent (kind 'ignored' for events we do not use). */
export function parseInbound(
  toolType: ToolType,
  body: unknown,
  options: ParseInboundOptions = {},
): InboundEvent {
  const b = asObject(body);
  const users = integrationUsers(toolType, options);
  const isOurs = (...actors: unknown[]) =>
    actors.some((a) => typeof a === 'string' && users.includes(a.toLowerCase()));
  const eventId =
    eventIdFrom(toolType, options.headers, b) ?? derivedEventId(toolType, sha256(JSON.stringify(b)));

  const statusEvent = (
    base: Omit<InboundEvent, 'kind' | 'mappedStatus' | 'externalStatus'>,
    external: string,
  ) => {
    const mappedStatus = mapStatus(toolType, options, external);
    return {
      ...base,
      kind: kindFor(mappedStatus),
      externalStatus: external,
      mappedStatus,
    } satisfies InboundEvent;
  };
  const commentEvent = (
    base: Omit<InboundEvent, 'kind' | 'comment' | 'origin'>,
    text: string,
    isPublic: boolean,
    author: string | null,
    actorIsUs: boolean,
  ): InboundEvent => ({
    ...base,
    kind: 'comment_added',
    comment: { body: stripMarker(text), isPublic, author },
    origin: findMarker(text) || actorIsUs ? 'triage' : 'external',
  });
  const need = (id: string | undefined): string => {
    if (!id)
      throw new ItsmError({
        kind: 'invalid',
        system: toolType,
        message: `${toolType} webhook has no ticket id`,
        operation: 'inbound',
      });
    return id;
  };

  switch (toolType) {
    case 'jira': {
      const issue = (b.issue ?? {}) as Json;
      const base = {
        eventId,
        externalId: need(str(issue.key) ?? str(issue.id)),
        correlationTicketId: ((issue.fields?.labels ?? []) as unknown[])
          .map(ticketIdFromCorrelation)
          .find(Boolean),
      };
      const statusItem = ((b.changelog?.items ?? []) as Json[]).find(
        (i) => i.field === 'status' || i.fieldId === 'status',
      );
      const actor = [b.user?.accountId, b.user?.emailAddress];
      if (b.webhookEvent === 'jira:issue_updated' && statusItem) {
        const external = str(statusItem.toString) ?? str(issue.fields?.status?.name) ?? 'unknown';
        return { ...statusEvent({ ...base, origin: isOurs(...actor) ? 'triage' : 'external' }, external) };
      }
      if ((b.webhookEvent === 'comment_created' || b.webhookEvent === 'jira:issue_updated') && b.comment) {
        const c = b.comment as Json;
        const internal = ((c.properties ?? []) as Json[]).find((p) => p.key === 'sd.public.comment')?.value
          ?.internal;
        const isPublic = typeof c.jsdPublic === 'boolean' ? c.jsdPublic : internal !== true;
        const author =
          str(c.author?.emailAddress) ?? str(c.author?.accountId) ?? str(c.author?.displayName) ?? null;
        return commentEvent(
          base,
          adfToText(c.body),
          isPublic,
          author,
          isOurs(c.author?.accountId, c.author?.emailAddress),
        );
      }
      return { ...base, kind: 'ignored', origin: isOurs(...actor) ? 'triage' : 'external' };
    }

    case 'zendesk': {
      if (typeof b.type === 'string' && b.type.startsWith('zen:event-type:')) {
        // Event subscription payloads: { type, id, detail: { id, status, external_id }, event: { … } }
        const detail = (b.detail ?? {}) as Json;
        const base = {
          eventId,
          externalId: need(str(detail.id) ?? str(b.subject)?.replace(/^zen:ticket:/, '')),
          correlationTicketId: ticketIdFromCorrelation(detail.external_id),
        };
        const actorIsUs = isOurs(b.event?.actor?.email, detail.actor?.email);
        if (b.type.endsWith('ticket.comment_added')) {
          const c = (b.event?.comment ?? {}) as Json;
          return commentEvent(
            base,
            str(c.body) ?? '',
            bool(c.is_public, true),
            str(c.author?.email) ?? str(c.author?.id) ?? null,
            actorIsUs,
          );
        }
        if (b.type.endsWith('ticket.status_changed')) {
          const external = str(b.event?.current) ?? str(detail.status) ?? 'unknown';
          return statusEvent({ ...base, origin: actorIsUs ? 'triage' : 'external' }, external.toLowerCase());
        }
        return { ...base, kind: 'ignored', origin: 'external' };
      }
      // Our trigger template (ZENDESK_TRIGGER_TEMPLATE); Zendesk renders {{ticket.status}} as e.g. "Solved".
      const base = {
        eventId,
        externalId: need(str(b.ticket_id)),
        correlationTicketId: ticketIdFromCorrelation(b.external_id),
      };
      if (b.event === 'comment_added' && b.comment) {
        const c = b.comment as Json;
        return commentEvent(
          base,
          str(c.body) ?? '',
          bool(c.is_public, true),
          str(c.author) ?? null,
          isOurs(c.author, b.actor),
        );
      }
      if (b.event === 'status_changed' && str(b.status)) {
        return statusEvent(
          { ...base, origin: isOurs(b.actor) ? 'triage' : 'external' },
          str(b.status)!.toLowerCase(),
        );
      }
      return { ...base, kind: 'ignored', origin: 'external' };
    }

    case 'servicenow': {
      const base = {
        eventId,
        externalId: need(str(b.sys_id)),
        correlationTicketId: ticketIdFromCorrelation(b.correlation_id),
      };
      if (b.comment && typeof b.comment === 'object') {
        const c = b.comment as Json;
        return commentEvent(
          base,
          str(c.body) ?? '',
          bool(c.is_public, false),
          str(c.author) ?? null,
          isOurs(c.author, b.sys_updated_by),
        );
      }
      if (str(b.state)) {
        const origin = b.origin === 'support-triage' || isOurs(b.sys_updated_by) ? 'triage' : 'external';
        const event = statusEvent({ ...base, origin }, str(b.state)!);
        if (b.state === '3' && options.config?.tool_type === 'servicenow') {
          const vendor = options.config.settings.hold_reasons.pending_vendor;
          if (String(b.hold_reason) === vendor) return { ...event, mappedStatus: 'pending_vendor' };
        }
        return event;
      }
      return { ...base, kind: 'ignored', origin: 'external' };
    }

    case 'servicedesk_plus': {
      const request = (b.request ?? {}) as Json;
      const udfKey = Object.values((request.udf_fields ?? {}) as Json)
        .map(ticketIdFromCorrelation)
        .find(Boolean);
      const base = {
        eventId,
        externalId: need(str(request.id)),
        correlationTicketId: udfKey ?? ticketIdFromCorrelation(request.subject),
      };
      if (b.note && typeof b.note === 'object') {
        const n = b.note as Json;
        const text = htmlToText(str(n.description) ?? '');
        return commentEvent(
          base,
          text,
          bool(n.show_to_requester, false),
          str(n.author) ?? null,
          isOurs(n.author, b.updated_by),
        );
      }
      const status = str(request.status) ?? str(request.status?.name);
      if (status) {
        return statusEvent({ ...base, origin: isOurs(b.updated_by) ? 'triage' : 'external' }, status);
      }
      return { ...base, kind: 'ignored', origin: 'external' };
    }

    case 'webhook': {
      const base = {
        eventId,
        externalId: need(str(b.external_id) ?? str(b.ticket_id)),
        correlationTicketId: str(b.ticket_id),
      };
      const ours = b.origin === 'support-triage' || isOurs(b.actor);
      if (b.comment && typeof b.comment === 'object') {
        const c = b.comment as Json;
        return commentEvent(
          base,
          str(c.body) ?? '',
          bool(c.is_public, false),
          str(c.author) ?? null,
          ours || isOurs(c.author),
        );
      }
      if (str(b.status))
        return statusEvent({ ...base, origin: ours ? 'triage' : 'external' }, str(b.status)!);
      return { ...base, kind: 'ignored', origin: ours ? 'triage' : 'external' };
    }
  }
}
