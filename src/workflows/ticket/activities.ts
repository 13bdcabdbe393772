/**
 * The ticket workflow's activity proxies, one per retry policy, each typed with only the activities it may call:
 * calling a model through the database policy (or the reverse) does not type-check.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { createAgentActivities } from '../../activities/agents';
import type { TicketActivities } from '../../activities/ticket';

type Only<K extends keyof TicketActivities> = Pick<TicketActivities, K>;

/** Postgres writes: retried until they succeed, so a database outage delays a change but never drops it. */
export const store = proxyActivities<
  Only<
    | 'persistTicketChange'
    | 'recordTriage'
    | 'checkEscalationTriggers'
    | 'listNotificationTargets'
    | 'recordNotificationOutcome'
  >
>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Model calls: a few attempts with backoff, then triage gives up and the ticket goes to ai_failed. */
export const ai = proxyActivities<Only<'classifyTicket' | 'retrieveKnowledge' | 'draftReply'>>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '5 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '20 seconds',
    maximumAttempts: 4,
    nonRetryableErrorTypes: ['TicketNotFound'],
  },
});

/**
 * ITSM tools can be down for hours: retry for a day, never blocking the ticket's lifecycle. Attempts are not
 * counted on purpose: a rate-limited attempt names its own retry time (nextRetryDelay), so waiting for capacity
 * spends the schedule-to-close time, not a retry budget a busy tenant would exhaust.
 */
export const itsm = proxyActivities<Only<'syncTicketToItsm'>>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/** Notification targets (Slack, webhooks): retried for an hour, each target on its own. */
export const notifier = proxyActivities<Only<'deliverSlaNotification'>>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/** Tenant AI agents triggered by ticket events: a short database write and a workflow start, retried until done. */
export const agentEvents = proxyActivities<
  Pick<ReturnType<typeof createAgentActivities>, 'dispatchTicketEvent'>
>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** The innermost message of an activity failure: what actually went wrong. */
export function failureReason(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
