/**
 * The ticket's state machine: which agent action is legal in which status, and what it changes.
 * Pure and deterministic: the workflow applies it, the API and tests reason with it.
 */
import {
  DEFAULT_SLA_POLICY,
  type SlaClockKind,
  type SlaClocks,
  type SlaPolicy,
  type SlaState,
  clockList,
  clockState,
  mapClocks,
  pauseClock,
  restartClock,
  resumeClock,
  retargetClock,
  startClock,
  stopClock,
  targetSeconds,
  timelineOf,
  worstState,
} from './sla';
import {
  MAX_ESCALATION_LEVEL,
  type CustomerTier,
  type Priority,
  type TicketStatus,
  raisePriority,
} from './vocabulary';

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
  | { type: 'close'; reason?: string }
  | { type: 'set_priority'; priority: Priority; customerTier?: CustomerTier };

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
  clocks: SlaClocks;
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
  set_priority: WORKABLE,
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
      next_reply: null,
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
      // Resolving answers the customer: with no agent reply before it, the resolution is the first response,
      // so the first-response clock's `met` and `first_response_at` agree.
      return withStatus(
        { ...state, resolvedAtMs: nowMs, firstResponseAtMs: state.firstResponseAtMs ?? nowMs },
        'resolved',
        nowMs,
      );
    case 'reopen':
      return withStatus(
        { ...state, resolvedAtMs: null, reopenCount: state.reopenCount + 1 },
        workingStatus(state),
        nowMs,
      );
    case 'close':
      return withStatus({ ...state, closedAtMs: nowMs }, 'closed', nowMs);
    case 'set_priority':
      // An agent's choice outranks triage's suggestion from now on.
      return { ...changePriority(state, action.priority, action.customerTier), priorityPinned: true };
  }
}

function applyMessage(
  state: TicketState,
  action: Extract<TicketAction, { type: 'add_message' }>,
  nowMs: number,
): TicketState {
  if (!action.isPublic) return state;
  const timeline = timelineOf(state.policy);
  if (action.author === 'customer') {
    let next = state;
    if (state.status === 'resolved') {
      // A customer answering a resolved ticket reopens it, as in Zendesk.
      next = withStatus(
        { ...state, resolvedAtMs: null, reopenCount: state.reopenCount + 1 },
        workingStatus(state),
        nowMs,
      );
    } else if (state.status === 'pending_customer') {
      next = withStatus(state, workingStatus(state), nowMs);
    }
    return startNextReplyClock(next, nowMs);
  }
  // A public agent reply: the first one stops the first-response clock, any one stops the next-reply clock.
  const { first_response: firstResponse, next_reply: nextReply } = state.clocks;
  let next: TicketState = {
    ...state,
    firstResponseAtMs: state.firstResponseAtMs ?? nowMs,
    clocks: {
      ...state.clocks,
      first_response: stopClock(firstResponse, nowMs, timeline),
      next_reply: nextReply && stopClock(nextReply, nowMs, timeline),
    },
  };
  if (action.nextStatus) return withStatus(next, action.nextStatus, nowMs);
  const waiting = ['new', 'triaging', 'open', 'ai_failed'].includes(state.status);
  if (waiting) next = withStatus(next, 'in_progress', nowMs);
  return next;
}

/**
 * A customer message after an agent reply starts the next-reply clock (Zendesk's "next reply time"), unless
 * one is already running or the policy sets no next-reply target.
 */
function startNextReplyClock(state: TicketState, nowMs: number): TicketState {
  const current = state.clocks.next_reply;
  const hasTarget = state.policy.targets[state.priority].next_reply_seconds !== undefined;
  const answered = state.firstResponseAtMs !== null;
  if (!hasTarget || !answered || (current && current.stoppedAtMs === null)) return state;
  if (state.status === 'resolved' || state.status === 'closed') return state;
  const targetMs = targetSeconds(state.policy, 'next_reply', state.priority, state.customerTier) * 1000;
  let clock = startClock('next_reply', targetMs, nowMs, (current?.cycle ?? 0) + 1);
  if (state.policy.pause_statuses.includes(state.status)) clock = pauseClock(clock, nowMs);
  return { ...state, clocks: { ...state.clocks, next_reply: clock } };
}

