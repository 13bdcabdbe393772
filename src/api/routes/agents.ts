/**
 * /v1/agents: tenant AI agents (admin): configuration, versions and rollback, lifecycle, triggers, manual runs
 * and the execution history; /v1/agent-executions/:id (steps included) and its approval; and the inbound
 * webhook trigger, which a signature over the raw body authenticates (mounted before JSON parsing and JWT).
 */
import crypto from 'node:crypto';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import express, { type Request, Router } from 'express';
import { z } from 'zod';
import {
  AGENT_KINDS,
  AGENT_STATUSES,
  DEFAULT_LIMITS,
  LIMIT_BOUNDS,
  type LifecycleAction,
  type LlmConfig,
  type RunLimits,
  SYSTEM_PROMPT_MAX,
  SYSTEM_PROMPT_MIN,
  TICKET_EVENTS,
  TOOL_NAMES,
  type ToolName,
  WEBHOOK_REPLAY_WINDOW_SECONDS,
  activationProblem,
  isEditable,
  normaliseGrant,
  transition,
  validateCron,
  validateLlmConfig,
  nextFireTimes,
} from '../../domain/agents';
import type {
  AgentExecutionModel,
  AgentModel,
  AgentRepository,
  AgentTriggerModel,
  AgentVersionModel,
} from '../../stores/agent-repository';
import type { Logger } from '../../platform/logger';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, safeEqual, signV1 } from '../../platform/crypto/signing';
import { requireRole } from '../auth';
import { uuidFromText } from '../ids';
import { type FieldError, HttpProblem, parseOr400, problems } from '../problems';
import type { AgentRuns } from '../agent-gateway';

export interface AgentRouterDeps {
  agents: AgentRepository;
  runs: AgentRuns;
  /** Whether an LLM (OpenAI or compatible) is configured: custom-prompt agents need one to go active. */
  llmConfigured: boolean;
  modelAllowList: string[];
}

const BUILTIN_PROMPT =
  'Built-in agent: runs the product’s offline models and reports; no LLM prompt is used.';
const BUILTIN_LLM: LlmConfig = { provider: 'builtin', model: 'offline', temperature: 0, max_tokens: 1 };

const toolGrantSchema = z.union([
  z.enum(TOOL_NAMES as [ToolName, ...ToolName[]]),
  z
    .object({
      name: z.enum(TOOL_NAMES as [ToolName, ...ToolName[]]),
      requires_approval: z.boolean().optional(),
    })
    .strict(),
]);

const llmConfigSchema = z
  .object({
    provider: z.string().min(1).max(64).default('openai'),
    model: z.string().min(1).max(100),
    temperature: z.number().min(0).max(2).default(0.2),
    max_tokens: z.number().int().min(1).max(32_000).default(1024),
    top_p: z.number().min(0).max(1).optional(),
    frequency_penalty: z.number().min(-2).max(2).optional(),
  })
  .strict();

const limitsSchema = z
  .object(
    Object.fromEntries(
      Object.entries(LIMIT_BOUNDS).map(([k, [min, max]]) => [
        k,
        z.number().int().min(min).max(max).optional(),
      ]),
    ) as Record<keyof RunLimits, z.ZodOptional<z.ZodNumber>>,
  )
  .strict();

const triggerSchema = z.discriminatedUnion('trigger_type', [
  z
    .object({
      trigger_type: z.literal('webhook'),
      payload_schema: z.record(z.string(), z.unknown()).nullable().optional(),
    })
    .strict(),
  z
    .object({
      trigger_type: z.literal('schedule'),
      schedule_cron: z.string().min(1).max(100),
      schedule_timezone: z.string().min(1).max(64).default('UTC'),
    })
    .strict(),
  z.object({ trigger_type: z.literal('ticket_event'), ticket_event: z.enum(TICKET_EVENTS) }).strict(),
]);

