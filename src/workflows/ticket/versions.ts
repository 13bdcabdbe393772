/**
 * Every patch of the ticket workflow, and the workflow types that carry them.
 *
 * Tickets live for weeks, so a change to the commands the workflow emits is guarded by a patch: runs recorded
 * before it take the old path on replay. A patch costs every new ticket two history events the first time it is
 * asked (its marker, and an upsert of the TemporalChangeVersion search attribute, a visibility write on the
 * server): eight of a triaged ticket's thirty. `ticketWorkflowV2` is the same workflow with all the patches below
 * built in: its runs take the new paths without asking, so without those events. Runs of `ticketWorkflow` (every
 * ticket started before it) keep asking and replay as recorded; both types stay registered. A patch added after
 * V2 goes through `patched()` below too: an id not built into a run's type is asked (and marked) in that run.
 *
 * `ticketWorkflowV3` (new tickets since) has V2's patches built in and three of its own (BUILT_INTO_V3): they
 * change the commands of a triaged ticket (fewer search-attribute upserts, one SLA timer instead of one per state
 * change), and as asked patches they would cost the two events each that they save. Runs of V1 and V2 ask for
 * them like any patch.
 *
 * `ticketWorkflowV4` (new tickets since) has V3's patches built in and one of its own that only saves work
 * (BUILT_INTO_V4): runs of older types do not ask for it (bornWith), since asking would cost the two events it
 * saves.
 */
import { patched as askPatch, workflowInfo } from '@temporalio/workflow';
import { TICKET_WORKFLOW_TYPE, TICKET_WORKFLOW_V2_TYPE, TICKET_WORKFLOW_V3_TYPE } from '../messages';

/**
 * Short steps (Postgres writes of a few ms, offline models) run as local activities. A regular activity costs a
 * round trip through the server each (~100 ms on the dev server); a local one runs inside the workflow task and is
 * recorded as a marker. Runs recorded before it replay with regular activities.
 */
export const LOCAL_SHORT_STEPS = 'local-short-steps';

/**
 * The integrations a ticket event may go to are checked by local activities first. Most tenants have no ITSM tool
 * or no agent for an event; a regular activity per event (two per ticket each) only to find that out cost a server
 * round trip and history events each.
 */
export const LOCAL_INTEGRATION_CHECKS = 'local-integration-checks';

/**
 * Triage in fewer steps. Each local activity is a round of the workflow task (an activation, a marker in the
 * history) and each step read the ticket and the tenant again: 14 local activities per ticket before. Now the
 * persisted change that starts a triage tells whether the models are offline (no triageSetup step); offline
 * models run as one step (triageTicket); the result, the `triage_completed` change and the escalation triggers
 * are one step and one transaction (completeTriage); a tenant found to have no ITSM tool is not asked again for
 * the next events within ITSM_CHECK_REUSE_MS of workflow time. Runs recorded before it replay step by step.
 */
export const TRIAGE_IN_FEWER_STEPS = 'triage-in-fewer-steps';

/**
 * Search attributes are upserted only when one of them changed. Each upsert is a command, an event in the
 * history (replayed on every cache miss) and a visibility write on the server; the ITSM outbox republished them
 * unchanged before and after every event. Runs recorded before it upsert on every publish.
 */
export const SEARCH_ATTRIBUTES_ON_CHANGE = 'search-attributes-on-change';

/** The ticket workflow fires ticket events for the tenant's AI agents. */
export const AGENT_TICKET_EVENTS = 'agent-ticket-events';

/**
 * Continue-as-new carries the ITSM queue, pending notifications and failure count instead of waiting for them to
 * drain (the old wait stopped the SLA clocks, possibly for a day). Runs recorded before it keep the wait.
 */
export const CONTINUE_AS_NEW_CARRIES_WORK = 'continue-as-new-carries-work';

