/**
 * All SQL about tickets lives here. The workflow owns a ticket's live state; this repository keeps the
 * Postgres mirror of it, writes that are idempotent (keyed by event ids) and ordered (by state_version).
 */
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Actor } from '../domain/ticket-state';
import type { Classification, Draft, Passage } from '../domain/triage';
import type { TicketStatus } from '../domain/vocabulary';
import { type SlaSnapshot, nearestDeadlineMs } from '../domain/live-view';
import { type PlatformDb, isUniqueViolation, withTenant } from './db';
import {
  type BoundStatement,
  type PreparedStatement,
  bound,
  runTenantStatement,
  runTenantStatements,
} from './tenant-transactions';
import { AuditEntryModel, MessageModel, SlaEventModel, SyncLogModel, TicketModel } from './models';

export interface NewTicket {
  tenantId: string;
  title: string;
  content: string;
  requesterEmail: string | null;
  priority: string;
  priorityPinned: boolean;
  customerTier: string;
  source: string;
  metadata: Record<string, unknown>;
  externalId: string | null;
  createdBy: string;
  idempotencyKey: string | null;
  /** Hash of the request body: a reused Idempotency-Key with another body is refused. */
  requestHash: string;
}

export class IdempotencyConflictError extends Error {
  constructor() {
    super('this Idempotency-Key was already used with a different request body');
  }
}

export class DuplicateExternalIdError extends Error {
  constructor(readonly existingTicketId: string) {
    super('a ticket with this external_id already exists');
  }
}

/** The workflow-owned columns, written as one snapshot. */
import type { TicketMirror } from '../domain/ticket-rules';
import { alertKeyColumns } from './notification-repository';
export type { TicketMirror };

export interface TicketChange {
  /** Unique per change: the activity can be retried, the change is applied once. */
  eventId: string;
  ticketId: string;
  tenantId: string;
  /** Monotonic per ticket: an older snapshot never overwrites a newer one. */
  stateVersion: number;
  actor: Actor;
  action: string;
  fromStatus: TicketStatus;
  mirror: TicketMirror;
  message?: {
    authorType: 'customer' | 'agent' | 'ai' | 'system';
    authorId: string | null;
    body: string;
    isPublic: boolean;
  };
  /** An SLA warning or breach recorded with the change (once, by its unique key). */
  slaEvent?: Omit<SlaEventRecord, 'ticketId' | 'tenantId'>;
  details?: Record<string, unknown>;
}

export interface TriageRecord {
  runId: string;
  ticketId: string;
  tenantId: string;
  classification: Classification;
  passages: Passage[];
  draft: Draft;
}

export interface SlaEventRecord {
  ticketId: string;
  tenantId: string;
  clock: string;
  kind: 'warning' | 'breach';
  threshold: number;
  cycle: number;
  dueAt: string;
  deadline: string;
  firedAt: string;
  remainingSeconds: number;
  priority: string;
  escalationLevel: number;
  notificationStatus: 'not_configured' | 'pending';
}

export interface TicketListFilters {
  status?: string[];
  priority?: string[];
  category?: string;
  customerTier?: string;
  assignee?: string;
  slaState?: string;
  createdAfter?: Date;
  createdBefore?: Date;
}

/** Newest first (the default), or by SLA urgency: the nearest running deadline first, tickets without one last. */
export type TicketSort = 'created' | 'sla';

/** Where a page ended: by creation time, or (sort `sla`) by nearest deadline, null for tickets without one. */
export type Cursor = { createdAt: string; id: string } | { sort: 'sla'; dueAt: string | null; id: string };

