/**
 * One workflow per ticket (`ticket-<id>`). It owns the ticket's live state and its SLA timers: triage runs as
 * activities, agent actions arrive as updates, every change is mirrored to Postgres by an activity, ITSM events
 * go out from a background outbox, and warnings and breaches fire from durable timers at their due time.
 *
 *   run.ts          the state of one run and the one way to change it
 *   actions.ts      agent actions (updates), the state query, the SLA policy signal
 *   triage.ts       classify → retrieve → draft → record, escalation triggers
 *   sla.ts          the SLA loop, notifications, auto-close, continue-as-new
 *   itsm-outbox.ts  ITSM events, in order, in the background
 *   versions.ts     every patch, and the workflow type that has them built in
 */
import { allHandlersFinished, condition, uuid4 } from '@temporalio/workflow';
import { type TicketLiveView, toLiveView } from '../../domain/live-view';
import type { TicketWorkflowInput } from '../messages';
import { registerHandlers } from './actions';
import { runItsmOutbox } from './itsm-outbox';
import { TicketRun } from './run';
import { runLifecycle, startNotification } from './sla';
import { runTriage } from './triage';

export async function ticketWorkflow(input: TicketWorkflowInput): Promise<TicketLiveView> {
  const run = new TicketRun(input);
  registerHandlers(run);
  if (!input.carriedState) {
    run.publishSearchAttributes();
    run.enqueueItsm({ type: 'created', eventId: uuid4() });
    run.fireAgentEvent('ticket.created');
  }
  for (const alert of [...run.pendingNotifications]) startNotification(run, alert);
  const triageRun = run.triage.done
    ? Promise.resolve()
    : runTriage(run).finally(() => {
        run.triage.done = true;
      });
  const itsmRun = runItsmOutbox(run);
  await runLifecycle(run);
  await triageRun;
  await itsmRun;
  await Promise.all(run.backgroundWork);
  await condition(allHandlersFinished);
  return toLiveView(run.state, Date.now());
}

/**
 * The tickets started between V2 and V3: the same workflow, with the patches versions.ts lists for V2 taken
 * without recording them.
 */
export async function ticketWorkflowV2(input: TicketWorkflowInput): Promise<TicketLiveView> {
  return ticketWorkflow(input);
}

/**
 * The tickets started between V3 and V4: the same workflow, with the patches versions.ts lists for V3 taken
 * without recording them.
 */
export async function ticketWorkflowV3(input: TicketWorkflowInput): Promise<TicketLiveView> {
  return ticketWorkflow(input);
}

/**
 * The type new tickets start as (TICKET_WORKFLOW_TYPE): the same workflow, with every patch versions.ts lists for
 * V4 taken without recording it. `ticketWorkflow`, `ticketWorkflowV2` and `ticketWorkflowV3` stay registered for
 * older tickets.
 */
export async function ticketWorkflowV4(input: TicketWorkflowInput): Promise<TicketLiveView> {
  return ticketWorkflow(input);
}
