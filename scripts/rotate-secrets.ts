/**
 * After putting a new key first in SECRET_KEYS (keeping the old one after it): `npm run secrets:rotate`
 * re-seals every stored credential with the new key; then the old key can be removed.
 * `npm run secrets:rotate -- <tenant id>` rotates one tenant's.
 */
import { loadConfig } from '../src/platform/config';
import { createDb } from '../src/stores/db';
import { resolveSecretKeys } from '../src/platform/dev-secret';
import { rotateSealedSecrets } from '../src/stores/rotate-secrets';
import { secretBoxFromEnv } from '../src/platform/crypto/secrets';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.database.url) throw new Error('set DATABASE_URL to the database to rotate');
  const db = createDb(config.database.url, 2);
  try {
    const result = await rotateSealedSecrets(
      db,
      secretBoxFromEnv(resolveSecretKeys(config)),
      process.argv[2],
    );
    console.log(`checked ${result.checked} sealed values, re-sealed ${result.rotated} with the active key`);
  } finally {
    await db.destroy();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
