import type { Knex } from 'knex';
import { type PlatformDb, isUniqueViolation, withTenant } from './db';
import { TenantModel } from './models';
import { isUuid } from '../domain/uuid';
import { type TenantConfigCache, uncachedTenantConfig } from './tenant-config-cache';

export class DuplicateTenantError extends Error {
  constructor(readonly field: 'slug' | 'name') {
    super(`a tenant with this ${field} already exists`);
  }
}

export class TenantRepository {
  /**
   * `db`: the application's pool, which reads every tenant (tokens name theirs by slug) and changes the settings
   * of the tenant its transaction names only; `platform`: the owner's, which creates tenants (superadmins).
   */
  constructor(
    private readonly db: Knex,
    private readonly platform: PlatformDb,
    private readonly tenantConfig: TenantConfigCache = uncachedTenantConfig,
  ) {}

  /** Tenant ids by slug as last read: a token's slug finds its tenant in the cache (checked against its row). */
  private readonly idsBySlug = new Map<string, string>();

  async create(input: {
    slug: string;
    name: string;
    tier: string;
    settings: Record<string, unknown>;
  }): Promise<TenantModel> {
    try {
      return await TenantModel.query(this.platform).insertAndFetch(input);
    } catch (error) {
      if (isUniqueViolation(error, 'tenants_slug_unique')) throw new DuplicateTenantError('slug');
      throw error;
    }
  }

  /** Tokens name their tenant by id or by slug. The row is shared with other readers: never change it. */
  async findByIdOrSlug(idOrSlug: string): Promise<TenantModel | undefined> {
    if (isUuid(idOrSlug)) return this.findById(idOrSlug);
    const knownId = this.idsBySlug.get(idOrSlug);
    if (knownId) {
      const tenant = await this.findById(knownId);
      if (tenant?.slug === idOrSlug) return tenant;
    }
    const tenant = await TenantModel.query(this.db).where({ slug: idOrSlug }).first();
    if (tenant) this.idsBySlug.set(idOrSlug, tenant.id);
    return tenant;
  }

  private async findById(id: string): Promise<TenantModel | undefined> {
    const tenant = await this.tenantConfig.get(id, 'tenant', async () =>
      TenantModel.query(this.db).findById(id),
    );
    if (tenant) this.idsBySlug.set(tenant.slug, tenant.id);
    return tenant;
  }

  async updateSettings(id: string, settings: object): Promise<TenantModel> {
    return this.tenantConfig.changing(id, () =>
      withTenant(this.db, id, (trx) =>
        TenantModel.query(trx).patchAndFetchById(id, { settings } as Partial<TenantModel>),
      ),
    );
  }
}
