/** /v1/tenants: superadmins create tenants; everyone can read their own. */
import { type RequestHandler, Router } from 'express';
import { DuplicateTenantError, type TenantRepository } from '../../stores/tenant-repository';
import { requireRole } from '../auth';
import { parseOr400, problems } from '../problems';
import { presentTenant } from '../presenters';
import { createTenantSchema, tenantSettingsSchema } from '../schemas';
import { assertPolicyMeetable } from '../tenant-policy';

/** Creating a tenant needs no tenant of the caller's own: a superadmin bootstraps the first one. */
export function createTenantRouter(tenants: TenantRepository, tenantScope: RequestHandler): Router {
  const router = Router();

  router.post('/', requireRole('superadmin'), async (req, res) => {
    const body = parseOr400(createTenantSchema, req.body);
    assertPolicyMeetable(body.settings.sla_policy, 'settings.sla_policy.');
    try {
      const tenant = await tenants.create(body);
      res.status(201).location(`/v1/tenants/${tenant.id}`).json(presentTenant(tenant));
    } catch (error) {
      if (error instanceof DuplicateTenantError) throw problems.conflict('duplicate-tenant', error.message);
      throw error;
    }
  });

  /** An admin's own settings: categories, products, escalation triggers, auto-close, SLA policy. */
  router.put('/current/settings', tenantScope, requireRole('admin'), async (req, res) => {
    const settings = parseOr400(tenantSettingsSchema, req.body);
    assertPolicyMeetable(settings.sla_policy, 'sla_policy.');
    res.json(presentTenant(await tenants.updateSettings(req.tenant!.id, settings)));
  });

  router.get('/current', tenantScope, async (req, res) => {
    res.json(presentTenant(req.tenant!));
  });

  return router;
}
