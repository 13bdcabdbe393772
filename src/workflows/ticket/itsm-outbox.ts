/**
 * The ITSM outbox: events go out to the tenant's ITSM tool one at a time, in order, in the background, however
 * long the tool is down; the ticket's lifecycle never waits for it. An event that gives up is counted (the
 * ItsmSync search attribute says `failed`) and the next one goes out.
 */
import { condition, log, uuid4 } from '@temporalio/workflow';
import { ITSM_CHECK_REUSE_MS, itsm, store } from './activities';
import type { TicketRun } from './run';
import {
  ITSM_STATE_WITHOUT_TOOL,
  LOCAL_INTEGRATION_CHECKS,
  TRIAGE_IN_FEWER_STEPS,
  patched,
} from './versions';

export async function runItsmOutbox(run: TicketRun): Promise<void> {
  for (;;) {
    await condition(() => run.itsmQueue.length > 0 || run.state.status === 'closed');
    const next = run.itsmQueue[0];
    if (next === undefined) return;
    run.publishSearchAttributes();
    // A tenant without a tool: the event has nowhere to go (as the sync itself would find), no activity for it.
    if (
      patched(LOCAL_INTEGRATION_CHECKS) &&
      (knownWithoutItsm(run) || !(await store().itsmConfigured({ tenantId: run.state.tenantId })))
    ) {
      if (!knownWithoutItsm(run)) run.itsmAbsentAtMs = Date.now();
      run.itsmConfigured = false;
      run.itsmQueue.shift();
      run.publishSearchAttributes();
      continue;
    }
    // The tenant has a tool after all (patch itsm-state-without-tool): from now on its events are pending.
    if (!run.itsmConfigured && patched(ITSM_STATE_WITHOUT_TOOL)) {
      run.itsmConfigured = true;
      run.publishSearchAttributes();
    }
    try {
      const outcome = await itsm.syncTicketToItsm.executeWithOptions({ summary: `ITSM: ${next.type}` }, [
        {
          tenantId: run.state.tenantId,
          ticketId: run.state.ticketId,
          ...next,
          // Events queued by older code have no id yet.
          eventId: next.eventId ?? uuid4(),
        },
      ]);
      // Older activity versions answered nothing.
      run.itsmConfigured = outcome?.status !== 'not_configured';
    } catch (error) {
      run.itsmFailed += 1;
      log.error('ITSM sync gave up', { type: next.type, error: String(error) });
    }
    run.itsmQueue.shift();
    run.publishSearchAttributes();
  }
}

/**
 * Patch triage-in-fewer-steps: a tenant found to have no ITSM tool less than ITSM_CHECK_REUSE_MS ago (workflow
 * time) is taken to have none still, and the next event is dropped without asking again (the events of a new
 * ticket come within a second of each other).
 */
function knownWithoutItsm(run: TicketRun): boolean {
  return (
    run.itsmAbsentAtMs !== null &&
    Date.now() - run.itsmAbsentAtMs < ITSM_CHECK_REUSE_MS &&
    patched(TRIAGE_IN_FEWER_STEPS)
  );
}