export function encodeCursor(c: Cursor): string {
  const parts = 'sort' in c ? ['sla', c.dueAt, c.id] : [c.createdAt, c.id];
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const MICROSECOND_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(\d{3})?Z$/;

/**
 * Only what encodeCursor writes: an ISO instant in UTC to the microsecond (PostgreSQL's precision; cursors of
 * earlier versions: to the millisecond), which PostgreSQL reads, not any text Date.parse accepts.
 */
function isIsoInstant(value: unknown): value is string {
  if (typeof value !== 'string' || !MICROSECOND_INSTANT.test(value)) return false;
  const milliseconds = `${value.slice(0, 23)}Z`;
  const instant = new Date(milliseconds);
  return !Number.isNaN(instant.getTime()) && instant.toISOString() === milliseconds;
}

export function decodeCursor(raw: string): Cursor | undefined {
  try {
    const parts = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(parts)) return undefined;
    if (parts.length === 3 && parts[0] === 'sla') {
      const [, dueAt, id] = parts;
      if (typeof id !== 'string' || !UUID.test(id)) return undefined;
      if (dueAt !== null && !isIsoInstant(dueAt)) return undefined;
      return { sort: 'sla', dueAt, id };
    }
    const [createdAt, id] = parts;
    if (parts.length !== 2 || !isIsoInstant(createdAt) || typeof id !== 'string' || !UUID.test(id))
      return undefined;
    return { createdAt, id };
  } catch {
    return undefined;
  }
}

export interface AuditEntry {
  id: number;
  actorType: string;
  actorId: string;
  action: string;
  fromStatus: string | null;
  toStatus: string | null;
  changes: Record<string, unknown>;
  createdAt: Date;
}

