/**
 * Property-based tests (fast-check, fixed seeds) over the domain rules with hostile input: random action
 * sequences, priorities, tiers, policies, calendars and texts (`__proto__`, `constructor`, `toString`, NUL,
 * emoji, RTL, 50 KB). The domain may refuse with its typed errors only; everything the API accepts must leave
 * a ticket whose clocks have finite, placeable deadlines.
 */
import fc from 'fast-check';
import { z } from 'zod';
import {
  slaPolicySchema,
  createTicketSchema,
  setPrioritySchema,
  tenantSettingsSchema,
} from '../../src/api/schemas';
import { CalendarHorizonError, WEEKDAYS, type BusinessCalendar } from '../../src/domain/business-calendar';
import { ownValue } from '../../src/domain/lookup';
import { type SlaPolicyOverrides, resolveSlaPolicy, unmeetableTargets } from '../../src/domain/sla-policy';
import { clockList, deadlineMs, nextAlert, timelineOf } from '../../src/domain/sla';
import {
  InvalidTransitionError,
  type TicketAction,
  type TicketState,
  applyAction,
  assertActionAllowed,
  applyTriageResult,
  changePolicy,
  markTriageStarted,
  newTicketState,
} from '../../src/domain/ticket-state';
import { toLiveView } from '../../src/domain/live-view';
import { CUSTOMER_TIERS, PRIORITIES, TICKET_STATUSES, parsePriority } from '../../src/domain/vocabulary';
import { analyzeSentiment } from '../../src/ml/sentiment';

const SEED = 20261201;
const T0 = Date.UTC(2026, 11, 1, 8, 30);
const DAY = 86_400_000;

const NASTY = [
  '__proto__',
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'prototype',
  '\u0000',
  'a\u0000b',
  '😀🔥👍🏽',
  'مرحبا، الطابعة لا تعمل',
  'שלום \u202eevil',
  'URGENT',
  ' critical ',
  '',
];

/** Texts a client or tenant could send: the nasty ones, random Unicode, and now and then 50 KB. */
const text = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...NASTY).map((s) => `${s} `.repeat(Math.ceil(50_000 / (s.length + 1)))),
  },
);

const priority = fc.constantFrom(...PRIORITIES);
const tier = fc.constantFrom(...CUSTOMER_TIERS);

const action: fc.Arbitrary<TicketAction> = fc.oneof(
  fc.record({ type: fc.constant('assign' as const), assignee: text }),
  fc.record({
    type: fc.constant('add_message' as const),
    author: fc.constantFrom('agent' as const, 'customer' as const),
    body: text,
    isPublic: fc.boolean(),
    nextStatus: fc.option(
      fc.constantFrom('pending_customer' as const, 'pending_vendor' as const, 'in_progress' as const),
      {
        nil: undefined,
      },
    ),
  }),
  fc.record({
    type: fc.constant('escalate' as const),
    reason: text,
    level: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  }),
  fc.record({ type: fc.constant('resolve' as const), resolution: fc.option(text, { nil: undefined }) }),
  fc.record({ type: fc.constant('reopen' as const), reason: fc.option(text, { nil: undefined }) }),
  fc.record({ type: fc.constant('close' as const), reason: fc.option(text, { nil: undefined }) }),
  fc.record({
    type: fc.constant('set_priority' as const),
    priority,
    customerTier: fc.option(tier, { nil: undefined }),
  }),
);

const hhmm = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
  .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);

/** Calendars as a tenant could write them (what the schema accepts): zones, 0–2 windows a day, holidays. */
const calendar: fc.Arbitrary<BusinessCalendar> = fc
  .record({
    timezone: fc.constantFrom('Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Pacific/Chatham', 'UTC'),
    days: fc.subarray([...WEEKDAYS], { minLength: 1 }),
    window: fc.tuple(hhmm, hhmm).filter(([a, b]) => a < b),
    holidays: fc.array(fc.integer({ min: 0, max: 800 }), { maxLength: 30 }),
  })
  .map(({ timezone, days, window, holidays }) => ({
    timezone,
    weekly: Object.fromEntries(days.map((d) => [d, [window]])),
    holidays: holidays.map((d) => new Date(T0 + d * DAY).toISOString().slice(0, 10)),
  }));

