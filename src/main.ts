/**
 * `npm start`: the whole product in one process. PostgreSQL (DATABASE_URL or embedded), Temporal
 * (TEMPORAL_ADDRESS or a dev server with its UI), migrations, the worker and the API.
 */
import path from 'node:path';
import { ConfigError, loadConfig } from './platform/config';
import { createDb, migrateToLatest } from './stores/db';
import { resolveAuthOptions, resolvePayloadKeys, resolveSecretKeys } from './platform/dev-secret';
import { secretBoxFromEnv } from './platform/crypto/secrets';
import { createLogger } from './platform/logger';
import { resolvePostgres } from './platform/postgres';
import { ensureSearchAttributes, resolveTemporal } from './platform/temporal-server';
import { createAiStack } from './connectors/ai/stack';
import { startApi } from './api/start';
import { createWorker, defaultActivityDeps } from './worker';
import { createOutboundPolicy } from './platform/net/outbound-policy';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const auth = resolveAuthOptions(config);
  const secrets = secretBoxFromEnv(resolveSecretKeys(config));
  const payloadKeys = resolvePayloadKeys(config);
  const pg = await resolvePostgres({
    databaseUrl: config.database.url,
    dataDir: config.dataDir,
    embeddedPort: config.database.embeddedPort,
    logger,
  });
  const db = createDb(pg.url, config.database.poolMax);
  const applied = await migrateToLatest(db);
  logger.info({ applied: applied.map((m) => path.basename(m)) }, 'database migrated');

  const ai = createAiStack(config, logger, undefined, db);
  await ai.warmUp();
  const temporal = await resolveTemporal({
    address: config.temporal.address,
    cliPath: config.temporal.cliPath,
    dataDir: config.dataDir,
    port: config.temporal.devPort,
    uiPort: config.temporal.uiPort,
    namespace: config.temporal.namespace,
    uiUrl: config.temporal.uiUrl,
    logger,
    codecEndpoint: `http://localhost:${config.http.port}/codec`,
  });
  await ensureSearchAttributes(temporal.address, config.temporal.namespace, logger);
  const { worker, connection } = await createWorker({
    address: temporal.address,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    payloadKeys,
    deps: defaultActivityDeps({
      db,
      ai,
      logger,
      secrets,
      itsmTimeoutMs: config.itsmTimeoutMs,
      outbound: createOutboundPolicy({ allow: config.outbound.allowNetworks }),
      openai: config.openai,
      links: {
        publicUrl: config.publicUrl,
        temporalUiUrl: temporal.uiUrl,
        namespace: config.temporal.namespace,
      },
    }),
  });
  const workerRun = worker.run();
  const api = await startApi({
    config,
    auth,
    secrets,
    ai,
    db,
    temporalAddress: temporal.address,
    logger,
    payloadKeys,
  });

  logger.info(
    {
      api: api.url,
      temporal: temporal.address,
      temporalUi: temporal.uiUrl,
      database: pg.embedded ? 'embedded' : 'DATABASE_URL',
    },
    `ready: API ${api.url}, Temporal UI ${temporal.uiUrl ?? '(external)'}; mint a token with: npm run token -- --tenant <slug> --role agent`,
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await api.stop();
    worker.shutdown();
    await workerRun;
    await connection.close();
    await db.destroy();
    await ai.close();
    await temporal.stop();
    await pg.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
