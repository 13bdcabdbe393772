/**
 * Triage: classify → retrieve → draft → record, while the SLA clocks already run. A classifier that keeps
 * failing sends the ticket to ai_failed (still workable); retrieval and drafting only help, so their failure
 * leaves the ticket triaged without them. Then seed 003's escalation triggers are checked once.
 */
import { log, uuid4 } from '@temporalio/workflow';
import { triggerEscalationLevel } from '../../domain/ticket-rules';
import {
  type TicketAction,
  applyAction,
  applyTriageFailure,
  applyTriageResult,
  assertActionAllowed,
  markTriageStarted,
} from '../../domain/ticket-state';
import type { Classification, Draft, Passage } from '../../domain/triage';
import type { TriggerDecision } from '../../domain/escalation-triggers';
import { failureReason, localTriage, modelSteps, store, triageSetup } from './activities';
import { SYSTEM, type TicketRun } from './run';
import {
  LOCAL_SHORT_STEPS,
  SEARCH_ATTRIBUTES_ONCE_PER_TRIAGE,
  TRIAGE_IN_FEWER_STEPS,
  bornWith,
  patched,
} from './versions';

const PASSAGE_LIMIT = 5;

export async function runTriage(run: TicketRun): Promise<void> {
  if (patched(TRIAGE_IN_FEWER_STEPS)) return runTriageInFewerSteps(run);
  await run.exclusive(() =>
    run.commit(markTriageStarted(run.state, Date.now()), {
      action: 'triage_started',
      actor: SYSTEM,
      eventId: uuid4(),
    }),
  );
  const ref = { tenantId: run.state.tenantId, ticketId: run.state.ticketId };
  // No await on the unpatched path: an extra turn would reorder this run's commands against recorded histories.
  const ai = modelSteps(patched(LOCAL_SHORT_STEPS) ? await triageSetup.triageSetup() : null);
  let classification: Classification;
  try {
    classification = await ai.classifyTicket(ref);
  } catch (error) {
    await failTriage(run, error);
    return;
  }
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
  await store().recordTriage({ runId: uuid4(), ...ref, classification, passages, draft });
  await run.exclusive(() =>
    run.commit(
      applyTriageResult(
        run.state,
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
  run.enqueueItsm({ type: 'triaged', eventId: uuid4() });
  run.fireAgentEvent('ticket.triaged');
  await escalateOnTriggers(run, classification, passages);
}

/** A classification that kept failing: the ticket goes to ai_failed (still workable by hand). */
async function failTriage(run: TicketRun, error: unknown): Promise<void> {
  const reason = failureReason(error);
  log.warn('triage failed: ticket goes to manual handling', { reason });
  await run.exclusive(() =>
    run.commit(applyTriageFailure(run.state, reason, Date.now()), {
      action: 'triage_failed',
      actor: SYSTEM,
      eventId: uuid4(),
      details: { error: reason },
    }),
  );
}

const bestScore = (passages: Passage[]) =>
  passages.length ? Math.max(...passages.map((p) => p.score)) : null;

/**
 * Patch triage-in-fewer-steps: the same triage in at most four local activities with offline models (persist
 * the start, the models, complete, escalate when a trigger says so) instead of eight; see activities.ts. Since
 * V4 its search attributes are upserted once, at its end, while all its steps are local.
 */
async function runTriageInFewerSteps(run: TicketRun): Promise<void> {
  const release = bornWith(SEARCH_ATTRIBUTES_ONCE_PER_TRIAGE) ? run.holdSearchAttributes() : () => undefined;
  try {
    await triageInFewerSteps(run, release);
  } finally {
    release();
  }
}

async function triageInFewerSteps(run: TicketRun, releaseSearchAttributes: () => void): Promise<void> {
  const started = await run.exclusive(() =>
    run.commit(markTriageStarted(run.state, Date.now()), {
      action: 'triage_started',
      actor: SYSTEM,
      eventId: uuid4(),
    }),
  );
  // Model API calls are regular activities, each ending the workflow task: `triaging` becomes visible now.
  if (!started?.modelsAreLocal) releaseSearchAttributes();
  const ref = { tenantId: run.state.tenantId, ticketId: run.state.ticketId };
  let classification: Classification;
  let passages: Passage[] = [];
  let draft: Draft = { body: '', citations: [], model: 'none' };
  if (started?.modelsAreLocal) {
    try {
      const result = await localTriage.triageTicket({ ...ref, limit: PASSAGE_LIMIT });
      ({ classification, passages, draft } = result);
      if (result.retrievalError) log.warn('knowledge retrieval failed', { error: result.retrievalError });
      if (result.draftError) log.warn('reply drafting failed', { error: result.draftError });
    } catch (error) {
      await failTriage(run, error);
      return;
    }
  } else {
    const ai = modelSteps(null);
    try {
      classification = await ai.classifyTicket(ref);
    } catch (error) {
      await failTriage(run, error);
      return;
    }
    try {
      passages = await ai.retrieveKnowledge({ ...ref, limit: PASSAGE_LIMIT });
    } catch (error) {
      log.warn('knowledge retrieval failed', { error: String(error) });
    }
    try {
      draft = await ai.draftReply({ ...ref, classification, passages });
    } catch (error) {
      log.warn('reply drafting failed', { error: String(error) });
    }
  }
  const decision = await run.exclusive(async () => {
    const next = applyTriageResult(
      run.state,
      { category: classification.category, suggestedPriority: classification.suggestedPriority },
      Date.now(),
    );
    const completed = await store().completeTriage({
      record: { runId: uuid4(), ...ref, classification, passages, draft },
      change: run.nextChange(next, {
        action: 'triage_completed',
        actor: SYSTEM,
        eventId: uuid4(),
        details: {
          category: classification.category,
          urgency: classification.urgency,
          confidence: classification.confidence,
          model: classification.model,
        },
      }),
      triggers: {
        sentiment: classification.sentiment,
        customerTier: run.state.customerTier,
        bestRetrievalScore: bestScore(passages),
      },
    });
    run.committed(next, completed);
    return completed.decision;
  });
  run.enqueueItsm({ type: 'triaged', eventId: uuid4() });
  run.fireAgentEvent('ticket.triaged');
  if (decision) await escalate(run, decision);
}

async function escalateOnTriggers(
  run: TicketRun,
  classification: Classification,
  passages: Passage[],
): Promise<void> {
  const decision = await store().checkEscalationTriggers({
    tenantId: run.state.tenantId,
    ticketId: run.state.ticketId,
    sentiment: classification.sentiment,
    customerTier: run.state.customerTier,
    bestRetrievalScore: bestScore(passages),
  });
  if (!decision) return;
  await escalate(run, decision);
}

/** An escalation a trigger decided, unless the ticket is already past it. */
async function escalate(run: TicketRun, decision: TriggerDecision): Promise<void> {
  await run.exclusive(async () => {
    const action: TicketAction = {
      type: 'escalate',
      reason: decision.reason,
      level: triggerEscalationLevel(decision.level, run.state.escalationLevel),
    };
    try {
      assertActionAllowed(run.state, action);
    } catch {
      return; // resolved, closed or already escalated beyond: nothing to do
    }
    await run.commit(applyAction(run.state, action, Date.now()), {
      action: 'escalate',
      actor: SYSTEM,
      eventId: uuid4(),
      details: { reason: decision.reason, level: action.level, automatic: true },
    });
    run.enqueueItsm({ type: 'updated', eventId: uuid4() });
  });
}
