/** API-only process (docker-compose's `api` service): needs DATABASE_URL and TEMPORAL_ADDRESS. */
import { ConfigError, loadConfig } from '../platform/config';
import { createAiStack } from '../connectors/ai/stack';
import { createDatabases, destroyDatabases, migrateToLatest } from '../stores/db';
import { resolveAuthOptions, resolvePayloadKeys, resolveSecretKeys } from '../platform/dev-secret';
import { secretBoxFromEnv } from '../platform/crypto/secrets';
import { createLifecycle } from '../platform/lifecycle';
import { createLogger, wantsPrettyLogs } from '../platform/logger';
import { startApi } from './start';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'api', { pretty: wantsPrettyLogs(config.env) });
  if (!config.database.url || !config.temporal.address) {
    throw new ConfigError(
      'the API process needs DATABASE_URL and TEMPORAL_ADDRESS (npm start runs everything locally)',
    );
  }
  const lifecycle = createLifecycle(logger);
  const dbs = createDatabases({
    url: config.database.url,
    appUrl: config.database.appUrl,
    poolMax: config.database.poolMax,
  });
  lifecycle.onStop('database pools', () => destroyDatabases(dbs));
  // The API searches the knowledge base itself; with the embedded store, run API and worker in one process.
  const ai = createAiStack(config, logger, undefined, dbs.app);
  lifecycle.onStop('ai stack', () => ai.close());
  await migrateToLatest(dbs.platform);
  const api = await startApi({
    config,
    auth: resolveAuthOptions(config),
    secrets: secretBoxFromEnv(resolveSecretKeys(config)),
    ai,
    dbs,
    temporalAddress: config.temporal.address,
    logger,
    payloadKeys: resolvePayloadKeys(config),
  });
  lifecycle.onStop('api', () => api.stop());
  logger.info({ url: api.url }, 'API listening');
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
