/**
 * /v1/integrations/itsm: a tenant's ITSM connection (admin), and the inbound webhook its tool calls. Inbound
 * events are verified by signature and replay window, deduplicated by event id, and applied to the ticket's
 * workflow as updates marked `origin: itsm`, which the workflow does not sync back (no loops).
 */
import { inboundChange } from '../../domain/inbound-change';
import type { TicketStatus } from '../../domain/vocabulary';
import crypto from 'node:crypto';
import express, { type Request, Router } from 'express';
import { z } from 'zod';
import type { TenantRepository } from '../../stores/tenant-repository';
import type { TicketRepository } from '../../stores/ticket-repository';
import type { IntegrationRepository } from '../../stores/integration-repository';
import { checkItsmOutbound, parseItsmConfig, redactConfig } from '../../connectors/itsm/config';
import type { OutboundPolicy } from '../../platform/net/outbound-policy';
import { parseInbound, verifyInbound } from '../../connectors/itsm/inbound';
import type { Logger } from '../../platform/logger';
import {
  type ActionEnvelope,
  addMessageUpdate,
  closeTicketUpdate,
  reopenTicketUpdate,
  resolveTicketUpdate,
} from '../../workflows/messages';
import { requireRole } from '../auth';
import { uuidFromText } from '../ids';
import { assertJsonDepth, refusedField } from '../middleware/body-guards';
import { HttpProblem, parseOr400, problems } from '../problems';
import { ticketIdSchema } from '../schemas';
import type { TicketWorkflows } from '../workflow-gateway';

export const inboundSecretSchema = z
  .object({ inbound_secret: z.string().min(16).max(512).optional() })
  .passthrough();

export function createIntegrationRouter(deps: {
  integrations: IntegrationRepository;
  outbound: OutboundPolicy;
}): Router {
  const router = Router();

  router.get('/itsm', requireRole('admin'), async (req, res) => {
    const integration = await deps.integrations.open(req.tenant!.id);
    if (!integration) throw problems.notFound('ITSM integration');
    res.json({
      ...redactConfig(integration.config),
      inbound: {
        url: `/v1/integrations/itsm/inbound/${req.tenant!.slug}`,
        secret_configured: integration.inboundSecret !== null,
      },
    });
  });

  router.put('/itsm', requireRole('admin'), async (req, res) => {
    const { inbound_secret: inboundSecret, ...rest } = parseOr400(inboundSecretSchema, req.body);
    const parsed = parseItsmConfig(rest);
    if (!parsed.ok) throw problems.validation(parsed.errors);
    const refused = await checkItsmOutbound(parsed.config, deps.outbound);
    if (refused.length > 0) throw problems.outboundUrlRefused(refused);
    await deps.integrations.save(req.tenant!.id, parsed.config, inboundSecret ?? null);
    res.json({
      ...redactConfig(parsed.config),
      inbound: {
        url: `/v1/integrations/itsm/inbound/${req.tenant!.slug}`,
        secret_configured: inboundSecret !== undefined,
      },
    });
  });

  router.delete('/itsm', requireRole('admin'), async (req, res) => {
    if (!(await deps.integrations.remove(req.tenant!.id))) throw problems.notFound('ITSM integration');
    res.status(204).end();
  });

  return router;
}

export interface InboundDeps {
  tenants: TenantRepository;
  tickets: TicketRepository;
  integrations: IntegrationRepository;
  workflows: TicketWorkflows;
  logger: Logger;
  maxBodyBytes: number;
}

