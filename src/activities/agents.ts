/**
 * Activities of the agent-run workflow: the run's record, model calls (OpenAI function calling), the tool
 * catalogue, the built-in offline kinds, and the dispatch of ticket events to agents.
 *
 * Tool calls are checked here, server-side, whatever the model or the workflow asks: the tool must be in the
 * catalogue and granted to the agent as stored in Postgres now, its arguments must validate, and every read or
 * write is scoped to the run's tenant (another tenant's ticket is simply not found). Tools that change a ticket
 * go through the ticket workflow's own updates, so its state machine and SLA clocks stay in charge.
 */
import crypto from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type OpenAI from 'openai';
import { z } from 'zod';
import {
  type AgentKind,
  DEFAULT_LIMITS,
  type LlmConfig,
  type RunLimits,
  TOOL_CATALOGUE,
  type TicketEvent,
  type ToolGrant,
  type ToolName,
  costEstimate,
  isToolName,
} from '../domain/agents';
import { ticketText } from '../domain/triage';
import { DEFAULT_CATEGORIES, PRIORITIES, PRODUCTS } from '../domain/vocabulary';
import type { Classifier, Retriever } from '../connectors/ai/ports';
import { toActivityFailure } from '../connectors/ai/openai';
import type { ItsmGateway } from '../connectors/itsm/ports';
import type { OutboundPolicy } from '../platform/net/outbound-policy';
import { postAgentMessage } from '../connectors/notifications/agent-post';
import { DeliveryError } from '../connectors/notifications/deliver';
import type { AgentRepository } from '../stores/agent-repository';
import type { AnalyticsRepository } from '../stores/analytics-repository';
import type { NotificationRepository } from '../stores/notification-repository';
import type { TenantRepository } from '../stores/tenant-repository';
import type { TicketRepository } from '../stores/ticket-repository';
import type { TicketModel } from '../stores/models';
import type { Logger } from '../platform/logger';
import type { TicketLiveView } from '../domain/live-view';
import type { UpdateDefinition } from '@temporalio/common';
import {
  type ActionEnvelope,
  addMessageUpdate,
  escalateTicketUpdate,
  setPriorityUpdate,
} from '../workflows/messages';
import type { AgentRunInput, AgentTriggerKind, ApprovalDecision } from '../workflows/agent-messages';

/** What the activities need from the ticket workflow gateway (src/api/workflow-gateway.ts). */
export interface TicketActions {
  act<Args>(
    ticket: TicketModel,
    update: UpdateDefinition<TicketLiveView, [Args]>,
    args: Args,
    updateId: string,
  ): Promise<TicketLiveView>;
}

/** Starts agent runs (src/api/agent-gateway.ts). */
export interface AgentRunStarter {
  start(input: AgentRunInput & { runId: string }): Promise<{ workflowId: string; started: boolean }>;
}

export interface AgentActivityBaseDeps {
  agents: AgentRepository;
  analytics: AnalyticsRepository;
  tickets: TicketRepository;
  tenants: TenantRepository;
  notifications: NotificationRepository;
  classifier: Classifier;
  retriever: Retriever;
  itsm: ItsmGateway;
  /** The OpenAI (or compatible) client when an LLM is configured. */
  llm: OpenAI | undefined;
  logger: Logger;
  /** The SSRF policy every tenant-configured URL goes through (agent posts to notification targets). */
  outbound: OutboundPolicy;
}

export interface AgentActivityDeps extends AgentActivityBaseDeps {
  ticketActions: TicketActions;
  runs: AgentRunStarter;
}

export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | {
      role: 'assistant';
      content: string | null;
      tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
    }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface ToolOutcome {
  status: 'ok' | 'refused' | 'error';
  output: unknown;
}

export type RunPlan =
  | {
      ok: true;
      kind: AgentKind;
      systemPrompt: string;
      llmConfig: LlmConfig;
      tools: ToolGrant[];
      limits: RunLimits;
      versionNumber: number;
    }
  | { ok: false; reason: string };

const uuid = z.string().uuid();

