/**
 * Tenant AI agents: models and the repository (all SQL of agents, versions, triggers, executions and steps).
 * Every read and write names the tenant, so no call can reach another tenant's agent.
 */
import type { Knex } from 'knex';
import { Model, type RelationMappings } from 'objection';
import { BaseModel } from './models';
import { type PlatformDb, withTenant } from './db';
import { type TenantConfigCache, uncachedTenantConfig } from './tenant-config-cache';
import type {
  AgentKind,
  AgentStatus,
  LlmConfig,
  RunLimits,
  TicketEvent,
  ToolGrant,
  TriggerType,
} from '../domain/agents';
import { changesVersion } from '../domain/agents';
import type { SecretBox } from '../platform/crypto/secrets';

export class AgentModel extends BaseModel {
  static override tableName = 'agents';
  static override jsonAttributes = ['llm_config', 'tools', 'limits'];
  id!: string;
  tenant_id!: string;
  name!: string;
  description!: string | null;
  kind!: AgentKind;
  status!: AgentStatus;
  system_prompt!: string;
  llm_config!: LlmConfig;
  tools!: ToolGrant[];
  limits!: Partial<RunLimits>;
  current_version!: number;
  created_by!: string | null;
  created_at!: Date;
  updated_at!: Date;

  triggers?: AgentTriggerModel[];

  static override get relationMappings(): RelationMappings {
    return {
      triggers: {
        relation: Model.HasManyRelation,
        modelClass: AgentTriggerModel,
        join: { from: 'agents.id', to: 'agent_triggers.agent_id' },
      },
    };
  }
}

export class AgentVersionModel extends BaseModel {
  static override tableName = 'agent_versions';
  static override jsonAttributes = ['llm_config'];
  id!: string;
  agent_id!: string;
  tenant_id!: string;
  version_number!: number;
  system_prompt!: string;
  llm_config!: LlmConfig;
  rolled_back_from!: number | null;
  created_by!: string | null;
  created_at!: Date;
}

export class AgentTriggerModel extends BaseModel {
  static override tableName = 'agent_triggers';
  static override jsonAttributes = ['payload_schema'];
  id!: string;
  agent_id!: string;
  tenant_id!: string;
  trigger_type!: TriggerType;
  webhook_url!: string | null;
  hmac_secret_sealed!: string | null;
  payload_schema!: Record<string, unknown> | null;
  schedule_cron!: string | null;
  schedule_timezone!: string | null;
  ticket_event!: TicketEvent | null;
  created_at!: Date;
}

export type ExecutionStatus = 'running' | 'awaiting_approval' | 'completed' | 'failed';

export class AgentExecutionModel extends BaseModel {
  static override tableName = 'agent_executions';
  static override jsonAttributes = ['input_payload', 'output_result'];
  id!: string;
  agent_id!: string;
  tenant_id!: string;
  trigger_id!: string | null;
  trigger_type!: TriggerType | 'manual';
  version_number!: number;
  workflow_id!: string;
  status!: ExecutionStatus;
  input_payload!: unknown;
  output_result!: unknown;
  error_message!: string | null;
  model!: string | null;
  prompt_tokens!: number;
  completion_tokens!: number;
  cost_estimate!: string;
  started_at!: Date;
  completed_at!: Date | null;
  duration_ms!: number | null;

  steps?: AgentExecutionStepModel[];

  static override get relationMappings(): RelationMappings {
    return {
      steps: {
        relation: Model.HasManyRelation,
        modelClass: AgentExecutionStepModel,
        join: { from: 'agent_executions.id', to: 'agent_execution_steps.execution_id' },
      },
    };
  }
}

export type StepKind = 'model' | 'tool' | 'approval';
export type StepStatus = 'ok' | 'refused' | 'error' | 'approved' | 'rejected';

export class AgentExecutionStepModel extends BaseModel {
  static override tableName = 'agent_execution_steps';
  static override jsonAttributes = ['input', 'output'];
  id!: string;
  execution_id!: string;
  tenant_id!: string;
  step_number!: number;
  kind!: StepKind;
  tool_name!: string | null;
  input!: unknown;
  output!: unknown;
  status!: StepStatus;
  error!: string | null;
  prompt_tokens!: number;
  completion_tokens!: number;
  duration_ms!: number;
  created_at!: Date;
}

export interface NewAgent {
  tenantId: string;
  name: string;
  description: string | null;
  kind: AgentKind;
  systemPrompt: string;
  llmConfig: LlmConfig;
  tools: ToolGrant[];
  limits: Partial<RunLimits>;
  createdBy: string;
}