const seconds = fc.oneof(
  fc.integer({ min: 1, max: 30 * 24 * 3600 }),
  fc.integer({ min: 1, max: 365 * 24 * 3600 }),
);
const overrides: fc.Arbitrary<SlaPolicyOverrides> = fc.record(
  {
    targets: fc.dictionary(
      priority,
      fc.record(
        { first_response_seconds: seconds, resolution_seconds: seconds, next_reply_seconds: seconds },
        { requiredKeys: [] },
      ),
    ),
    tier_multipliers: fc.dictionary(
      tier,
      fc.oneof(
        fc.double({ min: 0.01, max: 3, noNaN: true }),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
      ),
    ),
    warning_thresholds: fc.array(fc.double({ min: 0.01, max: 0.99, noNaN: true }), {
      minLength: 1,
      maxLength: 5,
    }),
    calendar: fc.option(calendar, { nil: null }),
    resolution_on_reopen: fc.constantFrom('resume' as const, 'restart' as const),
  },
  { requiredKeys: [] },
);

function expectWellFormed(state: TicketState, nowMs: number): void {
  expect(TICKET_STATUSES).toContain(state.status);
  expect(PRIORITIES).toContain(state.priority);
  expect(CUSTOMER_TIERS).toContain(state.customerTier);
  const timeline = timelineOf(state.policy);
  for (const clock of clockList(state.clocks)) {
    expect(Number.isFinite(clock.targetMs) && clock.targetMs > 0).toBe(true);
    const deadline = deadlineMs(clock, timeline);
    if (deadline !== null) expect(Number.isFinite(deadline)).toBe(true);
    nextAlert(clock, state.policy.warning_thresholds, timeline);
  }
  const view = toLiveView(state, nowMs);
  expect(view.sla.clocks.length).toBeGreaterThan(0);
}

