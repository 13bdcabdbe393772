/** Wiring shared by `npm start`, the API-only and worker-only entry points, and the tests. */
import http from 'node:http';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { Databases } from '../stores/db';
import { createApp } from './app';
import { createAuthenticator } from './auth';
import { createHttpServer } from './http-server';
import { startOutboxRelay } from './outbox';
import { TicketWorkflows } from './workflow-gateway';
import type { AppConfig } from '../platform/config';
import { AesGcmPayloadCodec } from '../platform/crypto/payload-codec';
import { TenantRepository } from '../stores/tenant-repository';
import { TicketRepository } from '../stores/ticket-repository';
import type { Logger } from '../platform/logger';
import type { SecretBox } from '../platform/crypto/secrets';
import type { ProcessContext, ProcessKeys } from '../platform/startup';
import { NotificationRepository } from '../stores/notification-repository';
import { IntegrationRepository } from '../stores/integration-repository';
import { KnowledgeRepository } from '../stores/knowledge-repository';
import type { AiStack } from '../connectors/ai/stack';
import { ReportRepository } from '../stores/report-repository';
import { type OutboundPolicy, createOutboundPolicy } from '../platform/net/outbound-policy';
import { AgentRepository } from '../stores/agent-repository';
import { AnalyticsRepository } from '../stores/analytics-repository';
import { AgentRuns } from './agent-gateway';
import { PROJECT_ROOT } from '../platform/temporal-server';

/** Where `npm run build:web` puts the agent console. */
export const CONSOLE_DIR = path.join(PROJECT_ROOT, 'dist', 'web');
import { RateLimitRepository } from '../stores/rate-limit-repository';
import type { IntakePressure } from '../platform/intake-pressure';

export interface ApiRuntime {
  server: http.Server;
  url: string;
  client: Client;
  stop(): Promise<void>;
}

export async function startApi(options: {
  config: AppConfig;
  auth: AppConfig['auth'];
  secrets: SecretBox;
  ai: Pick<AiStack, 'search' | 'store'>;
  /** The application's pool (row-level security) and the owner's, for the named platform operations. */
  dbs: Databases;
  temporalAddress: string;
  logger: Logger;
  port?: number;
  host?: string;
  outbox?: boolean;
  /** PAYLOAD_KEYS: workflow payloads are encrypted with it (see platform/crypto/payload-codec.ts). */
  payloadKeys?: string;
  /** The SSRF policy that checks tenant-configured URLs; default: from `config.outbound`. */
  outbound?: OutboundPolicy;
  /**
   * A worker's connection in the same process (`npm start`): the API's client shares it and starts ticket
   * workflows eagerly (requestEagerStart). It belongs to the worker, which closes it.
   */
  workerConnection?: NativeConnection;
  /** The worker in the same process gives way to the API's creates in flight (src/worker/intake-first-slots.ts). */
  intakePressure?: IntakePressure;
}): Promise<ApiRuntime> {
  const { config, logger } = options;
  const { app: db, platform, tenantConfig } = options.dbs;
  const ownConnection = options.workerConnection
    ? undefined
    : await Connection.connect({ address: options.temporalAddress, connectTimeout: 30_000 });
  const connection = options.workerConnection ?? ownConnection!;
  const codec = options.payloadKeys ? new AesGcmPayloadCodec(options.payloadKeys) : undefined;
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    ...(codec ? { dataConverter: { payloadCodecs: [codec] } } : {}),
  });
  const tickets = new TicketRepository(db, platform);
  const analytics = new AnalyticsRepository(db, platform);
  const tenants = new TenantRepository(db, platform, tenantConfig);
  const integrations = new IntegrationRepository(db, options.secrets, tenantConfig);
  const workflows = new TicketWorkflows(client, config.temporal.taskQueue, {
    historyEventLimit: config.ticketHistoryEventLimit,
    updateTimeoutMs: config.workflowUpdateTimeoutMs,
    eagerStart: options.workerConnection !== undefined,
    itsmConfigured: (tenantId) => integrations.isActive(tenantId),
  });
  const app = createApp({
    db,
    tickets,
    tenants,
    notifications: new NotificationRepository(db, options.secrets),
    reports: new ReportRepository(db),
    integrations,
    knowledge: new KnowledgeRepository(db),
    ai: options.ai,
    workflows,
    agents: {
      repository: new AgentRepository(db, options.secrets, platform, tenantConfig),
      analytics,
      runs: new AgentRuns(client, config.temporal.taskQueue),
      llmConfigured: config.openai !== undefined,
      modelAllowList: config.agents.modelAllowList,
    },
    authenticator: createAuthenticator(options.auth),
    logger,
    temporalReady: async () => {
      await connection.healthService.check({});
    },
    maxBodyBytes: config.http.maxBodyBytes,
    outbound: options.outbound ?? createOutboundPolicy({ allow: config.outbound.allowNetworks }),
    rateLimit: { counters: new RateLimitRepository(db), ...config.rateLimits },
    defaultAutoCloseAfterMs: config.autoCloseAfterMs,
    intakePressure: options.intakePressure,
    codec: codec && {
      codec,
      allowLocalWithoutToken: config.env !== 'production',
      allowedOrigins: config.temporal.uiUrl
        ? [new URL(config.temporal.uiUrl).origin]
        : [`http://localhost:${config.temporal.uiPort}`, `http://127.0.0.1:${config.temporal.uiPort}`],
    },
    consoleDir: CONSOLE_DIR,
  });
  const server = createHttpServer(app, config.http);
  const host = options.host ?? config.http.host;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? config.http.port, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  const relay =
    options.outbox === false
      ? undefined
      : startOutboxRelay(
          {
            tickets,
            tenants,
            workflows,
            logger,
            graceMs: config.outbox.graceMs,
            defaultAutoCloseAfterMs: config.autoCloseAfterMs,
            foldRollups: () => analytics.foldPendingRollups(),
          },
          config.outbox.intervalMs,
        );
  return {
    server,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    client,
    async stop() {
      await relay?.stop();
      // Stops accepting connections and waits for the requests in flight (idle keep-alive connections are
      // closed at once); a request still running after the grace period has its connection closed.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const force = setTimeout(() => server.closeAllConnections(), 10_000);
      await closed;
      clearTimeout(force);
      await tickets.flushStartMarks();
      await ownConnection?.close();
    },
  };
}

/** Starts the HTTP API (and its outbox relay); its stop step finishes the requests in flight. */
export async function startApiServer(
  { config, logger, lifecycle }: ProcessContext,
  options: {
    dbs: Databases;
    ai: AiStack;
    keys: ProcessKeys;
    auth: AppConfig['auth'];
    temporalAddress: string;
    workerConnection?: NativeConnection;
    intakePressure?: IntakePressure;
  },
): Promise<ApiRuntime> {
  const api = await startApi({
    config,
    auth: options.auth,
    secrets: options.keys.secrets,
    ai: options.ai,
    dbs: options.dbs,
    temporalAddress: options.temporalAddress,
    logger,
    payloadKeys: options.keys.payloadKeys,
    workerConnection: options.workerConnection,
    intakePressure: options.intakePressure,
  });
  lifecycle.onStop('api', () => api.stop());
  return api;
}