/** Mounted before JSON parsing and JWT auth: the signature over the raw body is the authentication. */
export function createInboundRouter(deps: InboundDeps): Router {
  const router = Router();
  router.post(
    '/itsm/inbound/:tenant',
    express.raw({ type: () => true, limit: deps.maxBodyBytes }),
    async (req: Request, res) => {
      const tenant = await deps.tenants.findByIdOrSlug(String(req.params.tenant));
      const integration = tenant ? await deps.integrations.open(tenant.id) : undefined;
      // The same answer for an unknown tenant and a bad signature: nothing to learn from probing.
      const unauthorized = problems.unauthorized('the webhook signature is missing, invalid or stale');
      if (!tenant || !integration?.inboundSecret) throw unauthorized;
      const tool = integration.config.tool_type;
      const rawBody: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const verified = verifyInbound(tool, {
        headers: req.headers,
        rawBody,
        secret: integration.inboundSecret,
      });
      if (!verified.ok) {
        deps.logger.warn({ tenantId: tenant.id, tool, reason: verified.reason }, 'inbound webhook refused');
        throw unauthorized;
      }
      assertJsonDepth(rawBody);
      let body: unknown;
      try {
        body = JSON.parse(rawBody.toString('utf8'));
      } catch {
        throw problems.malformedJson();
      }
      const refused = refusedField(body);
      if (refused !== undefined) throw problems.validation([refused]);
      let event;
      try {
        event = parseInbound(tool, body, { headers: req.headers, config: integration.config });
      } catch (error) {
        throw problems.validation([
          { field: '(body)', message: error instanceof Error ? error.message : 'unreadable event' },
        ]);
      }
      // Deduplicate on what the signature covers: a delivery header (unsigned) could be changed to replay.
      const eventId = crypto
        .createHash('sha256')
        .update(`${String(req.headers['x-signature-timestamp'] ?? '')}.`)
        .update(rawBody)
        .digest('hex');
      // A correlation id is the tool's word for our ticket: only a ticket of this tenant counts.
      const correlated =
        event.correlationTicketId && ticketIdSchema.safeParse(event.correlationTicketId).success
          ? await deps.tickets.findById(tenant.id, event.correlationTicketId)
          : undefined;
      const ticketId =
        correlated?.id ??
        (await deps.integrations.ticketIdByExternalId(tenant.id, tool, event.externalId)) ??
        null;
      if (!(await deps.integrations.claimInboundEvent(tenant.id, tool, eventId, ticketId, 'received'))) {
        res.json({ status: 'duplicate' });
        return;
      }
      let outcome: string;
      try {
        outcome = await apply(tenant.id, ticketId, event, eventId, tool);
      } catch (error) {
        // Not applied: release the claim, so the tool's redelivery is applied rather than called a duplicate.
        await deps.integrations.releaseInboundEvent(tenant.id, tool, eventId);
        throw error;
      }
      await deps.integrations.setInboundOutcome(tenant.id, tool, eventId, outcome);
      res.json({ status: outcome });
    },
  );

  async function apply(
    tenantId: string,
    ticketId: string | null,
    event: ReturnType<typeof parseInbound>,
    eventId: string,
    tool: string,
  ): Promise<string> {
    if (event.origin === 'triage') return 'ignored_own_change';
    if (event.kind === 'ignored') return 'ignored';
    if (!ticketId) return 'unknown_ticket';
    const ticket = await deps.tickets.findById(tenantId, ticketId);
    if (!ticket) return 'unknown_ticket';
    const envelope: ActionEnvelope = {
      actionId: uuidFromText(`${tenantId}:${tool}:${eventId}`),
      actor: { id: `itsm:${tool}`, role: 'system' },
      origin: 'itsm',
    };
    const change = inboundChange(event, ticket.status as TicketStatus, tool);
    if (!change) return 'no_change';
    try {
      if (change.action === 'comment') {
        await deps.workflows.act(
          ticket,
          addMessageUpdate,
          { ...envelope, author: 'agent', body: change.body, isPublic: change.isPublic },
          envelope.actionId,
        );
        return 'comment_added';
      }
      const update = { resolve: resolveTicketUpdate, close: closeTicketUpdate, reopen: reopenTicketUpdate }[
        change.action
      ];
      const args = change.action === 'resolve' ? { resolution: change.reason } : { reason: change.reason };
      await deps.workflows.act(ticket, update, { ...envelope, ...args }, envelope.actionId);
      return { resolve: 'resolved', close: 'closed', reopen: 'reopened' }[change.action];
    } catch (error) {
      // The change is not legal for the ticket now (say, already resolved): recorded, nothing else to do.
      if (error instanceof HttpProblem && error.status === 409) return 'no_change';
      throw error;
    }
  }

  return router;
}
