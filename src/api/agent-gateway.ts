/**
 * How the API (and the dispatching activity) talk to Temporal about agents: start runs, keep each agent's
 * Temporal Schedule in step with its lifecycle, and send approvals to a waiting run.
 *
 * Schedules: one per agent, id `agent-<agent id>-schedule`, visible on the Temporal UI's Schedules page. Overlap
 * policy SKIP (a run still going when the next is due means that next one is skipped: digests must not pile up);
 * catch-up window 10 minutes (after an outage shorter than that the missed run fires once, late; after a longer
 * one it is skipped). Created paused unless the agent is active; activate unpauses, suspend pauses, deactivate
 * and deleting the trigger delete it.
 */
import {
  type Client,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { agentRunWorkflowId, agentScheduleId } from '../domain/agents';
import {
  AGENT_RUN_WORKFLOW_TYPE,
  type AgentRunInput,
  type AgentRunView,
  type ApprovalDecision,
  NO_PENDING_APPROVAL,
  decideAgentToolUpdate,
  getAgentRunQuery,
} from '../workflows/agent-messages';
import { searchAttributes } from '../workflows/messages';
import { problems } from './problems';
import { tenantFairness } from './tenant-fairness';

export const SCHEDULE_CATCHUP_WINDOW = '10 minutes' as const;

export interface ScheduleSpecInput {
  tenantId: string;
  agentId: string;
  triggerId: string;
  cron: string;
  timeZone: string;
  paused: boolean;
}

export class AgentRuns {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  /** Starts a run; the same run id twice starts it once (`started: false` the second time). */
  async start(input: AgentRunInput & { runId: string }): Promise<{ workflowId: string; started: boolean }> {
    const workflowId = agentRunWorkflowId(input.agentId, input.runId);
    try {
      await this.client.workflow.start(AGENT_RUN_WORKFLOW_TYPE, {
        workflowId,
        taskQueue: this.taskQueue,
        args: [input],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [{ key: searchAttributes.tenantId, value: input.tenantId }],
        priority: tenantFairness(input.tenantId),
      });
      return { workflowId, started: true };
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, started: false };
      throw error;
    }
  }

  /** Creates or updates the agent's schedule. */
  async upsertSchedule(spec: ScheduleSpecInput): Promise<void> {
    const scheduleId = agentScheduleId(spec.agentId);
    const input: AgentRunInput = {
      tenantId: spec.tenantId,
      agentId: spec.agentId,
      triggerId: spec.triggerId,
      triggerType: 'schedule',
      payload: { scheduled: true },
    };
    const action = {
      type: 'startWorkflow' as const,
      workflowType: AGENT_RUN_WORKFLOW_TYPE,
      // Temporal appends the scheduled time: agent-<agent id>-scheduled-<time>.
      workflowId: `agent-${spec.agentId}-scheduled`,
      taskQueue: this.taskQueue,
      args: [input],
      typedSearchAttributes: [{ key: searchAttributes.tenantId, value: spec.tenantId }],
      priority: tenantFairness(spec.tenantId),
    };
    const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: SCHEDULE_CATCHUP_WINDOW };
    const scheduleSpec = { cronExpressions: [spec.cron], timezone: spec.timeZone };
    const handle = this.client.schedule.getHandle(scheduleId);
    try {
      await handle.update((previous) => ({
        ...previous,
        spec: scheduleSpec,
        action,
        policies,
        state: { ...previous.state, paused: spec.paused },
      }));
    } catch (error) {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
      await this.client.schedule.create({
        scheduleId,
        spec: scheduleSpec,
        action,
        policies,
        state: { paused: spec.paused, note: `agent ${spec.agentId} (tenant ${spec.tenantId})` },
      });
    }
  }

  async pauseSchedule(agentId: string, paused: boolean): Promise<void> {
    const handle = this.client.schedule.getHandle(agentScheduleId(agentId));
    try {
      if (paused) await handle.pause('agent suspended');
      else await handle.unpause('agent activated');
    } catch (error) {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    }
  }

  async deleteSchedule(agentId: string): Promise<void> {
    try {
      await this.client.schedule.getHandle(agentScheduleId(agentId)).delete();
    } catch (error) {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    }
  }

  async describeSchedule(
    agentId: string,
  ): Promise<{ paused: boolean; next_action_times: string[]; recent_runs: number } | undefined> {
    try {
      const d = await this.client.schedule.getHandle(agentScheduleId(agentId)).describe();
      return {
        paused: d.state.paused,
        next_action_times: d.info.nextActionTimes.map((t) => t.toISOString()),
        recent_runs: d.info.recentActions.length,
      };
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) return undefined;
      throw error;
    }
  }

  /** Approves or rejects the tool call a run waits on; 409 when it waits on nothing. */
  async decide(workflowId: string, decision: ApprovalDecision, updateId: string): Promise<AgentRunView> {
    try {
      return await this.client.workflow
        .getHandle(workflowId)
        .executeUpdate(decideAgentToolUpdate, { args: [decision], updateId });
    } catch (error) {
      if (
        (error instanceof WorkflowUpdateFailedError &&
          error.cause instanceof ApplicationFailure &&
          error.cause.type === NO_PENDING_APPROVAL) ||
        error instanceof WorkflowNotFoundError ||
        (error instanceof Error && /already completed/i.test(error.message))
      )
        throw problems.conflict('no-pending-approval', 'this run is not waiting for an approval');
      throw error;
    }
  }

  async live(workflowId: string): Promise<AgentRunView | undefined> {
    try {
      return await this.client.workflow.getHandle(workflowId).query(getAgentRunQuery);
    } catch {
      return undefined;
    }
  }
}