export interface AgentPatch {
  name?: string;
  description?: string | null;
  system_prompt?: string;
  llm_config?: LlmConfig;
  tools?: ToolGrant[];
  limits?: Partial<RunLimits>;
}

export interface NewTrigger {
  tenantId: string;
  agentId: string;
  type: TriggerType;
  /** Plain secret of a webhook trigger: sealed here, never stored in clear. */
  hmacSecret?: string;
  payloadSchema?: Record<string, unknown> | null;
  scheduleCron?: string;
  scheduleTimezone?: string;
  ticketEvent?: TicketEvent;
}

export interface StepRecord {
  tenantId: string;
  executionId: string;
  stepNumber: number;
  kind: StepKind;
  toolName?: string | null;
  input?: unknown;
  output?: unknown;
  status: StepStatus;
  error?: string | null;
  promptTokens?: number;
  completionTokens?: number;
  durationMs?: number;
}

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

export class AgentRepository {
  /**
   * `db`: the application's pool (every query bound to its tenant); `platform`: the owner's, for the webhook;
   * `tenantConfig`: where the agents a ticket event starts are kept between tickets.
   */
  constructor(
    private readonly db: Knex,
    private readonly secrets: SecretBox,
    private readonly platform: PlatformDb,
    private readonly tenantConfig: TenantConfigCache = uncachedTenantConfig,
  ) {}

  /** A change to the tenant's agents or triggers: what this process cached of them is dropped once it ran. */
  private changeAgents<T>(tenantId: string, work: (trx: Knex.Transaction) => PromiseLike<T>): Promise<T> {
    return this.tenantConfig.changing(tenantId, () => withTenant(this.db, tenantId, work));
  }

  // ---- agents and versions -------------------------------------------------------------------------------

  /** Creates the agent (draft) and its version 1 together. */
  async create(input: NewAgent): Promise<AgentModel> {
    return this.changeAgents(input.tenantId, async (trx) => {
      const agent = await AgentModel.query(trx).insertAndFetch({
        tenant_id: input.tenantId,
        name: input.name,
        description: input.description,
        kind: input.kind,
        status: 'draft',
        system_prompt: input.systemPrompt,
        llm_config: input.llmConfig,
        tools: input.tools,
        limits: input.limits,
        current_version: 1,
        created_by: input.createdBy,
      });
      await AgentVersionModel.query(trx).insert({
        agent_id: agent.id,
        tenant_id: input.tenantId,
        version_number: 1,
        system_prompt: input.systemPrompt,
        llm_config: input.llmConfig,
        created_by: input.createdBy,
      });
      return agent;
    });
  }

  async find(tenantId: string, id: string): Promise<AgentModel | undefined> {
    return withTenant(this.db, tenantId, (trx) => AgentModel.query(trx).findOne({ tenant_id: tenantId, id }));
  }

  /**
   * Only for the inbound webhook, where the signature (checked next) names the tenant: a platform operation
   * (the owner's pool), as no tenant is known before this lookup.
   */
  async findAnyTenant(id: string): Promise<AgentModel | undefined> {
    return await AgentModel.query(this.platform).findById(id);
  }

  async list(tenantId: string, filter: { status?: AgentStatus } = {}): Promise<AgentModel[]> {
    return withTenant(this.db, tenantId, (trx) => {
      const q = AgentModel.query(trx).where({ tenant_id: tenantId });
      if (filter.status) q.where({ status: filter.status });
      return q.orderBy('created_at', 'desc').orderBy('id', 'desc');
    });
  }

  /**
   * Applies a patch under a row lock; a changed prompt or LLM configuration writes the next immutable version.
   * Returns undefined when the agent does not exist (in this tenant).
   */
  async update(
    tenantId: string,
    id: string,
    patch: AgentPatch,
    actor: string,
    rolledBackFrom?: number,
  ): Promise<{ agent: AgentModel; newVersion: number | null } | undefined> {
    return this.changeAgents(tenantId, async (trx) => {
      const current = await AgentModel.query(trx).findOne({ tenant_id: tenantId, id }).forUpdate();
      if (!current) return undefined;
      let newVersion: number | null = null;
      const changes: Partial<AgentModel> = {};
      if (patch.name !== undefined) changes.name = patch.name;
      if (patch.description !== undefined) changes.description = patch.description;
      if (patch.tools !== undefined) changes.tools = patch.tools;
      if (patch.limits !== undefined) changes.limits = patch.limits;
      if (changesVersion(current, patch)) {
        newVersion = current.current_version + 1;
        const systemPrompt = patch.system_prompt ?? current.system_prompt;
        const llmConfig = patch.llm_config ?? current.llm_config;
        await AgentVersionModel.query(trx).insert({
          agent_id: id,
          tenant_id: tenantId,
          version_number: newVersion,
          system_prompt: systemPrompt,
          llm_config: llmConfig,
          rolled_back_from: rolledBackFrom ?? null,
          created_by: actor,
        });
        Object.assign(changes, {
          system_prompt: systemPrompt,
          llm_config: llmConfig,
          current_version: newVersion,
        });
      }
      if (Object.keys(changes).length === 0) return { agent: current, newVersion };
      const agent = await AgentModel.query(trx).patchAndFetchById(id, changes);
      return { agent, newVersion };
    });
  }