const createSchema = z
  .object({
    name: z.string().trim().min(1).max(255),
    description: z.string().max(5000).nullable().optional(),
    kind: z.enum(AGENT_KINDS).default('custom'),
    system_prompt: z.string().min(SYSTEM_PROMPT_MIN).max(SYSTEM_PROMPT_MAX).optional(),
    llm_config: llmConfigSchema.optional(),
    tools: z.array(toolGrantSchema).max(TOOL_NAMES.length).default([]),
    limits: limitsSchema.default({}),
    triggers: z.array(triggerSchema).max(10).default([]),
  })
  .strict();

const patchSchema = z
  .object({
    name: z.string().trim().min(1).max(255).optional(),
    description: z.string().max(5000).nullable().optional(),
    system_prompt: z.string().min(SYSTEM_PROMPT_MIN).max(SYSTEM_PROMPT_MAX).optional(),
    llm_config: llmConfigSchema.partial().optional(),
    tools: z.array(toolGrantSchema).max(TOOL_NAMES.length).optional(),
    limits: limitsSchema.optional(),
  })
  .strict();

const triggerPatchSchema = z
  .object({
    payload_schema: z.record(z.string(), z.unknown()).nullable().optional(),
    schedule_cron: z.string().min(1).max(100).optional(),
    schedule_timezone: z.string().min(1).max(64).optional(),
  })
  .strict();

const listQuery = z.object({ status: z.enum(AGENT_STATUSES).optional() }).strict();
const executionsQuery = z
  .object({ limit: z.coerce.number().int().min(1).max(200).default(50), before: z.iso.datetime().optional() })
  .strict();
const runSchema = z.object({ payload: z.unknown().optional() }).strict();
const rollbackSchema = z.object({ version_number: z.number().int().min(1) }).strict();
const approvalSchema = z.object({ approve: z.boolean(), reason: z.string().max(2000).optional() }).strict();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Draft-07 schemas with the standard formats (uuid, email, date-time, …); unknown keywords are tolerated.
const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
addFormats(ajv);

/** Compiles a trigger's JSON Schema; a schema that does not compile is a 400 naming the field. */
function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  try {
    return ajv.compile(schema);
  } catch (error) {
    throw problems.validation([
      {
        field: 'payload_schema',
        message: `is not a valid JSON Schema (${error instanceof Error ? error.message : 'unreadable'})`,
      },
    ]);
  }
}

export function presentAgent(agent: AgentModel, triggers?: AgentTriggerModel[]) {
  return {
    id: agent.id,
    name: agent.name,
    description: agent.description,
    kind: agent.kind,
    status: agent.status,
    system_prompt: agent.system_prompt,
    llm_config: agent.llm_config,
    tools: agent.tools,
    limits: { ...DEFAULT_LIMITS, ...agent.limits },
    current_version: agent.current_version,
    created_by: agent.created_by,
    created_at: agent.created_at,
    updated_at: agent.updated_at,
    ...(triggers ? { triggers: triggers.map((t) => presentTrigger(t)) } : {}),
  };
}

export function presentTrigger(t: AgentTriggerModel, secret?: string) {
  return {
    id: t.id,
    trigger_type: t.trigger_type,
    ...(t.trigger_type === 'webhook'
      ? {
          webhook_url: t.webhook_url,
          payload_schema: t.payload_schema,
          secret_configured: t.hmac_secret_sealed !== null,
          ...(secret ? { hmac_secret: secret } : {}),
        }
      : {}),
    ...(t.trigger_type === 'schedule'
      ? {
          schedule_cron: t.schedule_cron,
          schedule_timezone: t.schedule_timezone,
          next_fire_times: nextFireTimes(t.schedule_cron!, t.schedule_timezone!, new Date(), 3),
        }
      : {}),
    ...(t.trigger_type === 'ticket_event' ? { ticket_event: t.ticket_event } : {}),
    created_at: t.created_at,
  };
}

function presentVersion(v: AgentVersionModel) {
  return {
    version_number: v.version_number,
    system_prompt: v.system_prompt,
    llm_config: v.llm_config,
    rolled_back_from: v.rolled_back_from,
    created_by: v.created_by,
    created_at: v.created_at,
  };
}

