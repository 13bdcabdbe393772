/**
 * Tenant AI agents (seed 002 "Agent Orchestration"): lifecycle, LLM configuration, triggers, the tool catalogue
 * and the run limits. Pure rules, shared by the API, the activities and the agent-run workflow.
 */
import { ownValue } from './lookup';
import { CronExpressionParser } from 'cron-parser';

export const AGENT_STATUSES = ['draft', 'active', 'suspended', 'inactive'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/**
 * `custom` runs the tenant's prompt on an LLM with function calling. The built-in kinds run offline with the
 * product's own models and reports (they need no LLM).
 */
export const AGENT_KINDS = ['custom', 'ticket_enhancement', 'sla_digest', 'knowledge_gap'] as const;
export type AgentKind = (typeof AGENT_KINDS)[number];

export const LIFECYCLE_ACTIONS = ['activate', 'suspend', 'deactivate'] as const;
export type LifecycleAction = (typeof LIFECYCLE_ACTIONS)[number];

/** draft → active, active ↔ suspended, active/suspended → inactive (terminal). */
const TRANSITIONS: Record<AgentStatus, Partial<Record<LifecycleAction, AgentStatus>>> = {
  draft: { activate: 'active' },
  active: { suspend: 'suspended', deactivate: 'inactive' },
  suspended: { activate: 'active', deactivate: 'inactive' },
  inactive: {},
};

export type TransitionResult = { ok: true; to: AgentStatus } | { ok: false; reason: string };

export function transition(from: AgentStatus, action: LifecycleAction): TransitionResult {
  const to = TRANSITIONS[from][action];
  if (!to) return { ok: false, reason: `an agent that is ${from} cannot be ${pastTense(action)}` };
  return { ok: true, to };
}

function pastTense(action: LifecycleAction): string {
  return action === 'activate' ? 'activated' : action === 'suspend' ? 'suspended' : 'deactivated';
}

/** An inactive agent is retired: nothing about it changes any more. */
export function isEditable(status: AgentStatus): boolean {
  return status !== 'inactive';
}

export const SYSTEM_PROMPT_MIN = 10;
export const SYSTEM_PROMPT_MAX = 32_000;

export interface LlmConfig {
  provider: string;
  model: string;
  temperature: number;
  max_tokens: number;
  top_p?: number;
  frequency_penalty?: number;
}

export interface FieldProblem {
  field: string;
  message: string;
}

/** Checks an LLM configuration; the model must be on the configured allow-list. */
export function validateLlmConfig(config: LlmConfig, allowList: readonly string[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const range = (field: keyof LlmConfig, min: number, max: number) => {
    const v = config[field];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
      problems.push({ field: `llm_config.${field}`, message: `must be between ${min} and ${max}` });
  };
  if (!config.provider || config.provider.length > 64)
    problems.push({ field: 'llm_config.provider', message: 'must be 1–64 characters' });
  if (!allowList.includes(config.model))
    problems.push({
      field: 'llm_config.model',
      message: `is not an allowed model (allowed: ${allowList.join(', ')})`,
    });
  range('temperature', 0, 2);
  range('max_tokens', 1, 32_000);
  if (!Number.isInteger(config.max_tokens))
    problems.push({ field: 'llm_config.max_tokens', message: 'must be an integer' });
  range('top_p', 0, 1);
  range('frequency_penalty', -2, 2);
  return problems;
}

export function validateSystemPrompt(prompt: string): FieldProblem[] {
  return prompt.length < SYSTEM_PROMPT_MIN || prompt.length > SYSTEM_PROMPT_MAX
    ? [
        {
          field: 'system_prompt',
          message: `must be ${SYSTEM_PROMPT_MIN}–${SYSTEM_PROMPT_MAX} characters`,
        },
      ]
    : [];
}

/** True when a change to these fields must write a new immutable version. */
export function changesVersion(
  current: { system_prompt: string; llm_config: LlmConfig },
  next: { system_prompt?: string; llm_config?: LlmConfig },
): boolean {
  return (
    (next.system_prompt !== undefined && next.system_prompt !== current.system_prompt) ||
    (next.llm_config !== undefined && canonical(next.llm_config) !== canonical(current.llm_config))
  );
}

function canonical(value: object): string {
  return JSON.stringify(Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b))));
}

// ---------------------------------------------------------------------------------------------------------
// Triggers

export const TRIGGER_TYPES = ['webhook', 'schedule', 'ticket_event'] as const;
export type TriggerType = (typeof TRIGGER_TYPES)[number];

