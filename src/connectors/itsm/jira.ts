/**
 * Jira Cloud connector, REST API v3 (https://developer.atlassian.com/cloud/jira/platform/rest/v3/):
 *
 * - auth: basic with `email:api_token` (Atlassian API tokens; "Basic auth for REST APIs")
 * - create: `POST /rest/api/3/issue` with `fields.project.key`, `issuetype.name`, `summary`, `description` as an
 *   Atlassian Document Format doc, `labels`, `priority.name`, custom fields; `properties` (entity properties)
 * - find by correlation: `GET /rest/api/3/search/jql?jql=labels = "triage-<id>"` (enhanced search; the old
 *   `/rest/api/3/search` is retired)
 * - update: `PUT /rest/api/3/issue/{key}` (`fields.priority`), status via
 *   `GET/POST /rest/api/3/issue/{key}/transitions` (`{ transition: { id } }`, optional `fields.resolution`)
 * - comments: `GET /rest/api/3/issue/{key}/comment?orderBy=-created`, `POST /rest/api/3/issue/{key}/comment`
 *   with an ADF `body`; internal notes carry the Jira Service Management entity property
 *   `sd.public.comment = { internal: true }`
 * - status: `GET /rest/api/3/issue/{key}?fields=status`
 * - 429 with `Retry-After` / `X-RateLimit-Reset` (Jira Cloud "Rate limiting")
 *
 * Exactly-once create: the label `triage-<ticketId>` is looked up first. Jira's search index is eventually
 * consistent, so a retry within about a second of a create could still miss it; activity retries back off for
 * longer than that.
 */
import type { JiraConfig } from './config';
import { mapInboundStatus } from './config';
import {
  adfToText,
  correlationKey,
  createOnce,
  derivedEventId,
  describe,
  hasMarker,
  toAdf,
  truncate,
  withMarker,
} from './common';
import { ItsmError, basicAuth, createHttpClient } from './http';
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

interface JiraIssue {
  id: string;
  key: string;
  fields?: { status?: { name?: string }; labels?: string[] };
}

interface JiraTransition {
  id: string;
  name: string;
  to?: { name?: string };
}

export const JIRA_PROPERTY_KEY = 'support-triage';

