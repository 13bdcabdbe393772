/**
 * ServiceNow connector, Table API (https://www.servicenow.com/docs → REST API reference → Table API):
 *
 * - auth: basic `username:password` or `Authorization: Bearer <oauth_token>`
 * - find by correlation: `GET /api/now/table/incident?sysparm_query=correlation_id=<key>^ORDERBYsys_created_on`
 *   with `sysparm_limit`, `sysparm_fields`, `sysparm_exclude_reference_link=true`
 * - create: `POST /api/now/table/incident` (`short_description`, `description`, `impact`, `urgency`,
 *   `correlation_id`, `correlation_display`, assignment group, custom fields) → 201 `{ result }`
 * - update / comment / resolve / close: `PATCH /api/now/table/incident/{sys_id}`; incident `state` codes
 *   1 New, 2 In Progress, 3 On Hold (needs `hold_reason`), 6 Resolved, 7 Closed — Resolved and Closed need
 *   `close_code` and `close_notes`; customer-visible text goes to `comments`, internal text to `work_notes`
 * - comment dedupe: `GET /api/now/table/sys_journal_field?sysparm_query=element_id=<sys_id>^elementINcomments,
 *   work_notes^valueLIKE<marker>`
 * - 429 with `Retry-After` / `X-RateLimit-Reset` (inbound REST API rate limiting)
 *
 * Exactly-once create: `correlation_id = triage-<ticketId>` is queried first (the Table API reads its own
 * writes, so a retried create always sees the first one).
 */
import type { ServiceNowConfig } from './config';
import { mapInboundStatus } from './config';
import { correlationKey, createOnce, derivedEventId, describe, marker, truncate, withMarker } from './common';
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
import type { TicketStatus } from '../../domain/vocabulary';

interface Incident {
  sys_id: string;
  number?: string;
  state?: string;
  hold_reason?: string;
  correlation_id?: string;
}

const FIELDS = 'sys_id,number,state,hold_reason,correlation_id';

/** A data policy refusal (mandatory fields missing) comes back as 403; it is bad input, not bad credentials. */
function classify(ctx: FailureContext): ClassifiedFailure | undefined {
  const error = (ctx.body as { error?: { message?: string; detail?: string } } | null)?.error;
  const text = `${error?.message ?? ''} ${error?.detail ?? ''}`;
  if (ctx.status === 403 && /data policy/i.test(text)) return { kind: 'invalid', retryable: false };
  return undefined;
}