describe('lookups with outside keys', () => {
  test('parsePriority returns a priority or nothing, never an Object.prototype member', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...NASTY), fc.string({ unit: 'binary' })), (value) => {
        const parsed = parsePriority(value);
        expect(parsed === undefined || (PRIORITIES as readonly string[]).includes(parsed)).toBe(true);
      }),
      { seed: SEED, numRuns: 2000 },
    );
    expect(parsePriority('__proto__')).toBeUndefined();
    expect(parsePriority('constructor')).toBeUndefined();
    expect(parsePriority('Urgent')).toBe('critical');
  });

  test('ownValue finds only own keys', () => {
    const table: Record<string, number> = { a: 1 };
    for (const key of NASTY) expect(ownValue(table, key)).toBeUndefined();
    expect(ownValue(table, 'a')).toBe(1);
  });

  test('sentiment is finite for every text', () => {
    fc.assert(
      fc.property(text, (t) => {
        const { valence, score } = analyzeSentiment(t);
        expect(Number.isFinite(valence) && Number.isFinite(score)).toBe(true);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

describe('request schemas with hostile values', () => {
  const anyJson = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.dictionary(fc.constantFrom(...NASTY, 'priority', 'targets', 'content'), fc.jsonValue({ maxDepth: 3 })),
  );

  test('never throw, and whatever they accept is made of known priorities and tiers', () => {
    fc.assert(
      fc.property(anyJson, fc.constantFrom(...NASTY), text, (body, key, value) => {
        for (const schema of [
          setPrioritySchema,
          createTicketSchema,
          slaPolicySchema,
          tenantSettingsSchema,
        ] as z.ZodType[]) {
          expect(() => schema.safeParse(body)).not.toThrow();
        }
        const p = setPrioritySchema.safeParse({ priority: key });
        if (p.success) expect(PRIORITIES).toContain(p.data.priority);
        const policy = slaPolicySchema.safeParse({
          targets: { [key]: { resolution_seconds: 60 } },
          tier_multipliers: { [key]: 2 },
        });
        if (policy.success) {
          for (const record of [policy.data.targets, policy.data.tier_multipliers]) {
            expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
            for (const k of Object.keys(record ?? {})) {
              expect([...PRIORITIES, ...CUSTOMER_TIERS] as string[]).toContain(k);
            }
          }
        }
        const ticket = createTicketSchema.safeParse({ content: value, priority: key });
        if (ticket.success) expect(PRIORITIES).toContain(ticket.data.priority);
      }),
      { seed: SEED, numRuns: 300 },
    );
    // JSON.parse makes `__proto__` an own key, as a request body would have it.
    const parsed = JSON.parse('{"targets":{"__proto__":{"resolution_seconds":60}}}');
    expect(slaPolicySchema.safeParse(parsed).success).toBe(false);
    for (const word of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(setPrioritySchema.safeParse(JSON.parse(`{"priority":"${word}"}`)).success).toBe(false);
      expect(createTicketSchema.safeParse({ content: 'x', priority: word }).success).toBe(false);
    }
  });
});

describe('SLA policies against their calendars', () => {
  test('the example from the issue: 200 days of resolution on a 9–17 Mon–Fri calendar is refused, naming the field', () => {
    const week = Object.fromEntries(
      ['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['09:00', '17:00']]]),
    );
    const errors = unmeetableTargets(
      {
        targets: { low: { resolution_seconds: 200 * 86_400 } },
        calendar: { timezone: 'Europe/Berlin', weekly: week, holidays: [] },
      },
      T0,
    );
    expect(errors.map((e) => e.field)).toEqual(['targets.low.resolution_seconds']);
    expect(errors[0]!.message).toMatch(/business time/);
    expect(
      unmeetableTargets(
        {
          targets: { low: { resolution_seconds: 30 * 86_400 } },
          calendar: { timezone: 'UTC', weekly: week, holidays: [] },
        },
        T0,
      ),
    ).toEqual([]);
  });

  test('a policy that passes the check places every deadline for any ticket, priority, tier and start within a year', () => {
    let accepted = 0;
    fc.assert(
      fc.property(overrides, priority, tier, fc.integer({ min: 0, max: 365 * DAY }), (o, p, t, offset) => {
        if (unmeetableTargets(o, T0).length > 0) return;
        accepted++;
        const policy = resolveSlaPolicy(o);
        const start = T0 + offset;
        const state = newTicketState({
          ticketId: 't',
          tenantId: 'x',
          priority: p,
          priorityPinned: false,
          customerTier: t,
          createdAtMs: start,
          policy,
        });
        expectWellFormed(state, start + 1000);
      }),
      { seed: SEED, numRuns: 40 },
    );
    expect(accepted).toBeGreaterThan(10);
  });

  test('the check itself never throws, and refuses only with named fields', () => {
    fc.assert(
      fc.property(overrides, (o) => {
        const errors = unmeetableTargets(o, T0);
        for (const e of errors)
          expect(e.field).toMatch(/^(targets\.\w+\.\w+|tier_multipliers\.\w+|calendar)$/);
      }),
      { seed: SEED, numRuns: 30 },
    );
  });
});

describe('the state machine under random actions', () => {
  test('only InvalidTransitionError is ever thrown, and the state stays well-formed and workable', () => {
    fc.assert(
      fc.property(
        fc.option(overrides, { nil: undefined }),
        priority,
        tier,
        fc.array(fc.tuple(action, fc.integer({ min: 0, max: 3 * DAY })), { maxLength: 25 }),
        (o, p, t, steps) => {
          const policy = o && unmeetableTargets(o, T0).length === 0 ? resolveSlaPolicy(o) : undefined;
          let now = T0;
          let state = newTicketState({
            ticketId: 't',
            tenantId: 'x',
            priority: p,
            priorityPinned: false,
            customerTier: t,
            createdAtMs: now,
            ...(policy ? { policy } : {}),
          });
          state = applyTriageResult(
            markTriageStarted(state, now),
            { category: 'billing', suggestedPriority: p },
            now + 1,
          );
          for (const [a, dt] of steps) {
            now += dt;
            try {
              assertActionAllowed(state, a);
            } catch (error) {
              expect(error).toBeInstanceOf(InvalidTransitionError);
              continue;
            }
            state = applyAction(state, a, now);
            expectWellFormed(state, now);
          }
          // A ticket that is not closed always accepts some legal action.
          if (state.status !== 'closed') {
            const legal: TicketAction[] = [
              { type: 'add_message', author: 'customer', body: 'still there?', isPublic: true },
              { type: 'close' },
            ];
            expect(
              legal.some((a) => {
                try {
                  assertActionAllowed(state, a);
                  return true;
                } catch {
                  return false;
                }
              }),
            ).toBe(true);
          }
          if (policy) expectWellFormed(changePolicy(state, resolveSlaPolicy(undefined), now), now);
        },
      ),
      { seed: SEED, numRuns: 150 },
    );
  });

  test('the calendar arithmetic fails with its own typed error, not a generic one', () => {
    const closed: BusinessCalendar = { timezone: 'UTC', weekly: { mon: [['09:00', '10:00']] }, holidays: [] };
    const state = newTicketState({
      ticketId: 't',
      tenantId: 'x',
      priority: 'low',
      priorityPinned: false,
      customerTier: 'free',
      createdAtMs: T0,
      policy: resolveSlaPolicy({ targets: { low: { resolution_seconds: 365 * 86_400 } }, calendar: closed }),
    });
    expect(() => deadlineMs(state.clocks.resolution, timelineOf(state.policy))).toThrow(CalendarHorizonError);
    expect(
      unmeetableTargets({ targets: { low: { resolution_seconds: 365 * 86_400 } }, calendar: closed }, T0),
    ).not.toEqual([]);
  });
});
