/**
 * The agent-run workflow's input, messages and result, declared once for the workflow, the activities and the
 * API. Side-effect free.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';

export const AGENT_RUN_WORKFLOW_TYPE = 'agentRunWorkflow';

export type AgentTriggerKind = 'webhook' | 'schedule' | 'ticket_event' | 'manual';

export interface AgentRunInput {
  tenantId: string;
  agentId: string;
  /** The execution id; a scheduled run (whose arguments are fixed) leaves it out and gets a fresh one. */
  runId?: string;
  triggerId: string | null;
  triggerType: AgentTriggerKind;
  payload: unknown;
}

export interface ApprovalDecision {
  approve: boolean;
  by: string;
  reason?: string;
}

export interface PendingApproval {
  step_number: number;
  tool: string;
  arguments: string;
}

export interface AgentRunView {
  execution_id: string | null;
  status: 'starting' | 'running' | 'awaiting_approval' | 'completed' | 'failed';
  steps: number;
  prompt_tokens: number;
  completion_tokens: number;
  pending_approval: PendingApproval | null;
}

export interface AgentRunResult {
  execution_id: string;
  status: 'completed' | 'failed';
  output: unknown;
  error: string | null;
}

/** An agent or admin approves or rejects the tool call the run waits on. */
export const decideAgentToolUpdate = defineUpdate<AgentRunView, [ApprovalDecision]>('decideAgentTool');
export const getAgentRunQuery = defineQuery<AgentRunView>('getAgentRun');

/** Failure type of an approval sent when nothing waits for one: the API answers 409. */
export const NO_PENDING_APPROVAL = 'NoPendingApproval';
