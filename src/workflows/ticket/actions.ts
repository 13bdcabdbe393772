/**
 * Agent actions arrive as updates: a validator refuses an action that is illegal in the current status before it
 * is accepted (the API answers 409), the handler applies it in turn, persists it, and queues its ITSM event.
 * A tenant's changed SLA policy arrives as a signal.
 */
import { ApplicationFailure, setHandler, uuid4 } from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import { type TicketLiveView, toLiveView } from '../../domain/live-view';
import {
  type TicketAction,
  type TicketState,
  InvalidTransitionError,
  applyAction,
  assertActionAllowed,
  changePolicy,
} from '../../domain/ticket-state';
import type { TicketChange } from '../../stores/ticket-repository';
import { slaFailureReason } from '../../domain/ticket-rules';
import {
  type ActionEnvelope,
  INVALID_TICKET_DATA,
  INVALID_TRANSITION,
  addMessageUpdate,
  applySlaPolicySignal,
  assignTicketUpdate,
  closeTicketUpdate,
  escalateTicketUpdate,
  getTicketStateQuery,
  reopenTicketUpdate,
  resolveTicketUpdate,
  setPriorityUpdate,
} from '../messages';
import { type ItsmQueued, SYSTEM, type TicketRun } from './run';

function toFailure(error: unknown): never {
  if (error instanceof InvalidTransitionError) {
    throw ApplicationFailure.create({
      type: INVALID_TRANSITION,
      message: error.message,
      nonRetryable: true,
      details: [{ action: error.action, status: error.status }],
    });
  }
  throw error;
}

/**
 * The pure state change failed on the ticket's data (e.g. an SLA policy without targets for a priority): the
 * action is refused with the reason, rather than failing the workflow task on every attempt.
 */
function toDataFailure(error: unknown): never {
  if (error instanceof InvalidTransitionError) toFailure(error);
  throw ApplicationFailure.create({
    type: INVALID_TICKET_DATA,
    message: `the ticket's data does not allow this action: ${slaFailureReason(error)}`,
    nonRetryable: true,
  });
}

interface ActionSpec<Args extends ActionEnvelope> {
  toAction: (args: Args) => TicketAction;
  describe: (args: Args) => Pick<TicketChange, 'message' | 'details'>;
  itsmEvent: (args: Args) => ItsmQueued | null;
}

function handleAction<Args extends ActionEnvelope>(
  run: TicketRun,
  definition: UpdateDefinition<TicketLiveView, [Args]>,
  { toAction, describe, itsmEvent }: ActionSpec<Args>,
): void {
  setHandler(
    definition,
    (args: Args) =>
      run.exclusive(async () => {
        // A retried request after continue-as-new: already applied, answer with the current state.
        if (run.appliedActions.includes(args.actionId)) return toLiveView(run.state, Date.now());
        const action = toAction(args);
        try {
          assertActionAllowed(run.state, action);
        } catch (error) {
          toFailure(error);
        }
        let next: TicketState;
        try {
          next = applyAction(run.state, action, Date.now());
        } catch (error) {
          toDataFailure(error);
        }
        await run.commit(next, {
          action: action.type,
          actor: args.actor,
          eventId: args.actionId,
          ...describe(args),
        });
        run.rememberAction(args.actionId);
        // A change that came from the ITSM tool is not sent back to it: no sync loops.
        const event = args.origin === 'itsm' ? null : itsmEvent(args);
        if (event) run.enqueueItsm({ ...event, eventId: uuid4() });
        return toLiveView(run.state, Date.now());
      }),
    {
      validator: (args: Args) => {
        if (run.appliedActions.includes(args.actionId)) return;
        try {
          assertActionAllowed(run.state, toAction(args));
        } catch (error) {
          toFailure(error);
        }
      },
    },
  );
}

const UPDATED: ItsmQueued = { type: 'updated' };
const withReason = (reason?: string) => ({ details: reason ? { reason } : {} });

/** Registers every message handler; called before the workflow's first await. */
export function registerHandlers(run: TicketRun): void {
  handleAction(run, assignTicketUpdate, {
    toAction: (a) => ({ type: 'assign', assignee: a.assignee }),
    describe: (a) => ({ details: { assignee: a.assignee } }),
    itsmEvent: () => UPDATED,
  });
  handleAction(run, addMessageUpdate, {
    toAction: (a) => ({
      type: 'add_message',
      author: a.author,
      body: a.body,
      isPublic: a.isPublic,
      nextStatus: a.nextStatus,
    }),
    describe: (a) => ({
      message: { authorType: a.author, authorId: a.actor.id, body: a.body, isPublic: a.isPublic },
      details: {
        author: a.author,
        is_public: a.isPublic,
        ...(a.nextStatus ? { next_status: a.nextStatus } : {}),
      },
    }),
    itsmEvent: (a) => ({ type: 'commented', sourceEventId: a.actionId }),
  });
  handleAction(run, escalateTicketUpdate, {
    toAction: (a) => ({ type: 'escalate', reason: a.reason, level: a.level }),
    describe: (a) => ({ details: { reason: a.reason, level: a.level ?? run.state.escalationLevel + 1 } }),
    itsmEvent: () => UPDATED,
  });
  handleAction(run, resolveTicketUpdate, {
    toAction: (a) => ({ type: 'resolve', resolution: a.resolution }),
    describe: (a) => ({ details: a.resolution ? { resolution: a.resolution } : {} }),
    itsmEvent: (a) => ({ type: 'resolved', ...(a.resolution ? { note: a.resolution } : {}) }),
  });
  handleAction(run, reopenTicketUpdate, {
    toAction: (a) => ({ type: 'reopen', reason: a.reason }),
    describe: (a) => withReason(a.reason),
    itsmEvent: () => ({ type: 'reopened' }),
  });
  handleAction(run, closeTicketUpdate, {
    toAction: (a) => ({ type: 'close', reason: a.reason }),
    describe: (a) => withReason(a.reason),
    itsmEvent: () => ({ type: 'closed' }),
  });
  handleAction(run, setPriorityUpdate, {
    toAction: (a) => ({ type: 'set_priority', priority: a.priority, customerTier: a.customerTier }),
    describe: (a) => ({
      details: { priority: a.priority, ...(a.customerTier ? { customer_tier: a.customerTier } : {}) },
    }),
    itsmEvent: () => UPDATED,
  });
  setHandler(getTicketStateQuery, () => toLiveView(run.state, Date.now()));
  setHandler(applySlaPolicySignal, (policy) => {
    run.background(
      run.exclusive(() =>
        run.commit(changePolicy(run.state, policy, Date.now()), {
          action: 'sla_policy_applied',
          actor: SYSTEM,
          eventId: uuid4(),
        }),
      ),
    );
  });
}
