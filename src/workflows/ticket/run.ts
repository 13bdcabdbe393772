/**
 * The state one run of a ticket workflow holds, and the one way to change it: `exclusive` serialises changes,
 * `commit` persists the next state to Postgres before it becomes current and republishes the search attributes.
 */
import { log, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ItsmEvent } from '../../connectors/itsm/ports';
import type { SlaAlert } from '../../domain/sla';
import { itsmSyncState, ticketMirror } from '../../domain/ticket-rules';
import { type Actor, type TicketState, newTicketState } from '../../domain/ticket-state';
import type { TicketChange } from '../../stores/ticket-repository';
import { type TicketWorkflowInput, ticketSlaView, ticketStateSearchAttributes } from '../messages';
import { agentEvents, store } from './activities';
import {
  AGENT_TICKET_EVENTS,
  ITSM_STATE_WITHOUT_TOOL,
  SEARCH_ATTRIBUTES_CHANGED_KEYS,
  SEARCH_ATTRIBUTES_ON_CHANGE,
  patched,
} from './versions';

/** An ITSM event waiting to go out. `eventId` is fixed when it is queued, so a re-send is recognised. */
export type ItsmQueued = Pick<ItsmEvent, 'type' | 'sourceEventId' | 'note'> & { eventId?: string };

export const SYSTEM: Actor = { id: 'ticket-workflow', role: 'system' };
const MAX_REMEMBERED_ACTIONS = 200;

export type ChangeRecord = Pick<
  TicketChange,
  'action' | 'actor' | 'eventId' | 'message' | 'slaEvent' | 'details'
>;

export class TicketRun {
  state: TicketState;
  /** Mirrors written to Postgres carry this, so an older snapshot never overwrites a newer one. */
  stateVersion: number;
  /** Bumped on every in-memory change: wakes the SLA loop to recompute its next timer. */
  changes = 0;
  /** State changes in flight or waiting for their turn. */
  pendingChanges = 0;
  private changeQueue: Promise<unknown> = Promise.resolve();
  /** Update ids already applied, carried across continue-as-new (Temporal dedups them within one run only). */
  readonly appliedActions: string[];
  /** ITSM events waiting to go out, in order (the head may be in flight); `itsmFailed` counts those that gave up. */
  readonly itsmQueue: ItsmQueued[];
  itsmFailed: number;
  /** False once the tenant turned out to have no ITSM tool: the ItsmSync search attribute says so. */
  itsmConfigured = true;
  /** Workflow time at which the tenant was last found to have no ITSM tool (null: not in this run). */
  itsmAbsentAtMs: number | null = null;
  /** Alerts whose notifications are still being delivered: carried across continue-as-new and delivered there. */
  readonly pendingNotifications: SlaAlert[];
  readonly backgroundWork = new Set<Promise<unknown>>();
  readonly triage: { done: boolean };
  /** Why SLA arithmetic fails on this ticket's data (no alerts are timed meanwhile); null while it works. */
  slaUnavailable: string | null = null;
  /** The worker's clock when the last change was persisted by a local activity (0: none yet). */
  private persistedAtMs = 0;
  /** The search attributes last upserted in this run (serialised), to skip upserting them unchanged. */
  private publishedAttributes: string | null = null;
  /** Open holds on search-attribute upserts (holdSearchAttributes), and whether a publish waits for their end. */
  private publishHolds = 0;
  private publishWaiting = false;

  constructor(readonly input: TicketWorkflowInput) {
    this.state =
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
    this.stateVersion = input.carriedStateVersion ?? 0;
    this.appliedActions = [...(input.carriedActionIds ?? [])];
    this.itsmQueue = [...(input.carriedItsmQueue ?? [])];
    this.itsmFailed = input.carriedItsmFailed ?? 0;
    this.itsmConfigured = input.carriedItsmConfigured ?? true;
    this.pendingNotifications = [...(input.carriedNotifications ?? [])];
    this.triage = { done: input.carriedState !== undefined };
  }

  /**
   * Serialises state changes, first come first served: each is validated against, and persisted after, the one
   * before. (A shared flag with `condition` would let several waiters through in the same activation.)
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    this.pendingChanges += 1;
    const run = this.changeQueue.then(work).finally(() => {
      this.pendingChanges -= 1;
    });
    this.changeQueue = run.catch(() => undefined);
    return run;
  }

  /** Work that runs beside the main loop (notifications, signalled changes); awaited before the workflow ends. */
  background(work: Promise<unknown>): void {
    const tracked = work
      .catch((error) => log.error('background work failed', { error: String(error) }))
      .finally(() => this.backgroundWork.delete(tracked));
    this.backgroundWork.add(tracked);
  }

  /**
   * The time to plan timers by. Workflow time stands still while local activities run within one workflow task:
   * after a chain of them (triage), Date.now() is the task's start, and a timer computed from it would fire late
   * by the chain's duration. The clock a local persist reported (recorded in its marker, so replay sees the same)
   * is later. Runs recorded before local activities have no such report: Date.now() as before.
   */
  now(): number {
    return Math.max(Date.now(), this.persistedAtMs);
  }

