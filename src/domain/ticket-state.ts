/**
 * The ticket's state machine: which agent action is legal in which status, and what it changes.
 * Pure and deterministic: the workflow applies it, the API and tests reason with it.
 */
import {
  DEFAULT_SLA_POLICY,
  type SlaClock,
  type SlaClockKind,
  type SlaPolicy,
  type SlaState,
  SLA_CLOCK_KINDS,
  clockState,
  pauseClock,
  restartClock,
  resumeClock,
  retargetClock,
  startClock,
  stopClock,
  targetSeconds,
  worstState,
} from './sla';
import { MAX_ESCALATION_LEVEL, type CustomerTier, type Priority, type TicketStatus } from './vocabulary';

export interface Actor {
  id: string;
  role: 'client' | 'agent' | 'admin' | 'superadmin' | 'system';
}

export type TicketAction =
  | { type: 'assign'; assignee: string }
  | {
      type: 'add_message';
      author: 'agent' | 'customer';
      body: string;
      /** Internal notes are not public and do not count as a reply. */
      isPublic: boolean;
      /** An agent may park the ticket while waiting on someone. */
      nextStatus?: 'pending_customer' | 'pending_vendor' | 'in_progress';
    }
  | { type: 'escalate'; reason: string; level?: number }
  | { type: 'resolve'; resolution?: string }
  | { type: 'reopen'; reason?: string }
  | { type: 'close'; reason?: string };

export type TicketActionType = TicketAction['type'];

export interface TriageSummary {
  status: 'pending' | 'running' | 'done' | 'failed';
  category: string | null;
  suggestedPriority: Priority | null;
  error: string | null;
}

export interface TicketState {
  ticketId: string;
  tenantId: string;
  status: TicketStatus;
  priority: Priority;
  /** The client chose the priority: triage may not change it. */
  priorityPinned: boolean;
  customerTier: CustomerTier;
  category: string | null;
  assignee: string | null;
  escalationLevel: number;
  reopenCount: number;
  createdAtMs: number;
  firstResponseAtMs: number | null;
  resolvedAtMs: number | null;
  closedAtMs: number | null;
  triage: TriageSummary;
  clocks: Record<SlaClockKind, SlaClock>;
  policy: SlaPolicy;
}

export class InvalidTransitionError extends Error {
  constructor(
    readonly action: TicketActionType,
    readonly status: TicketStatus,
    detail: string,
  ) {
    super(detail);
    this.name = 'InvalidTransitionError';
  }
}

const WORKABLE: readonly TicketStatus[] = [
  'new',
  'triaging',
  'open',
  'ai_failed',
  'in_progress',
  'pending_customer',
  'pending_vendor',
  'escalated',
];

/** Statuses from which each action may be taken. */
export const ALLOWED_FROM: Record<TicketActionType, readonly TicketStatus[]> = {
  assign: WORKABLE,
  add_message: [...WORKABLE, 'resolved'],
  escalate: WORKABLE,
  resolve: WORKABLE,
  reopen: ['resolved'],
  // seed 004: open → closed (closed at once), pending_customer → closed (no response), resolved → closed
  close: ['open', 'ai_failed', 'pending_customer', 'resolved'],
};

export interface NewTicketInput {
  ticketId: string;
  tenantId: string;
  priority: Priority;
  priorityPinned: boolean;
  customerTier: CustomerTier;
  createdAtMs: number;
  policy?: SlaPolicy;
}

export function newTicketState(input: NewTicketInput): TicketState {
  const policy = input.policy ?? DEFAULT_SLA_POLICY;
  const target = (kind: SlaClockKind) =>
    targetSeconds(policy, kind, input.priority, input.customerTier) * 1000;
  return {
    ticketId: input.ticketId,
    tenantId: input.tenantId,
    status: 'new',
    priority: input.priority,
    priorityPinned: input.priorityPinned,
    customerTier: input.customerTier,
    category: null,
    assignee: null,
    escalationLevel: 0,
    reopenCount: 0,
    createdAtMs: input.createdAtMs,
    firstResponseAtMs: null,
    resolvedAtMs: null,
    closedAtMs: null,
    triage: { status: 'pending', category: null, suggestedPriority: null, error: null },
    clocks: {
      first_response: startClock('first_response', target('first_response'), input.createdAtMs),
      resolution: startClock('resolution', target('resolution'), input.createdAtMs),
    },
    policy,
  };
}

/** Throws InvalidTransitionError when the action is not legal now; the workflow's update validators call it. */
export function assertActionAllowed(state: TicketState, action: TicketAction): void {
  if (!ALLOWED_FROM[action.type].includes(state.status)) {
    throw new InvalidTransitionError(
      action.type,
      state.status,
      `cannot ${action.type.replace('_', ' ')} a ticket that is ${state.status}`,
    );
  }
  if (action.type === 'escalate') {
    const level = action.level ?? state.escalationLevel + 1;
    if (level <= state.escalationLevel) {
      throw new InvalidTransitionError(
        'escalate',
        state.status,
        `ticket is already at escalation level ${state.escalationLevel}`,
      );
    }
    if (level > MAX_ESCALATION_LEVEL) {
      throw new InvalidTransitionError(
        'escalate',
        state.status,
        `escalation level cannot exceed ${MAX_ESCALATION_LEVEL}`,
      );
    }
  }
  if (action.type === 'add_message' && action.nextStatus && state.status === 'resolved') {
    throw new InvalidTransitionError(
      'add_message',
      state.status,
      'reopen the ticket before changing its status',
    );
  }
  if (action.type === 'add_message' && action.nextStatus && action.author !== 'agent') {
    throw new InvalidTransitionError('add_message', state.status, 'only agents can set the next status');
  }
}

