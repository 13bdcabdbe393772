import { DEFAULT_SLA_POLICY } from '../../src/domain/sla';
import {
  ALLOWED_FROM,
  InvalidTransitionError,
  type TicketAction,
  type TicketState,
  applyAction,
  applyTriageFailure,
  applyTriageResult,
  markTriageStarted,
  newTicketState,
  ticketSlaState,
} from '../../src/domain/ticket-state';
import { TICKET_STATUSES, parsePriority, raisePriority } from '../../src/domain/vocabulary';

const T0 = Date.UTC(2026, 10, 23, 9, 0, 0);

function ticket(overrides: Partial<TicketState> = {}): TicketState {
  const base = newTicketState({
    ticketId: 't1',
    tenantId: 'tenant',
    priority: 'medium',
    priorityPinned: false,
    customerTier: 'standard',
    createdAtMs: T0,
  });
  return { ...base, ...overrides };
}

const triaged = () =>
  applyTriageResult(
    markTriageStarted(ticket(), T0 + 1),
    { category: 'billing', suggestedPriority: 'high' },
    T0 + 2,
  );

const agentReply: TicketAction = { type: 'add_message', author: 'agent', body: 'hi', isPublic: true };

describe('status transitions', () => {
  const actions: TicketAction[] = [
    { type: 'assign', assignee: 'a' },
    agentReply,
    { type: 'escalate', reason: 'r' },
    { type: 'resolve' },
    { type: 'reopen' },
    { type: 'close' },
  ];
  test.each(TICKET_STATUSES.flatMap((status) => actions.map((action) => [status, action] as const)))(
    'from %s: %o is allowed exactly when the table says so',
    (status, action) => {
      const state = ticket({ status, resolvedAtMs: status === 'resolved' ? T0 : null });
      const allowed = ALLOWED_FROM[action.type].includes(status);
      if (allowed) expect(() => applyAction(state, action, T0 + 10)).not.toThrow();
      else expect(() => applyAction(state, action, T0 + 10)).toThrow(InvalidTransitionError);
    },
  );

  test('triage moves new → triaging → open and applies the suggested priority unless pinned', () => {
    const state = triaged();
    expect(state).toMatchObject({ status: 'open', category: 'billing', priority: 'high' });
    expect(state.clocks.first_response.targetMs).toBe(1800 * 1000);
    const pinned = applyTriageResult(
      ticket({ priorityPinned: true, status: 'triaging' }),
      { category: 'billing', suggestedPriority: 'critical' },
      T0,
    );
    expect(pinned.priority).toBe('medium');
  });

  test('failed triage sends the ticket to ai_failed with its clocks still running', () => {
    const failed = applyTriageFailure(markTriageStarted(ticket(), T0), 'model down', T0 + 5);
    expect(failed.status).toBe('ai_failed');
    expect(failed.clocks.first_response.runningSinceMs).toBe(T0);
    expect(ticketSlaState(failed, T0 + 10)).toBe('on_track');
    expect(applyAction(failed, { type: 'assign', assignee: 'bob' }, T0 + 20).status).toBe('in_progress');
  });

  test('an agent acting during triage is not overwritten when triage finishes', () => {
    const resolved = applyAction(markTriageStarted(ticket(), T0), { type: 'resolve' }, T0 + 1);
    const after = applyTriageResult(resolved, { category: 'technical', suggestedPriority: 'low' }, T0 + 2);
    expect(after.status).toBe('resolved');
    expect(after.category).toBe('technical');
  });

  test('the first public agent reply stops the response clock; internal notes and customer messages do not', () => {
    const open = triaged();
    const note = applyAction(open, { ...agentReply, isPublic: false }, T0 + 100);
    expect(note.firstResponseAtMs).toBeNull();
    const customer = applyAction(
      open,
      { type: 'add_message', author: 'customer', body: 'hello?', isPublic: true },
      T0 + 100,
    );
    expect(customer.firstResponseAtMs).toBeNull();
    const replied = applyAction(open, agentReply, T0 + 100);
    expect(replied).toMatchObject({ status: 'in_progress', firstResponseAtMs: T0 + 100 });
    expect(replied.clocks.first_response.stoppedAtMs).toBe(T0 + 100);
    expect(replied.clocks.resolution.stoppedAtMs).toBeNull();
    const second = applyAction(replied, agentReply, T0 + 200);
    expect(second.firstResponseAtMs).toBe(T0 + 100);
    // Resolving answers the customer too: with no reply before it, it is the first response; after one, not.
    const resolvedUnanswered = applyAction(customer, { type: 'resolve' }, T0 + 300);
    expect(resolvedUnanswered.firstResponseAtMs).toBe(T0 + 300);
    expect(applyAction(second, { type: 'resolve' }, T0 + 400).firstResponseAtMs).toBe(T0 + 100);
  });

  test('pending statuses pause the clocks; a customer reply resumes them', () => {
    const waiting = applyAction(triaged(), { ...agentReply, nextStatus: 'pending_customer' }, T0 + 100);
    expect(waiting.status).toBe('pending_customer');
    expect(waiting.clocks.resolution.runningSinceMs).toBeNull();
    expect(ticketSlaState(waiting, T0 + 10_000_000)).not.toBe('breached');
    const back = applyAction(
      waiting,
      { type: 'add_message', author: 'customer', body: 'here', isPublic: true },
      T0 + 500,
    );
    expect(back.status).toBe('open');
    expect(back.clocks.resolution.runningSinceMs).toBe(T0 + 500);
  });

  test('resolve stops, reopen resumes the resolution clock with the time spent', () => {
    const resolved = applyAction(triaged(), { type: 'resolve' }, T0 + 1000);
    expect(resolved.clocks.resolution).toMatchObject({ stoppedAtMs: T0 + 1000, elapsedMs: 1000 });
    const reopened = applyAction(resolved, { type: 'reopen' }, T0 + 5000);
    expect(reopened).toMatchObject({ status: 'open', reopenCount: 1, resolvedAtMs: null });
    expect(reopened.clocks.resolution).toMatchObject({
      stoppedAtMs: null,
      runningSinceMs: T0 + 5000,
      elapsedMs: 1000,
    });
  });

  test('a customer message on a resolved ticket reopens it', () => {
    const resolved = applyAction(triaged(), { type: 'resolve' }, T0 + 1000);
    const reopened = applyAction(
      resolved,
      { type: 'add_message', author: 'customer', body: 'still broken', isPublic: true },
      T0 + 2000,
    );
    expect(reopened).toMatchObject({ status: 'open', reopenCount: 1 });
  });

  test('escalation levels only go up, to at most 3', () => {
    const one = applyAction(triaged(), { type: 'escalate', reason: 'r' }, T0);
    expect(one).toMatchObject({ status: 'escalated', escalationLevel: 1 });
    expect(() => applyAction(one, { type: 'escalate', reason: 'r', level: 1 }, T0)).toThrow(
      /already at escalation level 1/,
    );
    expect(() => applyAction(one, { type: 'escalate', reason: 'r', level: 4 }, T0)).toThrow(
      /cannot exceed 3/,
    );
    expect(applyAction(one, { type: 'escalate', reason: 'r', level: 3 }, T0).escalationLevel).toBe(3);
  });

  test('default policy is seed 004', () => {
    expect(ticket().policy).toBe(DEFAULT_SLA_POLICY);
  });
});

describe('priority vocabulary', () => {
  test('seed 003 urgent maps to critical; unknown values are rejected', () => {
    expect(parsePriority('URGENT')).toBe('critical');
    expect(parsePriority('High')).toBe('high');
    expect(parsePriority('whenever')).toBeUndefined();
    expect(raisePriority('high')).toBe('critical');
    expect(raisePriority('critical')).toBe('critical');
  });
});