export function presentExecution(e: AgentExecutionModel) {
  return {
    id: e.id,
    agent_id: e.agent_id,
    workflow_id: e.workflow_id,
    trigger_id: e.trigger_id,
    trigger_type: e.trigger_type,
    version_number: e.version_number,
    status: e.status,
    input: e.input_payload,
    output: e.output_result,
    error: e.error_message,
    model: e.model,
    token_usage: {
      prompt_tokens: e.prompt_tokens,
      completion_tokens: e.completion_tokens,
      total_tokens: e.prompt_tokens + e.completion_tokens,
    },
    cost_estimate_usd: Number(e.cost_estimate),
    started_at: e.started_at,
    completed_at: e.completed_at,
    duration_ms: e.duration_ms,
    ...(e.steps
      ? {
          steps: e.steps.map((s) => ({
            step_number: s.step_number,
            kind: s.kind,
            tool: s.tool_name,
            status: s.status,
            input: s.input,
            output: s.output,
            error: s.error,
            prompt_tokens: s.prompt_tokens,
            completion_tokens: s.completion_tokens,
            duration_ms: s.duration_ms,
            created_at: s.created_at,
          })),
        }
      : {}),
  };
}

export function createAgentRouter(deps: AgentRouterDeps): Router {
  const router = Router();
  const admin = requireRole('admin');

  async function loadAgent(req: Request): Promise<AgentModel> {
    const id = String(req.params.id);
    const agent = UUID.test(id) ? await deps.agents.find(req.tenant!.id, id) : undefined;
    if (!agent) throw problems.notFound('agent');
    return agent;
  }

  function checkLlm(kind: AgentModel['kind'], config: LlmConfig): void {
    if (kind !== 'custom') return;
    const errors = validateLlmConfig(config, deps.modelAllowList);
    if (errors.length) throw problems.validation(errors);
  }

  function refuseRetired(agent: AgentModel): void {
    if (!isEditable(agent.status))
      throw problems.conflict('agent-inactive', 'the agent is inactive (retired) and cannot change');
  }

  /** Stores a trigger (and its schedule); a webhook's secret is returned in clear this once. */
  async function addTrigger(agent: AgentModel, spec: z.output<typeof triggerSchema>) {
    if (spec.trigger_type === 'webhook') {
      if (spec.payload_schema) compileSchema(spec.payload_schema);
      const secret = crypto.randomBytes(32).toString('base64url');
      const trigger = await deps.agents.createTrigger({
        tenantId: agent.tenant_id,
        agentId: agent.id,
        type: 'webhook',
        hmacSecret: secret,
        payloadSchema: spec.payload_schema ?? null,
      });
      return presentTrigger(trigger, secret);
    }
    if (spec.trigger_type === 'schedule') {
      const problem = validateCron(spec.schedule_cron, spec.schedule_timezone);
      if (problem) throw problems.validation([problem]);
      const existing = await deps.agents.listTriggers(agent.tenant_id, agent.id);
      if (existing.some((t) => t.trigger_type === 'schedule'))
        throw problems.conflict(
          'schedule-exists',
          'the agent already has a schedule trigger: change that one',
        );
      const trigger = await deps.agents.createTrigger({
        tenantId: agent.tenant_id,
        agentId: agent.id,
        type: 'schedule',
        scheduleCron: spec.schedule_cron.trim(),
        scheduleTimezone: spec.schedule_timezone,
      });
      try {
        await deps.runs.upsertSchedule({
          tenantId: agent.tenant_id,
          agentId: agent.id,
          triggerId: trigger.id,
          cron: trigger.schedule_cron!,
          timeZone: trigger.schedule_timezone!,
          paused: agent.status !== 'active',
        });
      } catch (error) {
        await deps.agents.deleteTrigger(agent.tenant_id, agent.id, trigger.id);
        throw error;
      }
      return presentTrigger(trigger);
    }
    const trigger = await deps.agents.createTrigger({
      tenantId: agent.tenant_id,
      agentId: agent.id,
      type: 'ticket_event',
      ticketEvent: spec.ticket_event,
    });
    return presentTrigger(trigger);
  }

  router.post('/agents', admin, async (req, res) => {
    const body = parseOr400(createSchema, req.body);
    const isCustom = body.kind === 'custom';
    const errors: FieldError[] = [];
    if (isCustom && !body.system_prompt) errors.push({ field: 'system_prompt', message: 'is required' });
    if (isCustom && !body.llm_config) errors.push({ field: 'llm_config', message: 'is required' });
    if (errors.length) throw problems.validation(errors);
    const llmConfig = body.llm_config ?? BUILTIN_LLM;
    checkLlm(body.kind, llmConfig);
    for (const t of body.triggers) {
      if (t.trigger_type === 'schedule') {
        const p = validateCron(t.schedule_cron, t.schedule_timezone);
        if (p) throw problems.validation([{ field: `triggers.${p.field}`, message: p.message }]);
      }
      if (t.trigger_type === 'webhook' && t.payload_schema) compileSchema(t.payload_schema);
    }
    if (body.triggers.filter((t) => t.trigger_type === 'schedule').length > 1)
      throw problems.validation([{ field: 'triggers', message: 'at most one schedule trigger per agent' }]);
    const agent = await deps.agents.create({
      tenantId: req.tenant!.id,
      name: body.name,
      description: body.description ?? null,
      kind: body.kind,
      systemPrompt: body.system_prompt ?? BUILTIN_PROMPT,
      llmConfig,
      tools: [...new Map(body.tools.map((g) => normaliseGrant(g)).map((g) => [g.name, g])).values()],
      limits: body.limits,
      createdBy: req.principal!.sub,
    });
    const triggers = [];
    for (const spec of body.triggers) triggers.push(await addTrigger(agent, spec));
    res
      .status(201)
      .location(`/v1/agents/${agent.id}`)
      .json({ ...presentAgent(agent), triggers });
  });

  router.get('/agents', admin, async (req, res) => {
    const query = parseOr400(listQuery, req.query);
    const agents = await deps.agents.list(req.tenant!.id, query);
    res.json({ items: agents.map((a) => presentAgent(a)) });
  });

  router.get('/agents/:id', admin, async (req, res) => {
    const agent = await loadAgent(req);
    const triggers = await deps.agents.listTriggers(agent.tenant_id, agent.id);
    const schedule = triggers.some((t) => t.trigger_type === 'schedule')
      ? await deps.runs.describeSchedule(agent.id)
      : undefined;
    res.json({ ...presentAgent(agent, triggers), ...(schedule ? { schedule } : {}) });
  });

  router.patch('/agents/:id', admin, async (req, res) => {
    const body = parseOr400(patchSchema, req.body);
    const agent = await loadAgent(req);
    refuseRetired(agent);
    const llmConfig = body.llm_config
      ? ({ ...agent.llm_config, ...body.llm_config } as LlmConfig)
      : undefined;
    if (llmConfig) checkLlm(agent.kind, llmConfig);
    const updated = await deps.agents.update(
      agent.tenant_id,
      agent.id,
      {
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.description !== undefined ? { description: body.description } : {}),
        ...(body.system_prompt !== undefined ? { system_prompt: body.system_prompt } : {}),
        ...(llmConfig ? { llm_config: llmConfig } : {}),
        ...(body.tools
          ? { tools: [...new Map(body.tools.map((g) => normaliseGrant(g)).map((g) => [g.name, g])).values()] }
          : {}),
        ...(body.limits ? { limits: { ...agent.limits, ...body.limits } } : {}),
      },
      req.principal!.sub,
    );
    if (!updated) throw problems.notFound('agent');
    res.json({ ...presentAgent(updated.agent), new_version: updated.newVersion });
  });

  for (const action of ['activate', 'suspend', 'deactivate'] as const satisfies readonly LifecycleAction[]) {
    router.post(`/agents/:id/${action}`, admin, async (req, res) => {
      const agent = await loadAgent(req);
      const next = transition(agent.status, action);
      if (!next.ok)
        throw problems.conflict('invalid-transition', next.reason, { status: agent.status, action });
      const triggers = await deps.agents.listTriggers(agent.tenant_id, agent.id);
      const schedule = triggers.find((t) => t.trigger_type === 'schedule');
      if (action === 'activate') {
        const problem = activationProblem({
          kind: agent.kind,
          triggerCount: triggers.length,
          llmConfigured: deps.llmConfigured,
          tools: agent.tools,
        });
        if (problem) throw problems.conflict(problem.slug, problem.detail, problem.extra);
        if (schedule)
          await deps.runs.upsertSchedule({
            tenantId: agent.tenant_id,
            agentId: agent.id,
            triggerId: schedule.id,
            cron: schedule.schedule_cron!,
            timeZone: schedule.schedule_timezone!,
            paused: false,
          });
      } else if (action === 'suspend') {
        if (schedule) await deps.runs.pauseSchedule(agent.id, true);
      } else {
        await deps.runs.deleteSchedule(agent.id);
      }
      if (!(await deps.agents.setStatus(agent.tenant_id, agent.id, agent.status, next.to)))
        throw problems.conflict('concurrent-change', 'the agent changed meanwhile; read it and retry');
      res.json(presentAgent((await deps.agents.find(agent.tenant_id, agent.id))!, triggers));
    });
  }

  router.get('/agents/:id/versions', admin, async (req, res) => {
    const agent = await loadAgent(req);
    const versions = await deps.agents.listVersions(agent.tenant_id, agent.id);
    res.json({ current_version: agent.current_version, items: versions.map(presentVersion) });
  });

  /** Rollback writes a new version with the old prompt and configuration: history is never rewritten. */
  router.post('/agents/:id/rollback', admin, async (req, res) => {
    const { version_number: target } = parseOr400(rollbackSchema, req.body);
    const agent = await loadAgent(req);
    refuseRetired(agent);
    const version = await deps.agents.findVersion(agent.tenant_id, agent.id, target);
    if (!version) throw problems.notFound(`version ${target}`);
    if (target === agent.current_version)
      throw problems.conflict('already-current', `version ${target} is the current version`);
    checkLlm(agent.kind, version.llm_config);
    const updated = await deps.agents.update(
      agent.tenant_id,
      agent.id,
      { system_prompt: version.system_prompt, llm_config: version.llm_config },
      req.principal!.sub,
      target,
    );
    res.json({ ...presentAgent(updated!.agent), new_version: updated!.newVersion, rolled_back_to: target });
  });

  router.get('/agents/:id/triggers', admin, async (req, res) => {
    const agent = await loadAgent(req);
    const triggers = await deps.agents.listTriggers(agent.tenant_id, agent.id);
    res.json({ items: triggers.map((t) => presentTrigger(t)) });
  });

  router.post('/agents/:id/triggers', admin, async (req, res) => {
    const spec = parseOr400(triggerSchema, req.body);
    const agent = await loadAgent(req);
    refuseRetired(agent);
    res.status(201).json(await addTrigger(agent, spec));
  });

  async function loadTrigger(req: Request, agent: AgentModel): Promise<AgentTriggerModel> {
    const id = String(req.params.triggerId);
    const trigger = UUID.test(id) ? await deps.agents.findTrigger(agent.tenant_id, agent.id, id) : undefined;
    if (!trigger) throw problems.notFound('trigger');
    return trigger;
  }

  router.get('/agents/:id/triggers/:triggerId', admin, async (req, res) => {
    const agent = await loadAgent(req);
    res.json(presentTrigger(await loadTrigger(req, agent)));
  });

  router.patch('/agents/:id/triggers/:triggerId', admin, async (req, res) => {
    const body = parseOr400(triggerPatchSchema, req.body);
    const agent = await loadAgent(req);
    refuseRetired(agent);
    const trigger = await loadTrigger(req, agent);
    const patch: Record<string, unknown> = {};
    if (trigger.trigger_type === 'webhook') {
      if (body.schedule_cron !== undefined || body.schedule_timezone !== undefined)
        throw problems.validation([
          { field: 'schedule_cron', message: 'only schedule triggers have a schedule' },
        ]);
      if (body.payload_schema) compileSchema(body.payload_schema);
      if (body.payload_schema !== undefined) patch.payload_schema = body.payload_schema;
    } else if (trigger.trigger_type === 'schedule') {
      if (body.payload_schema !== undefined)
        throw problems.validation([{ field: 'payload_schema', message: 'only webhook triggers have one' }]);
      const cron = body.schedule_cron?.trim() ?? trigger.schedule_cron!;
      const tz = body.schedule_timezone ?? trigger.schedule_timezone!;
      const problem = validateCron(cron, tz);
      if (problem) throw problems.validation([problem]);
      await deps.runs.upsertSchedule({
        tenantId: agent.tenant_id,
        agentId: agent.id,
        triggerId: trigger.id,
        cron,
        timeZone: tz,
        paused: agent.status !== 'active',
      });
      patch.schedule_cron = cron;
      patch.schedule_timezone = tz;
    } else if (Object.keys(body).length) {
      throw problems.validation([
        { field: '(body)', message: 'a ticket-event trigger has nothing to change' },
      ]);
    }
    const updated = Object.keys(patch).length
      ? ((await deps.agents.updateTrigger(agent.tenant_id, agent.id, trigger.id, patch)) ?? trigger)
      : trigger;
    res.json(presentTrigger(updated));
  });

  router.delete('/agents/:id/triggers/:triggerId', admin, async (req, res) => {
    const agent = await loadAgent(req);
    const trigger = await loadTrigger(req, agent);
    if (agent.status === 'active' && (await deps.agents.listTriggers(agent.tenant_id, agent.id)).length === 1)
      throw problems.conflict('agent-needs-trigger', 'an active agent must keep at least one trigger');
    if (trigger.trigger_type === 'schedule') await deps.runs.deleteSchedule(agent.id);
    await deps.agents.deleteTrigger(agent.tenant_id, agent.id, trigger.id);
    res.status(204).end();
  });

  /** A manual run (an admin trying the agent out), recorded like any other. */
  router.post('/agents/:id/run', admin, async (req, res) => {
    const body = parseOr400(runSchema, req.body);
    const agent = await loadAgent(req);
    if (agent.status !== 'active')
      throw problems.conflict('agent-not-active', `the agent is ${agent.status}; activate it first`);
    const runId = crypto.randomUUID();
    const { workflowId } = await deps.runs.start({
      tenantId: agent.tenant_id,
      agentId: agent.id,
      runId,
      triggerId: null,
      triggerType: 'manual',
      payload: body.payload ?? null,
    });
    res
      .status(202)
      .location(`/v1/agent-executions/${runId}`)
      .json({ execution_id: runId, workflow_id: workflowId });
  });

  router.get('/agents/:id/executions', admin, async (req, res) => {
    const query = parseOr400(executionsQuery, req.query);
    const agent = await loadAgent(req);
    const rows = await deps.agents.listExecutions(agent.tenant_id, agent.id, {
      limit: query.limit,
      ...(query.before ? { before: new Date(query.before) } : {}),
    });
    res.json({
      items: rows.map(presentExecution),
      next_before: rows.length === query.limit ? rows[rows.length - 1]!.started_at.toISOString() : null,
    });
  });

  async function loadExecution(req: Request): Promise<AgentExecutionModel> {
    const id = String(req.params.id);
    const execution = UUID.test(id) ? await deps.agents.findExecution(req.tenant!.id, id) : undefined;
    if (!execution) throw problems.notFound('agent execution');
    return execution;
  }

  router.get('/agent-executions/:id', requireRole('admin', 'agent'), async (req, res) => {
    const execution = await loadExecution(req);
    const live =
      execution.status === 'running' || execution.status === 'awaiting_approval'
        ? await deps.runs.live(execution.workflow_id)
        : undefined;
    res.json({ ...presentExecution(execution), ...(live ? { live } : {}) });
  });

  /** An agent or admin approves or rejects the tool call the run waits on. */
  router.post('/agent-executions/:id/approval', requireRole('admin', 'agent'), async (req, res) => {
    const body = parseOr400(approvalSchema, req.body);
    const execution = await loadExecution(req);
    const view = await deps.runs.decide(
      execution.workflow_id,
      { approve: body.approve, by: req.principal!.sub, ...(body.reason ? { reason: body.reason } : {}) },
      req.get('idempotency-key') ?? crypto.randomUUID(),
    );
    res.json(view);
  });

  return router;
}