export function hashRequest(body: unknown): string {
  return crypto.createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

/**
 * The SLA sort's key: the nearest running deadline, tickets without one (`infinity`) after every ticket with one.
 * One expression, so that a cursor is one row comparison `(key, id) > (…, …)`, which an index on
 * (tenant_id, [status | assignee,] key, id) answers as a range (`sla_due_at NULLS LAST` would need an OR for the
 * NULLs, which no index range answers). A CASE rather than coalesce(): under row-level security only
 * leak-proof expressions may be index conditions (CASE is, coalesce is not) — else the condition is a filter over
 * every row before the cursor. The migration 20261202050000_ticket_list_indexes.ts indexes this exact text.
 */
export const SLA_ORDER_KEY = `(CASE WHEN sla_due_at IS NULL THEN 'infinity'::timestamptz ELSE sla_due_at END)`;

/**
 * The SQL of one page of the ticket list (`take` rows), keyset-paginated, every shape answered by an index range
 * read in order (migrations 20261123000002 and 20261202050000: (tenant_id, [status | assignee,] sort key, id)),
 * never by sorting the tenant's tickets:
 *
 * - sort `created`: (created_at, id) descending, the cursor `(created_at, id) < (…, …)`;
 * - sort `sla`: (SLA_ORDER_KEY, id) ascending, the cursor `(SLA_ORDER_KEY, id) > (…, …)`;
 * - several statuses (and no assignee): one ordered index range per status (a LATERAL join over the list), or
 *   per (status, priority) pair with priorities, each at most `take` rows, then the first `take` of them, as
 *   no single index range returns several statuses in the sort's order. With an assignee, that agent's index
 *   range, the statuses a filter. The status indexes also hold priority, category and sla_state, conditions
 *   read from the index entries.
 *
 * Exported for the plan test (test/db/ticket-list-plan.test.ts), which EXPLAINs what this builds.
 */
export function ticketListQuery(
  trx: Knex,
  tenantId: string,
  filters: TicketListFilters,
  take: number,
  after: Cursor | undefined,
  sort: TicketSort,
) {
  const statuses = [...new Set(filters.status ?? [])];
  const priorities = [...new Set(filters.priority ?? [])];
  // One range per (status, priority) pair: several priorities, a list, are no index condition on an ordered
  // scan (PostgreSQL would visit each ticket to filter them); one priority is, on the status indexes.
  const fanOut =
    statuses.length > 0 && statuses.length * Math.max(priorities.length, 1) > 1 && !filters.assignee;
  const q = trx('tickets').where('tickets.tenant_id', tenantId);
  if (fanOut) {
    q.whereRaw('tickets.status = s.status');
    if (priorities.length) q.whereRaw('tickets.priority = s.priority');
  } else {
    if (statuses.length === 1) q.where('status', statuses[0]!);
    else if (statuses.length) q.whereIn('status', statuses);
    if (priorities.length === 1) q.where('priority', priorities[0]!);
    else if (priorities.length) q.whereIn('priority', priorities);
  }
  if (filters.category) q.where('category', filters.category);
  if (filters.customerTier) q.where('customer_tier', filters.customerTier);
  if (filters.assignee) q.where('assignee', filters.assignee);
  if (filters.slaState) q.where('sla_state', filters.slaState);
  if (filters.createdAfter) q.where('created_at', '>=', filters.createdAfter);
  if (filters.createdBefore) q.where('created_at', '<', filters.createdBefore);
  const order = sort === 'sla' ? `${SLA_ORDER_KEY} asc, id asc` : 'created_at desc, id desc';
  if (sort === 'sla') {
    if (after && 'sort' in after)
      q.whereRaw(`(${SLA_ORDER_KEY}, id) > (?::timestamptz, ?::uuid)`, [after.dueAt ?? 'infinity', after.id]);
  } else if (after && !('sort' in after)) {
    q.whereRaw('(created_at, id) < (?::timestamptz, ?::uuid)', [after.createdAt, after.id]);
  }
  // The page's last sort value, to the microsecond: a JavaScript Date holds milliseconds, and a cursor rounded to
  // them would skip the tickets of the same millisecond after it.
  const cursorAt = sort === 'sla' ? 'sla_due_at' : 'created_at';
  q.select(
    'tickets.*',
    trx.raw(`to_char(?? AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at`, [cursorAt]),
  );
  q.orderByRaw(order).limit(take);
  if (!fanOut) return q;
  // Every (status, priority) pair: the statuses each repeated per priority, beside the priorities over again.
  const list = priorities.length
    ? trx.raw('unnest(?::text[], ?::text[]) AS s(status, priority)', [
        statuses.flatMap((status) => priorities.map(() => status)),
        statuses.flatMap(() => priorities),
      ])
    : trx.raw('unnest(?::text[]) AS s(status)', [statuses]);
  return trx
    .select('tickets.*')
    .from(trx.raw('? CROSS JOIN LATERAL (?) AS tickets', [list, q]))
    .orderByRaw(order)
    .limit(take);
}

/** What never changes on a ticket once it is written: its text and its creation time. */
export interface TicketText {
  title: string | null;
  content: string;
  created_at: Date;
}

/**
 * The immutable part of recently created or read tickets, for this process: triage reads a ticket's text in
 * several steps (models, escalation triggers, metrics), and a ticket created by this process's API is triaged by
 * its worker a few milliseconds later. Title, content and creation time are never updated (tickets change
 * through messages and the workflow's mirror columns), so an entry is never stale; it is keyed by tenant, as read
 * under that tenant's row-level security. Bounded in entries and in age: a miss only reads the row again.
 */
const TEXT_CACHE_ENTRIES = 2000;
const TEXT_CACHE_MAX_AGE_MS = 10 * 60_000;
const textCache = new Map<string, { text: TicketText; at: number }>();

function cacheText(tenantId: string, ticketId: string, row: TicketText): TicketText {
  const text = { title: row.title, content: row.content, created_at: row.created_at };
  const key = `${tenantId}/${ticketId}`;
  textCache.delete(key);
  textCache.set(key, { text, at: Date.now() });
  if (textCache.size > TEXT_CACHE_ENTRIES) textCache.delete(textCache.keys().next().value!);
  return text;
}

/**
 * How long new tickets' start marks wait to be written together: at 60 creates a second that is some six marks a
 * statement, where one turn of the event loop gathered one or two. The relay looks at unmarked tickets only after
 * OUTBOX_GRACE_MS.
 */
export const START_MARK_WINDOW_MS = 100;

export class TicketRepository {
  private readonly startMarkWindowMs: number;

  /**
   * `db`: the application's pool (every query bound to its tenant); `platform`: the owner's, for the outbox scan;
   * `startMarkWindowMs`: START_MARK_WINDOW_MS unless a test needs another.
   */
  constructor(
    private readonly db: Knex,
    private readonly platform: PlatformDb,
    options: { startMarkWindowMs?: number } = {},
  ) {
    this.startMarkWindowMs = options.startMarkWindowMs ?? START_MARK_WINDOW_MS;
  }

  /**
   * Inserts the ticket, or returns the one an earlier request with the same Idempotency-Key created.
   * The insert and the key are one row, so a crash can never leave one without the other.
   */
  async create(input: NewTicket): Promise<{ ticket: TicketModel; created: boolean }> {
    if (input.idempotencyKey) {
      const existing = await this.findByIdempotencyKey(input.tenantId, input.idempotencyKey);
      if (existing) return this.replayed(existing, input.requestHash);
    }
    const id = crypto.randomUUID();
    try {
      // The row as written, in one prepared statement (insertAndFetch would read it back).
      const [row] = await runTenantStatement(
        this.db,
        input.tenantId,
        bound(INSERT_TICKET, [
          id,
          input.tenantId,
          input.title,
          input.content,
          input.requesterEmail,
          input.priority,
          input.priorityPinned,
          input.customerTier,
          input.source,
          JSON.stringify(input.metadata),
          input.externalId,
          input.createdBy,
          input.idempotencyKey,
          input.requestHash,
          `ticket-${id}`,
        ]),
      );
      const ticket = TicketModel.fromDatabaseJson(row!);
      cacheText(input.tenantId, ticket.id, ticket);
      return { ticket, created: true };
    } catch (error) {
      if (input.idempotencyKey && isUniqueViolation(error, 'tickets_tenant_id_idempotency_key_unique')) {
        // A concurrent request with the same key won the race.
        const existing = await this.findByIdempotencyKey(input.tenantId, input.idempotencyKey);
        if (existing) return this.replayed(existing, input.requestHash);
      }
      if (isUniqueViolation(error, 'tickets_tenant_id_external_id_unique')) {
        const existing = await withTenant(this.db, input.tenantId, (trx) =>
          TicketModel.query(trx).where({ tenant_id: input.tenantId, external_id: input.externalId }).first(),
        );
        throw new DuplicateExternalIdError(existing?.id ?? '');
      }
      throw error;
    }
  }

  private replayed(existing: TicketModel, requestHash: string): { ticket: TicketModel; created: boolean } {
    if (existing.request_hash !== requestHash) throw new IdempotencyConflictError();
    return { ticket: existing, created: false };
  }

  private async findByIdempotencyKey(tenantId: string, key: string): Promise<TicketModel | undefined> {
    return withTenant(this.db, tenantId, (trx) =>
      TicketModel.query(trx).where({ tenant_id: tenantId, idempotency_key: key }).first(),
    );
  }

  async markWorkflowStarted(tenantId: string, ticketId: string): Promise<void> {
    await this.markWorkflowsStarted(tenantId, [ticketId]);
  }

  private async markWorkflowsStarted(tenantId: string, ticketIds: string[]): Promise<void> {
    await withTenant(this.db, tenantId, (trx) =>
      TicketModel.query(trx)
        .patch({ workflow_started_at: new Date() } as Partial<TicketModel>)
        .where({ tenant_id: tenantId })
        .whereIn('id', ticketIds)
        .whereNull('workflow_started_at'),
    );
  }

  private pendingStartMarks = new Map<string, string[]>();
  private startMarksFlushing: Promise<void> | null = null;
  /** Ends the current window early (shutdown). */
  private flushStartMarksNow: (() => void) | null = null;

  /**
   * Marks a started workflow in the background, batched: the marks of the requests of START_MARK_WINDOW_MS are
   * written together, one transaction per tenant, and the API answers without waiting for them. The mark only
   * spares the outbox relay a start it would repeat (after OUTBOX_GRACE_MS, seconds): one lost in a crash makes
   * the relay start the workflow again, which is idempotent, and so is a start asked for meanwhile by an action on
   * the new ticket. A mark that cannot be written is logged through `onError` and left to the relay.
   */
  markWorkflowStartedSoon(tenantId: string, ticketId: string, onError: (error: unknown) => void): void {
    const ids = this.pendingStartMarks.get(tenantId) ?? [];
    ids.push(ticketId);
    this.pendingStartMarks.set(tenantId, ids);
    this.startMarksFlushing ??= (async () => {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.startMarkWindowMs);
        this.flushStartMarksNow = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.flushStartMarksNow = null;
      while (this.pendingStartMarks.size > 0) {
        const batch = this.pendingStartMarks;
        this.pendingStartMarks = new Map();
        for (const [tenant, ticketIds] of batch) {
          await this.markWorkflowsStarted(tenant, ticketIds).catch(onError);
        }
      }
      this.startMarksFlushing = null;
    })();
  }

  /** Writes the waiting marks now and waits for them (on shutdown). */
  async flushStartMarks(): Promise<void> {
    this.flushStartMarksNow?.();
    while (this.startMarksFlushing) await this.startMarksFlushing;
  }

  /**
   * Tickets whose workflow start was never confirmed, of every tenant: the outbox relay starts them. A platform
   * operation (the owner's pool): no tenant is known before the scan.
   */
  async findUnstarted(olderThanMs: number, limit = 100): Promise<TicketModel[]> {
    return TicketModel.query(this.platform)
      .whereNull('workflow_started_at')
      .where('created_at', '<', new Date(Date.now() - olderThanMs))
      .orderBy('created_at')
      .limit(limit);
  }

  async findById(tenantId: string, ticketId: string): Promise<TicketModel | undefined> {
    return withTenant(this.db, tenantId, (trx) =>
      TicketModel.query(trx).where({ tenant_id: tenantId, id: ticketId }).first(),
    );
  }

  /** A ticket's text and creation time (see TicketText): from this process's cache, or read and cached. */
  async findText(tenantId: string, ticketId: string): Promise<TicketText | undefined> {
    const key = `${tenantId}/${ticketId}`;
    const hit = textCache.get(key);
    if (hit && Date.now() - hit.at < TEXT_CACHE_MAX_AGE_MS) return hit.text;
    const row: TicketText | undefined = await withTenant(this.db, tenantId, (trx) =>
      trx('tickets').where({ tenant_id: tenantId, id: ticketId }).first('title', 'content', 'created_at'),
    );
    return row ? cacheText(tenantId, ticketId, row) : undefined;
  }

  async findDetail(tenantId: string, ticketId: string): Promise<TicketModel | undefined> {
    return withTenant(this.db, tenantId, (trx) =>
      TicketModel.query(trx)
        .where({ 'tickets.tenant_id': tenantId, 'tickets.id': ticketId })
        .withGraphFetched('[triage_results, messages, sla_events, external_refs, sync_logs]')
        .modifyGraph('sync_logs', (b) => b.orderBy('id', 'desc'))
        .modifyGraph('triage_results', (b) => b.orderBy('created_at', 'desc'))
        .modifyGraph('messages', (b) => b.orderBy([{ column: 'created_at' }, { column: 'id' }]))
        .modifyGraph('sla_events', (b) => b.orderBy([{ column: 'fired_at' }, { column: 'id' }]))
        .first(),
    );
  }

  async list(
    tenantId: string,
    filters: TicketListFilters,
    limit: number,
    after?: Cursor,
    sort: TicketSort = 'created',
  ): Promise<{ items: TicketModel[]; nextCursor: string | null }> {
    return withTenant(this.db, tenantId, (trx) => this.listIn(trx, tenantId, filters, limit, after, sort));
  }

  private async listIn(
    trx: Knex.Transaction,
    tenantId: string,
    filters: TicketListFilters,
    limit: number,
    after: Cursor | undefined,
    sort: TicketSort,
  ): Promise<{ items: TicketModel[]; nextCursor: string | null }> {
    const rows: Array<Record<string, unknown> & { id: string; cursor_at: string | null }> =
      await ticketListQuery(trx, tenantId, filters, limit + 1, after, sort);
    const items = rows
      .slice(0, limit)
      .map(({ cursor_at: _, ...columns }) => TicketModel.fromDatabaseJson(columns));
    const last = rows[limit - 1];
    let nextCursor: string | null = null;
    if (rows.length > limit && last) {
      nextCursor = encodeCursor(
        sort === 'sla'
          ? { sort: 'sla', dueAt: last.cursor_at, id: last.id }
          : { createdAt: last.cursor_at!, id: last.id },
      );
    }
    return { items, nextCursor };
  }

  /** A ticket's audit trail, oldest first, a page at a time (`afterId`: the last id of the previous page). */
  async listEvents(
    tenantId: string,
    ticketId: string,
    limit: number,
    afterId?: number,
  ): Promise<{ items: AuditEntry[]; nextCursor: number | null }> {
    const rows = await withTenant(this.db, tenantId, (trx) => {
      const q = AuditEntryModel.query(trx).where({ tenant_id: tenantId, ticket_id: ticketId });
      if (afterId !== undefined) q.where('id', '>', afterId);
      return q.orderBy('id').limit(limit + 1);
    });
    const items = rows.slice(0, limit).map((r) => ({
      id: Number(r.id),
      actorType: r.actor_type,
      actorId: r.actor_id,
      action: r.action,
      fromStatus: r.from_status,
      toStatus: r.to_status,
      changes: r.changes,
      createdAt: r.created_at,
    }));
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? last.id : null };
  }

  /** Applies one workflow change: audit entry, optional message, and the mirror snapshot, atomically and once. */
  async applyChange(change: TicketChange): Promise<{ applied: boolean }> {
    return applied(
      await runTenantStatement<AppliedRow>(this.db, change.tenantId, applyChangeStatement(change)),
    );
  }

  /**
   * A triage's result and the change that completes it, in one transaction (one round of BEGIN / set_config /
   * COMMIT instead of two). Both halves are idempotent (run id, event id), so a retried activity applies nothing
   * twice; `applied` is the change's.
   */
  async recordTriageAndApplyChange(
    record: TriageRecord,
    change: TicketChange,
  ): Promise<{ applied: boolean }> {
    const answers = await runTenantStatements<AppliedRow>(this.db, change.tenantId, [
      ...recordTriageStatements(record),
      applyChangeStatement(change),
    ]);
    return applied(answers[answers.length - 1]!);
  }

  /** Writes a mirror snapshot alone (no audit entry): seeding and benchmarks. */
  async writeMirror(
    tenantId: string,
    ticketId: string,
    stateVersion: number,
    mirror: TicketMirror,
  ): Promise<void> {
    await runTenantStatement(
      this.db,
      tenantId,
      bound(UPDATE_MIRROR, [ticketId, stateVersion, ...mirrorValues(mirror)]),
    );
  }

  /** Records a triage run; the newest run becomes the current one. Idempotent by run id. */
  async recordTriage(record: TriageRecord): Promise<void> {
    await runTenantStatements(this.db, record.tenantId, recordTriageStatements(record));
  }

  async recordSync(entry: {
    tenantId: string;
    ticketId: string | null;
    system: string;
    direction: 'inbound' | 'outbound';
    operation: string;
    /** `pending`: waiting for the tool's rate limit (one row per wait). */
    status: 'success' | 'failed' | 'skipped' | 'pending';
    attempts: number;
    errorMessage?: string;
    durationMs: number;
    startedAt: Date;
    metadata?: Record<string, unknown>;
  }): Promise<void> {
    await withTenant(this.db, entry.tenantId, (trx) =>
      SyncLogModel.query(trx).insert({
        tenant_id: entry.tenantId,
        ticket_id: entry.ticketId,
        system: entry.system,
        direction: entry.direction,
        operation: entry.operation,
        status: entry.status,
        attempts: entry.attempts,
        error_message: entry.errorMessage ?? null,
        duration_ms: entry.durationMs,
        started_at: entry.startedAt,
        completed_at: new Date(),
        metadata: entry.metadata ?? {},
      }),
    );
  }

  async findMessageByEvent(tenantId: string, eventId: string): Promise<MessageModel | undefined> {
    return withTenant(this.db, tenantId, (trx) =>
      MessageModel.query(trx).where({ tenant_id: tenantId, event_id: eventId }).first(),
    );
  }

  /** Ids of the tenant's tickets not yet closed, in id order, for paging. */
  async openTicketIds(tenantId: string, afterId: string | null, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await withTenant(this.db, tenantId, (trx) => {
      const q = trx('tickets')
        .where({ tenant_id: tenantId })
        .whereNot({ status: 'closed' })
        .whereNotNull('workflow_started_at');
      if (afterId) q.where('id', '>', afterId);
      return q.orderBy('id').limit(limit).select('id');
    });
    return rows.map((r) => r.id);
  }

  async findSlaEvent(key: {
    tenantId: string;
    ticketId: string;
    clock: string;
    kind: string;
    threshold: number;
    cycle: number;
  }): Promise<SlaEventModel | undefined> {
    return withTenant(this.db, key.tenantId, (trx) =>
      SlaEventModel.query(trx).where(alertKeyColumns(key)).first(),
    );
  }
}

