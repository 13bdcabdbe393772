/**
 * Re-seals every stored secret with the active key, so an old key can leave the ring. Safe while the product
 * runs: values sealed with any key in the ring open, so readers never see a half-rotated state. A platform
 * operation across tenants: it runs on the owner's pool, which row-level security does not restrict.
 */
import type { PlatformDb } from './db';
import type { SecretBox } from '../platform/crypto/secrets';
import { ownValue } from '../domain/lookup';

const SEALED_COLUMNS: Array<{ table: string; key: string; columns: string[] }> = [
  { table: 'tenant_integrations', key: 'id', columns: ['credentials_sealed', 'inbound_secret_sealed'] },
  { table: 'notification_targets', key: 'id', columns: ['url_sealed', 'secret_sealed'] },
];

/** Rotates every tenant's secrets, or one tenant's. */
export async function rotateSealedSecrets(
  db: PlatformDb,
  box: SecretBox,
  tenantId?: string,
): Promise<{ checked: number; rotated: number }> {
  let checked = 0;
  let rotated = 0;
  for (const { table, key, columns } of SEALED_COLUMNS) {
    const query = db(table).select(key, 'tenant_id', ...columns);
    if (tenantId) query.where({ tenant_id: tenantId });
    const rows: Array<Record<string, string | null>> = await query;
    for (const row of rows) {
      const changes = new Map<string, string>();
      for (const column of columns) {
        const sealed = ownValue(row, column);
        if (!sealed) continue;
        checked += 1;
        if (box.needsRotation(sealed)) changes.set(column, box.rotate(sealed, row.tenant_id!));
      }
      if (changes.size > 0) {
        await db(table)
          .where({ [key]: ownValue(row, key) })
          .update(Object.fromEntries(changes));
        rotated += changes.size;
      }
    }
  }
  return { checked, rotated };
}