  /**
   * Persists the next state, then makes it current. Call inside exclusive(). Answers what the persisting step
   * answered (nothing from regular activities and runs recorded before the report).
   */
  async commit(
    next: TicketState,
    change: ChangeRecord,
  ): Promise<{ persistedAtMs?: number; modelsAreLocal?: boolean } | undefined> {
    const persisted = await store().persistTicketChange(this.nextChange(next, change));
    this.committed(next, persisted);
    return persisted;
  }

  /** The next state's change as a persisting step writes it (its state version counted). */
  nextChange(next: TicketState, change: ChangeRecord): TicketChange {
    this.stateVersion += 1;
    return {
      ...change,
      ticketId: this.state.ticketId,
      tenantId: this.state.tenantId,
      stateVersion: this.stateVersion,
      fromStatus: this.state.status,
      mirror: ticketMirror(next, Date.now()),
    };
  }

  /** Makes a persisted state current. */
  committed(next: TicketState, persisted: { persistedAtMs?: number } | undefined): void {
    if (persisted?.persistedAtMs) this.persistedAtMs = Math.max(this.persistedAtMs, persisted.persistedAtMs);
    this.state = next;
    this.changes += 1;
    this.publishSearchAttributes();
  }

  rememberAction(actionId: string): void {
    this.appliedActions.push(actionId);
    if (this.appliedActions.length > MAX_REMEMBERED_ACTIONS) this.appliedActions.shift();
  }

  enqueueItsm(event: ItsmQueued): void {
    this.itsmQueue.push(event);
  }

  /**
   * Holds search-attribute upserts back until the returned release is called (further calls do nothing); a publish
   * asked for meanwhile happens then, once, with the state as it is then (patch search-attributes-once-per-triage).
   */
  holdSearchAttributes(): () => void {
    this.publishHolds += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.publishHolds -= 1;
      if (this.publishHolds > 0 || !this.publishWaiting) return;
      this.publishWaiting = false;
      this.publishSearchAttributes();
    };
  }

  publishSearchAttributes(): void {
    if (this.publishHolds > 0) {
      this.publishWaiting = true;
      return;
    }
    const now = Date.now();
    const { state } = this;
    const sla = ticketSlaView(state, now);
    // Events queued for a tenant known to have no tool are dropped, not pending (patch itsm-state-without-tool).
    const queued = !this.itsmConfigured && patched(ITSM_STATE_WITHOUT_TOOL) ? 0 : this.itsmQueue.length;
    const itsm = itsmSyncState(queued, this.itsmFailed, this.itsmConfigured);
    // What the Temporal UI shows as the workflow's current details.
    setCurrentDetails(
      [
        `**${state.status}** · priority ${state.priority} · ${state.customerTier} · SLA ${sla.state}`,
        `assignee: ${state.assignee ?? '—'} · escalation level ${state.escalationLevel}`,
        `SLA clocks: ${sla.clocks.join(', ')}`,
        `ITSM: ${itsm} (${this.itsmQueue.length} queued)`,
        ...(this.slaUnavailable ? [`SLA unavailable: ${this.slaUnavailable}`] : []),
      ].join('\n\n'),
    );
    const attributes = ticketStateSearchAttributes(state, sla, itsm);
    if (patched(SEARCH_ATTRIBUTES_CHANGED_KEYS)) {
      const visible = workflowInfo().typedSearchAttributes;
      const changed = attributes.filter(
        ({ key, value }) => JSON.stringify(visible.get(key)) !== JSON.stringify(value),
      );
      if (changed.length > 0) upsertSearchAttributes(changed);
      return;
    }
    const serialised = JSON.stringify(attributes.map(({ key, value }) => [key.name, value]));
    if (serialised === this.publishedAttributes && patched(SEARCH_ATTRIBUTES_ON_CHANGE)) return;
    this.publishedAttributes = serialised;
    upsertSearchAttributes(attributes);
  }

  /**
   * Fires a ticket event for the tenant's AI agents (`ticket.created`, `ticket.triaged`, `sla.breached`) in the
   * background: an agent never delays the ticket. Patched in: runs recorded before agents existed fire none.
   */
  fireAgentEvent(event: 'ticket.created' | 'ticket.triaged' | 'sla.breached', eventKey?: string): void {
    if (!patched(AGENT_TICKET_EVENTS)) return;
    this.background(
      agentEvents()
        .dispatchTicketEvent({
          tenantId: this.state.tenantId,
          ticketId: this.state.ticketId,
          event,
          ...(eventKey ? { eventKey } : {}),
        })
        .then(() => undefined),
    );
  }

  /** What the next run needs to go on where this one stops. */
  carriedInput(): TicketWorkflowInput {
    return {
      ...this.input,
      carriedState: this.state,
      carriedStateVersion: this.stateVersion,
      carriedActionIds: this.appliedActions,
      carriedItsmQueue: this.itsmQueue,
      carriedItsmFailed: this.itsmFailed,
      carriedItsmConfigured: this.itsmConfigured,
      carriedNotifications: this.pendingNotifications,
    };
  }
}
