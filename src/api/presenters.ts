/** How rows look on the wire: snake_case, ISO timestamps, no internal columns. */
import type { TenantModel, TicketModel, TriageResultModel } from '../stores/models';
import type { AuditEntry } from '../stores/ticket-repository';
import { type SlaSnapshot, nearestClock, slaView } from '../domain/live-view';
import type { BusinessCalendar } from '../domain/business-calendar';
import { type SlaClocks, timelineOf } from '../domain/sla';
import type { Passage } from '../domain/triage';

const iso = (d: Date | null | undefined): string | null => (d ? new Date(d).toISOString() : null);

export function presentTenant(t: TenantModel) {
  return {
    id: t.id,
    slug: t.slug,
    name: t.name,
    tier: t.tier,
    settings: t.settings,
    is_active: t.is_active,
    created_at: iso(t.created_at),
    updated_at: iso(t.updated_at),
  };
}

export function presentTicket(t: TicketModel) {
  return {
    id: t.id,
    tenant_id: t.tenant_id,
    external_id: t.external_id,
    title: t.title,
    content: t.content,
    requester_email: t.requester_email,
    status: t.status,
    priority: t.priority,
    customer_tier: t.customer_tier,
    category: t.category,
    source: t.source,
    assignee: t.assignee,
    escalation_level: t.escalation_level,
    reopen_count: t.reopen_count,
    metadata: t.metadata,
    sla_state: t.sla_state,
    workflow_id: t.workflow_id,
    workflow_started: t.workflow_started_at !== null,
    first_response_at: iso(t.first_response_at),
    resolved_at: iso(t.resolved_at),
    closed_at: iso(t.closed_at),
    created_at: iso(t.created_at),
    updated_at: iso(t.updated_at),
  };
}

/**
 * A queue row: the ticket and its nearest SLA clock. The clock carries its deadline rather than a countdown, so
 * the row (and its ETag) stays the same from one poll to the next until something changes.
 */
export function presentTicketSummary(t: TicketModel, nowMs: number) {
  const snapshot = t.sla_clocks as SlaSnapshot | null;
  const next = snapshot?.clocks ? nearestClock(snapshot, nowMs) : null;
  return {
    ...presentTicket(t),
    sla_next: next && {
      clock: next.clock,
      state: next.state,
      deadline: next.deadline,
      target_seconds: next.target_seconds,
      // Only while no deadline ticks (paused): the time that will be left when the clock resumes.
      remaining_seconds: next.deadline === null ? next.remaining_seconds : null,
    },
  };
}

/** One entry of a ticket's audit trail. */
export function presentAuditEntry(e: AuditEntry) {
  return {
    id: e.id,
    actor_type: e.actorType,
    actor_id: e.actorId,
    action: e.action,
    from_status: e.fromStatus,
    to_status: e.toStatus,
    details: e.changes,
    created_at: iso(e.createdAt),
  };
}

function presentTriage(r: TriageResultModel) {
  return {
    category: r.category,
    urgency: r.urgency,
    suggested_priority: r.suggested_priority,
    sentiment: r.sentiment,
    product: r.product,
    language: r.language,
    confidence: r.confidence,
    reasoning: r.reasoning,
    model_used: r.model_used,
    latency_ms: r.latency_ms,
    prompt_tokens: r.prompt_tokens,
    completion_tokens: r.completion_tokens,
    is_current: r.is_current,
    created_at: iso(r.created_at),
  };
}

interface StoredSla {
  clocks: SlaClocks;
  warning_thresholds: number[];
  calendar: BusinessCalendar | null;
}

/**
 * The clocks as stored; data that cannot place a deadline (an old, unmeetable policy: CalendarHorizonError; a
 * target that is not a number: RangeError) shows none.
 */
function storedSlaView(snapshot: StoredSla, nowMs: number, state: string) {
  try {
    return slaView(snapshot.clocks, nowMs, snapshot.warning_thresholds, timelineOf(snapshot));
  } catch {
    return { state, clocks: [] };
  }
}

/** The full ticket: triage, draft, conversation, SLA clocks and alerts, external references. */
/** A retrieved passage, in the API's snake_case (stored as the activities produced it). */
function presentPassage(p: Passage) {
  return { document_id: p.documentId, chunk_id: p.chunkId, title: p.title, text: p.text, score: p.score };
}

/** The full ticket for agents; clients (portals, gateways) see no internal notes, drafts or sync internals. */
export function presentTicketDetail(t: TicketModel, nowMs: number, audience: 'agent' | 'client' = 'agent') {
  const current = t.triage_results?.find((r) => r.is_current);
  const snapshot = t.sla_clocks as StoredSla | null;
  const detail = {
    ...presentTicket(t),
    triage: current ? presentTriage(current) : null,
    triage_history: (t.triage_results ?? []).map(presentTriage),
    draft: current
      ? {
          body: current.draft_reply,
          citations: current.citations,
          passages: ((current.passages ?? []) as Passage[]).map(presentPassage),
        }
      : null,
    messages: (t.messages ?? []).map((m) => ({
      id: Number(m.id),
      author_type: m.author_type,
      author_id: m.author_id,
      body: m.body,
      is_public: m.is_public,
      created_at: iso(m.created_at),
    })),
    sla: {
      ...(snapshot ? storedSlaView(snapshot, nowMs, t.sla_state) : { state: t.sla_state, clocks: [] }),
      events: (t.sla_events ?? []).map((e) => ({
        clock: e.clock,
        kind: e.kind,
        threshold: e.threshold,
        due_at: iso(e.due_at),
        deadline: iso(e.deadline),
        fired_at: iso(e.fired_at),
        cycle: e.cycle,
        remaining_seconds: e.remaining_seconds,
        priority: e.priority,
        escalation_level: e.escalation_level,
        notification_status: e.notification_status,
      })),
    },
    // The ITSM syncs of this ticket, newest first: failed ones stay visible to ops here and in the Temporal UI.
    // (Rows of system "none" were written before tenants without an ITSM tool stopped recording syncs.)
    syncs: (t.sync_logs ?? [])
      .filter((l) => l.system !== 'none')
      .slice(0, 20)
      .map((l) => ({
        system: l.system,
        operation: l.operation,
        status: l.status,
        attempts: l.attempts,
        error: l.error_message,
        duration_ms: l.duration_ms,
        at: iso(l.started_at),
      })),
    external_refs: (t.external_refs ?? []).map((r) => ({
      system: r.system,
      external_id: r.external_id,
      external_url: r.external_url,
      external_status: r.external_status,
      updated_at: iso(r.updated_at),
    })),
  };
  if (audience === 'agent') return detail;
  return {
    ...detail,
    triage: detail.triage && { category: detail.triage.category, language: detail.triage.language },
    triage_history: [],
    draft: null,
    messages: detail.messages.filter((m) => m.is_public),
    syncs: [],
  };
}
