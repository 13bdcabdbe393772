/**
 * The SLA loop: sleeps on a durable timer until the next alert or the auto-close is due, wakes early when the
 * state changes, fires warnings and breaches once each, and delivers their notifications beside the timers.
 * It also decides when the run continues as new, without ever stopping the clocks to wait for slow work.
 */
import {
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  sleep,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { remainingMs, timelineOf, type SlaAlert } from '../../domain/sla';
import {
  alertEscalationLevel,
  autoCloseAt,
  earliestAlert,
  fireAlert,
  slaFailureReason,
} from '../../domain/ticket-rules';
import { type TicketAction, type TicketState, applyAction } from '../../domain/ticket-state';
import type { TicketWorkflowInput } from '../messages';
import { notifier, store } from './activities';
import { type ChangeRecord, SYSTEM, type TicketRun } from './run';
import { CONTINUE_AS_NEW_CARRIES_WORK, SLA_TIMER_KEPT, SLA_UNAVAILABLE_RECORDED, patched } from './versions';

type SlaOutcome<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Pure SLA arithmetic over the ticket's data, or why it failed on that data. */
function computeSla<T>(compute: () => T): SlaOutcome<T> {
  try {
    return { ok: true, value: compute() };
  } catch (error) {
    return { ok: false, reason: slaFailureReason(error) };
  }
}

/** Records, once per reason, that the ticket's SLA cannot be computed; the ticket stays workable. */
async function recordSlaUnavailable(run: TicketRun, reason: string): Promise<void> {
  if (run.slaUnavailable === reason) return;
  run.slaUnavailable = reason;
  log.warn('SLA unavailable on the ticket data', { reason });
  if (!patched(SLA_UNAVAILABLE_RECORDED)) return;
  await run.exclusive(() =>
    run.commit(run.state, {
      action: 'sla_unavailable',
      actor: SYSTEM,
      eventId: uuid4(),
      details: { reason },
    }),
  );
}

/** The alert owed now, and the state and record after firing it; null when none is due yet. */
function planDueAlert(
  state: TicketState,
  now: number,
): { alert: SlaAlert; next: TicketState; escalated: boolean; change: ChangeRecord } | null {
  const alert = earliestAlert(state);
  if (!alert || alert.dueAtMs > now) return null;
  const { state: next, changes, firedClock } = fireAlert(state, alert);
  const escalated = Object.keys(changes).length > 0;
  return {
    alert,
    next,
    escalated,
    change: {
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
        escalationLevel: alertEscalationLevel(alert, next.escalationLevel),
        notificationStatus: state.policy.escalation.notify ? 'pending' : 'not_configured',
      },
      details: {
        clock: alert.clock,
        cycle: alert.cycle,
        threshold: alert.threshold,
        late_ms: now - alert.dueAtMs,
        ...(escalated ? { escalation: changes } : {}),
      },
    },
  };
}

async function fireDueAlert(run: TicketRun): Promise<void> {
  let failure: string | null = null;
  const fired = await run.exclusive(async () => {
    // The state may have moved while this waited for the lock: re-read what is owed now.
    const planned = computeSla(() => planDueAlert(run.state, run.now()));
    if (!planned.ok) {
      failure = planned.reason;
      return null;
    }
    if (!planned.value) return null;
    const { alert, next, escalated, change } = planned.value;
    await run.commit(next, change);
    if (escalated) run.enqueueItsm({ type: 'updated', eventId: uuid4() });
    return alert;
  });
  if (failure !== null) await recordSlaUnavailable(run, failure);
  // Delivery runs beside the timers: a target that is down never delays the next alert.
  if (fired && run.state.policy.escalation.notify) startNotification(run, fired);
  if (fired?.kind === 'breach') run.fireAgentEvent('sla.breached', `${fired.clock}:${fired.cycle}`);
}

/** Delivers an alert to the tenant's targets in the background; carried across continue-as-new until done. */
export function startNotification(run: TicketRun, alert: SlaAlert): void {
  if (!run.pendingNotifications.includes(alert)) run.pendingNotifications.push(alert);
  run.background(
    notify(run, alert).finally(() => {
      const index = run.pendingNotifications.indexOf(alert);
      if (index >= 0) run.pendingNotifications.splice(index, 1);
    }),
  );
}

async function notify(run: TicketRun, alert: SlaAlert): Promise<void> {
  const key = {
    tenantId: run.state.tenantId,
    ticketId: run.state.ticketId,
    clock: alert.clock,
    kind: alert.kind,
    threshold: alert.threshold,
    cycle: alert.cycle,
  };
  const targets = await store().listNotificationTargets({ tenantId: run.state.tenantId, kind: alert.kind });
  const results = await Promise.allSettled(
    targets.map((targetId) =>
      notifier.deliverSlaNotification.executeWithOptions({ summary: `notify: ${alertSummary(alert)}` }, [
        { ...key, targetId },
      ]),
    ),
  );
  const delivered = results.filter((r) => r.status === 'fulfilled').length;
  await store().recordNotificationOutcome({
    ...key,
    status: targets.length === 0 ? 'not_configured' : delivered === targets.length ? 'sent' : 'failed',
  });
}

