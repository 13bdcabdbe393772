/** The queue's nearest clock and the deadline the queue sorts by. */
import { nearestClock, nearestDeadlineMs } from '../../src/domain/live-view';
import { pauseClock, startClock, stopClock } from '../../src/domain/sla';

const t0 = Date.parse('2026-12-01T09:00:00Z');
const snapshot = (clocks: Parameters<typeof nearestDeadlineMs>[0]['clocks']) => ({
  clocks,
  warning_thresholds: [0.85],
  calendar: null,
});

test('the running clock due soonest is the nearest; stopped clocks never count', () => {
  const s = snapshot({
    first_response: startClock('first_response', 30 * 60_000, t0),
    next_reply: null,
    resolution: startClock('resolution', 4 * 3600_000, t0),
  });
  expect(nearestDeadlineMs(s)).toBe(t0 + 30 * 60_000);
  expect(nearestClock(s, t0 + 27 * 60_000)).toMatchObject({
    clock: 'first_response',
    state: 'at_risk',
    deadline: new Date(t0 + 30 * 60_000).toISOString(),
  });

  const replied = {
    ...s,
    clocks: { ...s.clocks, first_response: stopClock(s.clocks.first_response, t0 + 60_000) },
  };
  expect(nearestDeadlineMs(replied)).toBe(t0 + 4 * 3600_000);
  expect(nearestClock(replied, t0 + 120_000)?.clock).toBe('resolution');
});

test('while every clock is paused there is no deadline, and the nearest is the one with least time left', () => {
  const at = t0 + 10 * 60_000;
  const s = snapshot({
    first_response: pauseClock(startClock('first_response', 30 * 60_000, t0), at),
    next_reply: null,
    resolution: pauseClock(startClock('resolution', 4 * 3600_000, t0), at),
  });
  expect(nearestDeadlineMs(s)).toBeNull();
  expect(nearestClock(s, at + 3600_000)).toMatchObject({
    clock: 'first_response',
    state: 'paused',
    deadline: null,
    remaining_seconds: 20 * 60,
  });
});

test('when every clock has stopped there is no nearest clock', () => {
  const s = snapshot({
    first_response: stopClock(startClock('first_response', 60_000, t0), t0 + 1000),
    next_reply: null,
    resolution: stopClock(startClock('resolution', 120_000, t0), t0 + 2000),
  });
  expect(nearestClock(s, t0 + 5000)).toBeNull();
  expect(nearestDeadlineMs(s)).toBeNull();
});
