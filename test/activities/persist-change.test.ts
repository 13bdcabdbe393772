/**
 * A ticket change the database refuses on its data (a data exception, a check / not-null / foreign-key
 * violation) fails the activity for good with the reason — the SQLSTATE and constraint, never the value — while
 * anything a retry may cure (a lost connection, a unique race) stays retryable.
 */
import { ApplicationFailure } from '@temporalio/common';
import pino from 'pino';
import { type ActivityDeps, createActivities, dataRefusal } from '../../src/activities/ticket';
import type { TicketChange } from '../../src/stores/ticket-repository';

const change = {
  action: 'assign',
  actor: { id: 'agent-alice', role: 'agent' },
  eventId: 'e1',
  ticketId: 't1',
  tenantId: 'tenant-1',
  stateVersion: 2,
  fromStatus: 'open',
  mirror: { status: 'in_progress' },
} as unknown as TicketChange;

function activitiesFailingWith(error: unknown) {
  const tickets = {
    applyChange: async () => {
      throw error;
    },
  };
  return createActivities({ tickets, logger: pino({ level: 'silent' }) } as unknown as ActivityDeps);
}

async function failureOf(error: unknown): Promise<unknown> {
  return activitiesFailingWith(error)
    .persistTicketChange(change)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
}

test.each([
  ['22P02', undefined, 'PostgreSQL 22P02'], // invalid text representation
  ['22003', undefined, 'PostgreSQL 22003'], // numeric value out of range
  ['23514', 'tickets_status_valid', 'PostgreSQL 23514, constraint tickets_status_valid'],
  ['23502', undefined, 'PostgreSQL 23502'],
])('SQLSTATE %s fails for good with the reason', async (code, constraint, reason) => {
  const failure = await failureOf(
    Object.assign(new Error('value "secret@example.com" is invalid'), { code, constraint }),
  );
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: 'InvalidData', nonRetryable: true });
  expect((failure as Error).message).toContain(reason);
  expect((failure as Error).message).not.toContain('secret@example.com');
});

test('errors a retry may cure stay retryable', async () => {
  for (const error of [
    Object.assign(new Error('duplicate key'), { code: '23505' }),
    Object.assign(new Error('connection terminated'), { code: 'ECONNRESET' }),
    new Error('Knex: Timeout acquiring a connection'),
  ]) {
    expect(dataRefusal(error)).toBeUndefined();
    expect(await failureOf(error)).toBe(error);
  }
});
