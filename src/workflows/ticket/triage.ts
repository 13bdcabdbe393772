/**
 * Triage: classify → retrieve → draft → record, while the SLA clocks already run. A classifier that keeps
 * failing sends the ticket to ai_failed (still workable); retrieval and drafting only help, so their failure
 * leaves the ticket triaged without them. Then seed 003's escalation triggers are checked once.
 */
import { log, patched, uuid4 } from '@temporalio/workflow';
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
import { LOCAL_SHORT_STEPS, failureReason, modelSteps, store, triageSetup } from './activities';
import { SYSTEM, type TicketRun } from './run';

const PASSAGE_LIMIT = 5;

export async function runTriage(run: TicketRun): Promise<void> {
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
    bestRetrievalScore: passages.length ? Math.max(...passages.map((p) => p.score)) : null,
  });
  if (!decision) return;
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
