/** Tenant SLA administration: the policy, applying it to open tickets, notification targets, and reports. */
import { Router } from 'express';
import type { ReportRepository } from '../../stores/report-repository';
import type { TenantRepository } from '../../stores/tenant-repository';
import { resolveSlaPolicy } from '../../domain/sla-policy';
import type { NotificationRepository } from '../../stores/notification-repository';
import { type OutboundPolicy, checkConfiguredUrl } from '../../platform/net/outbound-policy';
import { isUuid } from '../../domain/uuid';
import { requireRole } from '../auth';
import { parseOr400, problems } from '../problems';
import {
  type TenantSettings,
  notificationTargetSchema,
  slaPolicySchema,
  slaReportQuerySchema,
} from '../schemas';
import { assertPolicyMeetable, tenantPolicy } from '../tenant-policy';
import type { TicketWorkflows } from '../workflow-gateway';

export interface SlaRouterDeps {
  tenants: TenantRepository;
  notifications: NotificationRepository;
  /** Checks a target's URL before it is saved (SSRF). */
  outbound: OutboundPolicy;
  reports: ReportRepository;
  workflows: TicketWorkflows;
}

export function createSlaRouter(deps: SlaRouterDeps): Router {
  const router = Router();

  router.get('/sla-policy', requireRole('admin', 'agent'), (req, res) => {
    res.json(tenantPolicy(req.tenant!));
  });

  /** Replaces the tenant's policy (fields left out take seed 004's defaults). Open tickets keep theirs until applied. */
  router.put('/sla-policy', requireRole('admin'), async (req, res) => {
    const overrides = parseOr400(slaPolicySchema, req.body);
    assertPolicyMeetable(overrides);
    const settings: TenantSettings = { ...(req.tenant!.settings as TenantSettings), sla_policy: overrides };
    const tenant = await deps.tenants.updateSettings(req.tenant!.id, settings);
    res.json(tenantPolicy(tenant));
  });

  router.post('/sla-policy/apply', requireRole('admin'), async (req, res) => {
    const overrides = (req.tenant!.settings as TenantSettings).sla_policy;
    // A policy stored before this check existed is refused here rather than sent to every open ticket.
    assertPolicyMeetable(overrides, 'sla_policy.');
    const policy = resolveSlaPolicy(overrides);
    const operationId = await deps.workflows.startPolicyApply(req.tenant!.id, policy);
    res
      .status(202)
      .location(`/v1/sla-policy/operations/${operationId}`)
      .json({ operation_id: operationId, status_url: `/v1/sla-policy/operations/${operationId}` });
  });

  router.get('/sla-policy/operations/:id', requireRole('admin'), async (req, res) => {
    const progress = await deps.workflows.policyApplyProgress(req.tenant!.id, String(req.params.id));
    if (!progress) throw problems.notFound('operation');
    res.json(progress);
  });

  router.get('/notification-targets', requireRole('admin'), async (req, res) => {
    const rows = await deps.notifications.list(req.tenant!.id);
    res.json({
      items: rows.map((r) => ({
        id: r.id,
        type: r.type,
        name: r.name,
        url: `${r.url_hint}/…`,
        has_secret: r.secret_sealed !== null,
        events: r.events,
        is_active: r.is_active,
        created_at: r.created_at.toISOString(),
      })),
    });
  });

  router.post('/notification-targets', requireRole('admin'), async (req, res) => {
    const body = parseOr400(notificationTargetSchema, req.body);
    const refused = await checkConfiguredUrl(deps.outbound, 'url', body.url);
    if (refused) throw problems.outboundUrlRefused([refused]);
    const row = await deps.notifications.create({ tenantId: req.tenant!.id, ...body });
    res
      .status(201)
      .json({ id: row.id, type: row.type, name: row.name, url: `${row.url_hint}/…`, events: row.events });
  });

  router.delete('/notification-targets/:id', requireRole('admin'), async (req, res) => {
    const id = String(req.params.id);
    if (!isUuid(id) || !(await deps.notifications.remove(req.tenant!.id, id))) {
      throw problems.notFound('notification target');
    }
    res.status(204).end();
  });

  router.get('/reports/sla', requireRole('admin', 'agent'), async (req, res) => {
    const q = parseOr400(slaReportQuerySchema, req.query);
    const from = new Date(q.from);
    const to = new Date(q.to);
    const [byPriority, byTier] = await Promise.all([
      deps.reports.slaBreakdown(req.tenant!.id, from, to, 'priority'),
      deps.reports.slaBreakdown(req.tenant!.id, from, to, 'customer_tier'),
    ]);
    res.json({ from: from.toISOString(), to: to.toISOString(), by_priority: byPriority, by_tier: byTier });
  });

  return router;
}
