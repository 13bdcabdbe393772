/** /v1/tickets: create, list, read, and the agent actions that go to each ticket's workflow. */
import crypto from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import type { z } from 'zod';
import type { TenantModel, TicketModel } from '../../stores/models';
import {
  DuplicateExternalIdError,
  IdempotencyConflictError,
  type TicketRepository,
  decodeCursor,
  hashRequest,
} from '../../stores/ticket-repository';
import type { Actor } from '../../domain/ticket-state';
import type { Logger } from '../../platform/logger';
import type { IntakePressure } from '../../platform/intake-pressure';
import { metrics } from '../../platform/metrics';
import {
  addMessageUpdate,
  assignTicketUpdate,
  closeTicketUpdate,
  escalateTicketUpdate,
  reopenTicketUpdate,
  resolveTicketUpdate,
  setPriorityUpdate,
} from '../../workflows/messages';
import { hasRole, requireRole } from '../auth';
import { uuidFromText } from '../ids';
import { type HttpProblem, parseOr400, problems } from '../problems';
import { presentAuditEntry, presentTicket, presentTicketDetail, presentTicketSummary } from '../presenters';
import {
  assignSchema,
  closeSchema,
  createTicketSchema,
  escalateSchema,
  listEventsQuerySchema,
  listTicketsQuerySchema,
  messageSchema,
  reopenSchema,
  resolveSchema,
  setPrioritySchema,
  ticketIdSchema,
} from '../schemas';
import { tenantAutoCloseAfterMs, tenantPolicy } from '../tenant-policy';
import type { TicketWorkflows } from '../workflow-gateway';

/**
 * Sends JSON with a weak ETag and answers 304 when the client already holds it. The console polls with
 * If-None-Match; browsers add `Cache-Control: no-cache` to such requests, which makes Express's own freshness
 * check answer 200, but an origin may always validate, so this compares the tags itself.
 */
function sendJsonWithEtag(req: Request, res: Response, body: unknown): void {
  const json = JSON.stringify(body);
  const etag = `W/"${crypto.createHash('sha1').update(json).digest('base64url')}"`;
  res.set({ ETag: etag, 'Cache-Control': 'private, no-cache' });
  const held = (req.get('if-none-match') ?? '').split(',').map((t) => t.trim());
  if (held.includes(etag) || held.includes('*')) {
    res.status(304).end();
    return;
  }
  res.type('application/json').send(json);
}

export interface TicketRouterDeps {
  tickets: TicketRepository;
  workflows: TicketWorkflows;
  logger: Logger;
  defaultAutoCloseAfterMs: number;
  /** Counts each create while it is in flight (an `npm start` worker gives way to them). */
  intakePressure?: IntakePressure;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

function idempotencyKey(req: Request): string | null {
  const key = req.get('idempotency-key');
  if (key === undefined) return null;
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw problems.validation([
      { field: 'Idempotency-Key', message: 'must be 1-255 printable ASCII characters' },
    ]);
  }
  return key;
}

/** A UUID derived from the client's Idempotency-Key, so a retried action carries the same update id. */
function actionId(req: Request, ticketId: string, action: string): string {
  const key = idempotencyKey(req);
  if (!key) return crypto.randomUUID();
  return uuidFromText(`${ticketId}:${action}:${key}`);
}

function actorOf(req: Request): Actor {
  const roles = req.principal!.roles;
  const role =
    (['superadmin', 'admin', 'agent', 'client'] as const).find((r) => roles.includes(r)) ?? 'client';
  return { id: req.principal!.sub, role };
}

