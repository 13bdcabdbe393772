/**
 * The ticket workflow's activity proxies, one per retry policy, each typed with only the activities it may call:
 * calling a model through the database policy (or the reverse) does not type-check.
 */
import { type RetryPolicy, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { createAgentActivities } from '../../activities/agents';
import type { TicketActivities } from '../../activities/ticket';
import { LOCAL_INTEGRATION_CHECKS, LOCAL_SHORT_STEPS, patched } from './versions';

type Only<K extends keyof TicketActivities> = Pick<TicketActivities, K>;
type StoreSteps = Only<
  | 'persistTicketChange'
  | 'recordTriage'
  | 'checkEscalationTriggers'
  | 'listNotificationTargets'
  | 'recordNotificationOutcome'
  | 'itsmConfigured'
  | 'completeTriage'
>;
type ModelSteps = Only<'classifyTicket' | 'retrieveKnowledge' | 'draftReply'>;

/** Postgres writes: retried until they succeed, so a database outage delays a change but never drops it. */
const storeRetry: RetryPolicy = {
  initialInterval: '500 milliseconds',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
};
const regularStore = proxyActivities<StoreSteps>({ startToCloseTimeout: '30 seconds', retry: storeRetry });
/**
 * A local activity holds its workflow task open, and nothing else of the ticket (timers, agents' updates) runs
 * meanwhile: a stuck write is cut short, and a retry that must wait longer than a second waits on a server timer
 * with the task closed, not inside it.
 */
const localOptions = { startToCloseTimeout: '10 seconds', localRetryThreshold: '1 second' } as const;
const localStore = proxyLocalActivities<StoreSteps>({ ...localOptions, retry: storeRetry });

/** The Postgres steps: local activities, or regular ones in runs recorded before the patch. */
export function store(): StoreSteps {
  return patched(LOCAL_SHORT_STEPS) ? localStore : regularStore;
}

/** Model calls: a few attempts with backoff, then triage gives up and the ticket goes to ai_failed. */
const modelRetry: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '20 seconds',
  maximumAttempts: 4,
  nonRetryableErrorTypes: ['TicketNotFound'],
};
/** Remote models (an LLM API) may take a while: regular activities, each visible and kept alive by heartbeats. */
const remoteModels = proxyActivities<ModelSteps>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '5 seconds',
  retry: modelRetry,
});
/** Offline models answer in milliseconds of CPU: local activities. */
const localModels = proxyLocalActivities<ModelSteps>({ ...localOptions, retry: modelRetry });

/**
 * The model steps of a triage. Whether the worker's models are offline is asked once per triage by `triageSetup`
 * (a local activity, so the answer is recorded and replays the same even if the configuration changes meanwhile).
 * Runs recorded before the patch use regular activities.
 */
export function modelSteps(setup: { modelsAreLocal: boolean } | null): ModelSteps {
  return setup?.modelsAreLocal ? localModels : remoteModels;
}
export const triageSetup = proxyLocalActivities<Only<'triageSetup'>>({ ...localOptions, retry: storeRetry });

/** How long a ticket takes a tenant's "no ITSM tool" answer as still true (workflow time). */
export const ITSM_CHECK_REUSE_MS = 60_000;

/** Offline models in one local activity (patch triage-in-fewer-steps), with the model steps' retry policy. */
export const localTriage = proxyLocalActivities<Only<'triageTicket'>>({ ...localOptions, retry: modelRetry });

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

type AgentEventSteps = Pick<ReturnType<typeof createAgentActivities>, 'dispatchTicketEvent'>;
const agentEventRetry: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
};
const regularAgentEvents = proxyActivities<AgentEventSteps>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '1 hour',
  retry: agentEventRetry,
});
const localAgentEvents = proxyLocalActivities<AgentEventSteps>({
  ...localOptions,
  scheduleToCloseTimeout: '1 hour',
  retry: agentEventRetry,
});

/**
 * Tenant AI agents triggered by ticket events: a read of the tenant's triggers and, for each, a workflow start —
 * short, so local; regular in runs recorded before the patch.
 */
export function agentEvents(): AgentEventSteps {
  return patched(LOCAL_INTEGRATION_CHECKS) ? localAgentEvents : regularAgentEvents;
}

/** The innermost message of an activity failure: what actually went wrong. */
export function failureReason(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