export const TICKET_EVENTS = ['ticket.created', 'ticket.triaged', 'sla.breached'] as const;
export type TicketEvent = (typeof TICKET_EVENTS)[number];

/** Webhook calls signed more than this far from now (either way) are refused as replays. */
export const WEBHOOK_REPLAY_WINDOW_SECONDS = 300;

/** A 5-field cron expression in an IANA time zone; returns the problem or undefined. */
export function validateCron(expression: string, timeZone: string): FieldProblem | undefined {
  if (!isTimeZone(timeZone)) return { field: 'schedule_timezone', message: 'is not an IANA time zone' };
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5)
    return {
      field: 'schedule_cron',
      message: 'must have 5 fields: minute hour day-of-month month day-of-week',
    };
  try {
    CronExpressionParser.parse(expression, { tz: timeZone }).next();
  } catch (error) {
    return {
      field: 'schedule_cron',
      message: `is not a valid cron expression (${error instanceof Error ? error.message : 'unreadable'})`,
    };
  }
  return undefined;
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return name.length > 0;
  } catch {
    return false;
  }
}

/** The next `count` fire times of a schedule, for the API to show what was configured. */
export function nextFireTimes(expression: string, timeZone: string, from: Date, count: number): string[] {
  const it = CronExpressionParser.parse(expression, { tz: timeZone, currentDate: from });
  return Array.from({ length: count }, () => it.next().toISOString() ?? '');
}

// ---------------------------------------------------------------------------------------------------------
// Tools

/**
 * The fixed catalogue. `writes` marks tools that change something; `irreversible` ones (ITSM writes, posts to
 * a channel) default to needing human approval when granted, unless the grant says otherwise.
 */
export const TOOL_CATALOGUE = {
  read_ticket: {
    description: "Read one of the tenant's tickets: title, content, status, priority, category, messages.",
    parameters: {
      type: 'object',
      additionalProperties: false,
      required: ['ticket_id'],
      properties: { ticket_id: { type: 'string', description: 'the ticket id (uuid)' } },
    },
    writes: false,
    irreversible: false,
  },
  search_kb: {
    description: "Search the tenant's knowledge base; returns the best passages with their titles.",
    parameters: {
      type: 'object',
      additionalProperties: false,
      required: ['query'],
      properties: {
        query: { type: 'string' },
        limit: { type: 'integer', minimum: 1, maximum: 10 },
      },
    },
    writes: false,
    irreversible: false,
  },
  add_internal_note: {
    description: 'Add an internal note (not visible to the customer) to a ticket.',
    parameters: {
      type: 'object',
      additionalProperties: false,
      required: ['ticket_id', 'body'],
      properties: { ticket_id: { type: 'string' }, body: { type: 'string', maxLength: 20000 } },
    },
    writes: true,
    irreversible: false,
  },
  set_priority: {
    description: "Set a ticket's priority.",
    parameters: {
      type: 'object',
      additionalProperties: false,
      required: ['ticket_id', 'priority'],
      properties: {
        ticket_id: { type: 'string' },
        priority: { type: 'string', enum: ['low', 'medium', 'high', 'critical'] },
      },
    },
    writes: true,
    irreversible: false,
  },
  escalate_ticket: {
    description: 'Escalate a ticket to a higher support level with a reason.',
    parameters: {
      type: 'object',
      additionalProperties: false,
      required: ['ticket_id', 'reason'],
      properties: {
        ticket_id: { type: 'string' },
        reason: { type: 'string', maxLength: 2000 },
        level: { type: 'integer', minimum: 1, maximum: 3 },
      },
    },
    writes: true,
    irreversible: false,
  },
  post_notification: {
    description: "Post a message to one of the tenant's notification targets (Slack or webhook) by name.",
    parameters: {
      type: 'object',
      additionalProperties: false,
      required: ['target', 'text'],
      properties: { target: { type: 'string' }, text: { type: 'string', maxLength: 20000 } },
    },
    writes: true,
    irreversible: true,
  },
  itsm_create: {
    description: "Create the ticket in the tenant's ITSM tool (Jira, ServiceNow, …).",
    parameters: {
      type: 'object',
      additionalProperties: false,
      required: ['ticket_id'],
      properties: { ticket_id: { type: 'string' } },
    },
    writes: true,
    irreversible: true,
  },
  itsm_comment: {
    description: "Add a comment to the ticket's issue in the tenant's ITSM tool.",
    parameters: {
      type: 'object',
      additionalProperties: false,
      required: ['ticket_id', 'comment'],
      properties: { ticket_id: { type: 'string' }, comment: { type: 'string', maxLength: 20000 } },
    },
    writes: true,
    irreversible: true,
  },
} as const;

