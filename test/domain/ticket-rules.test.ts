import { resolveSlaPolicy } from '../../src/domain/sla-policy';
import { triagedTicket } from './fixtures';
import {
  alertEscalationLevel,
  autoCloseAt,
  clockStates,
  earliestAlert,
  fireAlert,
  itsmSyncState,
  ticketMirror,
  triggerEscalationLevel,
} from '../../src/domain/ticket-rules';
import { type TicketState, applyAction } from '../../src/domain/ticket-state';

const T0 = Date.UTC(2026, 10, 23, 9, 0, 0);
const S = 1000;

function open(escalation = {}): TicketState {
  const policy = resolveSlaPolicy({
    targets: { medium: { first_response_seconds: 100, resolution_seconds: 1000 } },
    warning_thresholds: [0.5, 0.75],
    escalation,
  });
  return triagedTicket(policy, T0);
}

describe('earliestAlert and fireAlert', () => {
  it('walks the first-response clock through its warnings to the breach, each once', () => {
    let state = open();
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const alert = earliestAlert(state)!;
      seen.push(`${alert.clock}:${alert.kind}:${alert.threshold}@${(alert.dueAtMs - T0) / S}`);
      state = fireAlert(state, alert).state;
    }
    expect(seen).toEqual([
      'first_response:warning:0.5@50',
      'first_response:warning:0.75@75',
      'first_response:breach:1@100',
    ]);
    // The first-response clock owes nothing more: the resolution clock is next.
    expect(earliestAlert(state)).toMatchObject({ clock: 'resolution', kind: 'warning', threshold: 0.5 });
  });

  it('applies the breach escalation and reports the clock as it fired, before a retarget', () => {
    let state = open({ raise_priority: true, escalation_level: 2, reassign_to: 'tier2' });
    while (earliestAlert(state)!.kind !== 'breach') state = fireAlert(state, earliestAlert(state)!).state;
    const fired = fireAlert(state, earliestAlert(state)!);
    expect(fired.changes).toEqual({
      priority: { from: 'medium', to: 'high' },
      escalation_level: { from: 0, to: 2 },
      assignee: { from: null, to: 'tier2' },
    });
    expect(fired.state).toMatchObject({ priority: 'high', escalationLevel: 2, assignee: 'tier2' });
    expect(fired.firedClock).toMatchObject({ kind: 'first_response', targetMs: 100 * S, breached: true });
  });

  it('a warning changes nothing but its clock', () => {
    const state = open({ raise_priority: true });
    const fired = fireAlert(state, earliestAlert(state)!);
    expect(fired.changes).toEqual({});
    expect(fired.state.priority).toBe('medium');
    expect(fired.state.clocks.first_response!.warningsFired).toEqual([0.5]);
  });

  it('no alert is owed once every clock has stopped', () => {
    const closed = applyAction(
      applyAction(open(), { type: 'resolve' }, T0 + S),
      { type: 'close' },
      T0 + 2 * S,
    );
    expect(earliestAlert(closed)).toBeNull();
  });
});

test('escalation levels: alerts raise to 1 (warning) or 2 (breach), triggers go one above the ticket', () => {
  expect(alertEscalationLevel({ kind: 'warning' }, 0)).toBe(1);
  expect(alertEscalationLevel({ kind: 'breach' }, 0)).toBe(2);
  expect(alertEscalationLevel({ kind: 'warning' }, 3)).toBe(3);
  expect(triggerEscalationLevel(1, 0)).toBe(1);
  expect(triggerEscalationLevel(1, 1)).toBe(2);
  expect(triggerEscalationLevel(3, 0)).toBe(3);
});

test('auto-close is due only for a resolved ticket, counted from its resolution', () => {
  const state = open();
  expect(autoCloseAt(state, 60 * S)).toBeNull();
  const resolved = applyAction(state, { type: 'resolve' }, T0 + 10 * S);
  expect(autoCloseAt(resolved, 60 * S)).toBe(T0 + 70 * S);
});

test('the mirror and the search attributes say what the state says', () => {
  const state = applyAction(open(), { type: 'assign', assignee: 'alice' }, T0 + S);
  expect(ticketMirror(state, T0 + 60 * S)).toMatchObject({
    status: 'in_progress', // assigning an open ticket starts the work on it
    assignee: 'alice',
    first_response_at: null,
    sla_state: 'at_risk',
  });
  expect(clockStates(state, T0 + 60 * S).sort()).toEqual(['first_response:at_risk', 'resolution:on_track']);
  expect(itsmSyncState(2, 1)).toBe('pending');
  expect(itsmSyncState(0, 1)).toBe('failed');
  expect(itsmSyncState(0, 0)).toBe('synced');
  expect(itsmSyncState(0, 0, false)).toBe('not_configured');
  expect(itsmSyncState(1, 0, false)).toBe('pending');
});
