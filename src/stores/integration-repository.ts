/** A tenant's ITSM connection (credentials sealed), its tickets' external references, and inbound dedup. */
import type { Knex } from 'knex';
import { isUniqueViolation, withTenant } from './db';
import { type TenantConfigCache, uncachedTenantConfig } from './tenant-config-cache';
import {
  type ItsmConfig,
  type ParseResult,
  type StoredItsmConfig,
  openItsmConfig,
  sealItsmConfig,
} from '../connectors/itsm/config';
import type { SecretBox } from '../platform/crypto/secrets';
import type { ExternalRef, ToolType } from '../connectors/itsm/types';

export interface OpenedIntegration {
  config: ItsmConfig;
  inboundSecret: string | null;
}

export class IntegrationRepository {
  /** `tenantConfig`: where whether the tenant has an active tool is kept between tickets. */
  constructor(
    private readonly db: Knex,
    private readonly secrets: SecretBox,
    private readonly tenantConfig: TenantConfigCache = uncachedTenantConfig,
  ) {}

  async save(tenantId: string, config: ItsmConfig, inboundSecret: string | null): Promise<void> {
    const stored = sealItsmConfig(config, this.secrets, tenantId);
    const row = {
      tenant_id: tenantId,
      tool_type: stored.tool_type,
      base_url: stored.base_url,
      settings: JSON.stringify(stored.settings),
      credentials_sealed: stored.credentials_sealed,
      inbound_secret_sealed: inboundSecret ? this.secrets.seal(inboundSecret, tenantId) : null,
      is_active: true,
    };
    await this.tenantConfig.changing(tenantId, () =>
      withTenant(this.db, tenantId, (trx) =>
        trx('tenant_integrations').insert(row).onConflict('tenant_id').merge(),
      ),
    );
  }

  /** Whether the tenant has an active ITSM tool (nothing opened). */
  async isActive(tenantId: string): Promise<boolean> {
    return this.tenantConfig.get(tenantId, 'itsm-active', async () => {
      const row = await withTenant(this.db, tenantId, (trx) =>
        trx('tenant_integrations').where({ tenant_id: tenantId, is_active: true }).first('tenant_id'),
      );
      return row !== undefined;
    });
  }

  /** The configuration with credentials opened: for activities and the inbound route only. */
  async open(tenantId: string): Promise<OpenedIntegration | undefined> {
    const row = await withTenant(this.db, tenantId, (trx) =>
      trx('tenant_integrations').where({ tenant_id: tenantId, is_active: true }).first(),
    );
    if (!row) return undefined;
    const stored: StoredItsmConfig = {
      tool_type: row.tool_type,
      base_url: row.base_url,
      settings: row.settings,
      credentials_sealed: row.credentials_sealed,
    };
    const parsed: ParseResult = openItsmConfig(stored, this.secrets, tenantId);
    if (!parsed.ok) throw new Error(`stored ITSM configuration of tenant ${tenantId} no longer validates`);
    return {
      config: parsed.config,
      inboundSecret: row.inbound_secret_sealed
        ? this.secrets.open<string>(row.inbound_secret_sealed, tenantId)
        : null,
    };
  }

  async remove(tenantId: string): Promise<boolean> {
    const deleted = await this.tenantConfig.changing(tenantId, () =>
      withTenant(this.db, tenantId, (trx) =>
        trx('tenant_integrations').where({ tenant_id: tenantId }).delete(),
      ),
    );
    return deleted > 0;
  }

  async findRef(tenantId: string, ticketId: string, system: ToolType): Promise<ExternalRef | undefined> {
    const row = await withTenant(this.db, tenantId, (trx) =>
      trx('ticket_external_refs').where({ tenant_id: tenantId, ticket_id: ticketId, system }).first(),
    );
    return row
      ? {
          system,
          externalId: row.external_id,
          externalUrl: row.external_url,
          externalStatus: row.external_status,
        }
      : undefined;
  }

  async saveRef(tenantId: string, ticketId: string, ref: ExternalRef): Promise<void> {
    await withTenant(this.db, tenantId, (trx) =>
      trx('ticket_external_refs')
        .insert({
          tenant_id: tenantId,
          ticket_id: ticketId,
          system: ref.system,
          external_id: ref.externalId,
          external_url: ref.externalUrl,
          external_status: ref.externalStatus,
        })
        .onConflict(['ticket_id', 'system'])
        .merge(['external_id', 'external_url', 'external_status']),
    );
  }

  async ticketIdByExternalId(
    tenantId: string,
    system: ToolType,
    externalId: string,
  ): Promise<string | undefined> {
    const row = await withTenant(this.db, tenantId, (trx) =>
      trx('ticket_external_refs').where({ tenant_id: tenantId, system, external_id: externalId }).first(),
    );
    return row?.ticket_id;
  }

  /** Records an inbound event; false when it was seen before (a replay or a redelivery). */
  async claimInboundEvent(
    tenantId: string,
    system: ToolType,
    eventId: string,
    ticketId: string | null,
    outcome: string,
  ): Promise<boolean> {
    try {
      await withTenant(this.db, tenantId, (trx) =>
        trx('inbound_events').insert({
          tenant_id: tenantId,
          system,
          event_id: eventId,
          ticket_id: ticketId,
          outcome,
        }),
      );
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async releaseInboundEvent(tenantId: string, system: ToolType, eventId: string): Promise<void> {
    await withTenant(this.db, tenantId, (trx) =>
      trx('inbound_events').where({ tenant_id: tenantId, system, event_id: eventId }).delete(),
    );
  }

  async setInboundOutcome(
    tenantId: string,
    system: ToolType,
    eventId: string,
    outcome: string,
  ): Promise<void> {
    await withTenant(this.db, tenantId, (trx) =>
      trx('inbound_events').where({ tenant_id: tenantId, system, event_id: eventId }).update({ outcome }),
    );
  }
}
