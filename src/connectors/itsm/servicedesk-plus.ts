/**
 * ManageEngine ServiceDesk Plus connector, API v3 (https://www.manageengine.com/products/service-desk/sdpod-v3-api/):
 *
 * - headers: `Accept: application/vnd.manageengine.sdp.v3+json`; auth `authtoken: <key>` (on-premise technician
 *   key) or `Authorization: Zoho-oauthtoken <token>` (cloud, under `/app/<portal>/api/v3`)
 * - writes are `application/x-www-form-urlencoded` with one field `input_data` holding the JSON
 * - create: `POST /api/v3/requests` `{ request: { subject, description, requester, priority, udf_fields, … } }`
 * - find by correlation: `GET /api/v3/requests?input_data={ list_info: { search_criteria: { field, condition,
 *   value } } }` on the correlation udf (`udf_fields.<key>` is) or the subject tag (`subject` contains)
 * - update / resolve: `PUT /api/v3/requests/{id}` (`status.name`, `priority.name`, `resolution.content`)
 * - close: `PUT /api/v3/requests/{id}/close` `{ request: { closure_info: { … } } }`
 * - notes: `GET/POST /api/v3/requests/{id}/notes` (`request_note` on cloud, `note` on-premise;
 *   `show_to_requester`)
 * - every answer carries `response_status` (`status_code` 2000 success; 4002 forbidden, 4007 not found,
 *   4008 not unique, 4015 rate limit, 4022 invalid API key, …)
 *
 * Exactly-once create: the correlation key `triage-<ticketId>` lives in a udf (setting `correlation_udf`) or as
 * a `[triage-<id>]` tag at the end of the subject, and is searched first.
 */
import type { ServiceDeskPlusConfig } from './config';
import { mapInboundStatus } from './config';
import {
  correlationKey,
  createOnce,
  derivedEventId,
  describe,
  hasMarker,
  htmlToText,
  textToHtml,
  truncate,
  withMarker,
} from './common';
import { createHttpClient, parseRetryAfter, type ClassifiedFailure, type FailureContext } from './http';
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
import { ownValue } from '../../domain/lookup';

interface SdpRequest {
  id: string | number;
  subject?: string;
  status?: { name?: string };
  udf_fields?: Record<string, unknown>;
}

interface SdpNote {
  id: string | number;
  description?: string;
}

interface SdpStatusMessage {
  status_code?: number | string;
  message?: string;
}

export const SDP_ACCEPT = 'application/vnd.manageengine.sdp.v3+json';

function statusCodes(body: unknown): number[] {
  const rs = (body as { response_status?: unknown } | null)?.response_status;
  const list = Array.isArray(rs) ? rs : rs ? [rs] : [];
  const codes: number[] = [];
  for (const entry of list as Array<{
    status_code?: unknown;
    status?: string;
    messages?: SdpStatusMessage[];
  }>) {
    for (const m of entry.messages ?? []) if (m.status_code !== undefined) codes.push(Number(m.status_code));
    if (entry.status === 'failed' && entry.status_code !== undefined) codes.push(Number(entry.status_code));
  }
  return codes;
}

function failed(body: unknown): boolean {
  const rs = (body as { response_status?: unknown } | null)?.response_status;
  const list = Array.isArray(rs) ? rs : rs ? [rs] : [];
  return (list as Array<{ status?: string }>).some((entry) => entry.status === 'failed');
}

/** SDP's own status codes decide, also when the HTTP status is 200 with `status: failed`. */
function classify(ctx: FailureContext): ClassifiedFailure | undefined {
  const ok = ctx.status >= 200 && ctx.status < 300;
  if (ok && !failed(ctx.body)) return undefined;
  const codes = statusCodes(ctx.body);
  if (codes.includes(4015))
    return { kind: 'rate_limited', retryable: true, retryAfterMs: parseRetryAfter(ctx.headers) };
  if (codes.includes(4022) || codes.includes(4002)) return { kind: 'auth', retryable: false };
  if (codes.includes(4007)) return { kind: 'not_found', retryable: false };
  if (codes.includes(4008)) return { kind: 'conflict', retryable: false };
  if (codes.includes(4004)) return { kind: 'server', retryable: true };
  if (ok) return { kind: 'invalid', retryable: false };
  return undefined; // HTTP status decides (401, 404, 429, 5xx, other 4xx)
}