/*
 * The writes of every ticket, as prepared statements (tenant-transactions.ts: parsed and planned once per
 * connection). Idempotent by event id and run id, ordered by state_version, as the workflow's retries need.
 */

const TICKET_COLUMNS =
  'id, tenant_id, external_id, title, content, requester_email, status, priority, priority_pinned, customer_tier, ' +
  'category, source, assignee, escalation_level, reopen_count, metadata, created_by, idempotency_key, ' +
  'request_hash, workflow_id, workflow_started_at, state_version, sla_state, sla_clocks, first_response_at, ' +
  'resolved_at, closed_at, created_at, updated_at, sla_due_at, sla_breached';

const INSERT_TICKET: PreparedStatement = {
  name: 'tickets.insert',
  text:
    'insert into tickets (id, tenant_id, title, content, requester_email, priority, priority_pinned, ' +
    'customer_tier, source, metadata, external_id, created_by, idempotency_key, request_hash, workflow_id, status) ' +
    `values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'new') returning ${TICKET_COLUMNS}`,
};

/**
 * The mirror's columns in the order the statements set them, each key of TicketMirror once (a key added to it and
 * not here stops compiling); `sla_due_at`, derived from `sla_clocks`, follows them.
 */
const MIRROR_COLUMNS = Object.keys({
  status: true,
  priority: true,
  category: true,
  assignee: true,
  escalation_level: true,
  reopen_count: true,
  first_response_at: true,
  resolved_at: true,
  closed_at: true,
  sla_state: true,
  sla_clocks: true,
} satisfies Record<keyof TicketMirror, true>) as Array<keyof TicketMirror>;

