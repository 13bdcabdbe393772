/** /v1/analytics/{tickets,sla,agents}: the seed dashboards' figures over a date range (admin). */
import { Router } from 'express';
import { z } from 'zod';
import type { AnalyticsRepository } from '../../stores/analytics-repository';
import { requireRole } from '../auth';
import { parseOr400, problems } from '../problems';

const MAX_RANGE_DAYS = 366;

const rangeSchema = z
  .object({
    from: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
    to: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
  })
  .strict();

/** [from, to): by default the last 30 days. */
function range(query: unknown): { from: Date; to: Date } {
  const q = parseOr400(rangeSchema, query);
  const to = q.to ? new Date(q.to) : new Date();
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * 86_400_000);
  if (from >= to) throw problems.validation([{ field: 'from', message: 'must be before `to`' }]);
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000)
    throw problems.validation([{ field: 'from', message: `the range is at most ${MAX_RANGE_DAYS} days` }]);
  return { from, to };
}

export function createAnalyticsRouter(deps: { analytics: AnalyticsRepository }): Router {
  const router = Router();
  const admin = requireRole('admin');

  router.get('/analytics/tickets', admin, async (req, res) => {
    const { from, to } = range(req.query);
    res.json({ from, to, ...(await deps.analytics.tickets(req.tenant!.id, from, to)) });
  });

  /** Compliance = met / (met + breached), as the SLA report (`/v1/reports/sla`): met is resolved or closed without a breach. */
  router.get('/analytics/sla', admin, async (req, res) => {
    const { from, to } = range(req.query);
    res.json({ from, to, ...(await deps.analytics.slaCompliance(req.tenant!.id, from, to)) });
  });

  router.get('/analytics/agents', admin, async (req, res) => {
    const { from, to } = range(req.query);
    res.json({ from, to, items: await deps.analytics.agents(req.tenant!.id, from, to) });
  });

  return router;
}
