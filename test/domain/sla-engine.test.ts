import { resolveSlaPolicy } from '../../src/domain/sla-policy';
import { triagedTicket } from './fixtures';
import {
  type TicketAction,
  type TicketState,
  applyAction,
  applyBreachEscalation,
  changePolicy,
} from '../../src/domain/ticket-state';
import { nextAlert } from '../../src/domain/sla';

const T0 = Date.UTC(2026, 10, 23, 9, 0, 0);
const S = 1000;

function open(
  policy = resolveSlaPolicy({
    targets: { medium: { first_response_seconds: 100, resolution_seconds: 1000, next_reply_seconds: 50 } },
  }),
): TicketState {
  return triagedTicket(policy, T0);
}

const agent: TicketAction = { type: 'add_message', author: 'agent', body: 'a', isPublic: true };
const customer: TicketAction = { type: 'add_message', author: 'customer', body: 'c', isPublic: true };

describe('next-reply clock', () => {
  test('starts at a customer message after an agent reply, stops at the next agent reply, runs again per cycle', () => {
    let s = applyAction(open(), customer, T0 + 5 * S);
    expect(s.clocks.next_reply).toBeNull(); // no agent reply yet: first response still owed
    s = applyAction(s, agent, T0 + 10 * S);
    s = applyAction(s, customer, T0 + 20 * S);
    expect(s.clocks.next_reply).toMatchObject({ cycle: 1, runningSinceMs: T0 + 20 * S, targetMs: 50 * S });
    expect(nextAlert(s.clocks.next_reply!, [0.85])!.dueAtMs).toBe(T0 + 20 * S + 42.5 * S);
    const again = applyAction(s, customer, T0 + 25 * S);
    expect(again.clocks.next_reply!.runningSinceMs).toBe(T0 + 20 * S); // the oldest unanswered message counts
    s = applyAction(again, agent, T0 + 30 * S);
    expect(s.clocks.next_reply).toMatchObject({ stoppedAtMs: T0 + 30 * S, elapsedMs: 10 * S });
    s = applyAction(s, customer, T0 + 40 * S);
    expect(s.clocks.next_reply).toMatchObject({ cycle: 2, runningSinceMs: T0 + 40 * S, elapsedMs: 0 });
  });

  test('no next-reply target, no clock', () => {
    let s = applyAction(open(resolveSlaPolicy({})), agent, T0 + S);
    s = applyAction(s, customer, T0 + 2 * S);
    expect(s.clocks.next_reply).toBeNull();
  });
});

describe('reopen policy', () => {
  test('resume keeps the time spent; restart begins a new cycle from zero', () => {
    const resolved = applyAction(open(), { type: 'resolve' }, T0 + 300 * S);
    const resumed = applyAction(resolved, { type: 'reopen' }, T0 + 400 * S);
    expect(resumed.clocks.resolution).toMatchObject({
      cycle: 0,
      elapsedMs: 300 * S,
      runningSinceMs: T0 + 400 * S,
    });
    const restartPolicy = resolveSlaPolicy({
      resolution_on_reopen: 'restart',
      targets: { medium: { resolution_seconds: 1000 } },
    });
    const restarted = applyAction(
      applyAction(open(restartPolicy), { type: 'resolve' }, T0 + 300 * S),
      { type: 'reopen' },
      T0 + 400 * S,
    );
    expect(restarted.clocks.resolution).toMatchObject({
      cycle: 1,
      elapsedMs: 0,
      runningSinceMs: T0 + 400 * S,
    });
  });
});

describe('priority, tier and policy changes', () => {
  test('a new priority keeps the elapsed time and moves the deadline', () => {
    const s = applyAction(open(), { type: 'set_priority', priority: 'critical' }, T0 + 60 * S);
    expect(s.priority).toBe('critical');
    expect(s.clocks.first_response.targetMs).toBe(900 * S); // seed 004 critical: 15 min
    expect(nextAlert(s.clocks.first_response, [0.85])!.dueAtMs).toBe(T0 + 765 * S);
  });

  test('a new tier applies its multiplier', () => {
    const s = applyAction(
      open(),
      { type: 'set_priority', priority: 'medium', customerTier: 'enterprise' },
      T0,
    );
    expect(s.clocks.first_response.targetMs).toBe(50 * S);
  });

  test('an applied policy recomputes targets from the time spent', () => {
    const s = changePolicy(
      open(),
      resolveSlaPolicy({
        targets: { medium: { first_response_seconds: 40 } },
        warning_thresholds: [0.5, 0.75],
      }),
      T0 + 10 * S,
    );
    expect(s.clocks.first_response.targetMs).toBe(40 * S);
    expect(nextAlert(s.clocks.first_response, s.policy.warning_thresholds)).toMatchObject({
      threshold: 0.5,
      dueAtMs: T0 + 20 * S,
    });
  });
});

describe('breach escalation', () => {
  test('raises priority one step, sets the escalation level and reassigns, as the policy says', () => {
    const policy = resolveSlaPolicy({
      escalation: { raise_priority: true, escalation_level: 2, reassign_to: 'tier2' },
    });
    const { state, changes } = applyBreachEscalation(open(policy));
    expect(state).toMatchObject({ priority: 'high', escalationLevel: 2, assignee: 'tier2' });
    expect(changes).toEqual({
      priority: { from: 'medium', to: 'high' },
      escalation_level: { from: 0, to: 2 },
      assignee: { from: null, to: 'tier2' },
    });
  });

  test('the default policy changes nothing', () => {
    expect(applyBreachEscalation(open(resolveSlaPolicy({}))).changes).toEqual({});
  });
});