function workingStatus(state: TicketState): TicketStatus {
  return state.assignee ? 'in_progress' : 'open';
}

/** Changes the status and moves the SLA clocks with it: pause, resume, stop, restart. */
export function withStatus(state: TicketState, status: TicketStatus, nowMs: number): TicketState {
  const timeline = timelineOf(state.policy);
  let clocks: SlaClocks;
  if (status === 'resolved' || status === 'closed') {
    clocks = mapClocks(state.clocks, (c) => stopClock(c, nowMs, timeline));
  } else if (state.policy.pause_statuses.includes(status)) {
    clocks = mapClocks(state.clocks, (c) => pauseClock(c, nowMs, timeline));
  } else {
    const reopening = state.status === 'resolved';
    clocks = {
      ...state.clocks,
      resolution: reopening
        ? restartClock(state.clocks.resolution, nowMs, state.policy.resolution_on_reopen)
        : state.clocks.resolution,
    };
    clocks = mapClocks(clocks, (c) => resumeClock(c, nowMs));
  }
  return { ...state, status, clocks };
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

function retargeted(state: TicketState): SlaClocks {
  const target = (kind: SlaClockKind) =>
    targetSeconds(state.policy, kind, state.priority, state.customerTier) * 1000;
  return mapClocks(state.clocks, (clock) => retargetClock(clock, target(clock.kind)));
}

/** A new priority or customer tier: the clocks keep their elapsed time and get the new targets. */
export function changePriority(
  state: TicketState,
  priority: Priority,
  customerTier = state.customerTier,
): TicketState {
  const next = { ...state, priority, customerTier };
  return { ...next, clocks: retargeted(next) };
}

/** A changed tenant policy applied to an open ticket: targets, thresholds, pauses and calendar. */
export function changePolicy(state: TicketState, policy: SlaPolicy, nowMs: number): TicketState {
  // Fold the time counted so far under the old policy's calendar before switching calendars.
  const timeline = timelineOf(state.policy);
  const folded = mapClocks(state.clocks, (c) =>
    c.runningSinceMs === null ? c : { ...pauseClock(c, nowMs, timeline), runningSinceMs: nowMs },
  );
  const next: TicketState = { ...state, policy, clocks: folded };
  const paused = policy.pause_statuses.includes(state.status);
  const clocks = mapClocks(retargeted(next), (c) =>
    paused ? pauseClock(c, nowMs, timelineOf(policy)) : resumeClock(c, nowMs),
  );
  return { ...next, clocks };
}

/** What a breach does under the policy: a higher priority, escalation level, another assignee. */
export function applyBreachEscalation(state: TicketState): {
  state: TicketState;
  changes: Record<string, unknown>;
} {
  const { escalation } = state.policy;
  const changes: Record<string, unknown> = {};
  let next = state;
  if (escalation.raise_priority && state.priority !== 'critical') {
    next = changePriority(next, raisePriority(state.priority));
    changes.priority = { from: state.priority, to: next.priority };
  }
  if (escalation.escalation_level !== null && escalation.escalation_level > state.escalationLevel) {
    next = { ...next, escalationLevel: Math.min(escalation.escalation_level, MAX_ESCALATION_LEVEL) };
    changes.escalation_level = { from: state.escalationLevel, to: next.escalationLevel };
  }
  if (escalation.reassign_to && escalation.reassign_to !== state.assignee) {
    next = { ...next, assignee: escalation.reassign_to };
    changes.assignee = { from: state.assignee, to: escalation.reassign_to };
  }
  return { state: next, changes };
}

export function ticketSlaState(state: TicketState, nowMs: number): SlaState {
  const timeline = timelineOf(state.policy);
  const thresholds = state.policy.warning_thresholds;
  return worstState(clockList(state.clocks).map((clock) => clockState(clock, nowMs, thresholds, timeline)));
}
