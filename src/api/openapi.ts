/**
 * The OpenAPI 3.1 document of the API, generated from the zod schemas the routes validate with (zod's own
 * `z.toJSONSchema`, whose JSON Schema 2020-12 is OpenAPI 3.1's schema dialect). Each operation names the schema
 * its route passes to `parseOr400`; test/api/openapi.test.ts checks that every mounted route is here and that the
 * routes accept and refuse what the document says.
 */
import { z } from 'zod';
import {
  assignSchema,
  closeSchema,
  createTenantSchema,
  createTicketSchema,
  escalateSchema,
  listEventsQuerySchema,
  listTicketsQuerySchema,
  messageSchema,
  notificationTargetSchema,
  reopenSchema,
  resolveSchema,
  setPrioritySchema,
  slaPolicySchema,
  slaReportQuerySchema,
  tenantSettingsSchema,
} from './schemas';
import { documentSchema, listQuerySchema as kbListQuerySchema, searchSchema } from './routes/knowledge';
import { inboundSecretSchema } from './routes/integrations';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ApiOperation {
  method: Method;
  /** OpenAPI path, `{name}` for parameters. */
  path: string;
  summary: string;
  tag: string;
  /** Roles allowed; undefined: no JWT (public, or its own authentication). */
  roles?: string[];
  body?: z.ZodType;
  query?: z.ZodType;
  /** Status of a successful answer. */
  status: number;
  /** Honours an Idempotency-Key header. */
  idempotent?: boolean;
}

const ANY = ['client', 'agent', 'admin', 'superadmin'];
const AGENTS = ['agent', 'admin'];

const ticketAction = (name: string, summary: string, body: z.ZodType, roles = AGENTS): ApiOperation => ({
  method: 'post',
  path: `/v1/tickets/{id}/${name}`,
  summary,
  tag: 'tickets',
  roles,
  body,
  status: 200,
  idempotent: true,
});