export function createJiraConnector(config: JiraConfig, options: ConnectorOptions = {}): ItsmConnector {
  const { settings } = config;
  const auth = basicAuth(config.credentials.email, config.credentials.api_token);
  const http = createHttpClient({
    system: 'jira',
    baseUrl: config.base_url,
    headers: { authorization: auth },
    secrets: [config.credentials.api_token, auth, auth.slice('Basic '.length)],
    outbound: options.outbound,
    timeoutMs: options.timeoutMs,
    rateLimiter: options.rateLimiter,
  });

  const issuePath = (key: string) => `/rest/api/3/issue/${encodeURIComponent(key)}`;
  const toRef = (key: string, status: string | null): ExternalRef => ({
    system: 'jira',
    externalId: key,
    externalUrl: `${config.base_url}/browse/${encodeURIComponent(key)}`,
    externalStatus: status,
  });

  async function currentStatus(key: string): Promise<string> {
    const res = await http.request<JiraIssue>({
      method: 'GET',
      path: issuePath(key),
      query: { fields: 'status' },
      operation: 'get_status',
    });
    return res.body?.fields?.status?.name ?? 'unknown';
  }

  /** Moves the issue to a status by name (or named transition); a no-op when it is already there. */
  async function transitionTo(
    key: string,
    targetStatus: string,
    transitionName?: string,
    fields?: Record<string, unknown>,
  ): Promise<string> {
    const current = await currentStatus(key);
    if (current.toLowerCase() === targetStatus.toLowerCase()) return current;
    const res = await http.request<{ transitions?: JiraTransition[] }>({
      method: 'GET',
      path: `${issuePath(key)}/transitions`,
      operation: 'transitions',
    });
    const transitions = res.body?.transitions ?? [];
    const wanted = (transitionName ?? targetStatus).toLowerCase();
    const transition =
      transitions.find((t) => t.name.toLowerCase() === wanted) ??
      transitions.find((t) => t.to?.name?.toLowerCase() === targetStatus.toLowerCase());
    if (!transition) {
      throw new ItsmError({
        kind: 'invalid',
        system: 'jira',
        operation: 'transition',
        message: `jira transition: no transition to "${targetStatus}" from "${current}" on ${key}; available: ${
          transitions.map((t) => `${t.name} → ${t.to?.name ?? '?'}`).join(', ') || 'none'
        }`,
      });
    }
    await http.request({
      method: 'POST',
      path: `${issuePath(key)}/transitions`,
      json: { transition: { id: transition.id }, ...(fields ? { fields } : {}) },
      operation: 'transition',
    });
    return transition.to?.name ?? targetStatus;
  }

  async function findByCorrelation(ticketId: string): Promise<ExternalRef | null> {
    const label = correlationKey(ticketId, 'jira');
    const res = await http.request<{ issues?: JiraIssue[] }>({
      method: 'GET',
      path: '/rest/api/3/search/jql',
      query: { jql: `labels = "${label}" ORDER BY created ASC`, fields: 'status,labels', maxResults: 10 },
      operation: 'find',
    });
    const issue = (res.body?.issues ?? []).find((i) => i.fields?.labels?.includes(label) ?? true);
    return issue ? toRef(issue.key, issue.fields?.status?.name ?? null) : null;
  }

  async function createTicket(snapshot: ItsmTicketSnapshot, { eventId }: { eventId: string }) {
    const label = correlationKey(snapshot.ticketId, 'jira');
    return createOnce(
      () => findByCorrelation(snapshot.ticketId),
      async () => {
        const res = await http.request<JiraIssue>({
          method: 'POST',
          path: '/rest/api/3/issue',
          json: {
            fields: {
              ...settings.default_fields,
              project: { key: settings.project_key },
              issuetype: { name: settings.issue_type },
              summary: truncate(snapshot.title || snapshot.content, 255),
              description: toAdf(describe(snapshot)),
              labels: [...new Set([label, ...settings.labels])],
              priority: { name: settings.priority_mapping[snapshot.priority] },
              ...settings.custom_fields,
            },
            properties: [
              {
                key: JIRA_PROPERTY_KEY,
                value: { ticketId: snapshot.ticketId, tenantId: snapshot.tenantId, eventId },
              },
            ],
          },
          operation: 'create',
        });
        const key = res.body.key;
        let status: string | null = null;
        try {
          status = await currentStatus(key);
        } catch {
          // The issue exists; its status is only informational here.
        }
        return toRef(key, status);
      },
    );
  }

  async function updateTicket(ref: ExternalRef, input: UpdateInput): Promise<ExternalRef> {
    if (input.priority) {
      await http.request({
        method: 'PUT',
        path: issuePath(ref.externalId),
        json: { fields: { priority: { name: settings.priority_mapping[input.priority] } } },
        operation: 'update',
      });
    }
    let status = ref.externalStatus;
    const target = input.status ? settings.status_mapping[input.status] : undefined;
    if (target) status = await transitionTo(ref.externalId, target);
    return { ...ref, externalStatus: status };
  }

  async function addComment(ref: ExternalRef, input: CommentInput): Promise<CommentResult> {
    const existing = await http.request<{ comments?: Array<{ id: string; body?: unknown }> }>({
      method: 'GET',
      path: `${issuePath(ref.externalId)}/comment`,
      query: { orderBy: '-created', maxResults: 100 },
      operation: 'list_comments',
    });
    const already = (existing.body?.comments ?? []).find((c) => hasMarker(adfToText(c.body), input.eventId));
    if (already) return { created: false, externalCommentId: already.id };
    const res = await http.request<{ id: string }>({
      method: 'POST',
      path: `${issuePath(ref.externalId)}/comment`,
      json: {
        body: toAdf(withMarker(input.body, input.eventId)),
        properties: [
          { key: 'sd.public.comment', value: { internal: !input.isPublic } },
          { key: JIRA_PROPERTY_KEY, value: { eventId: input.eventId } },
        ],
      },
      operation: 'comment',
    });
    return { created: true, externalCommentId: res.body?.id ?? null };
  }

  async function resolve(ref: ExternalRef, input: ResolveInput): Promise<ExternalRef> {
    const eventId = input.eventId ?? derivedEventId('resolve', ref.externalId, input.resolution);
    if (input.resolution) {
      await addComment(ref, { body: `Resolution: ${input.resolution}`, isPublic: false, eventId });
    }
    if (!settings.auto_transition_on_resolve)
      return { ...ref, externalStatus: await currentStatus(ref.externalId) };
    const status = await transitionTo(
      ref.externalId,
      settings.target_status,
      settings.resolve_transition,
      settings.resolution_name ? { resolution: { name: settings.resolution_name } } : undefined,
    );
    return { ...ref, externalStatus: status };
  }

  async function close(ref: ExternalRef): Promise<ExternalRef> {
    const status = await transitionTo(ref.externalId, settings.close_status ?? settings.target_status);
    return { ...ref, externalStatus: status };
  }

  async function getStatus(ref: ExternalRef): Promise<ExternalStatus> {
    const externalStatus = await currentStatus(ref.externalId);
    return { externalStatus, mappedStatus: mapInboundStatus(config, externalStatus) };
  }

  return {
    toolType: 'jira',
    findByCorrelation,
    createTicket,
    updateTicket,
    addComment,
    resolve,
    close,
    getStatus,
  };
}
