/**
 * A tenant's ITSM configuration: `{ tool_type, base_url, credentials, settings }`, one zod schema per tool type
 * (plugin routing by `tool_type`, as in seed 002). `parseItsmConfig` returns the typed config with every default
 * filled in, or field-level errors `{ field, message }` for the API's problem+json. `redactConfig` is what the
 * API may show: never a credential. `sealItsmConfig` / `openItsmConfig` store credentials encrypted (secrets.ts).
 */
import { z } from 'zod';
import { PRIORITIES, TICKET_STATUSES, type Priority, type TicketStatus } from '../../domain/vocabulary';
import { ownValue } from '../../domain/lookup';
import type { SecretBox } from '../../platform/crypto/secrets';
import { type OutboundPolicy, checkConfiguredUrl } from '../../platform/net/outbound-policy';
import { TOOL_TYPES, isToolType, type ToolType } from './types';

export interface FieldError {
  field: string;
  message: string;
}

// ---------------------------------------------------------------------------------------------------------
// Defaults per tool
// ---------------------------------------------------------------------------------------------------------

export interface ServiceNowPriority {
  impact: 1 | 2 | 3;
  urgency: 1 | 2 | 3;
}

export const ZENDESK_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export const ZENDESK_STATUSES = ['new', 'open', 'pending', 'hold', 'solved', 'closed'] as const;
export type ZendeskStatus = (typeof ZENDESK_STATUSES)[number];

export const DEFAULT_PRIORITY_MAPPING = {
  // Jira's default priority scheme: Lowest, Low, Medium, High, Highest (seed 002's Jira example).
  jira: { low: 'Low', medium: 'Medium', high: 'High', critical: 'Highest' },
  // ServiceNow derives priority from impact × urgency (1 = high … 3 = low): 1/1 → P1, 1/2 → P2, 2/2 → P3, 2/3 → P4.
  servicenow: {
    low: { impact: 2, urgency: 3 },
    medium: { impact: 2, urgency: 2 },
    high: { impact: 1, urgency: 2 },
    critical: { impact: 1, urgency: 1 },
  },
  zendesk: { low: 'low', medium: 'normal', high: 'high', critical: 'urgent' },
  // Seed 002's ServiceDesk Plus example.
  servicedesk_plus: { low: 'Low', medium: 'Medium', high: 'High', critical: 'Urgent' },
} as const satisfies {
  jira: Record<Priority, string>;
  servicenow: Record<Priority, ServiceNowPriority>;
  zendesk: Record<Priority, (typeof ZENDESK_PRIORITIES)[number]>;
  servicedesk_plus: Record<Priority, string>;
};

function statusMap(groups: Array<[readonly TicketStatus[], string]>): Partial<Record<TicketStatus, string>> {
  const out: Partial<Record<TicketStatus, string>> = {};
  for (const [statuses, value] of groups) for (const s of statuses) out[s] = value;
  return out;
}

const BEFORE_WORK = ['new', 'triaging', 'open', 'ai_failed'] as const;

/** Our status → the tool's status word (Jira status name, ServiceNow state code, Zendesk status, SDP status name). */
export const DEFAULT_STATUS_MAPPING = {
  jira: statusMap([
    [BEFORE_WORK, 'To Do'],
    [['in_progress', 'escalated', 'pending_customer', 'pending_vendor'], 'In Progress'],
  ]),
  servicenow: statusMap([
    [BEFORE_WORK, '1'],
    [['in_progress', 'escalated'], '2'],
    [['pending_customer', 'pending_vendor'], '3'],
    [['resolved'], '6'],
    [['closed'], '7'],
  ]),
  zendesk: statusMap([
    [['new', 'triaging'], 'new'],
    [['open', 'ai_failed', 'in_progress', 'escalated'], 'open'],
    [['pending_customer'], 'pending'],
    [['pending_vendor'], 'hold'],
    [['resolved'], 'solved'],
    [['closed'], 'closed'],
  ]),
  servicedesk_plus: statusMap([
    [BEFORE_WORK, 'Open'],
    [['in_progress', 'escalated'], 'In Progress'],
    [['pending_customer', 'pending_vendor'], 'On Hold'],
    [['resolved'], 'Resolved'],
    [['closed'], 'Closed'],
  ]),
};

/** The tool's status word (lower-cased) → our status. */
export const DEFAULT_INBOUND_STATUS_MAPPING: Record<
  Exclude<ToolType, 'webhook'>,
  Record<string, TicketStatus>