/** Applies an action that assertActionAllowed accepted. */
export function applyAction(state: TicketState, action: TicketAction, nowMs: number): TicketState {
  assertActionAllowed(state, action);
  switch (action.type) {
    case 'assign': {
      const status = state.status === 'open' || state.status === 'ai_failed' ? 'in_progress' : state.status;
      return withStatus({ ...state, assignee: action.assignee }, status, nowMs);
    }
    case 'add_message':
      return applyMessage(state, action, nowMs);
    case 'escalate': {
      const level = action.level ?? state.escalationLevel + 1;
      return withStatus({ ...state, escalationLevel: level }, 'escalated', nowMs);
    }
    case 'resolve':
      return withStatus({ ...state, resolvedAtMs: nowMs }, 'resolved', nowMs);
    case 'reopen':
      return withStatus(
        { ...state, resolvedAtMs: null, reopenCount: state.reopenCount + 1 },
        workingStatus(state),
        nowMs,
      );
    case 'close':
      return withStatus({ ...state, closedAtMs: nowMs }, 'closed', nowMs);
  }
}

function applyMessage(
  state: TicketState,
  action: Extract<TicketAction, { type: 'add_message' }>,
  nowMs: number,
): TicketState {
  if (!action.isPublic) return state;
  if (action.author === 'customer') {
    if (state.status === 'resolved') {
      // A customer answering a resolved ticket reopens it, as in Zendesk.
      return withStatus(
        { ...state, resolvedAtMs: null, reopenCount: state.reopenCount + 1 },
        workingStatus(state),
        nowMs,
      );
    }
    return state.status === 'pending_customer' ? withStatus(state, workingStatus(state), nowMs) : state;
  }
  // A public agent reply: the first one stops the first-response clock.
  let next = state;
  if (state.firstResponseAtMs === null) {
    next = {
      ...state,
      firstResponseAtMs: nowMs,
      clocks: { ...state.clocks, first_response: stopClock(state.clocks.first_response, nowMs) },
    };
  }
  if (action.nextStatus) return withStatus(next, action.nextStatus, nowMs);
  const waiting = ['new', 'triaging', 'open', 'ai_failed'].includes(state.status);
  return state.status === 'resolved' || !waiting ? next : withStatus(next, 'in_progress', nowMs);
}

function workingStatus(state: TicketState): TicketStatus {
  return state.assignee ? 'in_progress' : 'open';
}

/** Changes the status and moves the SLA clocks with it: pause, resume, stop, restart. */
export function withStatus(state: TicketState, status: TicketStatus, nowMs: number): TicketState {
  const paused = state.policy.pause_statuses;
  let { first_response: firstResponse, resolution } = state.clocks;
  if (status === 'resolved' || status === 'closed') {
    firstResponse = stopClock(firstResponse, nowMs);
    resolution = stopClock(resolution, nowMs);
  } else if (paused.includes(status)) {
    firstResponse = pauseClock(firstResponse, nowMs);
    resolution = pauseClock(resolution, nowMs);
  } else {
    if (state.status === 'resolved') resolution = restartClock(resolution, nowMs);
    firstResponse = resumeClock(firstResponse, nowMs);
    resolution = resumeClock(resolution, nowMs);
  }
  return { ...state, status, clocks: { first_response: firstResponse, resolution } };
}

export function markTriageStarted(state: TicketState, nowMs: number): TicketState {
  const next = { ...state, triage: { ...state.triage, status: 'running' as const } };
  return state.status === 'new' ? withStatus(next, 'triaging', nowMs) : next;
}

/** Triage finished: category is set, and the suggested priority applies unless the client pinned one. */
export function applyTriageResult(
  state: TicketState,
  result: { category: string; suggestedPriority: Priority },
  nowMs: number,
): TicketState {
  let next: TicketState = {
    ...state,
    category: result.category,
    triage: {
      status: 'done',
      category: result.category,
      suggestedPriority: result.suggestedPriority,
      error: null,
    },
  };
  if (!state.priorityPinned) next = changePriority(next, result.suggestedPriority);
  const stillWaiting = state.status === 'new' || state.status === 'triaging';
  return stillWaiting ? withStatus(next, workingStatusAfterTriage(next, 'open'), nowMs) : next;
}

export function applyTriageFailure(state: TicketState, error: string, nowMs: number): TicketState {
  const next: TicketState = { ...state, triage: { ...state.triage, status: 'failed', error } };
  const stillWaiting = state.status === 'new' || state.status === 'triaging';
  return stillWaiting ? withStatus(next, workingStatusAfterTriage(next, 'ai_failed'), nowMs) : next;
}

function workingStatusAfterTriage(state: TicketState, fallback: TicketStatus): TicketStatus {
  return state.assignee ? 'in_progress' : fallback;
}

/** Recomputes both clocks' targets for a new priority; elapsed time is kept. */
export function changePriority(state: TicketState, priority: Priority): TicketState {
  const target = (kind: SlaClockKind) =>
    targetSeconds(state.policy, kind, priority, state.customerTier) * 1000;
  return {
    ...state,
    priority,
    clocks: {
      first_response: retargetClock(state.clocks.first_response, target('first_response')),
      resolution: retargetClock(state.clocks.resolution, target('resolution')),
    },
  };
}

export function ticketSlaState(state: TicketState, nowMs: number): SlaState {
  const thresholds = state.policy.warning_thresholds;
  return worstState(SLA_CLOCK_KINDS.map((kind) => clockState(state.clocks[kind], nowMs, thresholds)));
}