export type ToolName = keyof typeof TOOL_CATALOGUE;
export const TOOL_NAMES = Object.keys(TOOL_CATALOGUE) as ToolName[];

export function isToolName(name: string): name is ToolName {
  return Object.prototype.hasOwnProperty.call(TOOL_CATALOGUE, name);
}

export interface ToolGrant {
  name: ToolName;
  requires_approval: boolean;
}

/** A grant as given (a name, or a name with an approval flag), with the catalogue's default for approval. */
export function normaliseGrant(grant: ToolName | { name: ToolName; requires_approval?: boolean }): ToolGrant {
  const name = typeof grant === 'string' ? grant : grant.name;
  const explicit = typeof grant === 'string' ? undefined : grant.requires_approval;
  return { name, requires_approval: explicit ?? TOOL_CATALOGUE[name].irreversible };
}

/** The tools a built-in kind uses; a built-in agent needs them granted like any other. */
export const BUILTIN_TOOLS: Record<Exclude<AgentKind, 'custom'>, ToolName[]> = {
  ticket_enhancement: ['add_internal_note'],
  sla_digest: [],
  knowledge_gap: [],
};

// ---------------------------------------------------------------------------------------------------------
// Run limits

export interface RunLimits {
  max_steps: number;
  max_tokens: number;
  max_wall_seconds: number;
  /** How long a tool call waits for a human's approval before it counts as rejected. */
  approval_timeout_seconds: number;
}

export const DEFAULT_LIMITS: RunLimits = {
  max_steps: 8,
  max_tokens: 20_000,
  max_wall_seconds: 300,
  approval_timeout_seconds: 3600,
};

export const LIMIT_BOUNDS: Record<keyof RunLimits, [number, number]> = {
  max_steps: [1, 50],
  max_tokens: [100, 1_000_000],
  max_wall_seconds: [5, 3600],
  approval_timeout_seconds: [1, 7 * 24 * 3600],
};

/** Why an activation is refused, or undefined when the agent may go active. */
export function activationProblem(input: {
  kind: AgentKind;
  triggerCount: number;
  llmConfigured: boolean;
  tools: readonly ToolGrant[];
}): { slug: string; detail: string; extra?: Record<string, unknown> } | undefined {
  if (input.triggerCount < 1)
    return { slug: 'agent-needs-trigger', detail: 'an active agent must have at least one trigger' };
  if (input.kind === 'custom' && !input.llmConfigured)
    return {
      slug: 'llm-not-configured',
      detail:
        'this agent runs a custom prompt on an LLM, and none is configured: set OPENAI_API_KEY (and OPENAI_BASE_URL ' +
        'for an OpenAI-compatible server), or use a built-in kind that runs offline',
      extra: { missing_config: ['OPENAI_API_KEY'] },
    };
  if (input.kind !== 'custom') {
    const granted = new Set(input.tools.map((t) => t.name));
    const missing = BUILTIN_TOOLS[input.kind].filter((t) => !granted.has(t));
    if (missing.length)
      return {
        slug: 'agent-missing-tools',
        detail: `a ${input.kind} agent needs the tools ${missing.join(', ')}`,
      };
  }
  return undefined;
}

/** Per-1k-token prices (USD) for the cost estimate; models not listed use the default. */
export const MODEL_PRICES_PER_1K: Record<string, { prompt: number; completion: number }> = {
  'gpt-4o-mini': { prompt: 0.00015, completion: 0.0006 },
  'gpt-4o': { prompt: 0.0025, completion: 0.01 },
  'gpt-4': { prompt: 0.03, completion: 0.06 },
  'gpt-4-turbo': { prompt: 0.01, completion: 0.03 },
  'gpt-3.5-turbo': { prompt: 0.0005, completion: 0.0015 },
};
const DEFAULT_PRICE = { prompt: 0.001, completion: 0.002 };

export function costEstimate(model: string, promptTokens: number, completionTokens: number): number {
  const price = ownValue(MODEL_PRICES_PER_1K, model) ?? DEFAULT_PRICE;
  return (promptTokens / 1000) * price.prompt + (completionTokens / 1000) * price.completion;
}

export function agentRunWorkflowId(agentId: string, runId: string): string {
  return `agent-${agentId}-${runId}`;
}

export function agentScheduleId(agentId: string): string {
  return `agent-${agentId}-schedule`;
}