export function createTicketRouter(deps: TicketRouterDeps): Router {
  const { tickets, workflows, logger } = deps;
  const router = Router();

  async function loadTicket(req: Request): Promise<TicketModel> {
    const id = ticketIdSchema.safeParse(req.params.id);
    if (!id.success) throw problems.notFound('ticket');
    const ticket = await tickets.findById(req.tenant!.id, id.data);
    if (!ticket) throw problems.notFound('ticket');
    return ticket;
  }

  /** Starts the workflow if it is not known to be started; a failure here is repaired by the outbox relay. */
  async function ensureStarted(ticket: TicketModel, tenant: TenantModel): Promise<boolean> {
    if (ticket.workflow_started_at) return true;
    try {
      await workflows.start(
        ticket,
        tenantPolicy(tenant),
        tenantAutoCloseAfterMs(tenant, deps.defaultAutoCloseAfterMs),
      );
      tickets.markWorkflowStartedSoon(ticket.tenant_id, ticket.id, (error) =>
        logger.warn(
          { ticketId: ticket.id, err: error },
          'workflow start not marked: left to the outbox relay',
        ),
      );
      return true;
    } catch (error) {
      logger.warn({ ticketId: ticket.id, err: error }, 'workflow start deferred to the outbox relay');
      return false;
    }
  }

  router.post('/', async (req, res) => {
    const endCreate = deps.intakePressure?.enter();
    // 'close' comes after any answer (an error's too) and when the client goes away.
    if (endCreate) res.once('close', endCreate);
    const body = parseOr400(createTicketSchema, req.body);
    const tenant = req.tenant!;
    const key = idempotencyKey(req);
    let result;
    const databaseTimer = metrics.ticketCreatePhase.startTimer({ phase: 'database' });
    try {
      result = await tickets.create({
        tenantId: tenant.id,
        title: body.title ?? body.content.split('\n')[0]!.slice(0, 120),
        content: body.content,
        requesterEmail: body.email ?? null,
        priority: body.priority ?? 'medium',
        priorityPinned: body.priority !== undefined,
        customerTier: body.customer_tier ?? tenant.tier,
        source: body.source,
        metadata: body.metadata,
        externalId: body.external_id ?? null,
        createdBy: req.principal!.sub,
        idempotencyKey: key,
        requestHash: hashRequest(req.body),
      });
    } catch (error) {
      if (error instanceof IdempotencyConflictError) throw problems.idempotencyKeyReused(error.message);
      if (error instanceof DuplicateExternalIdError) {
        throw problems.conflict('duplicate-external-id', error.message, {
          ticket_id: error.existingTicketId,
        });
      }
      throw error;
    }
    databaseTimer();
    if (result.created) metrics.ticketsCreated.inc({ source: result.ticket.source });
    const startTimer = result.ticket.workflow_started_at
      ? undefined
      : metrics.ticketCreatePhase.startTimer({ phase: 'workflow_start' });
    const started = await ensureStarted(result.ticket, tenant);
    startTimer?.();
    if (!result.created) res.set('Idempotent-Replayed', 'true');
    res
      .status(result.created ? 201 : 200)
      .location(`/v1/tickets/${result.ticket.id}`)
      .json({ ...presentTicket(result.ticket), workflow_started: started });
  });

  router.get('/', async (req, res) => {
    const query = parseOr400(listTicketsQuerySchema, req.query);
    const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
    if ((query.cursor && !cursor) || (cursor && 'sort' in cursor !== (query.sort === 'sla'))) {
      throw problems.validation([{ field: 'cursor', message: 'invalid cursor' }]);
    }
    const { items, nextCursor } = await tickets.list(
      req.tenant!.id,
      {
        status: query.status,
        priority: query.priority,
        category: query.category,
        customerTier: query.customer_tier,
        assignee: query.assignee,
        slaState: query.sla_state,
        createdAfter: query.created_after ? new Date(query.created_after) : undefined,
        createdBefore: query.created_before ? new Date(query.created_before) : undefined,
      },
      query.limit,
      cursor,
      query.sort,
    );
    const now = Date.now();
    sendJsonWithEtag(req, res, {
      items: items.map((t) => presentTicketSummary(t, now)),
      next_cursor: nextCursor,
    });
  });

  /** The ticket's event timeline (the audit log the workflow writes), oldest first: who did what, and why. */
  router.get('/:id/events', requireRole('agent', 'admin'), async (req, res) => {
    const query = parseOr400(listEventsQuerySchema, req.query);
    const ticket = await loadTicket(req);
    const { items, nextCursor } = await tickets.listEvents(
      req.tenant!.id,
      ticket.id,
      query.limit,
      query.cursor,
    );
    sendJsonWithEtag(req, res, {
      items: items.map(presentAuditEntry),
      next_cursor: nextCursor === null ? null : String(nextCursor),
    });
  });

  router.get('/:id', async (req, res) => {
    const id = ticketIdSchema.safeParse(req.params.id);
    if (!id.success) throw problems.notFound('ticket');
    const ticket = await tickets.findDetail(req.tenant!.id, id.data);
    if (!ticket) throw problems.notFound('ticket');
    const audience = hasRole(req, 'agent', 'admin') ? 'agent' : 'client';
    sendJsonWithEtag(req, res, presentTicketDetail(ticket, Date.now(), audience));
  });

  /** The workflow's live state, for ops: what the running workflow holds right now. */
  router.get('/:id/workflow', requireRole('agent', 'admin'), async (req, res) => {
    const ticket = await loadTicket(req);
    res.json(await workflows.live(ticket));
  });

  function action<S extends z.ZodType, Args>(
    name: string,
    schema: S,
    update: Parameters<TicketWorkflows['act']>[1] & { name: string },
    toArgs: (body: z.output<S>, req: Request) => Omit<Args, 'actionId' | 'actor'>,
    roles: Parameters<typeof requireRole> = ['agent', 'admin'],
  ): void {
    router.post(`/:id/${name}`, requireRole(...roles), async (req, res) => {
      const body = parseOr400(schema, req.body);
      const ticket = await loadTicket(req);
      if (!(await ensureStarted(ticket, req.tenant!))) {
        throw problems.unavailable('the ticket workflow could not be reached; retry shortly') as HttpProblem;
      }
      const args = { ...toArgs(body, req), actionId: actionId(req, ticket.id, name), actor: actorOf(req) };
      const view = await workflows.act(ticket, update, args, args.actionId);
      res.json(view);
    });
  }

  action('assign', assignSchema, assignTicketUpdate, (b) => ({ assignee: b.assignee }));
  action(
    'messages',
    messageSchema,
    addMessageUpdate,
    (b, req) => {
      const asAgent = hasRole(req, 'agent', 'admin');
      const author = asAgent ? (b.author ?? 'agent') : 'customer';
      if (!asAgent && (b.author === 'agent' || b.internal || b.next_status)) {
        throw problems.forbidden('clients can only add public customer messages');
      }
      return {
        author,
        body: b.body,
        isPublic: !b.internal,
        ...(b.next_status ? { nextStatus: b.next_status } : {}),
      };
    },
    ['client', 'agent', 'admin'],
  );
  action('escalate', escalateSchema, escalateTicketUpdate, (b) => ({ reason: b.reason, level: b.level }));
  action('resolve', resolveSchema, resolveTicketUpdate, (b) => ({ resolution: b.resolution }));
  action('reopen', reopenSchema, reopenTicketUpdate, (b) => ({ reason: b.reason }));
  action('close', closeSchema, closeTicketUpdate, (b) => ({ reason: b.reason }));
  action('priority', setPrioritySchema, setPriorityUpdate, (b) => ({
    priority: b.priority,
    ...(b.customer_tier ? { customerTier: b.customer_tier } : {}),
  }));

  return router;
}
