/** Notification targets (sealed URLs and secrets) and the record of each delivery. */
import type { Knex } from 'knex';
import type { SecretBox } from '../platform/crypto/secrets';
import { withTenant } from './db';

export interface NotificationTargetRow {
  id: string;
  tenant_id: string;
  type: 'slack' | 'webhook';
  name: string;
  url_sealed: string;
  url_hint: string;
  secret_sealed: string | null;
  events: string[];
  is_active: boolean;
  created_at: Date;
}

export interface NotificationTarget {
  id: string;
  tenantId: string;
  type: 'slack' | 'webhook';
  name: string;
  url: string;
  secret: string | null;
  events: string[];
}

export interface AlertKey {
  tenantId: string;
  ticketId: string;
  clock: string;
  kind: 'warning' | 'breach';
  threshold: number;
  cycle: number;
}

/** The columns that name one alert of a ticket (sla_events' key; notification_deliveries add the target). */
export function alertKeyColumns(key: Omit<AlertKey, 'kind'> & { kind: string }) {
  return {
    tenant_id: key.tenantId,
    ticket_id: key.ticketId,
    clock: key.clock,
    kind: key.kind,
    threshold: key.threshold,
    cycle: key.cycle,
  };
}

export class NotificationRepository {
  constructor(
    private readonly db: Knex,
    private readonly secrets: SecretBox,
  ) {}

  async create(input: {
    tenantId: string;
    type: 'slack' | 'webhook';
    name: string;
    url: string;
    secret?: string;
    events: string[];
  }): Promise<NotificationTargetRow> {
    const row = {
      tenant_id: input.tenantId,
      type: input.type,
      name: input.name,
      url_sealed: this.secrets.seal(input.url, input.tenantId),
      url_hint: new URL(input.url).origin,
      secret_sealed: input.secret ? this.secrets.seal(input.secret, input.tenantId) : null,
      events: JSON.stringify(input.events),
    };
    const [created] = await withTenant(this.db, input.tenantId, (trx) =>
      trx('notification_targets').insert(row).returning('*'),
    );
    return created as NotificationTargetRow;
  }

  list(tenantId: string): Promise<NotificationTargetRow[]> {
    return withTenant(this.db, tenantId, (trx) =>
      trx('notification_targets').where({ tenant_id: tenantId }).orderBy('created_at'),
    );
  }

  async remove(tenantId: string, id: string): Promise<boolean> {
    const deleted = await withTenant(this.db, tenantId, (trx) =>
      trx('notification_targets').where({ tenant_id: tenantId, id }).delete(),
    );
    return deleted > 0;
  }

  async activeTargetIds(tenantId: string, kind: 'warning' | 'breach'): Promise<string[]> {
    const rows: NotificationTargetRow[] = await withTenant(this.db, tenantId, (trx) =>
      trx('notification_targets').where({ tenant_id: tenantId, is_active: true }),
    );
    return rows.filter((r) => r.events.includes(kind)).map((r) => r.id);
  }

  /** The target with its URL and secret opened: only for the delivering activity, never for the API. */
  async open(tenantId: string, id: string): Promise<NotificationTarget | undefined> {
    const row: NotificationTargetRow | undefined = await withTenant(this.db, tenantId, (trx) =>
      trx('notification_targets').where({ tenant_id: tenantId, id }).first(),
    );
    if (!row) return undefined;
    return {
      id: row.id,
      tenantId: row.tenant_id,
      type: row.type,
      name: row.name,
      url: this.secrets.open<string>(row.url_sealed, tenantId),
      secret: row.secret_sealed ? this.secrets.open<string>(row.secret_sealed, tenantId) : null,
      events: row.events,
    };
  }

  /** True when this alert already reached this target (a re-delivery after continue-as-new sends nothing). */
  async wasDelivered(key: AlertKey, targetId: string): Promise<boolean> {
    const row = await withTenant(this.db, key.tenantId, (trx) =>
      trx('notification_deliveries')
        .where({ ...alertKeyColumns(key), target_id: targetId, status: 'sent' })
        .first('id'),
    );
    return row !== undefined;
  }

  async recordAttempt(
    key: AlertKey,
    targetId: string,
    outcome: {
      status: 'retrying' | 'sent' | 'failed';
      attempts: number;
      httpStatus?: number;
      error?: string;
    },
  ): Promise<void> {
    await withTenant(this.db, key.tenantId, (trx) =>
      trx('notification_deliveries')
        .insert({
          ...alertKeyColumns(key),
          target_id: targetId,
          status: outcome.status,
          attempts: outcome.attempts,
          http_status: outcome.httpStatus ?? null,
          last_error: outcome.error ?? null,
          delivered_at: outcome.status === 'sent' ? new Date() : null,
        })
        .onConflict(['ticket_id', 'clock', 'kind', 'threshold', 'cycle', 'target_id'])
        .merge(['status', 'attempts', 'http_status', 'last_error', 'delivered_at', 'updated_at']),
    );
  }

  async recordOutcome(key: AlertKey, status: 'sent' | 'failed' | 'not_configured'): Promise<void> {
    const alert = alertKeyColumns(key);
    // Deliveries still retrying when the workflow stopped waiting for them have failed for good.
    await withTenant(this.db, key.tenantId, async (trx) => {
      await trx('notification_deliveries')
        .where({ ...alert, status: 'retrying' })
        .update({ status: 'failed' });
      await trx('sla_events')
        .where(alert)
        .update({ notification_status: status, notification_sent_at: status === 'sent' ? new Date() : null });
    });
  }
}