export interface AgentWebhookDeps {
  agents: AgentRepository;
  runs: AgentRuns;
  logger: Logger;
  maxBodyBytes: number;
  nowMs?: () => number;
}

/**
 * POST /v1/agents/:id/webhook, signed like every webhook of the product: `X-Signature-Timestamp: <unix s>`,
 * `X-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>">` with the trigger's secret. Bad or stale
 * signature (or unknown agent): 401; payload not matching the trigger's JSON Schema: 422; nothing is started.
 * A replay of the same signed call inside the window maps to the same run id and starts nothing.
 */
export function createAgentWebhookRouter(deps: AgentWebhookDeps): Router {
  const router = Router();
  const validators = new Map<string, ValidateFunction>();
  router.post(
    '/agents/:id/webhook',
    express.raw({ type: () => true, limit: deps.maxBodyBytes }),
    async (req: Request, res) => {
      const unauthorized = problems.unauthorized('the webhook signature is missing, invalid or stale');
      const id = String(req.params.id);
      const agent = UUID.test(id) ? await deps.agents.findAnyTenant(id) : undefined;
      if (!agent) throw unauthorized;
      const rawBody: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const timestamp = String(req.get(TIMESTAMP_HEADER) ?? '');
      const signatures = String(req.get(SIGNATURE_HEADER) ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const now = (deps.nowMs ?? Date.now)() / 1000;
      if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now - Number(timestamp)) > WEBHOOK_REPLAY_WINDOW_SECONDS)
        throw unauthorized;
      const triggers = (await deps.agents.listTriggers(agent.tenant_id, agent.id)).filter(
        (t) => t.trigger_type === 'webhook',
      );
      const trigger = triggers.find((t) => {
        const secret = deps.agents.openTriggerSecret(t);
        if (!secret) return false;
        const expected = signV1(secret, timestamp, rawBody);
        return signatures.some((s) => safeEqual(s, expected));
      });
      if (!trigger) {
        deps.logger.warn({ agentId: agent.id }, 'agent webhook refused: bad signature');
        throw unauthorized;
      }
      if (agent.status !== 'active')
        throw problems.conflict('agent-not-active', `the agent is ${agent.status}; its triggers are off`);
      let payload: unknown;
      try {
        payload = rawBody.length ? JSON.parse(rawBody.toString('utf8')) : null;
      } catch {
        throw problems.malformedJson();
      }
      if (trigger.payload_schema) {
        const key = `${trigger.id}:${JSON.stringify(trigger.payload_schema)}`;
        let validate = validators.get(key);
        if (!validate) {
          validate = compileSchema(trigger.payload_schema);
          validators.set(key, validate);
        }
        if (!validate(payload)) {
          throw new HttpProblem(
            422,
            'invalid-payload',
            'Invalid payload',
            "the payload does not match the trigger's payload_schema",
            {
              errors: (validate.errors ?? []).map((e) => ({
                field: e.instancePath || '(payload)',
                message: e.message ?? 'invalid',
              })),
            },
          );
        }
      }
      const digest = crypto.createHash('sha256').update(rawBody).digest('hex');
      const runId = uuidFromText(`agent-webhook:${trigger.id}:${timestamp}:${digest}`);
      const { workflowId, started } = await deps.runs.start({
        tenantId: agent.tenant_id,
        agentId: agent.id,
        runId,
        triggerId: trigger.id,
        triggerType: 'webhook',
        payload,
      });
      res
        .status(started ? 202 : 200)
        .json({ status: started ? 'started' : 'duplicate', execution_id: runId, workflow_id: workflowId });
    },
  );
  return router;
}
