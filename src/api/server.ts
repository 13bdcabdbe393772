/** API-only process (docker-compose's `api` service): needs DATABASE_URL and TEMPORAL_ADDRESS. */
import { loadConfig } from '../platform/config';
import { createAiStack } from '../connectors/ai/stack';
import { createDb, migrateToLatest } from '../stores/db';
import { resolveAuthOptions, resolvePayloadKeys, resolveSecretKeys } from '../platform/dev-secret';
import { secretBoxFromEnv } from '../platform/crypto/secrets';
import { createLogger } from '../platform/logger';
import { startApi } from './start';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'api');
  if (!config.database.url || !config.temporal.address) {
    throw new Error(
      'the API process needs DATABASE_URL and TEMPORAL_ADDRESS (npm start runs everything locally)',
    );
  }
  const db = createDb(config.database.url, config.database.poolMax);
  // The API searches the knowledge base itself; with the embedded store, run API and worker in one process.
  const ai = createAiStack(config, logger, undefined, db);
  await migrateToLatest(db);
  const api = await startApi({
    config,
    auth: resolveAuthOptions(config),
    secrets: secretBoxFromEnv(resolveSecretKeys(config)),
    ai,
    db,
    temporalAddress: config.temporal.address,
    logger,
    payloadKeys: resolvePayloadKeys(config),
  });
  logger.info({ url: api.url }, 'API listening');
  const stop = async () => {
    await api.stop();
    await db.destroy();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