/** `column = $n, …` for the mirror's columns and `sla_due_at`, numbered from `first`. */
function mirrorAssignments(first: number): string {
  return [...MIRROR_COLUMNS, 'sla_due_at'].map((column, i) => `${column} = $${first + i}`).join(', ');
}

/**
 * A change in one statement (one round trip, where four were): its audit entry, once by event id; then, only if
 * that entry is new, its message, its SLA event (once by alert key) and the mirror snapshot, unless a newer one is
 * there. The parts run on one snapshot, so each waits for the entry through `exists (select 1 from audit)`.
 * Parameters in a select list have no column to take their type from: hence the casts.
 */
const APPLY_CHANGE: PreparedStatement = {
  name: 'tickets.apply_change',
  text: `with audit as (
    insert into audit_log (tenant_id, ticket_id, actor_type, actor_id, action, from_status, to_status, changes, event_id)
    values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    on conflict (event_id) do nothing
    returning id
  ), message as (
    insert into messages (ticket_id, tenant_id, author_type, author_id, body, is_public, event_id)
    select $2::uuid, $1::uuid, $10::text, $11::text, $12::text, $13::boolean, $9::uuid
    where $10::text is not null and exists (select 1 from audit)
  ), sla_event as (
    insert into sla_events (ticket_id, tenant_id, clock, kind, threshold, cycle, due_at, deadline, fired_at,
      remaining_seconds, priority, escalation_level, notification_status)
    select $2::uuid, $1::uuid, $14::text, $15::text, $16::float8, $17::int, $18::timestamptz, $19::timestamptz,
      $20::timestamptz, $21::float8, $22::text, $23::int, $24::text
    where $14::text is not null and exists (select 1 from audit)
    on conflict (ticket_id, clock, kind, threshold, cycle) do nothing
  ), mirror as (
    update tickets set ${mirrorAssignments(26)}, state_version = $25
    where id = $2 and state_version < $25 and exists (select 1 from audit)
  )
  select count(*)::int as applied from audit`,
};

