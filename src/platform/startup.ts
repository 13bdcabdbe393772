/**
 * How a process is put together, shared by the three entry points: `npm start` (src/main.ts: everything in one
 * process), the API-only (src/api/server.ts) and the worker-only (src/worker/main.ts) processes of
 * docker-compose. Each part registers its stop step with the process's lifecycle (lifecycle.ts) as it comes up,
 * so a signal, a failed worker or a failed start stops what runs, in reverse order. The API and the worker
 * parts are `startApiServer` (src/api/start.ts) and `startWorkerRuntime` (src/worker/start.ts), kept next to
 * what they start so that each process loads only its own (the API process never loads the Temporal worker).
 */
import { type AppConfig, ConfigError, loadConfig } from './config';
import { resolvePayloadKeys, resolveSecretKeys } from './dev-secret';
import { type SecretBox, secretBoxFromEnv } from './crypto/secrets';
import { type Lifecycle, createLifecycle } from './lifecycle';
import { type Logger, createLogger, wantsPrettyLogs } from './logger';
import { PortInUseError } from './ports';
import { type AiStack, createAiStack } from '../connectors/ai/stack';
import { type Databases, createDatabases, destroyDatabases } from '../stores/db';

export interface ProcessContext {
  config: AppConfig;
  logger: Logger;
  lifecycle: Lifecycle;
}

/**
 * Runs an entry point: loads the configuration, makes the logger (named `service`) and the lifecycle, then
 * `start`. A start that fails stops whatever it had started, in order, and exits 1; a configuration or port
 * error is printed as its message alone (it says what to change), anything else with its stack.
 */
export function runProcess(service: string, start: (context: ProcessContext) => Promise<void>): void {
  let lifecycle: Lifecycle | undefined;
  const run = async () => {
    const config = loadConfig();
    const logger = createLogger(config.logLevel, service, { pretty: wantsPrettyLogs(config.env) });
    lifecycle = createLifecycle(logger);
    await start({ config, logger, lifecycle });
  };
  run().catch((error: unknown) => {
    const known = error instanceof ConfigError || error instanceof PortInUseError;
    console.error(known ? (error as Error).message : error);
    if (lifecycle) void lifecycle.shutdown('start failed', 1);
    else process.exit(1);
  });
}

/** The keys both the API and the worker use: secrets at rest and the workflow payload codec's keys. */
export interface ProcessKeys {
  secrets: SecretBox;
  payloadKeys: string;
}

/** Resolved before anything starts, so a missing production key stops the start at once. */
export function resolveProcessKeys(config: AppConfig): ProcessKeys {
  return { secrets: secretBoxFromEnv(resolveSecretKeys(config)), payloadKeys: resolvePayloadKeys(config) };
}

/**
 * The connection pools, closed late (after the API and the worker that use them): the application's, under
 * row-level security (DATABASE_APP_URL, or the owner's URL switching to the application role), and the
 * platform's (the owner: migrations and the few operations across tenants).
 */
export function openDatabases(
  { config, logger, lifecycle }: ProcessContext,
  url: string,
  appUrl: string | undefined = config.database.appUrl,
): Databases {
  const dbs = createDatabases({
    url,
    appUrl,
    poolMax: config.database.poolMax,
    tenantConfig: { logger, maxAgeMs: config.database.tenantConfigMaxAgeMs },
  });
  lifecycle.onStop('database pools', () => destroyDatabases(dbs));
  return dbs;
}

/** The AI stack (models, vector store, knowledge search); its tenants' retrieval models are kept in the database. */
export function openAiStack({ config, logger, lifecycle }: ProcessContext, dbs: Databases): AiStack {
  const ai = createAiStack(config, logger, undefined, dbs.app, dbs.tenantConfig);
  lifecycle.onStop('ai stack', () => ai.close());
  return ai;
}

/**
 * The start of the API-only and the worker-only processes: they attach to an existing PostgreSQL and Temporal
 * (`npm start` may start its own), then open the keys, the connection pool and the AI stack.
 */
export function attachToServices(
  context: ProcessContext,
  processName: string,
): { temporalAddress: string; keys: ProcessKeys; dbs: Databases; ai: AiStack } {
  const { database, temporal } = context.config;
  if (!database.url || !temporal.address) {
    throw new ConfigError(
      `the ${processName} process needs DATABASE_URL and TEMPORAL_ADDRESS (npm start runs everything locally)`,
    );
  }
  const keys = resolveProcessKeys(context.config);
  const dbs = openDatabases(context, database.url);
  const ai = openAiStack(context, dbs);
  return { temporalAddress: temporal.address, keys, dbs, ai };
}