> = {
  jira: {
    'to do': 'open',
    open: 'open',
    backlog: 'open',
    'selected for development': 'open',
    reopened: 'open',
    'in progress': 'in_progress',
    'waiting for support': 'in_progress',
    'waiting for customer': 'pending_customer',
    pending: 'pending_customer',
    escalated: 'escalated',
    done: 'resolved',
    resolved: 'resolved',
    closed: 'closed',
    canceled: 'closed',
    cancelled: 'closed',
  },
  // Incident state codes: 1 New, 2 In Progress, 3 On Hold, 6 Resolved, 7 Closed, 8 Canceled.
  servicenow: {
    '1': 'open',
    '2': 'in_progress',
    '3': 'pending_customer',
    '6': 'resolved',
    '7': 'closed',
    '8': 'closed',
  },
  zendesk: {
    new: 'open',
    open: 'open',
    pending: 'pending_customer',
    hold: 'pending_vendor',
    solved: 'resolved',
    closed: 'closed',
  },
  servicedesk_plus: {
    open: 'open',
    assigned: 'open',
    'in progress': 'in_progress',
    onhold: 'pending_customer',
    'on hold': 'pending_customer',
    resolved: 'resolved',
    closed: 'closed',
    cancelled: 'closed',
    canceled: 'closed',
  },
};

export const DEFAULT_RATE_LIMIT_PER_MINUTE: Record<ToolType, number> = {
  jira: 100,
  servicenow: 60,
  zendesk: 200,
  servicedesk_plus: 60,
  webhook: 120,
};

// ---------------------------------------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------------------------------------

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

const baseUrl = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an absolute URL' });
    return;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname))) {
    ctx.addIssue({ code: 'custom', message: 'must use https (http only for localhost)' });
  }
  if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'must not contain credentials' });
  if (url.search || url.hash)
    ctx.addIssue({ code: 'custom', message: 'must not contain a query or fragment' });
});

/** Seed 003 ranks `urgent` where we say `critical`: accept it as a mapping key. */
function priorityKeyed<T extends z.ZodType>(value: T) {
  return z.preprocess(
    (input) => {
      if (input && typeof input === 'object' && !Array.isArray(input) && 'urgent' in input) {
        const { urgent, ...rest } = input as Record<string, unknown>;
        return { critical: urgent, ...rest };
      }
      return input;
    },
    z.partialRecord(z.enum(PRIORITIES), value),
  );
}

const fieldMap = z.record(z.string().min(1), z.unknown());
const statusWord = z.string().trim().min(1).max(100);
const ourStatus = z.enum(TICKET_STATUSES);

const commonSettings = {
  custom_fields: fieldMap.default({}),
  default_fields: fieldMap.default({}),
  inbound_status_mapping: z.record(statusWord, ourStatus).default({}),
  auto_transition_on_resolve: z.boolean().default(true),
  /** The tool's user our writes are made as: events it authored are marked `origin: 'triage'` (no sync loops). */
  integration_user: z.string().trim().min(1).optional(),
};

function rateLimit(tool: ToolType) {
  return z.number().int().positive().max(100_000).default(DEFAULT_RATE_LIMIT_PER_MINUTE[tool]);
}

const jiraSchema = z.strictObject({
  tool_type: z.literal('jira'),
  base_url: baseUrl,
  credentials: z.strictObject({ email: z.email(), api_token: z.string().min(1) }),
  settings: z.strictObject({
    project_key: z.string().regex(/^[A-Z][A-Z0-9_]{0,19}$/, 'must be a Jira project key such as SUPPORT'),
    issue_type: z.string().trim().min(1).default('Task'),
    labels: z.array(z.string().regex(/^\S{1,255}$/, 'labels cannot contain spaces')).default([]),
    priority_mapping: priorityKeyed(statusWord).default({}),
    status_mapping: z.partialRecord(ourStatus, statusWord).default({}),
    /** Status name the resolve transition leads to (seed 002 `workflow_config.target_status`). */
    target_status: statusWord.default('Done'),
    /** Explicit transition name for resolve, when it differs from the status name. */
    resolve_transition: statusWord.optional(),
    /** Status name close() moves to; defaults to target_status. */
    close_status: statusWord.optional(),
    /** Sets fields.resolution on the resolve transition when the transition screen has it. */
    resolution_name: statusWord.optional(),
    rate_limit_per_minute: rateLimit('jira'),
    ...commonSettings,
  }),
});