/** Argument schemas of the catalogue's tools (the JSON Schemas the model sees say the same). */
const toolArgs = {
  read_ticket: z.object({ ticket_id: uuid }).strict(),
  search_kb: z
    .object({ query: z.string().min(1).max(2000), limit: z.number().int().min(1).max(10).optional() })
    .strict(),
  add_internal_note: z.object({ ticket_id: uuid, body: z.string().min(1).max(20_000) }).strict(),
  set_priority: z.object({ ticket_id: uuid, priority: z.enum(PRIORITIES) }).strict(),
  escalate_ticket: z
    .object({
      ticket_id: uuid,
      reason: z.string().min(1).max(2000),
      level: z.number().int().min(1).max(3).optional(),
    })
    .strict(),
  post_notification: z
    .object({ target: z.string().min(1).max(255), text: z.string().min(1).max(20_000) })
    .strict(),
  itsm_create: z.object({ ticket_id: uuid }).strict(),
  itsm_comment: z.object({ ticket_id: uuid, comment: z.string().min(1).max(20_000) }).strict(),
} satisfies Record<ToolName, z.ZodType>;

function refused(message: string): ToolOutcome {
  return { status: 'refused', output: { error: message } };
}

/** An id that is the same on every retry of the same step: the ticket workflow applies it once. */
function stepActionId(executionId: string, stepNumber: number): string {
  const hex = crypto.createHash('sha256').update(`agent:${executionId}:${stepNumber}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function createAgentActivities(deps: AgentActivityDeps) {
  const { agents, tickets, logger } = deps;

  async function ticketAction<Args extends ActionEnvelope>(
    input: { tenantId: string; agentId: string; executionId: string; stepNumber: number },
    ticketId: string,
    update: UpdateDefinition<TicketLiveView, [Args]>,
    args: Omit<Args, keyof ActionEnvelope>,
  ): Promise<ToolOutcome> {
    const ticket = await tickets.findById(input.tenantId, ticketId);
    if (!ticket) return refused(`ticket ${ticketId} not found`);
    const actionId = stepActionId(input.executionId, input.stepNumber);
    const envelope: ActionEnvelope = {
      actionId,
      actor: { id: `ai-agent:${input.agentId}`, role: 'system' },
      origin: 'api',
    };
    try {
      const live = await deps.ticketActions.act(ticket, update, { ...args, ...envelope } as Args, actionId);
      return { status: 'ok', output: { ticket_id: ticket.id, status: live.status, priority: live.priority } };
    } catch (error) {
      // The ticket's state machine said no (409), or it is closed: an outcome the model can read.
      const status = (error as { status?: number }).status;
      if (status === 409 || status === 503)
        return { status: 'error', output: { error: (error as Error).message } };
      throw error;
    }
  }

  async function executeTool(
    input: { tenantId: string; agentId: string; executionId: string; stepNumber: number },
    tool: ToolName,
    args: unknown,
  ): Promise<ToolOutcome> {
    const { tenantId } = input;
    switch (tool) {
      case 'read_ticket': {
        const a = toolArgs.read_ticket.parse(args);
        const ticket = await tickets.findDetail(tenantId, a.ticket_id);
        if (!ticket) return refused(`ticket ${a.ticket_id} not found`);
        return {
          status: 'ok',
          output: {
            id: ticket.id,
            title: ticket.title,
            content: ticket.content,
            status: ticket.status,
            priority: ticket.priority,
            category: ticket.category,
            customer_tier: ticket.customer_tier,
            sla_state: ticket.sla_state,
            created_at: ticket.created_at.toISOString(),
            messages: (ticket.messages ?? []).slice(-20).map((m) => ({
              author: m.author_type,
              internal: !m.is_public,
              body: m.body,
            })),
          },
        };
      }
      case 'search_kb': {
        const a = toolArgs.search_kb.parse(args);
        const passages = await deps.retriever.retrieve({ tenantId, query: a.query, limit: a.limit ?? 5 });
        return {
          status: 'ok',
          output: passages.map((p) => ({ title: p.title, text: p.text, score: Number(p.score.toFixed(3)) })),
        };
      }
      case 'add_internal_note': {
        const a = toolArgs.add_internal_note.parse(args);
        return ticketAction(input, a.ticket_id, addMessageUpdate, {
          author: 'agent' as const,
          body: a.body,
          isPublic: false,
        });
      }
      case 'itsm_comment': {
        // Comments reach the ITSM tool the way every ticket message does: the ticket workflow syncs it.
        const a = toolArgs.itsm_comment.parse(args);
        return ticketAction(input, a.ticket_id, addMessageUpdate, {
          author: 'agent' as const,
          body: a.comment,
          isPublic: false,
        });
      }
      case 'set_priority': {
        const a = toolArgs.set_priority.parse(args);
        return ticketAction(input, a.ticket_id, setPriorityUpdate, { priority: a.priority });
      }
      case 'escalate_ticket': {
        const a = toolArgs.escalate_ticket.parse(args);
        return ticketAction(input, a.ticket_id, escalateTicketUpdate, {
          reason: a.reason,
          ...(a.level ? { level: a.level } : {}),
        });
      }
      case 'post_notification': {
        const a = toolArgs.post_notification.parse(args);
        const rows = await deps.notifications.list(tenantId);
        const row = rows.find((r) => r.name === a.target && r.is_active);
        if (!row) return refused(`no notification target named "${a.target}"`);
        const target = await deps.notifications.open(tenantId, row.id);
        if (!target) return refused(`no notification target named "${a.target}"`);
        try {
          const result = await postAgentMessage(
            target,
            {
              event_id: stepActionId(input.executionId, input.stepNumber),
              type: 'agent.message',
              agent_id: input.agentId,
              execution_id: input.executionId,
              text: a.text,
            },
            { outbound: deps.outbound },
          );
          return { status: 'ok', output: { target: a.target, http_status: result.httpStatus } };
        } catch (error) {
          // A target that refuses for good is an outcome; one that is down is retried by Temporal.
          if (error instanceof DeliveryError && !error.retryable)
            return { status: 'error', output: { error: error.message } };
          throw error;
        }
      }
      case 'itsm_create': {
        const a = toolArgs.itsm_create.parse(args);
        const ticket = await tickets.findById(tenantId, a.ticket_id);
        if (!ticket) return refused(`ticket ${a.ticket_id} not found`);
        const outcome = await deps.itsm.sync({
          eventId: stepActionId(input.executionId, input.stepNumber),
          tenantId,
          ticketId: ticket.id,
          type: 'created',
        });
        return { status: outcome.status === 'success' ? 'ok' : 'error', output: outcome };
      }
    }
  }

  return {
    /** Records the run's start and returns what it runs: the agent's current version, tools and limits. */
    async beginAgentRun(input: {
      tenantId: string;
      agentId: string;
      executionId: string;
      workflowId: string;
      triggerId: string | null;
      triggerType: AgentTriggerKind;
      payload: unknown;
    }): Promise<RunPlan> {
      const agent = await agents.find(input.tenantId, input.agentId);
      if (!agent) {
        throw ApplicationFailure.create({
          type: 'AgentNotFound',
          message: `agent ${input.agentId} not found`,
          nonRetryable: true,
        });
      }
      const execution = await agents.startExecution({
        id: input.executionId,
        tenantId: input.tenantId,
        agentId: agent.id,
        triggerId: input.triggerId,
        triggerType: input.triggerType,
        versionNumber: agent.current_version,
        workflowId: input.workflowId,
        inputPayload: input.payload,
        model: agent.kind === 'custom' ? agent.llm_config.model : null,
      });
      if (agent.status !== 'active') return { ok: false, reason: `the agent is ${agent.status}` };
      if (agent.kind === 'custom' && !deps.llm)
        return { ok: false, reason: 'no LLM is configured (OPENAI_API_KEY) for a custom-prompt agent' };
      // The version the execution recorded is the one that runs, even if the agent changed in between.
      const version = await agents.findVersion(input.tenantId, agent.id, execution.version_number);
      return {
        ok: true,
        kind: agent.kind,
        systemPrompt: version?.system_prompt ?? agent.system_prompt,
        llmConfig: version?.llm_config ?? agent.llm_config,
        tools: agent.tools,
        limits: { ...DEFAULT_LIMITS, ...agent.limits },
        versionNumber: execution.version_number,
      };
    },

    async markAgentRunStatus(input: {
      tenantId: string;
      executionId: string;
      status: 'running' | 'awaiting_approval';
    }): Promise<void> {
      await agents.setExecutionStatus(input.tenantId, input.executionId, input.status);
    },

    async recordApproval(input: {
      tenantId: string;
      executionId: string;
      stepNumber: number;
      tool: string;
      arguments: string;
      decision: ApprovalDecision;
    }): Promise<void> {
      await agents.recordStep({
        tenantId: input.tenantId,
        executionId: input.executionId,
        stepNumber: input.stepNumber,
        kind: 'approval',
        toolName: input.tool,
        input: { arguments: input.arguments },
        output: { by: input.decision.by, reason: input.decision.reason ?? null },
        status: input.decision.approve ? 'approved' : 'rejected',
      });
      await agents.setExecutionStatus(input.tenantId, input.executionId, 'running');
    },

    /** One model call with function calling over the granted tools; records the step. */
    async callAgentModel(input: {
      tenantId: string;
      executionId: string;
      stepNumber: number;
      llmConfig: LlmConfig;
      messages: ChatMessage[];
      tools: string[];
    }): Promise<{
      content: string | null;
      toolCalls: Array<{ id: string; name: string; arguments: string }>;
      promptTokens: number;
      completionTokens: number;
    }> {
      if (!deps.llm) {
        throw ApplicationFailure.create({
          type: 'LlmNotConfigured',
          message: 'no LLM is configured (OPENAI_API_KEY)',
          nonRetryable: true,
        });
      }
      const started = Date.now();
      const heartbeat = setInterval(() => Context.current().heartbeat(), 1000);
      const c = input.llmConfig;
      const toolDefs = input.tools.filter(isToolName).map((name) => ({
        type: 'function' as const,
        function: {
          name,
          description: TOOL_CATALOGUE[name].description,
          parameters: TOOL_CATALOGUE[name].parameters as unknown as Record<string, unknown>,
        },
      }));
      let completion;
      try {
        completion = await deps.llm.chat.completions.create({
          model: c.model,
          temperature: c.temperature,
          max_tokens: c.max_tokens,
          ...(c.top_p !== undefined ? { top_p: c.top_p } : {}),
          ...(c.frequency_penalty !== undefined ? { frequency_penalty: c.frequency_penalty } : {}),
          messages: input.messages,
          ...(toolDefs.length ? { tools: toolDefs } : {}),
        });
      } catch (error) {
        throw toActivityFailure(error);
      } finally {
        clearInterval(heartbeat);
      }
      const message = completion.choices[0]?.message;
      const toolCalls = (message?.tool_calls ?? []).flatMap((call) =>
        call.type === 'function'
          ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments ?? '' }]
          : [],
      );
      const promptTokens = completion.usage?.prompt_tokens ?? 0;
      const completionTokens = completion.usage?.completion_tokens ?? 0;
      await agents.recordStep({
        tenantId: input.tenantId,
        executionId: input.executionId,
        stepNumber: input.stepNumber,
        kind: 'model',
        input: {
          model: c.model,
          messages: input.messages.length,
          tools: toolDefs.map((t) => t.function.name),
        },
        output: { content: message?.content ?? null, tool_calls: toolCalls },
        status: 'ok',
        promptTokens,
        completionTokens,
        durationMs: Date.now() - started,
      });
      return { content: message?.content ?? null, toolCalls, promptTokens, completionTokens };
    },

    /** One tool call: checked against the catalogue, the stored grant and the tenant; records the step. */
    async runAgentTool(input: {
      tenantId: string;
      agentId: string;
      executionId: string;
      stepNumber: number;
      tool: string;
      arguments: string;
    }): Promise<ToolOutcome> {
      const started = Date.now();
      let outcome: ToolOutcome;
      let parsedArgs: unknown = input.arguments;
      const agent = await agents.find(input.tenantId, input.agentId);
      if (!agent) outcome = refused('the agent no longer exists');
      else if (!isToolName(input.tool)) outcome = refused(`unknown tool "${input.tool}"`);
      else if (!agent.tools.some((t) => t.name === input.tool))
        outcome = refused(`the tool "${input.tool}" is not granted to this agent`);
      else {
        try {
          parsedArgs = JSON.parse(input.arguments);
        } catch {
          parsedArgs = undefined;
        }
        if (parsedArgs === undefined)
          outcome = { status: 'error', output: { error: 'arguments are not valid JSON' } };
        else {
          try {
            outcome = await executeTool(input, input.tool, parsedArgs);
          } catch (error) {
            if (!(error instanceof z.ZodError)) throw error;
            outcome = {
              status: 'error',
              output: {
                error: 'invalid arguments',
                issues: error.issues.map((i) => `${i.path.join('.') || '(arguments)'}: ${i.message}`),
              },
            };
          }
        }
      }
      if (outcome.status === 'refused')
        logger.warn({ executionId: input.executionId, tool: input.tool }, 'agent tool call refused');
      await agents.recordStep({
        tenantId: input.tenantId,
        executionId: input.executionId,
        stepNumber: input.stepNumber,
        kind: 'tool',
        toolName: input.tool.slice(0, 64),
        input:
          typeof parsedArgs === 'object' && parsedArgs !== null
            ? parsedArgs
            : { raw: input.arguments.slice(0, 2000) },
        output: outcome.output,
        status: outcome.status,
        error:
          outcome.status === 'ok'
            ? null
            : String((outcome.output as { error?: string }).error ?? outcome.status),
        durationMs: Date.now() - started,
      });
      return outcome;
    },

    /**
     * The offline part of a built-in kind, recorded as one step; it returns the tool calls that follow (each
     * then goes through `runAgentTool` and, if the grant says so, a human's approval).
     */
    async runBuiltinAgent(input: {
      tenantId: string;
      agentId: string;
      executionId: string;
      stepNumber: number;
      kind: Exclude<AgentKind, 'custom'>;
      payload: unknown;
    }): Promise<{
      ok: boolean;
      output: unknown;
      error: string | null;
      toolCalls: Array<{ tool: ToolName; arguments: Record<string, unknown> }>;
    }> {
      const started = Date.now();
      const agent = await agents.find(input.tenantId, input.agentId);
      const granted = new Set((agent?.tools ?? []).map((t) => t.name));
      let result: Awaited<ReturnType<ReturnType<typeof createAgentActivities>['runBuiltinAgent']>>;
      if (input.kind === 'ticket_enhancement') {
        const ticketId = (input.payload as { ticket_id?: unknown } | null)?.ticket_id;
        const ticket =
          typeof ticketId === 'string' && uuid.safeParse(ticketId).success
            ? await tickets.findById(input.tenantId, ticketId)
            : undefined;
        if (!ticket) {
          result = {
            ok: false,
            output: null,
            error: 'the payload names no ticket of this tenant (ticket_id)',
            toolCalls: [],
          };
        } else {
          const tenant = await deps.tenants.findByIdOrSlug(input.tenantId);
          const settings = (tenant?.settings ?? {}) as { categories?: string[]; products?: string[] };
          const c = await deps.classifier.classify({
            text: ticketText(ticket),
            categories: settings.categories?.length ? settings.categories : DEFAULT_CATEGORIES,
            products: settings.products?.length ? settings.products : PRODUCTS,
          });
          const output = {
            ticket_id: ticket.id,
            category: c.category,
            urgency: c.urgency,
            suggested_priority: c.suggestedPriority,
            sentiment: c.sentiment,
            product: c.product,
            language: c.language,
            confidence: Number(c.confidence.toFixed(3)),
            model: c.model,
          };
          const note =
            `AI enhancement: category ${c.category}, urgency ${c.urgency} (suggested priority ` +
            `${c.suggestedPriority}), product ${c.product}, language ${c.language}, sentiment ${c.sentiment}/10, ` +
            `confidence ${output.confidence}.`;
          result = {
            ok: true,
            output,
            error: null,
            toolCalls: [{ tool: 'add_internal_note', arguments: { ticket_id: ticket.id, body: note } }],
          };
        }
      } else if (input.kind === 'sla_digest') {
        const digest = await deps.analytics.slaDigest(input.tenantId, 50);
        const text =
          `SLA digest: ${digest.breached} breached and ${digest.at_risk} at-risk open tickets.\n` +
          digest.tickets
            .slice(0, 20)
            .map((t) => `- [${t.sla_state}] ${t.priority} ${t.title} (${t.id})`)
            .join('\n');
        result = {
          ok: true,
          output: { ...digest, text },
          error: null,
          toolCalls: granted.has('post_notification') ? await targetCalls(input.tenantId, text) : [],
        };
      } else {
        const since = new Date(Date.now() - 7 * 24 * 3600 * 1000);
        const report = await deps.analytics.knowledgeGaps(input.tenantId, since, 20);
        const text =
          `Knowledge gaps since ${since.toISOString().slice(0, 10)}: ${report.unanswered} of ${report.triaged} ` +
          `triaged tickets had no knowledge-base answer.\n` +
          report.by_category
            .map((c) => `- ${c.category}: ${c.unanswered} (e.g. "${c.examples[0] ?? ''}")`)
            .join('\n');
        result = {
          ok: true,
          output: { ...report, since: since.toISOString(), text },
          error: null,
          toolCalls: granted.has('post_notification') ? await targetCalls(input.tenantId, text) : [],
        };
      }
      await agents.recordStep({
        tenantId: input.tenantId,
        executionId: input.executionId,
        stepNumber: input.stepNumber,
        kind: 'model',
        toolName: `builtin:${input.kind}`,
        input: input.payload ?? null,
        output: result.output,
        status: result.ok ? 'ok' : 'error',
        error: result.error,
        durationMs: Date.now() - started,
      });
      return result;
    },

    async finishAgentRun(input: {
      tenantId: string;
      executionId: string;
      status: 'completed' | 'failed';
      output: unknown;
      error: string | null;
      promptTokens: number;
      completionTokens: number;
      model: string | null;
    }): Promise<void> {
      await agents.finishExecution({
        tenantId: input.tenantId,
        id: input.executionId,
        status: input.status,
        output: input.output,
        error: input.error,
        promptTokens: input.promptTokens,
        completionTokens: input.completionTokens,
        costEstimate: input.model ? costEstimate(input.model, input.promptTokens, input.completionTokens) : 0,
      });
      logger.info({ executionId: input.executionId, status: input.status }, 'agent run finished');
    },

    /**
     * Starts a run of every active agent of the tenant with a trigger on this ticket event. The ticket workflow
     * calls it; the run ids derive from (trigger, ticket, event), so a retried call starts nothing twice.
     */
    async dispatchTicketEvent(input: {
      tenantId: string;
      ticketId: string;
      event: TicketEvent;
      /** Tells apart several events of one kind on a ticket, e.g. `first_response:0` for each SLA breach. */
      eventKey?: string;
    }): Promise<{ started: string[] }> {
      const targets = await agents.ticketEventTargets(input.tenantId, input.event);
      const started: string[] = [];
      for (const t of targets) {
        const key = `${t.triggerId}:${input.ticketId}:${input.event}:${input.eventKey ?? ''}`;
        const runId = stepActionId(key, 0);
        const result = await deps.runs.start({
          tenantId: input.tenantId,
          agentId: t.agentId,
          runId,
          triggerId: t.triggerId,
          triggerType: 'ticket_event',
          payload: {
            event: input.event,
            ticket_id: input.ticketId,
            ...(input.eventKey ? { event_key: input.eventKey } : {}),
          },
        });
        started.push(result.workflowId);
      }
      return { started };
    },
  };

  /** One post per active notification target of the tenant. */
  async function targetCalls(
    tenantId: string,
    text: string,
  ): Promise<Array<{ tool: ToolName; arguments: Record<string, unknown> }>> {
    const rows = await deps.notifications.list(tenantId);
    return rows
      .filter((r) => r.is_active)
      .map((r) => ({
        tool: 'post_notification' as const,
        arguments: { target: r.name, text: text.slice(0, 20_000) },
      }));
  }
}