const UPDATE_MIRROR: PreparedStatement = {
  name: 'tickets.mirror',
  text: `update tickets set ${mirrorAssignments(3)}, state_version = $2 where id = $1 and state_version < $2`,
};

/** The ticket's current result is current no more, unless this run was recorded already (a retry). */
const TRIAGE_RESULTS_NOT_CURRENT: PreparedStatement = {
  name: 'triage_results.not_current',
  text:
    'update triage_results set is_current = false where ticket_id = $1 and is_current ' +
    'and not exists (select 1 from triage_results where run_id = $2)',
};

const INSERT_TRIAGE_RESULT: PreparedStatement = {
  name: 'triage_results.insert',
  text:
    'insert into triage_results (ticket_id, tenant_id, run_id, category, urgency, suggested_priority, sentiment, ' +
    'product, language, confidence, reasoning, draft_reply, citations, passages, model_used, latency_ms, ' +
    'prompt_tokens, completion_tokens, is_current) ' +
    'values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, true) ' +
    'on conflict (run_id) do nothing',
};

type AppliedRow = { applied: number };

/** Whether APPLY_CHANGE wrote the change (false: its audit entry existed, a retry). */
function applied(rows: AppliedRow[]): { applied: boolean } {
  return { applied: rows[0]!.applied > 0 };
}