const serviceNowPriority = z.strictObject({
  impact: z.union([z.literal(1), z.literal(2), z.literal(3)]),
  urgency: z.union([z.literal(1), z.literal(2), z.literal(3)]),
});

const serviceNowSchema = z.strictObject({
  tool_type: z.literal('servicenow'),
  base_url: baseUrl,
  credentials: z
    .strictObject({
      username: z.string().min(1).optional(),
      password: z.string().min(1).optional(),
      oauth_token: z.string().min(1).optional(),
    })
    .superRefine((c, ctx) => {
      const basic = c.username !== undefined || c.password !== undefined;
      if (basic && c.oauth_token !== undefined) {
        ctx.addIssue({ code: 'custom', message: 'give username + password or oauth_token, not both' });
      } else if (basic) {
        if (!c.username)
          ctx.addIssue({ code: 'custom', path: ['username'], message: 'required with password' });
        if (!c.password)
          ctx.addIssue({ code: 'custom', path: ['password'], message: 'required with username' });
      } else if (c.oauth_token === undefined) {
        ctx.addIssue({ code: 'custom', message: 'username + password or oauth_token is required' });
      }
    }),
  settings: z.strictObject({
    table: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,79}$/, 'must be a table name')
      .default('incident'),
    assignment_group: z.string().min(1).optional(),
    caller_id: z.string().min(1).optional(),
    category: z.string().min(1).optional(),
    contact_type: z.string().min(1).optional(),
    /** Mandatory close_code when resolving/closing (e.g. 'Solution provided'). */
    close_code: z.string().min(1).default('Solution provided'),
    hold_reasons: z
      .strictObject({ pending_customer: statusWord.default('1'), pending_vendor: statusWord.default('4') })
      .default({ pending_customer: '1', pending_vendor: '4' }),
    priority_mapping: priorityKeyed(serviceNowPriority).default({}),
    status_mapping: z.partialRecord(ourStatus, z.string().regex(/^\d+$/, 'must be a state code')).default({}),
    target_status: z.string().regex(/^\d+$/, 'must be a state code').default('6'),
    rate_limit_per_minute: rateLimit('servicenow'),
    ...commonSettings,
  }),
});

const zendeskSchema = z.strictObject({
  tool_type: z.literal('zendesk'),
  base_url: baseUrl,
  credentials: z.strictObject({ email: z.email(), api_token: z.string().min(1) }),
  settings: z.strictObject({
    group_id: z.number().int().positive().optional(),
    assignee_id: z.number().int().positive().optional(),
    brand_id: z.number().int().positive().optional(),
    ticket_type: z.enum(['problem', 'incident', 'question', 'task']).optional(),
    tags: z.array(z.string().regex(/^\S{1,80}$/, 'tags cannot contain spaces')).default([]),
    /** Whether the description (first comment) is visible to the requester. */
    public_description: z.boolean().default(false),
    priority_mapping: priorityKeyed(z.enum(ZENDESK_PRIORITIES)).default({}),
    status_mapping: z.partialRecord(ourStatus, z.enum(ZENDESK_STATUSES)).default({}),
    target_status: z.enum(ZENDESK_STATUSES).default('solved'),
    rate_limit_per_minute: rateLimit('zendesk'),
    ...commonSettings,
    /** Ticket field id → value; sent as `custom_fields: [{ id, value }]`. */
    custom_fields: z
      .record(z.string().regex(/^\d+$/, 'Zendesk custom field ids are numeric'), z.unknown())
      .default({}),
  }),
});

const sdpSchema = z.strictObject({
  tool_type: z.literal('servicedesk_plus'),
  base_url: baseUrl,
  credentials: z
    .strictObject({ authtoken: z.string().min(1).optional(), oauth_token: z.string().min(1).optional() })
    .superRefine((c, ctx) => {
      if ((c.authtoken === undefined) === (c.oauth_token === undefined)) {
        ctx.addIssue({
          code: 'custom',
          message: 'exactly one of authtoken (on-premise) or oauth_token (cloud) is required',
        });
      }
    }),
  settings: z.strictObject({
    /** Cloud portal name: requests live under /app/<portal>/api/v3. */
    portal: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,100}$/, 'must be a portal name')
      .optional(),
    /** A single-line udf holding our correlation key (e.g. udf_sline_301); otherwise a subject tag is used. */
    correlation_udf: z
      .string()
      .regex(/^udf_[a-z]+_\d+$/, 'must be a udf field key such as udf_sline_301')
      .optional(),
    request_template: z.string().min(1).optional(),
    category: z.string().min(1).optional(),
    group: z.string().min(1).optional(),
    site: z.string().min(1).optional(),
    technician: z.string().min(1).optional(),
    closure_code: z.string().min(1).optional(),
    priority_mapping: priorityKeyed(statusWord).default({}),
    status_mapping: z.partialRecord(ourStatus, statusWord).default({}),
    target_status: statusWord.default('Resolved'),
    close_status: statusWord.default('Closed'),
    rate_limit_per_minute: rateLimit('servicedesk_plus'),
    ...commonSettings,
  }),
});

