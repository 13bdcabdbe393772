/** Worker-only process (docker-compose's `worker` service): needs DATABASE_URL and TEMPORAL_ADDRESS. */
import { ConfigError, loadConfig } from '../platform/config';
import { createAiStack } from '../connectors/ai/stack';
import { createDatabases, destroyDatabases } from '../stores/db';
import { resolvePayloadKeys, resolveSecretKeys } from '../platform/dev-secret';
import { createLifecycle } from '../platform/lifecycle';
import { createLogger, wantsPrettyLogs } from '../platform/logger';
import { startMetricsServer } from '../platform/metrics-server';
import { ensureSearchAttributes } from '../platform/temporal-server';
import { secretBoxFromEnv } from '../platform/crypto/secrets';
import { createWorker, defaultActivityDeps, installRuntime } from '.';
import { createOutboundPolicy } from '../platform/net/outbound-policy';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'worker', { pretty: wantsPrettyLogs(config.env) });
  if (!config.database.url || !config.temporal.address) {
    throw new ConfigError(
      'the worker process needs DATABASE_URL and TEMPORAL_ADDRESS (npm start runs everything locally)',
    );
  }
  const lifecycle = createLifecycle(logger);
  const dbs = createDatabases({
    url: config.database.url,
    appUrl: config.database.appUrl,
    poolMax: config.database.poolMax,
  });
  lifecycle.onStop('database pools', () => destroyDatabases(dbs));
  const ai = createAiStack(config, logger, undefined, dbs.app);
  lifecycle.onStop('ai stack', () => ai.close());
  await ai.warmUp();
  await ensureSearchAttributes(config.temporal.address, config.temporal.namespace, logger);
  installRuntime(logger, { metricsBindAddress: config.temporal.metricsAddress });
  const { worker, connection } = await createWorker({
    address: config.temporal.address,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    payloadKeys: resolvePayloadKeys(config),
    deps: defaultActivityDeps({
      dbs,
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
  lifecycle.onStop('worker connection', () => connection.close());
  const run = worker.run();
  lifecycle.onStop('worker', async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await run;
  });
  // The product's own metrics of this process (activities: triage, SLA alerts, ITSM syncs, notifications).
  const metrics = await startMetricsServer(config.metricsPort, config.http.host);
  lifecycle.onStop('metrics', () => metrics.stop());
  logger.info({ metrics: metrics.url, taskQueue: config.temporal.taskQueue }, 'worker running');
  await run.catch((error) => {
    logger.error({ err: error }, 'worker failed');
    return lifecycle.shutdown('worker failed', 1);
  });
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