function applyChangeStatement(change: TicketChange): BoundStatement {
  const { message, slaEvent: e } = change;
  return bound(APPLY_CHANGE, [
    change.tenantId,
    change.ticketId,
    change.actor.role,
    change.actor.id,
    change.action,
    change.fromStatus,
    change.mirror.status,
    JSON.stringify(change.details ?? {}),
    change.eventId,
    message?.authorType ?? null,
    message?.authorId ?? null,
    message?.body ?? null,
    message?.isPublic ?? null,
    e?.clock ?? null,
    e?.kind ?? null,
    e?.threshold ?? null,
    e?.cycle ?? null,
    e?.dueAt ?? null,
    e?.deadline ?? null,
    e?.firedAt ?? null,
    e?.remainingSeconds ?? null,
    e?.priority ?? null,
    e?.escalationLevel ?? null,
    e?.notificationStatus ?? null,
    change.stateVersion,
    ...mirrorValues(change.mirror),
  ]);
}

/** The values of mirrorAssignments' parameters. */
function mirrorValues(mirror: TicketMirror): unknown[] {
  const snapshot = mirror.sla_clocks as SlaSnapshot | null;
  const dueAt = snapshot?.clocks ? nearestDeadlineMs(snapshot) : null;
  return [
    ...MIRROR_COLUMNS.map((column) =>
      column === 'sla_clocks' ? JSON.stringify(mirror.sla_clocks) : mirror[column],
    ),
    dueAt === null ? null : new Date(dueAt),
  ];
}

function recordTriageStatements(record: TriageRecord): BoundStatement[] {
  const c = record.classification;
  return [
    bound(TRIAGE_RESULTS_NOT_CURRENT, [record.ticketId, record.runId]),
    bound(INSERT_TRIAGE_RESULT, [
      record.ticketId,
      record.tenantId,
      record.runId,
      c.category,
      c.urgency,
      c.suggestedPriority,
      c.sentiment,
      c.product,
      c.language,
      c.confidence,
      c.reasoning,
      record.draft.body,
      JSON.stringify(record.draft.citations),
      JSON.stringify(record.passages),
      c.model,
      c.latencyMs,
      c.promptTokens,
      c.completionTokens,
    ]),
  ];
}