const webhookSchema = z.strictObject({
  tool_type: z.literal('webhook'),
  base_url: baseUrl,
  credentials: z.strictObject({ secret: z.string().min(16, 'must be at least 16 characters') }),
  settings: z
    .strictObject({
      /** Send the ticket's content in events (false: ids, status and priority only). */
      include_content: z.boolean().default(true),
      rate_limit_per_minute: rateLimit('webhook'),
      inbound_status_mapping: z.record(statusWord, ourStatus).default({}),
      integration_user: z.string().trim().min(1).optional(),
    })
    .default({
      include_content: true,
      rate_limit_per_minute: DEFAULT_RATE_LIMIT_PER_MINUTE.webhook,
      inbound_status_mapping: {},
    }),
});

const SCHEMAS = {
  jira: jiraSchema,
  servicenow: serviceNowSchema,
  zendesk: zendeskSchema,
  servicedesk_plus: sdpSchema,
  webhook: webhookSchema,
} as const;

type Raw<T extends ToolType> = z.output<(typeof SCHEMAS)[T]>;

// ---------------------------------------------------------------------------------------------------------
// Typed configs (defaults merged)
// ---------------------------------------------------------------------------------------------------------

type WithMappings<T extends ToolType, P, S extends string> = Omit<Raw<T>, 'settings' | 'base_url'> & {
  base_url: string;
  settings: Omit<Raw<T>['settings'], 'priority_mapping' | 'status_mapping' | 'inbound_status_mapping'> & {
    priority_mapping: Record<Priority, P>;
    status_mapping: Partial<Record<TicketStatus, S>>;
    /** Lower-cased tool status word → our status. */
    inbound_status_mapping: Record<string, TicketStatus>;
  };
};

export type JiraConfig = WithMappings<'jira', string, string>;
export type ServiceNowConfig = WithMappings<'servicenow', ServiceNowPriority, string>;
export type ZendeskConfig = WithMappings<'zendesk', (typeof ZENDESK_PRIORITIES)[number], ZendeskStatus>;
export type ServiceDeskPlusConfig = WithMappings<'servicedesk_plus', string, string>;
export type WebhookConfig = Omit<Raw<'webhook'>, 'base_url'> & { base_url: string };
export type ItsmConfig =
  JiraConfig | ServiceNowConfig | ZendeskConfig | ServiceDeskPlusConfig | WebhookConfig;

export type ParseResult = { ok: true; config: ItsmConfig } | { ok: false; errors: FieldError[] };

function lowerKeys(map: Record<string, TicketStatus>): Record<string, TicketStatus> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k.toLowerCase(), v]));
}

function normalise(raw: Raw<ToolType>): ItsmConfig {
  const base_url = raw.base_url.replace(/\/+$/, '');
  if (raw.tool_type === 'webhook') {
    return {
      ...raw,
      base_url,
      settings: { ...raw.settings, inbound_status_mapping: lowerKeys(raw.settings.inbound_status_mapping) },
    };
  }
  const tool = raw.tool_type;
  const settings = raw.settings as Raw<typeof tool>['settings'];
  const statusDefaults: Partial<Record<TicketStatus, string>> = { ...DEFAULT_STATUS_MAPPING[tool] };
  if (tool === 'jira') {
    const s = raw.settings as Raw<'jira'>['settings'];
    statusDefaults.resolved = s.target_status;
    statusDefaults.closed = s.close_status ?? s.target_status;
  }
  return {
    ...raw,
    base_url,
    settings: {
      ...settings,
      priority_mapping: { ...DEFAULT_PRIORITY_MAPPING[tool], ...settings.priority_mapping },
      status_mapping: { ...statusDefaults, ...settings.status_mapping },
      inbound_status_mapping: {
        ...DEFAULT_INBOUND_STATUS_MAPPING[tool],
        ...lowerKeys(settings.inbound_status_mapping),
      },
    },
  } as ItsmConfig;
}

