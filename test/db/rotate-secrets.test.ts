/** Key rotation of stored credentials: re-sealed with the new key, readable all along. */
import crypto from 'node:crypto';
import { createDb } from '../../src/stores/db';
import { IntegrationRepository } from '../../src/stores/integration-repository';
import { rotateSealedSecrets } from '../../src/stores/rotate-secrets';
import { parseItsmConfig } from '../../src/connectors/itsm/config';
import { secretBoxFromEnv } from '../../src/platform/crypto/secrets';

const oldKey = `old:${crypto.randomBytes(32).toString('base64')}`;
const newKey = `new:${crypto.randomBytes(32).toString('base64')}`;

test('rotation re-seals with the active key; old and new rings read the same credentials', async () => {
  const db = createDb(process.env.TEST_DATABASE_URL!, 2);
  try {
    const [tenant] = await db('tenants')
      .insert({ slug: `rot-${crypto.randomUUID().slice(0, 8)}`, name: 'Rotation' })
      .returning('*');
    const parsed = parseItsmConfig({
      tool_type: 'zendesk',
      base_url: 'https://acme.zendesk.com',
      credentials: { email: 'bot@acme.com', api_token: 'zendesk-token-abc-123' },
      settings: {},
    });
    if (!parsed.ok) throw new Error('config');
    const before = secretBoxFromEnv(oldKey);
    await new IntegrationRepository(db, before).save(tenant.id, parsed.config, 'inbound-secret-0123456789');

    const during = secretBoxFromEnv(`${newKey},${oldKey}`);
    const result = await rotateSealedSecrets(db, during, tenant.id);
    expect(result.rotated).toBeGreaterThanOrEqual(2);
    const row = await db('tenant_integrations').where({ tenant_id: tenant.id }).first();
    expect(row.credentials_sealed.startsWith('v1.new.')).toBe(true);
    expect(row.inbound_secret_sealed.startsWith('v1.new.')).toBe(true);

    const after = secretBoxFromEnv(newKey); // the old key is gone
    const opened = await new IntegrationRepository(db, after).open(tenant.id);
    expect(opened?.config.credentials).toMatchObject({ api_token: 'zendesk-token-abc-123' });
    expect(opened?.inboundSecret).toBe('inbound-secret-0123456789');
    expect((await rotateSealedSecrets(db, during, tenant.id)).rotated).toBe(0);
  } finally {
    await db.destroy();
  }
});