async function autoClose(run: TicketRun): Promise<void> {
  await run.exclusive(async () => {
    if (run.state.status !== 'resolved') return;
    const action: TicketAction = { type: 'close', reason: 'auto-closed after resolution' };
    await run.commit(applyAction(run.state, action, Date.now()), {
      action: 'close',
      actor: SYSTEM,
      eventId: uuid4(),
      details: { reason: 'auto-closed after resolution' },
    });
    run.enqueueItsm({ type: 'closed', eventId: uuid4() });
  });
}

export function alertSummary(alert: SlaAlert): string {
  const at = new Date(alert.dueAtMs).toISOString();
  return alert.kind === 'breach'
    ? `${alert.clock} breach at ${at}`
    : `${alert.clock} warning at ${Math.round(alert.threshold * 100)}% (${at})`;
}

/** The server suggests it (history size), or the history passed the configured event limit; triage is done. */
function continueAsNewDue(run: TicketRun): boolean {
  if (!run.triage.done) return false;
  const info = workflowInfo();
  const limit = run.input.historyEventLimit;
  return info.continueAsNewSuggested || (limit !== undefined && info.historyLength >= limit);
}

/** State changes are the only work that must finish in this run; everything else is carried over. */
function readyToContinue(run: TicketRun): boolean {
  return allHandlersFinished() && run.pendingChanges === 0;
}

/** A durable timer for the loop's next wake-up, kept across state changes that leave its time as it is. */
interface WakeTimer {
  at: number;
  fired: boolean;
  cancel(): void;
}

function startWakeTimer(at: number, waitMs: number, summary: string): WakeTimer {
  const scope = new CancellationScope();
  const timer: WakeTimer = { at, fired: false, cancel: () => scope.cancel() };
  scope
    .run(() => sleep(waitMs, { summary }))
    .then(
      () => {
        timer.fired = true;
      },
      (error) => {
        // Cancelled: the wake time moved or the ticket closed. A timer fails no other way.
        if (!isCancellation(error)) log.error('SLA timer failed', { error: String(error) });
      },
    );
  return timer;
}

/** Runs the clocks until the ticket is closed; continues as new on the way when the history grows long. */
export async function runLifecycle(run: TicketRun): Promise<void> {
  let continuing = false;
  // Patch sla-timer-kept: decided once per run, so a run replays with the loop it was recorded with.
  const keepsTimer = patched(SLA_TIMER_KEPT);
  let timer: WakeTimer | undefined;
  while (run.state.status !== 'closed') {
    if (continueAsNewDue(run)) {
      if (patched(CONTINUE_AS_NEW_CARRIES_WORK)) {
        continuing = true;
        if (readyToContinue(run))
          await continueAsNew<(input: TicketWorkflowInput) => Promise<unknown>>(run.carriedInput());
      } else {
        // Runs recorded before the patch waited here for everything, clocks stopped.
        await condition(
          () =>
            allHandlersFinished() &&
            run.pendingChanges === 0 &&
            run.itsmQueue.length === 0 &&
            run.backgroundWork.size === 0,
        );
        await continueAsNew<(input: TicketWorkflowInput) => Promise<unknown>>({
          ...run.input,
          carriedState: run.state,
          carriedStateVersion: run.stateVersion,
          carriedActionIds: run.appliedActions,
        });
      }
    }
    const owed = computeSla(() => earliestAlert(run.state));
    if (owed.ok) run.slaUnavailable = null;
    // No alert can be timed on this data: the ticket goes on (actions, auto-close) until a change fixes it.
    else await recordSlaUnavailable(run, owed.reason);
    const alert = owed.ok ? owed.value : null;
    const seen = run.changes;
    const woken = () => run.changes !== seen || (continuing && readyToContinue(run));
    const closeAt = autoCloseAt(run.state, run.input.autoCloseAfterMs);
    const wakeAt = Math.min(alert?.dueAtMs ?? Infinity, closeAt ?? Infinity);
    if (timer && timer.at !== wakeAt) {
      timer.cancel();
      timer = undefined;
    }
    if (wakeAt === Infinity) {
      await condition(woken);
      continue;
    }
    const waitMs = Math.ceil(wakeAt - run.now());
    // The timer's summary tells ops in the Temporal UI what it waits for.
    const summary =
      alert && alert.dueAtMs === wakeAt ? alertSummary(alert) : 'auto-close of the resolved ticket';
    if (keepsTimer) {
      if (waitMs > 0 && !timer?.fired) {
        const current = (timer ??= startWakeTimer(wakeAt, waitMs, summary));
        await condition(() => woken() || current.fired);
        if (!current.fired) continue;
      }
      // Due without it (the workflow's clock passed the time meanwhile): the timer goes.
      if (timer && !timer.fired) timer.cancel();
      timer = undefined;
      // A change that came with the timer may have moved what is owed: look again before firing.
      if (woken()) continue;
    } else if (waitMs > 0 && (await condition(woken, waitMs, { summary }))) continue;
    if (alert && alert.dueAtMs <= run.now()) await fireDueAlert(run);
    else if (closeAt !== null && closeAt <= run.now()) await autoClose(run);
  }
  if (timer && !timer.fired) timer.cancel();
}