  /** Moves the agent from `from` to `to`; false when it was not in `from` any more (a concurrent change). */
  async setStatus(tenantId: string, id: string, from: AgentStatus, to: AgentStatus): Promise<boolean> {
    const n = await this.changeAgents(tenantId, (trx) =>
      trx('agents').where({ tenant_id: tenantId, id, status: from }).update({ status: to }),
    );
    return n > 0;
  }

  async listVersions(tenantId: string, agentId: string): Promise<AgentVersionModel[]> {
    return withTenant(this.db, tenantId, (trx) =>
      AgentVersionModel.query(trx)
        .where({ tenant_id: tenantId, agent_id: agentId })
        .orderBy('version_number', 'desc'),
    );
  }

  async findVersion(
    tenantId: string,
    agentId: string,
    version: number,
  ): Promise<AgentVersionModel | undefined> {
    return withTenant(this.db, tenantId, (trx) =>
      AgentVersionModel.query(trx).findOne({
        tenant_id: tenantId,
        agent_id: agentId,
        version_number: version,
      }),
    );
  }

  // ---- triggers ------------------------------------------------------------------------------------------

  async createTrigger(input: NewTrigger): Promise<AgentTriggerModel> {
    return this.changeAgents(input.tenantId, (trx) =>
      AgentTriggerModel.query(trx).insertAndFetch({
        agent_id: input.agentId,
        tenant_id: input.tenantId,
        trigger_type: input.type,
        webhook_url: input.type === 'webhook' ? `/v1/agents/${input.agentId}/webhook` : null,
        hmac_secret_sealed: input.hmacSecret ? this.secrets.seal(input.hmacSecret, input.tenantId) : null,
        payload_schema: input.payloadSchema ?? null,
        schedule_cron: input.scheduleCron ?? null,
        schedule_timezone: input.scheduleTimezone ?? null,
        ticket_event: input.ticketEvent ?? null,
      }),
    );
  }

  async listTriggers(tenantId: string, agentId: string): Promise<AgentTriggerModel[]> {
    return withTenant(this.db, tenantId, (trx) =>
      AgentTriggerModel.query(trx)
        .where({ tenant_id: tenantId, agent_id: agentId })
        .orderBy('created_at')
        .orderBy('id'),
    );
  }

  async findTrigger(tenantId: string, agentId: string, id: string): Promise<AgentTriggerModel | undefined> {
    return withTenant(this.db, tenantId, (trx) =>
      AgentTriggerModel.query(trx).findOne({ tenant_id: tenantId, agent_id: agentId, id }),
    );
  }

  /** Applies a patch to the trigger; undefined when it does not exist (in this tenant, for this agent). */
  async updateTrigger(
    tenantId: string,
    agentId: string,
    id: string,
    patch: Partial<AgentTriggerModel>,
  ): Promise<AgentTriggerModel | undefined> {
    return this.changeAgents(tenantId, async (trx) => {
      await AgentTriggerModel.query(trx).patch(patch).where({ tenant_id: tenantId, agent_id: agentId, id });
      return AgentTriggerModel.query(trx).findOne({ tenant_id: tenantId, agent_id: agentId, id });
    });
  }

  async deleteTrigger(tenantId: string, agentId: string, id: string): Promise<boolean> {
    const n = await this.changeAgents(tenantId, (trx) =>
      trx('agent_triggers').where({ tenant_id: tenantId, agent_id: agentId, id }).delete(),
    );
    return n > 0;
  }

  /** The webhook secret in clear: only for verifying an inbound call. */
  openTriggerSecret(trigger: AgentTriggerModel): string | undefined {
    return trigger.hmac_secret_sealed
      ? this.secrets.open<string>(trigger.hmac_secret_sealed, trigger.tenant_id)
      : undefined;
  }

  /** Active agents of the tenant with a trigger on this ticket event, with the trigger's id. */
  async ticketEventTargets(
    tenantId: string,
    event: TicketEvent,
  ): Promise<Array<{ agentId: string; triggerId: string }>> {
    return this.tenantConfig.get(tenantId, `ticket-event-targets:${event}`, () =>
      this.readTicketEventTargets(tenantId, event),
    );
  }