export const operations: ApiOperation[] = [
  { method: 'get', path: '/healthz', summary: 'The process is up', tag: 'operations', status: 200 },
  {
    method: 'get',
    path: '/readyz',
    summary: 'Database and Temporal reachable',
    tag: 'operations',
    status: 200,
  },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics', tag: 'operations', status: 200 },
  { method: 'get', path: '/openapi.json', summary: 'This document', tag: 'operations', status: 200 },
  { method: 'get', path: '/docs', summary: 'Interactive API documentation', tag: 'operations', status: 200 },

  {
    method: 'post',
    path: '/v1/tenants',
    summary: 'Create a tenant',
    tag: 'tenants',
    roles: ['superadmin'],
    body: createTenantSchema,
    status: 201,
  },
  {
    method: 'get',
    path: '/v1/tenants/current',
    summary: "The caller's tenant",
    tag: 'tenants',
    roles: ANY,
    status: 200,
  },
  {
    method: 'put',
    path: '/v1/tenants/current/settings',
    summary: 'Replace the tenant settings',
    tag: 'tenants',
    roles: ['admin'],
    body: tenantSettingsSchema,
    status: 200,
  },

  {
    method: 'post',
    path: '/v1/tickets',
    summary: 'Create a ticket (starts its workflow)',
    tag: 'tickets',
    roles: ANY,
    body: createTicketSchema,
    status: 201,
    idempotent: true,
  },
  {
    method: 'get',
    path: '/v1/tickets',
    summary: 'List tickets (filters, cursor pagination)',
    tag: 'tickets',
    roles: ANY,
    query: listTicketsQuerySchema,
    status: 200,
  },
  {
    method: 'get',
    path: '/v1/tickets/{id}',
    summary: 'A ticket with triage, draft, messages, SLA clocks',
    tag: 'tickets',
    roles: ANY,
    status: 200,
  },
  {
    method: 'get',
    path: '/v1/tickets/{id}/workflow',
    summary: "The running workflow's live state",
    tag: 'tickets',
    roles: AGENTS,
    status: 200,
  },
  {
    method: 'get',
    path: '/v1/tickets/{id}/events',
    summary: "The ticket's timeline (audit trail: who changed what, when, why), oldest first, paginated",
    tag: 'tickets',
    roles: AGENTS,
    query: listEventsQuerySchema,
    status: 200,
  },
  ticketAction('assign', 'Assign the ticket', assignSchema),
  ticketAction('messages', 'Add a message (clients: public customer messages only)', messageSchema, [
    'client',
    'agent',
    'admin',
  ]),
  ticketAction('escalate', 'Escalate (levels 1-3, only upwards)', escalateSchema),
  ticketAction('resolve', 'Resolve', resolveSchema),
  ticketAction('reopen', 'Reopen', reopenSchema),
  ticketAction('close', 'Close', closeSchema),
  ticketAction('priority', 'Change priority and/or customer tier', setPrioritySchema),

  {
    method: 'get',
    path: '/v1/integrations/itsm',
    summary: "The tenant's ITSM integration (secrets redacted)",
    tag: 'integrations',
    roles: ['admin'],
    status: 200,
  },
  {
    method: 'put',
    path: '/v1/integrations/itsm',
    summary: 'Configure the ITSM integration (tool-specific fields, see src/connectors/itsm)',
    tag: 'integrations',
    roles: ['admin'],
    body: inboundSecretSchema,
    status: 200,
  },
  {
    method: 'delete',
    path: '/v1/integrations/itsm',
    summary: 'Remove the ITSM integration',
    tag: 'integrations',
    roles: ['admin'],
    status: 204,
  },
  {
    method: 'post',
    path: '/v1/integrations/itsm/inbound/{tenant}',
    summary: "Inbound webhook from the tenant's ITSM tool (HMAC signature, no JWT)",
    tag: 'integrations',
    status: 202,
  },

  {
    method: 'post',
    path: '/v1/kb/documents',
    summary: 'Ingest a knowledge-base document',
    tag: 'knowledge',
    roles: ['admin'],
    body: documentSchema,
    status: 201,
  },
  {
    method: 'get',
    path: '/v1/kb/documents',
    summary: 'List documents',
    tag: 'knowledge',
    roles: AGENTS,
    query: kbListQuerySchema,
    status: 200,
  },
  {
    method: 'get',
    path: '/v1/kb/documents/{id}',
    summary: 'A document',
    tag: 'knowledge',
    roles: AGENTS,
    status: 200,
  },
  {
    method: 'delete',
    path: '/v1/kb/documents/{id}',
    summary: 'Archive a document',
    tag: 'knowledge',
    roles: ['admin'],
    status: 204,
  },
  {
    method: 'post',
    path: '/v1/kb/search',
    summary: 'Search the knowledge base',
    tag: 'knowledge',
    roles: AGENTS,
    body: searchSchema,
    status: 200,
  },

  {
    method: 'get',
    path: '/v1/sla-policy',
    summary: "The tenant's SLA policy",
    tag: 'sla',
    roles: ['admin', 'agent'],
    status: 200,
  },
  {
    method: 'put',
    path: '/v1/sla-policy',
    summary: 'Set SLA policy overrides',
    tag: 'sla',
    roles: ['admin'],
    body: slaPolicySchema,
    status: 200,
  },
  {
    method: 'post',
    path: '/v1/sla-policy/apply',
    summary: 'Apply the policy to open tickets (background operation)',
    tag: 'sla',
    roles: ['admin'],
    status: 202,
  },
  {
    method: 'get',
    path: '/v1/sla-policy/operations/{id}',
    summary: 'Progress of an apply operation',
    tag: 'sla',
    roles: ['admin'],
    status: 200,
  },
  {
    method: 'get',
    path: '/v1/notification-targets',
    summary: 'SLA notification targets',
    tag: 'sla',
    roles: ['admin'],
    status: 200,
  },
  {
    method: 'post',
    path: '/v1/notification-targets',
    summary: 'Add a notification target (Slack or signed webhook)',
    tag: 'sla',
    roles: ['admin'],
    body: notificationTargetSchema,
    status: 201,
  },
  {
    method: 'delete',
    path: '/v1/notification-targets/{id}',
    summary: 'Remove a notification target',
    tag: 'sla',
    roles: ['admin'],
    status: 204,
  },
  {
    method: 'get',
    path: '/v1/reports/sla',
    summary: 'SLA report',
    tag: 'sla',
    roles: ['admin', 'agent'],
    query: slaReportQuerySchema,
    status: 200,
  },
  { method: 'get', path: '/', summary: 'Redirects to the agent console', tag: 'console', status: 302 },
  {
    method: 'get',
    path: '/console/{*path}',
    summary: 'The agent console (static pages; it signs in with a JWT)',
    tag: 'console',
    status: 200,
  },
  {
    method: 'get',
    path: '/v1/me',
    summary: 'The caller: subject, roles, tenant',
    tag: 'tenants',
    roles: ANY,
    status: 200,
  },
  {
    method: 'post',
    path: '/codec/encode',
    summary: 'Remote payload codec of the Temporal UI: encrypt payloads (superadmin)',
    tag: 'operations',
    status: 200,
  },
  {
    method: 'post',
    path: '/codec/decode',
    summary: 'Remote payload codec of the Temporal UI: decrypt workflow payloads (superadmin)',
    tag: 'operations',
    status: 200,
  },
  ...agentOperations(),
];

/** JSON Schema of what a request may send (the input side of transforms and defaults). */
export function inputSchema(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string', examples: ['/problems/validation-error'] },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
  required: ['type', 'title', 'status'],
};

