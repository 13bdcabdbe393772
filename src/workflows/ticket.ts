/**
 * One workflow per ticket. It owns the ticket's live state and its SLA timers: triage runs as activities,
 * agent actions arrive as updates, every change is mirrored to Postgres by an activity, and warnings and
 * breaches fire from durable timers at their due time.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type { TicketActivities } from '../activities/ticket';
import type { ItsmEvent, ItsmEventType } from '../connectors/itsm/ports';
import type { TicketChange, TicketMirror } from '../stores/ticket-repository';
import { type TicketLiveView, toLiveView } from '../domain/live-view';
import {
  type SlaAlert,
  clockList,
  clockState,
  mapClocks,
  markAlertFired,
  nextAlert,
  remainingMs,
  timelineOf,
} from '../domain/sla';
import {
  type Actor,
  type TicketAction,
  type TicketState,
  InvalidTransitionError,
  applyAction,
  applyBreachEscalation,
  applyTriageFailure,
  applyTriageResult,
  assertActionAllowed,
  changePolicy,
  markTriageStarted,
  newTicketState,
  ticketSlaState,
} from '../domain/ticket-state';
import type { Classification, Draft, Passage } from '../domain/triage';
import {
  type ActionEnvelope,
  INVALID_TRANSITION,
  type TicketWorkflowInput,
  addMessageUpdate,
  applySlaPolicySignal,
  assignTicketUpdate,
  closeTicketUpdate,
  escalateTicketUpdate,
  getTicketStateQuery,
  reopenTicketUpdate,
  resolveTicketUpdate,
  searchAttributes,
  setPriorityUpdate,
} from './messages';

type ItsmQueued = Pick<ItsmEvent, 'type' | 'sourceEventId' | 'note'>;

/** Postgres writes: retried until they succeed, so a database outage delays a change but never drops it. */
const store = proxyActivities<TicketActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Model calls: a few attempts with backoff, then triage gives up and the ticket goes to ai_failed. */
const ai = proxyActivities<TicketActivities>({
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

/** ITSM tools can be down for hours: retry for a day, never blocking the ticket's lifecycle. */
const itsm = proxyActivities<TicketActivities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/** The innermost message of an activity failure: what actually went wrong. */
function failureReason(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

/** Notification targets (Slack, webhooks): retried for an hour, each target on its own. */
const notifier = proxyActivities<TicketActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

const MAX_REMEMBERED_ACTIONS = 200;

const SYSTEM: Actor = { id: 'ticket-workflow', role: 'system' };
const PASSAGE_LIMIT = 5;

export async function ticketWorkflow(input: TicketWorkflowInput): Promise<TicketLiveView> {
  let state: TicketState =
    input.carriedState ??
    newTicketState({
      ticketId: input.ticketId,
      tenantId: input.tenantId,
      priority: input.priority,
      priorityPinned: input.priorityPinned,
      customerTier: input.customerTier,
      createdAtMs: input.createdAtMs,
      policy: input.policy,
    });
  /** Mirrors written to Postgres carry this, so an older snapshot never overwrites a newer one. */
  let stateVersion = input.carriedStateVersion ?? 0;
  /** Bumped on every in-memory change: wakes the SLA loop to recompute its next timer. */
  let changes = 0;
  /** State changes in flight or waiting for their turn. */
  let pendingChanges = 0;
  let changeQueue: Promise<unknown> = Promise.resolve();
  /** Update ids already applied, carried across continue-as-new (Temporal dedups them within one run only). */
  const appliedActions: string[] = [...(input.carriedActionIds ?? [])];
  /** ITSM events waiting to go out, in order; `itsmFailed` counts those that gave up. */
  const itsmQueue: ItsmQueued[] = [];
  let itsmFailed = 0;

  /**
   * Serialises state changes, first come first served: each is validated against, and persisted after, the one
   * before. (A shared flag with `condition` would let several waiters through in the same activation.)
   */
  function exclusive<T>(work: () => Promise<T>): Promise<T> {
    pendingChanges += 1;
    const run = changeQueue.then(work).finally(() => {
      pendingChanges -= 1;
    });
    changeQueue = run.catch(() => undefined);
    return run;
  }

  const backgroundWork = new Set<Promise<void>>();
  /** Work that runs beside the main loop (notifications, signalled changes); awaited before the workflow ends. */
  function background(work: Promise<void>): void {
    const tracked = work
      .catch((error) => log.error('background work failed', { error: String(error) }))
      .finally(() => backgroundWork.delete(tracked));
    backgroundWork.add(tracked);
  }

  function mirrorOf(s: TicketState, nowMs: number): TicketMirror {
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      status: s.status,
      priority: s.priority,
      category: s.category,
      assignee: s.assignee,
      escalation_level: s.escalationLevel,
      reopen_count: s.reopenCount,
      first_response_at: iso(s.firstResponseAtMs),
      resolved_at: iso(s.resolvedAtMs),
      closed_at: iso(s.closedAtMs),
      sla_state: ticketSlaState(s, nowMs),
      sla_clocks: {
        clocks: s.clocks,
        warning_thresholds: s.policy.warning_thresholds,
        calendar: s.policy.calendar,
      },
    };
  }

  function publishSearchAttributes(): void {
    const now = Date.now();
    const timeline = timelineOf(state.policy);
    const clockStates = clockList(state.clocks).map(
      (clock) => `${clock.kind}:${clockState(clock, now, state.policy.warning_thresholds, timeline)}`,
    );
    const itsmState = itsmQueue.length > 0 ? 'pending' : itsmFailed > 0 ? 'failed' : 'synced';
    upsertSearchAttributes([
      { key: searchAttributes.itsmSync, value: itsmState },
      { key: searchAttributes.slaClocks, value: clockStates },
      { key: searchAttributes.status, value: state.status },
      { key: searchAttributes.priority, value: state.priority },
      { key: searchAttributes.slaState, value: ticketSlaState(state, now) },
      { key: searchAttributes.escalationLevel, value: state.escalationLevel },
      ...(state.category ? [{ key: searchAttributes.category, value: state.category }] : []),
      ...(state.assignee ? [{ key: searchAttributes.assignee, value: state.assignee }] : []),
    ]);
  }

  /** Persists the next state, then makes it current. Call inside exclusive(). */
  async function commit(
    next: TicketState,
    change: Pick<TicketChange, 'action' | 'actor' | 'eventId' | 'message' | 'slaEvent' | 'details'>,
  ): Promise<void> {
    stateVersion += 1;
    await store.persistTicketChange({
      ...change,
      ticketId: state.ticketId,
      tenantId: state.tenantId,
      stateVersion,
      fromStatus: state.status,
      mirror: mirrorOf(next, Date.now()),
    });
    state = next;
    changes += 1;
    publishSearchAttributes();
  }

  function enqueueItsm(type: ItsmEventType, extra: Omit<ItsmQueued, 'type'> = {}): void {
    itsmQueue.push({ type, ...extra });
  }

  // ---- agent actions: validated before they are accepted, applied one at a time ----
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

  function handleAction<Args extends ActionEnvelope>(
    definition: UpdateDefinition<TicketLiveView, [Args]>,
    toAction: (args: Args) => TicketAction,
    describe: (args: Args) => Pick<TicketChange, 'message' | 'details'>,
    itsmEvent: (args: Args) => ItsmQueued | null,
  ): void {
    setHandler(
      definition,
      (args: Args) =>
        exclusive(async () => {
          // A retried request after continue-as-new: already applied, answer with the current state.
          if (appliedActions.includes(args.actionId)) return toLiveView(state, Date.now());
          const action = toAction(args);
          try {
            assertActionAllowed(state, action);
          } catch (error) {
            toFailure(error);
          }
          const next = applyAction(state, action, Date.now());
          await commit(next, {
            action: action.type,
            actor: args.actor,
            eventId: args.actionId,
            ...describe(args),
          });
          appliedActions.push(args.actionId);
          if (appliedActions.length > MAX_REMEMBERED_ACTIONS) appliedActions.shift();
          // A change that came from the ITSM tool is not sent back to it: no sync loops.
          const event = args.origin === 'itsm' ? null : itsmEvent(args);
          if (event) enqueueItsm(event.type, event);
          return toLiveView(state, Date.now());
        }),
      {
        validator: (args: Args) => {
          if (appliedActions.includes(args.actionId)) return;
          try {
            assertActionAllowed(state, toAction(args));
          } catch (error) {
            toFailure(error);
          }
        },
      },
    );
  }

  handleAction(
    assignTicketUpdate,
    (a) => ({ type: 'assign', assignee: a.assignee }),
    (a) => ({ details: { assignee: a.assignee } }),
    () => ({ type: 'updated' }),
  );
  handleAction(
    addMessageUpdate,
    (a) => ({
      type: 'add_message',
      author: a.author,
      body: a.body,
      isPublic: a.isPublic,
      nextStatus: a.nextStatus,
    }),
    (a) => ({
      message: { authorType: a.author, authorId: a.actor.id, body: a.body, isPublic: a.isPublic },
      details: {
        author: a.author,
        is_public: a.isPublic,
        ...(a.nextStatus ? { next_status: a.nextStatus } : {}),
      },
    }),
    (a) => ({ type: 'commented', sourceEventId: a.actionId }),
  );
  handleAction(
    escalateTicketUpdate,
    (a) => ({ type: 'escalate', reason: a.reason, level: a.level }),
    (a) => ({ details: { reason: a.reason, level: a.level ?? state.escalationLevel + 1 } }),
    () => ({ type: 'updated' }),
  );
  handleAction(
    resolveTicketUpdate,
    (a) => ({ type: 'resolve', resolution: a.resolution }),
    (a) => ({ details: a.resolution ? { resolution: a.resolution } : {} }),
    (a) => ({ type: 'resolved', ...(a.resolution ? { note: a.resolution } : {}) }),
  );
  handleAction(
    reopenTicketUpdate,
    (a) => ({ type: 'reopen', reason: a.reason }),
    (a) => ({ details: a.reason ? { reason: a.reason } : {} }),
    () => ({ type: 'reopened' }),
  );
  handleAction(
    closeTicketUpdate,
    (a) => ({ type: 'close', reason: a.reason }),
    (a) => ({ details: a.reason ? { reason: a.reason } : {} }),
    () => ({ type: 'closed' }),
  );
  handleAction(
    setPriorityUpdate,
    (a) => ({ type: 'set_priority', priority: a.priority, customerTier: a.customerTier }),
    (a) => ({
      details: { priority: a.priority, ...(a.customerTier ? { customer_tier: a.customerTier } : {}) },
    }),
    () => ({ type: 'updated' }),
  );
  setHandler(getTicketStateQuery, () => toLiveView(state, Date.now()));
  setHandler(applySlaPolicySignal, (policy) => {
    background(
      exclusive(() =>
        commit(changePolicy(state, policy, Date.now()), {
          action: 'sla_policy_applied',
          actor: SYSTEM,
          eventId: uuid4(),
        }),
      ),
    );
  });

  // ---- triage: classify → retrieve → draft → record ----
  async function runTriage(): Promise<void> {
    await exclusive(() =>
      commit(markTriageStarted(state, Date.now()), {
        action: 'triage_started',
        actor: SYSTEM,
        eventId: uuid4(),
      }),
    );
    const ref = { tenantId: state.tenantId, ticketId: state.ticketId };
    let classification: Classification;
    try {
      classification = await ai.classifyTicket(ref);
    } catch (error) {
      const reason = failureReason(error);
      log.warn('triage failed: ticket goes to manual handling', { reason });
      await exclusive(() =>
        commit(applyTriageFailure(state, reason, Date.now()), {
          action: 'triage_failed',
          actor: SYSTEM,
          eventId: uuid4(),
          details: { error: reason },
        }),
      );
      return;
    }
    // Retrieval and drafting help the agent but are not essential: their failure leaves a ticket triaged.
    let passages: Passage[] = [];
    try {
      passages = await ai.retrieveKnowledge({ ...ref, limit: PASSAGE_LIMIT });
    } catch (error) {
      log.warn('knowledge retrieval failed', { error: String(error) });
    }
    let draft: Draft = { body: '', citations: [], model: 'none' };
    try {
      draft = await ai.draftReply({ ...ref, classification, passages });
    } catch (error) {
      log.warn('reply drafting failed', { error: String(error) });
    }
    await store.recordTriage({ runId: uuid4(), ...ref, classification, passages, draft });
    await exclusive(() =>
      commit(
        applyTriageResult(
          state,
          { category: classification.category, suggestedPriority: classification.suggestedPriority },
          Date.now(),
        ),
        {
          action: 'triage_completed',
          actor: SYSTEM,
          eventId: uuid4(),
          details: {
            category: classification.category,
            urgency: classification.urgency,
            confidence: classification.confidence,
            model: classification.model,
          },
        },
      ),
    );
    enqueueItsm('triaged');
    await escalateOnTriggers(classification, passages);
  }

  /** Seed 003's escalation triggers, checked once triage is known. */
  async function escalateOnTriggers(classification: Classification, passages: Passage[]): Promise<void> {
    const decision = await store.checkEscalationTriggers({
      tenantId: state.tenantId,
      ticketId: state.ticketId,
      sentiment: classification.sentiment,
      customerTier: state.customerTier,
      bestRetrievalScore: passages.length ? Math.max(...passages.map((p) => p.score)) : null,
    });
    if (!decision) return;
    await exclusive(async () => {
      const action: TicketAction = {
        type: 'escalate',
        reason: decision.reason,
        level: Math.max(decision.level, state.escalationLevel + 1),
      };
      try {
        assertActionAllowed(state, action);
      } catch {
        return; // resolved, closed or already escalated beyond: nothing to do
      }
      await commit(applyAction(state, action, Date.now()), {
        action: 'escalate',
        actor: SYSTEM,
        eventId: uuid4(),
        details: { reason: decision.reason, level: action.level, automatic: true },
      });
      enqueueItsm('updated');
    });
  }

  // ---- ITSM: events go out in order, in the background, however long the tool is down ----
  async function runItsmQueue(): Promise<void> {
    for (;;) {
      await condition(() => itsmQueue.length > 0 || state.status === 'closed');
      const next = itsmQueue[0];
      if (next === undefined) return;
      publishSearchAttributes();
      try {
        await itsm.syncTicketToItsm({
          eventId: uuid4(),
          tenantId: state.tenantId,
          ticketId: state.ticketId,
          ...next,
        });
      } catch (error) {
        itsmFailed += 1;
        log.error('ITSM sync gave up', { type: next.type, error: String(error) });
      }
      itsmQueue.shift();
      publishSearchAttributes();
    }
  }

  // ---- SLA timers ----
  function earliestAlert(): SlaAlert | null {
    const timeline = timelineOf(state.policy);
    const alerts = clockList(state.clocks).map((clock) =>
      nextAlert(clock, state.policy.warning_thresholds, timeline),
    );
    return alerts.reduce<SlaAlert | null>(
      (min, a) => (a && (!min || a.dueAtMs < min.dueAtMs) ? a : min),
      null,
    );
  }

  async function fireAlert(): Promise<void> {
    const fired = await exclusive(async () => {
      // The state may have moved while this waited for the lock: re-read what is owed now.
      const alert = earliestAlert();
      const now = Date.now();
      if (!alert || alert.dueAtMs > now) return null;
      const marked: TicketState = {
        ...state,
        clocks: mapClocks(state.clocks, (c) =>
          c.kind === alert.clock && c.cycle === alert.cycle ? markAlertFired(c, alert) : c,
        ),
      };
      const escalation =
        alert.kind === 'breach' ? applyBreachEscalation(marked) : { state: marked, changes: {} };
      const firedClock = clockList(marked.clocks).find((c) => c.kind === alert.clock)!;
      await commit(escalation.state, {
        action: `sla_${alert.kind}`,
        actor: SYSTEM,
        eventId: uuid4(),
        slaEvent: {
          clock: alert.clock,
          kind: alert.kind,
          threshold: alert.threshold,
          cycle: alert.cycle,
          dueAt: new Date(alert.dueAtMs).toISOString(),
          deadline: new Date(alert.deadlineMs).toISOString(),
          firedAt: new Date(now).toISOString(),
          remainingSeconds: remainingMs(firedClock, now, timelineOf(state.policy)) / 1000,
          priority: state.priority,
          // Seed 004: a warning raises the alert's escalation level, a breach takes it to the maximum.
          escalationLevel: Math.max(alert.kind === 'warning' ? 1 : 2, escalation.state.escalationLevel),
          notificationStatus: state.policy.escalation.notify ? 'pending' : 'not_configured',
        },
        details: {
          clock: alert.clock,
          cycle: alert.cycle,
          threshold: alert.threshold,
          late_ms: now - alert.dueAtMs,
          ...(Object.keys(escalation.changes).length ? { escalation: escalation.changes } : {}),
        },
      });
      if (Object.keys(escalation.changes).length) enqueueItsm('updated');
      return alert;
    });
    // Delivery runs beside the timers: a target that is down never delays the next alert.
    if (fired && state.policy.escalation.notify) background(notify(fired));
  }

  async function notify(alert: SlaAlert): Promise<void> {
    const key = {
      tenantId: state.tenantId,
      ticketId: state.ticketId,
      clock: alert.clock,
      kind: alert.kind,
      threshold: alert.threshold,
      cycle: alert.cycle,
    };
    const targets = await store.listNotificationTargets({ tenantId: state.tenantId, kind: alert.kind });
    const results = await Promise.allSettled(
      targets.map((targetId) => notifier.deliverSlaNotification({ ...key, targetId })),
    );
    const delivered = results.filter((r) => r.status === 'fulfilled').length;
    await store.recordNotificationOutcome({
      ...key,
      status: targets.length === 0 ? 'not_configured' : delivered === targets.length ? 'sent' : 'failed',
    });
  }

  async function autoClose(): Promise<void> {
    await exclusive(async () => {
      if (state.status !== 'resolved') return;
      const action: TicketAction = { type: 'close', reason: 'auto-closed after resolution' };
      await commit(applyAction(state, action, Date.now()), {
        action: 'close',
        actor: SYSTEM,
        eventId: uuid4(),
        details: { reason: 'auto-closed after resolution' },
      });
      enqueueItsm('closed');
    });
  }

  /** Runs the clocks until the ticket is closed, sleeping on a durable timer until the next thing is due. */
  async function runLifecycle(triage: { done: boolean }): Promise<void> {
    while (state.status !== 'closed') {
      if (workflowInfo().continueAsNewSuggested && triage.done) {
        // Nothing may be in flight when the run ends: changes, notifications, ITSM events, handlers.
        await condition(
          () =>
            allHandlersFinished() &&
            pendingChanges === 0 &&
            itsmQueue.length === 0 &&
            backgroundWork.size === 0,
        );
        await continueAsNew<typeof ticketWorkflow>({
          ...input,
          carriedState: state,
          carriedStateVersion: stateVersion,
          carriedActionIds: appliedActions,
        });
      }
      const seen = changes;
      const alert = earliestAlert();
      const autoCloseAt =
        state.status === 'resolved' && state.resolvedAtMs !== null
          ? state.resolvedAtMs + input.autoCloseAfterMs
          : null;
      const wakeAt = Math.min(alert?.dueAtMs ?? Infinity, autoCloseAt ?? Infinity);
      if (wakeAt === Infinity) {
        await condition(() => changes !== seen);
        continue;
      }
      const waitMs = Math.ceil(wakeAt - Date.now());
      if (waitMs > 0 && (await condition(() => changes !== seen, waitMs))) continue;
      if (alert && alert.dueAtMs <= Date.now()) await fireAlert();
      else if (autoCloseAt !== null && autoCloseAt <= Date.now()) await autoClose();
    }
  }

  const triage = { done: input.carriedState !== undefined };
  if (!input.carriedState) {
    publishSearchAttributes();
    enqueueItsm('created');
  }
  const triageRun = triage.done
    ? Promise.resolve()
    : runTriage().finally(() => {
        triage.done = true;
      });
  const itsmRun = runItsmQueue();
  await runLifecycle(triage);
  await triageRun;
  await itsmRun;
  await Promise.all(backgroundWork);
  await condition(allHandlersFinished);
  return toLiveView(state, Date.now());
}
