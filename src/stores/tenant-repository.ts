import type { Knex } from 'knex';
import { type PlatformDb, isUniqueViolation, withTenant } from './db';
import { TenantModel } from './models';

export class DuplicateTenantError extends Error {
  constructor(readonly field: 'slug' | 'name') {
    super(`a tenant with this ${field} already exists`);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class TenantRepository {
  /**
   * `db`: the application's pool, which reads every tenant (tokens name theirs by slug) and changes the settings
   * of the tenant its transaction names only; `platform`: the owner's, which creates tenants (superadmins).
   */
  constructor(
    private readonly db: Knex,
    private readonly platform: PlatformDb,
  ) {}

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

  /** Tokens name their tenant by id or by slug. */
  async findByIdOrSlug(idOrSlug: string): Promise<TenantModel | undefined> {
    const q = TenantModel.query(this.db);
    return (UUID.test(idOrSlug) ? q.where({ id: idOrSlug }) : q.where({ slug: idOrSlug })).first();
  }

  async updateSettings(id: string, settings: object): Promise<TenantModel> {
    return withTenant(this.db, id, (trx) =>
      TenantModel.query(trx).patchAndFetchById(id, { settings } as Partial<TenantModel>),
    );
  }
}
