import {
  DEFAULT_SLA_POLICY,
  clockState,
  deadlineMs,
  markAlertFired,
  nextAlert,
  pauseClock,
  remainingMs,
  restartClock,
  resumeClock,
  retargetClock,
  startClock,
  stopClock,
  targetSeconds,
  worstState,
} from '../../src/domain/sla';
import { resolveSlaPolicy } from '../../src/domain/sla-policy';

const T0 = Date.UTC(2026, 10, 23, 9, 0, 0);
const S = 1000;

describe('targets (seed 004 table × tier multiplier)', () => {
  test.each([
    ['critical', 'standard', 900, 7200],
    ['high', 'standard', 1800, 14400],
    ['medium', 'standard', 7200, 28800],
    ['low', 'standard', 14400, 86400],
    ['critical', 'enterprise', 450, 3600],
    ['high', 'business', 1350, 10800],
    ['low', 'free', 21600, 129600],
  ] as const)('%s / %s → %ds response, %ds resolution', (priority, tier, response, resolution) => {
    expect(targetSeconds(DEFAULT_SLA_POLICY, 'first_response', priority, tier)).toBe(response);
    expect(targetSeconds(DEFAULT_SLA_POLICY, 'resolution', priority, tier)).toBe(resolution);
  });

  test('a tenant policy overrides single targets and keeps the rest', () => {
    const policy = resolveSlaPolicy({
      targets: { medium: { first_response_seconds: 5 } },
      tier_multipliers: { free: 2 },
    });
    expect(targetSeconds(policy, 'first_response', 'medium', 'standard')).toBe(5);
    expect(targetSeconds(policy, 'resolution', 'medium', 'standard')).toBe(28800);
    expect(targetSeconds(policy, 'first_response', 'low', 'free')).toBe(28800);
  });
});

describe('clock arithmetic', () => {
  test('a running clock warns at 85% and breaches at 100% of its target', () => {
    const clock = startClock('first_response', 100 * S, T0);
    const warning = nextAlert(clock, [0.85])!;
    expect(warning).toMatchObject({
      kind: 'warning',
      threshold: 0.85,
      dueAtMs: T0 + 85 * S,
      deadlineMs: T0 + 100 * S,
    });
    const breach = nextAlert(markAlertFired(clock, warning), [0.85])!;
    expect(breach).toMatchObject({ kind: 'breach', dueAtMs: T0 + 100 * S });
    expect(nextAlert(markAlertFired(markAlertFired(clock, warning), breach), [0.85])).toBeNull();
  });

  test('several thresholds fire in order (ServiceNow-style 50% and 75%)', () => {
    let clock = startClock('resolution', 100 * S, T0);
    const due: number[] = [];
    for (let alert = nextAlert(clock, [0.75, 0.5]); alert; alert = nextAlert(clock, [0.75, 0.5])) {
      due.push(alert.dueAtMs - T0);
      clock = markAlertFired(clock, alert);
    }
    expect(due).toEqual([50 * S, 75 * S, 100 * S]);
  });

  test('states: on_track, at_risk at ≤15% remaining, breached, met, paused', () => {
    const clock = startClock('first_response', 100 * S, T0);
    expect(clockState(clock, T0 + 84 * S, [0.85])).toBe('on_track');
    expect(clockState(clock, T0 + 85 * S, [0.85])).toBe('at_risk');
    expect(clockState(clock, T0 + 100 * S, [0.85])).toBe('breached');
    expect(clockState(stopClock(clock, T0 + 50 * S), T0 + 500 * S, [0.85])).toBe('met');
    expect(clockState(pauseClock(clock, T0 + 50 * S), T0 + 500 * S, [0.85])).toBe('paused');
    expect(worstState(['met', 'on_track', 'at_risk'])).toBe('at_risk');
    expect(worstState(['paused', 'met'])).toBe('paused');
  });

  test('a pause stops the time and moves the deadline by the paused time', () => {
    const clock = startClock('resolution', 100 * S, T0);
    const paused = pauseClock(clock, T0 + 30 * S);
    expect(deadlineMs(paused)).toBeNull();
    expect(nextAlert(paused, [0.85])).toBeNull();
    expect(remainingMs(paused, T0 + 1000 * S)).toBe(70 * S);
    const resumed = resumeClock(paused, T0 + 90 * S);
    expect(deadlineMs(resumed)).toBe(T0 + 160 * S);
    expect(nextAlert(resumed, [0.85])!.dueAtMs).toBe(T0 + 145 * S);
  });

  test('a stopped clock owes nothing; a restart resumes it with the time already spent', () => {
    const stopped = stopClock(startClock('resolution', 100 * S, T0), T0 + 40 * S);
    expect(nextAlert(stopped, [0.85])).toBeNull();
    expect(resumeClock(stopped, T0 + 50 * S)).toBe(stopped);
    const restarted = restartClock(stopped, T0 + 200 * S);
    expect(deadlineMs(restarted)).toBe(T0 + 260 * S);
  });

  test('a new target keeps the elapsed time; fired alerts stay fired', () => {
    let clock = startClock('first_response', 100 * S, T0);
    clock = markAlertFired(clock, nextAlert(clock, [0.85])!);
    const shorter = retargetClock(clock, 50 * S);
    expect(nextAlert(shorter, [0.85])).toMatchObject({ kind: 'breach', dueAtMs: T0 + 50 * S });
    const longer = retargetClock(startClock('first_response', 100 * S, T0), 200 * S);
    expect(nextAlert(longer, [0.85])!.dueAtMs).toBe(T0 + 170 * S);
  });
});