function operationObject(op: ApiOperation): Record<string, unknown> {
  const parameters: Array<Record<string, unknown>> = [];
  for (const match of op.path.matchAll(/\{(\w+)\}/g)) {
    parameters.push({ name: match[1], in: 'path', required: true, schema: { type: 'string' } });
  }
  if (op.query) {
    const json = inputSchema(op.query) as { properties?: Record<string, object>; required?: string[] };
    for (const [name, schema] of Object.entries(json.properties ?? {})) {
      parameters.push({ name, in: 'query', required: json.required?.includes(name) ?? false, schema });
    }
  }
  if (op.idempotent) {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'A retried request with the same key is applied once',
      schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' },
    });
  }
  const problem = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };
  const responses: Record<string, unknown> = {
    [op.status]:
      op.status === 204
        ? { description: 'Done' }
        : { description: 'OK', content: { 'application/json': { schema: { type: 'object' } } } },
    default: { description: 'Error (problem details)', content: problem },
  };
  if (op.body)
    responses['400'] = { description: 'Invalid request: `errors` names each field', content: problem };
  if (op.roles) {
    responses['401'] = { description: 'Missing or invalid token', content: problem };
    responses['403'] = { description: `Allowed roles: ${op.roles.join(', ')}`, content: problem };
  }
  return {
    summary: op.summary,
    tags: [op.tag],
    operationId: `${op.method}${op.path.replace(/\{(\w+)\}/g, 'By-$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    ...(op.roles ? { security: [{ bearer: [] }], 'x-roles': op.roles } : { security: [] }),
    ...(parameters.length ? { parameters } : {}),
    ...(op.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: inputSchema(op.body) } } } }
      : {}),
    responses,
  };
}

let cached: Record<string, unknown> | undefined;

export function openApiDocument(): Record<string, unknown> {
  if (cached) return cached;
  const byPath = new Map<string, Record<string, unknown>>();
  for (const op of operations) {
    const entry = byPath.get(op.path) ?? {};
    byPath.set(op.path, { ...entry, [op.method]: operationObject(op) });
  }
  const paths = Object.fromEntries(byPath);
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'Support triage API',
      version: 'v1',
      description:
        'Tickets are Temporal workflows; errors are application/problem+json. Tokens: `Authorization: Bearer <JWT>` ' +
        'with `sub`, `tenant_id` and `roles`; a superadmin may name another tenant with `X-Tenant-Id`.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Problem: problemSchema },
    },
  };
  return cached;
}

/** The tenant AI agents' admin API, its signed webhook, executions and analytics. */
function agentOperations(): ApiOperation[] {
  const admin = ['admin'];
  const op = (
    method: Method,
    path: string,
    summary: string,
    status = 200,
    roles: string[] | undefined = admin,
  ) => ({
    method,
    path,
    summary,
    tag: path.startsWith('/v1/analytics') ? 'analytics' : 'agents',
    ...(roles ? { roles } : {}),
    status,
  });
  return [
    op('post', '/v1/agents', 'Create an agent (draft), with its tools and triggers', 201),
    op('get', '/v1/agents', "The tenant's agents"),
    op('get', '/v1/agents/{id}', 'One agent'),
    op('patch', '/v1/agents/{id}', 'Change an agent (a prompt or LLM change writes a new version)'),
    op('post', '/v1/agents/{id}/activate', 'Activate (needs a trigger; a custom prompt needs an LLM)'),
    op('post', '/v1/agents/{id}/suspend', 'Suspend an active agent'),
    op('post', '/v1/agents/{id}/deactivate', 'Retire the agent (terminal)'),
    op('get', '/v1/agents/{id}/versions', "The agent's immutable versions"),
    op('post', '/v1/agents/{id}/rollback', 'Roll back to a version (writes a new version)'),
    op('post', '/v1/agents/{id}/run', 'Start a run by hand', 202),
    op('get', '/v1/agents/{id}/executions', "The agent's runs"),
    op('get', '/v1/agents/{id}/triggers', "The agent's triggers"),
    op('post', '/v1/agents/{id}/triggers', 'Add a trigger (a webhook secret is shown once)', 201),
    op('get', '/v1/agents/{id}/triggers/{triggerId}', 'One trigger'),
    op('patch', '/v1/agents/{id}/triggers/{triggerId}', 'Change a trigger'),
    op('delete', '/v1/agents/{id}/triggers/{triggerId}', 'Remove a trigger', 204),
    op(
      'post',
      '/v1/agents/{id}/webhook',
      'Signed webhook trigger (HMAC-SHA256 over timestamp and body)',
      202,
      undefined,
    ),
    op('get', '/v1/agent-executions/{id}', 'One run with its steps'),
    op(
      'post',
      '/v1/agent-executions/{id}/approval',
      'Approve or reject a tool call waiting for a person',
      200,
      ['agent', 'admin'],
    ),
    op('get', '/v1/analytics/tickets', 'Ticket volume and handling times over a date range', 200, [
      'agent',
      'admin',
    ]),
    op('get', '/v1/analytics/sla', 'SLA compliance by priority and tier over a date range', 200, [
      'agent',
      'admin',
    ]),
    op('get', '/v1/analytics/agents', 'AI agent runs, success, tokens and cost over a date range', 200, [
      'agent',
      'admin',
    ]),
  ];
}