export function createServiceNowConnector(
  config: ServiceNowConfig,
  options: ConnectorOptions = {},
): ItsmConnector {
  const { settings, credentials } = config;
  const auth =
    credentials.oauth_token !== undefined
      ? `Bearer ${credentials.oauth_token}`
      : basicAuth(credentials.username!, credentials.password!);
  const secrets = [auth, auth.replace(/^(Basic|Bearer) /, '')];
  if (credentials.password) secrets.push(credentials.password);
  if (credentials.oauth_token) secrets.push(credentials.oauth_token);
  const http = createHttpClient({
    system: 'servicenow',
    baseUrl: config.base_url,
    headers: { authorization: auth },
    secrets,
    outbound: options.outbound,
    timeoutMs: options.timeoutMs,
    rateLimiter: options.rateLimiter,
    classify,
  });
  const table = `/api/now/table/${settings.table}`;
  const closeNotesDefault = 'Resolved in support triage.';

  const toRef = (incident: Incident): ExternalRef => ({
    system: 'servicenow',
    externalId: incident.sys_id,
    externalUrl: `${config.base_url}/${settings.table}.do?sys_id=${encodeURIComponent(incident.sys_id)}`,
    externalStatus: incident.state ?? null,
  });

  function mapState(incident: Incident): TicketStatus | null {
    if (incident.state === '3' && incident.hold_reason === settings.hold_reasons.pending_vendor)
      return 'pending_vendor';
    return mapInboundStatus(config, incident.state);
  }

  async function get(sysId: string): Promise<Incident> {
    const res = await http.request<{ result: Incident }>({
      method: 'GET',
      path: `${table}/${encodeURIComponent(sysId)}`,
      query: { sysparm_fields: FIELDS, sysparm_exclude_reference_link: 'true' },
      operation: 'get_status',
    });
    return res.body.result;
  }

  async function patch(sysId: string, body: Record<string, unknown>, operation: string): Promise<Incident> {
    const res = await http.request<{ result: Incident }>({
      method: 'PATCH',
      path: `${table}/${encodeURIComponent(sysId)}`,
      query: { sysparm_fields: FIELDS, sysparm_exclude_reference_link: 'true' },
      json: body,
      operation,
    });
    return res.body.result;
  }

  async function findByCorrelation(ticketId: string): Promise<ExternalRef | null> {
    const key = correlationKey(ticketId, 'servicenow');
    const res = await http.request<{ result: Incident[] }>({
      method: 'GET',
      path: table,
      query: {
        sysparm_query: `correlation_id=${key}^ORDERBYsys_created_on`,
        sysparm_fields: FIELDS,
        sysparm_limit: 1,
        sysparm_exclude_reference_link: 'true',
      },
      operation: 'find',
    });
    const incident = (res.body?.result ?? []).find(
      (r) => r.correlation_id === undefined || r.correlation_id === key,
    );
    return incident ? toRef(incident) : null;
  }

  async function createTicket(snapshot: ItsmTicketSnapshot, _options: { eventId: string }) {
    const key = correlationKey(snapshot.ticketId, 'servicenow');
    const priority = settings.priority_mapping[snapshot.priority];
    return createOnce(
      () => findByCorrelation(snapshot.ticketId),
      async () => {
        const res = await http.request<{ result: Incident }>({
          method: 'POST',
          path: table,
          query: { sysparm_fields: FIELDS, sysparm_exclude_reference_link: 'true' },
          json: {
            ...settings.default_fields,
            short_description: truncate(snapshot.title || snapshot.content, 160),
            description: describe(snapshot),
            impact: String(priority.impact),
            urgency: String(priority.urgency),
            correlation_id: key,
            correlation_display: 'support-triage',
            ...(settings.category ? { category: settings.category } : {}),
            ...(settings.assignment_group ? { assignment_group: settings.assignment_group } : {}),
            ...(settings.caller_id ? { caller_id: settings.caller_id } : {}),
            ...(settings.contact_type ? { contact_type: settings.contact_type } : {}),
            ...settings.custom_fields,
          },
          operation: 'create',
        });
        return toRef(res.body.result);
      },
    );
  }

  function stateFields(status: TicketStatus, closeNotes: string): Record<string, string> | undefined {
    const state = settings.status_mapping[status];
    if (!state) return undefined;
    const fields: Record<string, string> = { state };
    if (state === '3') {
      fields.hold_reason =
        status === 'pending_vendor'
          ? settings.hold_reasons.pending_vendor
          : settings.hold_reasons.pending_customer;
    }
    if (state === '6' || state === '7') {
      fields.close_code = settings.close_code;
      fields.close_notes = closeNotes;
    }
    return fields;
  }

  async function updateTicket(ref: ExternalRef, input: UpdateInput): Promise<ExternalRef> {
    const body: Record<string, string> = {};
    if (input.priority) {
      const p = settings.priority_mapping[input.priority];
      body.impact = String(p.impact);
      body.urgency = String(p.urgency);
    }
    if (input.status) Object.assign(body, stateFields(input.status, closeNotesDefault));
    if (Object.keys(body).length === 0) return ref;
    return toRef(await patch(ref.externalId, body, 'update'));
  }

  async function addComment(ref: ExternalRef, input: CommentInput): Promise<CommentResult> {
    const existing = await http.request<{ result: Array<{ sys_id: string }> }>({
      method: 'GET',
      path: '/api/now/table/sys_journal_field',
      query: {
        sysparm_query: `element_id=${ref.externalId}^elementINcomments,work_notes^valueLIKE${marker(input.eventId)}`,
        sysparm_fields: 'sys_id',
        sysparm_limit: 1,
      },
      operation: 'list_comments',
    });
    const already = existing.body?.result?.[0];
    if (already) return { created: false, externalCommentId: already.sys_id };
    await patch(
      ref.externalId,
      { [input.isPublic ? 'comments' : 'work_notes']: withMarker(input.body, input.eventId) },
      'comment',
    );
    return { created: true, externalCommentId: null };
  }

  async function resolve(ref: ExternalRef, input: ResolveInput): Promise<ExternalRef> {
    const notes = input.resolution?.trim() || closeNotesDefault;
    if (!settings.auto_transition_on_resolve) {
      const eventId = input.eventId ?? derivedEventId('resolve', ref.externalId, input.resolution);
      await addComment(ref, { body: `Resolution: ${notes}`, isPublic: false, eventId });
      return ref;
    }
    const incident = await patch(
      ref.externalId,
      { state: settings.target_status, close_code: settings.close_code, close_notes: notes },
      'resolve',
    );
    return toRef(incident);
  }

  async function close(ref: ExternalRef): Promise<ExternalRef> {
    const current = await get(ref.externalId);
    if (current.state === '7') return toRef(current);
    // A resolved incident already has its close code and notes; keep them.
    const body =
      current.state === '6'
        ? { state: '7' }
        : { state: '7', close_code: settings.close_code, close_notes: closeNotesDefault };
    return toRef(await patch(ref.externalId, body, 'close'));
  }

  async function getStatus(ref: ExternalRef): Promise<ExternalStatus> {
    const incident = await get(ref.externalId);
    return { externalStatus: incident.state ?? 'unknown', mappedStatus: mapState(incident) };
  }

  return {
    toolType: 'servicenow',
    findByCorrelation,
    createTicket,
    updateTicket,
    addComment,
    resolve,
    close,
    getStatus,
  };
}