  private async readTicketEventTargets(
    tenantId: string,
    event: TicketEvent,
  ): Promise<Array<{ agentId: string; triggerId: string }>> {
    const rows = await withTenant(this.db, tenantId, (trx) =>
      trx('agent_triggers as t')
        .join('agents as a', 'a.id', 't.agent_id')
        .where({
          't.tenant_id': tenantId,
          't.trigger_type': 'ticket_event',
          't.ticket_event': event,
          'a.status': 'active',
        })
        .select('t.agent_id', 't.id'),
    );
    return rows.map((r: { agent_id: string; id: string }) => ({ agentId: r.agent_id, triggerId: r.id }));
  }

  // ---- executions ----------------------------------------------------------------------------------------

  /** Records a run's start once: a retried activity finds the row and returns it. */
  async startExecution(input: {
    id: string;
    tenantId: string;
    agentId: string;
    triggerId: string | null;
    triggerType: AgentExecutionModel['trigger_type'];
    versionNumber: number;
    workflowId: string;
    inputPayload: unknown;
    model: string | null;
  }): Promise<AgentExecutionModel> {
    return withTenant(this.db, input.tenantId, async (trx) => {
      await trx('agent_executions')
        .insert({
          id: input.id,
          tenant_id: input.tenantId,
          agent_id: input.agentId,
          trigger_id: input.triggerId,
          trigger_type: input.triggerType,
          version_number: input.versionNumber,
          workflow_id: input.workflowId,
          status: 'running',
          input_payload: json(input.inputPayload),
          model: input.model,
        })
        .onConflict('id')
        .ignore();
      return (await AgentExecutionModel.query(trx).findOne({ tenant_id: input.tenantId, id: input.id }))!;
    });
  }

  async recordStep(step: StepRecord): Promise<void> {
    await withTenant(this.db, step.tenantId, (trx) =>
      trx('agent_execution_steps')
        .insert({
          execution_id: step.executionId,
          tenant_id: step.tenantId,
          step_number: step.stepNumber,
          kind: step.kind,
          tool_name: step.toolName ?? null,
          input: json(step.input),
          output: json(step.output),
          status: step.status,
          error: step.error ?? null,
          prompt_tokens: step.promptTokens ?? 0,
          completion_tokens: step.completionTokens ?? 0,
          duration_ms: step.durationMs ?? 0,
        })
        .onConflict(['execution_id', 'step_number'])
        .ignore(),
    );
  }

  async setExecutionStatus(tenantId: string, id: string, status: ExecutionStatus): Promise<void> {
    await withTenant(this.db, tenantId, (trx) =>
      trx('agent_executions')
        .where({ tenant_id: tenantId, id })
        .whereIn('status', ['running', 'awaiting_approval'])
        .update({ status }),
    );
  }

  /** Ends a run once; a retried activity after the end changes nothing. */
  async finishExecution(input: {
    tenantId: string;
    id: string;
    status: 'completed' | 'failed';
    output: unknown;
    error: string | null;
    promptTokens: number;
    completionTokens: number;
    costEstimate: number;
  }): Promise<void> {
    await withTenant(this.db, input.tenantId, (trx) =>
      trx('agent_executions')
        .where({ tenant_id: input.tenantId, id: input.id })
        .whereIn('status', ['running', 'awaiting_approval'])
        .update({
          status: input.status,
          output_result: json(input.output),
          error_message: input.error,
          prompt_tokens: input.promptTokens,
          completion_tokens: input.completionTokens,
          cost_estimate: input.costEstimate,
          completed_at: trx.fn.now(),
          duration_ms: trx.raw('GREATEST(0, (EXTRACT(EPOCH FROM (now() - started_at)) * 1000)::int)'),
        }),
    );
  }

  async listExecutions(
    tenantId: string,
    agentId: string,
    options: { limit: number; before?: Date },
  ): Promise<AgentExecutionModel[]> {
    return withTenant(this.db, tenantId, (trx) => {
      const q = AgentExecutionModel.query(trx).where({ tenant_id: tenantId, agent_id: agentId });
      if (options.before) q.where('started_at', '<', options.before);
      return q.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(options.limit);
    });
  }

  async findExecution(tenantId: string, id: string): Promise<AgentExecutionModel | undefined> {
    return withTenant(this.db, tenantId, async (trx) => {
      const execution = await AgentExecutionModel.query(trx).findOne({ tenant_id: tenantId, id });
      if (!execution) return undefined;
      execution.steps = await AgentExecutionStepModel.query(trx)
        .where({ tenant_id: tenantId, execution_id: id })
        .orderBy('step_number');
      return execution;
    });
  }
}