function toFieldErrors(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of issues) {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        errors.push({ field: [...path, key].join('.'), message: 'unknown field' });
    } else if (issue.code === 'invalid_key' && issue.issues[0]) {
      errors.push({ field: path.join('.'), message: issue.issues[0].message });
    } else {
      errors.push({ field: path.join('.') || '(root)', message: issue.message });
    }
  }
  return errors;
}

/** Validates a tenant's ITSM configuration; unknown tool types are refused with the list of supported ones. */
export function parseItsmConfig(input: unknown): ParseResult {
  if (!input || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, errors: [{ field: '(root)', message: 'must be an object' }] };
  }
  const toolType = (input as { tool_type?: unknown }).tool_type;
  if (toolType === undefined) return { ok: false, errors: [{ field: 'tool_type', message: 'is required' }] };
  if (!isToolType(toolType)) {
    return {
      ok: false,
      errors: [
        {
          field: 'tool_type',
          message: `unsupported tool type ${JSON.stringify(String(toolType)).slice(0, 60)}; supported: ${TOOL_TYPES.join(', ')}`,
        },
      ],
    };
  }
  const result = SCHEMAS[toolType].safeParse(input);
  if (!result.success) return { ok: false, errors: toFieldErrors(result.error.issues) };
  return { ok: true, config: normalise(result.data as Raw<ToolType>) };
}

/**
 * The configuration-time half of the outbound policy: the base URL's host is resolved and every address
 * checked. An empty list means the configuration may be saved; otherwise `base_url` with the reason.
 */
export async function checkItsmOutbound(config: ItsmConfig, policy: OutboundPolicy): Promise<FieldError[]> {
  const refused = await checkConfiguredUrl(policy, 'base_url', config.base_url);
  return refused ? [refused] : [];
}

/** Like parseItsmConfig, but throws an Error listing the field errors (for trusted, already-stored configs). */
export function assertItsmConfig(input: unknown): ItsmConfig {
  const result = parseItsmConfig(input);
  if (!result.ok) {
    throw new Error(
      `invalid ITSM configuration: ${result.errors.map((e) => `${e.field} ${e.message}`).join('; ')}`,
    );
  }
  return result.config;
}

export interface RedactedItsmConfig {
  tool_type: ToolType;
  base_url: string;
  settings: Record<string, unknown>;
  /** Names of the credential fields that are set; their values are never returned. */
  credentials: { configured: string[] };
}

/** The configuration as an API response may show it: credentials reduced to the names of the fields set. */
export function redactConfig(config: ItsmConfig): RedactedItsmConfig {
  return {
    tool_type: config.tool_type,
    base_url: config.base_url,
    settings: structuredClone(config.settings) as Record<string, unknown>,
    credentials: {
      configured: Object.entries(config.credentials)
        .filter(([, v]) => v !== undefined)
        .map(([k]) => k)
        .sort(),
    },
  };
}

/** The tool's status word → our status, using the tenant's mapping (case-insensitive). */
export function mapInboundStatus(
  config: ItsmConfig,
  externalStatus: string | null | undefined,
): TicketStatus | null {
  if (!externalStatus) return null;
  return ownValue(config.settings.inbound_status_mapping, externalStatus.trim().toLowerCase()) ?? null;
}

// ---------------------------------------------------------------------------------------------------------
// At rest
// ---------------------------------------------------------------------------------------------------------

export interface StoredItsmConfig {
  tool_type: ToolType;
  base_url: string;
  settings: Record<string, unknown>;
  /** `SecretBox.seal(credentials, tenantId)`. */
  credentials_sealed: string;
}

/** What to persist: credentials sealed with the active key and bound to the tenant id. */
export function sealItsmConfig(config: ItsmConfig, box: SecretBox, tenantId: string): StoredItsmConfig {
  return {
    tool_type: config.tool_type,
    base_url: config.base_url,
    settings: structuredClone(config.settings) as Record<string, unknown>,
    credentials_sealed: box.seal(config.credentials, tenantId),
  };
}

/** Opens a stored configuration (throws SecretBoxError if the sealed credentials were tampered with). */
export function openItsmConfig(stored: StoredItsmConfig, box: SecretBox, tenantId: string): ParseResult {
  const credentials = box.open<Record<string, unknown>>(stored.credentials_sealed, tenantId);
  return parseItsmConfig({
    tool_type: stored.tool_type,
    base_url: stored.base_url,
    credentials,
    // Stored settings carry the merged defaults; they reparse to the same values.
    settings: stored.settings,
  });
}
