/**
 * `npm start`: the whole product in one process. PostgreSQL (DATABASE_URL or embedded), Temporal
 * (TEMPORAL_ADDRESS or a dev server with its UI), migrations, the worker and the API.
 *
 * Ctrl-C / SIGTERM stop it in order (src/platform/lifecycle.ts): the API stops taking requests and finishes those
 * in flight, the worker drains, then the connections, the dev server and the embedded PostgreSQL; exit code 0.
 * The API-only and worker-only processes are put together from the same parts (src/platform/startup.ts).
 */
import path from 'node:path';
import { resolveAuthOptions } from './platform/dev-secret';
import { assertPortFree } from './platform/ports';
import { IntakePressure } from './platform/intake-pressure';
import { resolvePostgres } from './platform/postgres';
import { openAiStack, openDatabases, resolveProcessKeys, runProcess } from './platform/startup';
import { resolveTemporal } from './platform/temporal-server';
import { migrateToLatest } from './stores/db';
import { startApiServer } from './api/start';
import { startWorkerRuntime } from './worker/start';

runProcess('support-triage', async (context) => {
  const { config, logger, lifecycle } = context;
  const started = Date.now();
  // A port held by another process stops the start here, before anything is started (or attached to).
  await assertPortFree(config.http.port, config.http.host, 'API', 'PORT');
  if (!config.temporal.address) {
    await assertPortFree(config.temporal.devPort, '127.0.0.1', 'Temporal dev server', 'TEMPORAL_DEV_PORT');
    await assertPortFree(config.temporal.uiPort, '127.0.0.1', 'Temporal UI', 'TEMPORAL_UI_PORT');
  }
  const auth = resolveAuthOptions(config);
  const keys = resolveProcessKeys(config);
  const pg = await resolvePostgres({
    databaseUrl: config.database.url,
    dataDir: config.dataDir,
    embeddedPort: config.database.embeddedPort,
    logger,
  });
  lifecycle.onStop('postgres', () => pg.stop());
  // Embedded PostgreSQL: one URL (the owner's); the application's pool switches to its role on each connection.
  const dbs = openDatabases(context, pg.url, pg.embedded ? undefined : config.database.appUrl);
  const applied = await migrateToLatest(dbs.platform);
  logger.info({ applied: applied.map((m) => path.basename(m)) }, 'database migrated');

  const ai = openAiStack(context, dbs);
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
  lifecycle.onStop('temporal dev server', () => temporal.stop());
  // The API's creates come first: while they are in flight the worker takes fewer new workflow tasks
  // (WORKER_WORKFLOW_TASK_SLOTS_DURING_INTAKE), so a burst is answered quickly and triaged from Temporal's queue.
  const intakePressure = new IntakePressure();
  const worker = await startWorkerRuntime(context, {
    intakePressure,
    dbs,
    ai,
    keys,
    temporalAddress: temporal.address,
    temporalUiUrl: temporal.uiUrl,
  });
  // The API starts ticket workflows through the worker's connection, eagerly: the server hands the first workflow
  // task back in the start's answer and this process's worker runs it at once (no round trip through the task
  // queue). The dev server allows it (system.enableEagerWorkflowStart); a server that does not starts as usual.
  const api = await startApiServer(context, {
    dbs,
    ai,
    keys,
    auth,
    temporalAddress: temporal.address,
    workerConnection: config.temporal.eagerStart ? worker.connection : undefined,
    intakePressure,
  });

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
});
