/**
 * `npm start`: the whole product in one process. PostgreSQL (DATABASE_URL or embedded), Temporal
 * (TEMPORAL_ADDRESS or a dev server with its UI), migrations, the worker and the API.
 *
 * Ctrl-C / SIGTERM stop it in order (src/platform/lifecycle.ts): the API stops taking requests and finishes those
 * in flight, the worker drains, then the connections, the dev server and the embedded PostgreSQL; exit code 0.
 */
import path from 'node:path';
import { ConfigError, loadConfig } from './platform/config';
import { createDatabases, destroyDatabases, migrateToLatest } from './stores/db';
import { resolveAuthOptions, resolvePayloadKeys, resolveSecretKeys } from './platform/dev-secret';
import { secretBoxFromEnv } from './platform/crypto/secrets';
import { type Lifecycle, createLifecycle } from './platform/lifecycle';
import { createLogger, wantsPrettyLogs } from './platform/logger';
import { PortInUseError, assertPortFree } from './platform/ports';
import { resolvePostgres } from './platform/postgres';
import { ensureSearchAttributes, resolveTemporal } from './platform/temporal-server';
import { createAiStack } from './connectors/ai/stack';
import { startApi } from './api/start';
import { createWorker, defaultActivityDeps, installRuntime } from './worker';
import { createOutboundPolicy } from './platform/net/outbound-policy';

let lifecycle: Lifecycle | undefined;

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'support-triage', { pretty: wantsPrettyLogs(config.env) });
  const stops = createLifecycle(logger);
  lifecycle = stops;
  const started = Date.now();
  // A port held by another process stops the start here, before anything is started (or attached to).
  await assertPortFree(config.http.port, config.http.host, 'API', 'PORT');
  if (!config.temporal.address) {
    await assertPortFree(config.temporal.devPort, '127.0.0.1', 'Temporal dev server', 'TEMPORAL_DEV_PORT');
    await assertPortFree(config.temporal.uiPort, '127.0.0.1', 'Temporal UI', 'TEMPORAL_UI_PORT');
  }
  const auth = resolveAuthOptions(config);
  const secrets = secretBoxFromEnv(resolveSecretKeys(config));
  const payloadKeys = resolvePayloadKeys(config);
  const pg = await resolvePostgres({
    databaseUrl: config.database.url,
    dataDir: config.dataDir,
    embeddedPort: config.database.embeddedPort,
    logger,
  });
  stops.onStop('postgres', () => pg.stop());
  // Embedded PostgreSQL: one URL (the owner's); the application's pool switches to its role on each connection.
  const dbs = createDatabases({
    url: pg.url,
    appUrl: pg.embedded ? undefined : config.database.appUrl,
    poolMax: config.database.poolMax,
  });
  stops.onStop('database pools', () => destroyDatabases(dbs));
  const applied = await migrateToLatest(dbs.platform);
  logger.info({ applied: applied.map((m) => path.basename(m)) }, 'database migrated');

  const ai = createAiStack(config, logger, undefined, dbs.app);
  stops.onStop('ai stack', () => ai.close());
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
  stops.onStop('temporal dev server', () => temporal.stop());
  await Promise.all([
    ai.warmUp(),
    ensureSearchAttributes(temporal.address, config.temporal.namespace, logger),
  ]);
  installRuntime(logger, { metricsBindAddress: config.temporal.metricsAddress });
  const { worker, connection } = await createWorker({
    address: temporal.address,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    payloadKeys,
    deps: defaultActivityDeps({
      dbs,
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
  stops.onStop('worker connection', () => connection.close());
  const workerRun = worker.run();
  workerRun.catch((error) => {
    logger.error({ err: error }, 'worker failed');
    void stops.shutdown('worker failed', 1);
  });
  stops.onStop('worker', async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await workerRun.catch(() => undefined);
  });
  const api = await startApi({
    config,
    auth,
    secrets,
    ai,
    dbs,
    temporalAddress: temporal.address,
    logger,
    payloadKeys,
  });
  stops.onStop('api', () => api.stop());

  logger.info(
    {
      api: api.url,
      temporal: temporal.address,
      temporalUi: temporal.uiUrl,
      temporalPid: temporal.pid,
      database: pg.embedded ? 'embedded' : 'DATABASE_URL',
      postgresPid: pg.pid,
      startupMs: Date.now() - started,
    },
    `ready in ${((Date.now() - started) / 1000).toFixed(1)} s: API ${api.url}, Temporal UI ${temporal.uiUrl ?? '(external)'}; mint a token with: npm run token -- --tenant <slug> --role agent`,
  );
}

main().catch((error) => {
  const known = error instanceof ConfigError || error instanceof PortInUseError;
  console.error(known ? error.message : error);
  // Whatever was started already is stopped in order.
  if (lifecycle) void lifecycle.shutdown('start failed', 1);
  else process.exit(1);
});