/**
 * SLA arithmetic that fails on the ticket's data (CalendarHorizonError, a target that is not a number) is recorded
 * (`sla_unavailable` in the audit log, with the reason) and the ticket goes on without alert timers, instead of
 * failing the workflow task on every attempt — a wedged ticket that answered no query and took no action. Runs
 * recorded before it only keep the reason in memory.
 */
export const SLA_UNAVAILABLE_RECORDED = 'sla-unavailable-recorded';

/**
 * Search attributes are upserted key by key, only those whose value differs from what the workflow's search
 * attributes already hold (the start's, set by the API, and every upsert since): the first publish of a new
 * ticket no longer repeats what its start set, and a change upserts only what it changed.
 */
export const SEARCH_ATTRIBUTES_CHANGED_KEYS = 'search-attributes-changed-keys';

/**
 * Events queued for a tenant known to have no ITSM tool show `not_configured`, not `pending`: the outbox drops
 * them, and the flip to `pending` and back cost two upserts per event (six of a triaged ticket's ten).
 */
export const ITSM_STATE_WITHOUT_TOOL = 'itsm-state-without-tool';

/**
 * The SLA loop keeps its timer while the time it waits for stays the same: a state change used to cancel the
 * timer and start a new one (a condition with a timeout, some 20 workflow promises, each with a stack trace
 * captured by the SDK; two history events when the change came in a later workflow task).
 */
export const SLA_TIMER_KEPT = 'sla-timer-kept';

/**
 * A triage's state changes upsert the search attributes once, after its last step, instead of once per change.
 * With offline models a triage is one workflow task, whose commands reach the server together: the values in
 * between (`triaging`; `open` before an automatic escalation) were never visible to anyone, and each cost a history
 * event and a visibility write. With a model API the triage spans tasks, and `triaging` is upserted as soon as it
 * is persisted, as before. Born with V4 only (bornWith).
 */
export const SEARCH_ATTRIBUTES_ONCE_PER_TRIAGE = 'search-attributes-once-per-triage';

/** The patches `ticketWorkflowV2` was born with. Never add to this set. */
const BUILT_INTO_V2: ReadonlySet<string> = new Set([
  LOCAL_SHORT_STEPS,
  LOCAL_INTEGRATION_CHECKS,
  TRIAGE_IN_FEWER_STEPS,
  SEARCH_ATTRIBUTES_ON_CHANGE,
  AGENT_TICKET_EVENTS,
  CONTINUE_AS_NEW_CARRIES_WORK,
  SLA_UNAVAILABLE_RECORDED,
]);

/** The patches `ticketWorkflowV3` was born with. Never add to this set. */
const BUILT_INTO_V3: ReadonlySet<string> = new Set([
  ...BUILT_INTO_V2,
  SEARCH_ATTRIBUTES_CHANGED_KEYS,
  ITSM_STATE_WITHOUT_TOOL,
  SLA_TIMER_KEPT,
]);

/** The patches `ticketWorkflowV4` (TICKET_WORKFLOW_TYPE) was born with. Never add to this set. */
const BUILT_INTO_V4: ReadonlySet<string> = new Set([...BUILT_INTO_V3, SEARCH_ATTRIBUTES_ONCE_PER_TRIAGE]);

const BUILT_IN: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  [TICKET_WORKFLOW_V2_TYPE, BUILT_INTO_V2],
  [TICKET_WORKFLOW_V3_TYPE, BUILT_INTO_V3],
  [TICKET_WORKFLOW_TYPE, BUILT_INTO_V4],
]);

/** Whether this run takes a patch's new path: always when its type was born with it, else as recorded or marked. */
export function patched(patchId: string): boolean {
  return bornWith(patchId) || askPatch(patchId);
}

/**
 * Whether this run's type was born with a patch, never asking. For changes that only save work: runs of older
 * types keep the old path rather than pay two history events to ask for a patch that saves as many.
 */
export function bornWith(patchId: string): boolean {
  return BUILT_IN.get(workflowInfo().workflowType)?.has(patchId) ?? false;
}