export function createServiceDeskPlusConnector(
  config: ServiceDeskPlusConfig,
  options: ConnectorOptions = {},
): ItsmConnector {
  const { settings, credentials } = config;
  const cloud = credentials.oauth_token !== undefined;
  const authHeaders: Record<string, string> = cloud
    ? { authorization: `Zoho-oauthtoken ${credentials.oauth_token}` }
    : { authtoken: credentials.authtoken! };
  const secret = (credentials.oauth_token ?? credentials.authtoken)!;
  const root = config.base_url + (settings.portal ? `/app/${settings.portal}` : '');
  const http = createHttpClient({
    system: 'servicedesk_plus',
    baseUrl: `${root}/api/v3`,
    headers: { accept: SDP_ACCEPT, ...authHeaders },
    secrets: [secret],
    outbound: options.outbound,
    timeoutMs: options.timeoutMs,
    rateLimiter: options.rateLimiter,
    classify,
  });
  const noteKey = cloud ? 'request_note' : 'note';
  const tag = (key: string) => `[${key}]`;

  const toRef = (request: SdpRequest): ExternalRef => ({
    system: 'servicedesk_plus',
    externalId: String(request.id),
    externalUrl: settings.portal
      ? `${root}/ui/requests/${request.id}/details`
      : `${config.base_url}/WorkOrder.do?woMode=viewWO&woID=${request.id}`,
    externalStatus: request.status?.name ?? null,
  });

  const requestPath = (id: string) => `/requests/${encodeURIComponent(id)}`;
  const inputData = (value: unknown) => ({ input_data: JSON.stringify(value) });

  async function get(id: string): Promise<SdpRequest> {
    const res = await http.request<{ request: SdpRequest }>({
      method: 'GET',
      path: requestPath(id),
      operation: 'get_status',
    });
    return res.body.request;
  }

  async function put(id: string, request: Record<string, unknown>, operation: string): Promise<SdpRequest> {
    const res = await http.request<{ request: SdpRequest }>({
      method: 'PUT',
      path: requestPath(id),
      form: inputData({ request }),
      operation,
    });
    return res.body.request;
  }

  async function noteWithMarker(id: string, eventId: string): Promise<SdpNote | undefined> {
    const res = await http.request<{ notes?: SdpNote[]; request_notes?: SdpNote[] }>({
      method: 'GET',
      path: `${requestPath(id)}/notes`,
      query: inputData({
        list_info: { row_count: 100, start_index: 1, sort_field: 'created_time', sort_order: 'desc' },
      }),
      operation: 'list_comments',
    });
    const notes = res.body?.notes ?? res.body?.request_notes ?? [];
    return notes.find((n) => hasMarker(htmlToText(n.description ?? ''), eventId));
  }

  async function findByCorrelation(ticketId: string): Promise<ExternalRef | null> {
    const key = correlationKey(ticketId, 'servicedesk_plus');
    const udf = settings.correlation_udf;
    const criteria = udf
      ? { field: `udf_fields.${udf}`, condition: 'is', value: key }
      : { field: 'subject', condition: 'contains', value: tag(key) };
    const res = await http.request<{ requests?: SdpRequest[] }>({
      method: 'GET',
      path: '/requests',
      query: inputData({
        list_info: {
          row_count: 10,
          start_index: 1,
          sort_field: 'created_time',
          sort_order: 'asc',
          search_criteria: criteria,
        },
      }),
      operation: 'find',
    });
    const match = (res.body?.requests ?? []).find((r) =>
      udf
        ? ownValue(r.udf_fields ?? {}, udf) === undefined || ownValue(r.udf_fields ?? {}, udf) === key
        : (r.subject ?? '').includes(tag(key)),
    );
    return match ? toRef(match) : null;
  }

  async function createTicket(snapshot: ItsmTicketSnapshot, _options: { eventId: string }) {
    const key = correlationKey(snapshot.ticketId, 'servicedesk_plus');
    const udf = settings.correlation_udf;
    const subject = udf
      ? truncate(snapshot.title || snapshot.content, 250)
      : `${truncate(snapshot.title || snapshot.content, 249 - tag(key).length)} ${tag(key)}`;
    const udfFields = { ...settings.custom_fields, ...(udf ? { [udf]: key } : {}) };
    return createOnce(
      () => findByCorrelation(snapshot.ticketId),
      async () => {
        const res = await http.request<{ request: SdpRequest }>({
          method: 'POST',
          path: '/requests',
          form: inputData({
            request: {
              ...settings.default_fields,
              subject,
              description: textToHtml(describe(snapshot)),
              priority: { name: settings.priority_mapping[snapshot.priority] },
              ...(snapshot.requesterEmail ? { requester: { email_id: snapshot.requesterEmail } } : {}),
              ...(settings.request_template ? { template: { name: settings.request_template } } : {}),
              ...(settings.category ? { category: { name: settings.category } } : {}),
              ...(settings.group ? { group: { name: settings.group } } : {}),
              ...(settings.site ? { site: { name: settings.site } } : {}),
              ...(settings.technician ? { technician: { name: settings.technician } } : {}),
              ...(Object.keys(udfFields).length > 0 ? { udf_fields: udfFields } : {}),
            },
          }),
          operation: 'create',
        });
        return toRef(res.body.request);
      },
    );
  }

  async function updateTicket(ref: ExternalRef, input: UpdateInput): Promise<ExternalRef> {
    const request: Record<string, unknown> = {};
    if (input.priority) request.priority = { name: settings.priority_mapping[input.priority] };
    const status = input.status ? settings.status_mapping[input.status] : undefined;
    // Closing has its own operation in SDP (PUT /requests/{id}/close).
    const closing = status !== undefined && status.toLowerCase() === settings.close_status.toLowerCase();
    if (status && !closing) request.status = { name: status };
    let updated = ref;
    if (Object.keys(request).length > 0) updated = toRef(await put(ref.externalId, request, 'update'));
    return closing ? close(updated) : updated;
  }

  async function addComment(ref: ExternalRef, input: CommentInput): Promise<CommentResult> {
    const already = await noteWithMarker(ref.externalId, input.eventId);
    if (already) return { created: false, externalCommentId: String(already.id) };
    const res = await http.request<Record<string, SdpNote | undefined>>({
      method: 'POST',
      path: `${requestPath(ref.externalId)}/notes`,
      form: inputData({
        [noteKey]: {
          description: textToHtml(withMarker(input.body, input.eventId)),
          show_to_requester: input.isPublic,
          notify_technician: false,
          mark_first_response: false,
          add_to_linked_requests: false,
        },
      }),
      operation: 'comment',
    });
    const note = res.body?.[noteKey] ?? res.body?.note ?? res.body?.request_note;
    return { created: true, externalCommentId: note ? String(note.id) : null };
  }

  async function resolve(ref: ExternalRef, input: ResolveInput): Promise<ExternalRef> {
    const content = input.resolution?.trim() || 'Resolved in support triage.';
    if (!settings.auto_transition_on_resolve) {
      const eventId = input.eventId ?? derivedEventId('resolve', ref.externalId, input.resolution);
      await addComment(ref, { body: `Resolution: ${content}`, isPublic: false, eventId });
      return ref;
    }
    return toRef(
      await put(
        ref.externalId,
        { resolution: { content: textToHtml(content) }, status: { name: settings.target_status } },
        'resolve',
      ),
    );
  }

  async function close(ref: ExternalRef): Promise<ExternalRef> {
    const current = await get(ref.externalId);
    if (current.status?.name?.toLowerCase() === settings.close_status.toLowerCase()) return toRef(current);
    const res = await http.request<{ request?: SdpRequest }>({
      method: 'PUT',
      path: `${requestPath(ref.externalId)}/close`,
      form: inputData({
        request: {
          closure_info: {
            requester_ack_resolution: true,
            closure_comments: 'Closed in support triage.',
            ...(settings.closure_code ? { closure_code: { name: settings.closure_code } } : {}),
          },
        },
      }),
      operation: 'close',
    });
    return toRef(res.body?.request ?? { ...current, status: { name: settings.close_status } });
  }

  async function getStatus(ref: ExternalRef): Promise<ExternalStatus> {
    const request = await get(ref.externalId);
    const externalStatus = request.status?.name ?? 'unknown';
    return { externalStatus, mappedStatus: mapInboundStatus(config, externalStatus) };
  }

  return {
    toolType: 'servicedesk_plus',
    findByCorrelation,
    createTicket,
    updateTicket,
    addComment,
    resolve,
    close,
    getStatus,
  };
}
