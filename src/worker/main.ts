/** Worker-only process (docker-compose's `worker` service): needs DATABASE_URL and TEMPORAL_ADDRESS. */
import { loadConfig } from '../platform/config';
import { createAiStack } from '../connectors/ai/stack';
import { createDb } from '../stores/db';
import { resolvePayloadKeys, resolveSecretKeys } from '../platform/dev-secret';
import { createLogger } from '../platform/logger';
import { ensureSearchAttributes } from '../platform/temporal-server';
import { secretBoxFromEnv } from '../platform/crypto/secrets';
import { createWorker, defaultActivityDeps } from '.';
import { createOutboundPolicy } from '../platform/net/outbound-policy';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'worker');
  if (!config.database.url || !config.temporal.address) {
    throw new Error(
      'the worker process needs DATABASE_URL and TEMPORAL_ADDRESS (npm start runs everything locally)',
    );
  }
  const db = createDb(config.database.url, config.database.poolMax);
  const ai = createAiStack(config, logger, undefined, db);
  await ai.warmUp();
  await ensureSearchAttributes(config.temporal.address, config.temporal.namespace, logger);
  const { worker, connection } = await createWorker({
    address: config.temporal.address,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    payloadKeys: resolvePayloadKeys(config),
    deps: defaultActivityDeps({
      db,
      ai,
      logger,
      secrets: secretBoxFromEnv(resolveSecretKeys(config)),
      itsmTimeoutMs: config.itsmTimeoutMs,
      outbound: createOutboundPolicy({ allow: config.outbound.allowNetworks }),
      openai: config.openai,
      links: {
        publicUrl: config.publicUrl,
        temporalUiUrl: config.temporal.uiUrl,
        namespace: config.temporal.namespace,
      },
    }),
  });
  const stop = () => worker.shutdown();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await worker.run();
  await connection.close();
  await db.destroy();
  await ai.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
