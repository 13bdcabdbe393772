/** Wiring shared by `npm start`, the API-only and worker-only entry points, and the tests. */
import http from 'node:http';
import { Client, Connection } from '@temporalio/client';
import type { Knex } from 'knex';
import { createApp } from './app';
import { createAuthenticator } from './auth';
import { createHttpServer } from './http-server';
import { startOutboxRelay } from './outbox';
import { TicketWorkflows } from './workflow-gateway';
import type { AppConfig } from '../platform/config';
import { TenantRepository } from '../stores/tenant-repository';
import { TicketRepository } from '../stores/ticket-repository';
import type { Logger } from '../platform/logger';
import type { SecretBox } from '../platform/crypto/secrets';
import { NotificationRepository } from '../stores/notification-repository';
import { IntegrationRepository } from '../stores/integration-repository';
import { KnowledgeRepository } from '../stores/knowledge-repository';
import type { AiStack } from '../connectors/ai/stack';
import { ReportRepository } from '../stores/report-repository';
import { RateLimitRepository } from '../stores/rate-limit-repository';

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
  db: Knex;
  temporalAddress: string;
  logger: Logger;
  port?: number;
  host?: string;
  outbox?: boolean;
}): Promise<ApiRuntime> {
  const { config, db, logger } = options;
  const connection = await Connection.connect({ address: options.temporalAddress });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const tickets = new TicketRepository(db);
  const tenants = new TenantRepository(db);
  const workflows = new TicketWorkflows(client, config.temporal.taskQueue);
  const app = createApp({
    db,
    tickets,
    tenants,
    notifications: new NotificationRepository(db, options.secrets),
    reports: new ReportRepository(db),
    integrations: new IntegrationRepository(db, options.secrets),
    knowledge: new KnowledgeRepository(db),
    ai: options.ai,
    workflows,
    authenticator: createAuthenticator(options.auth),
    logger,
    temporalReady: async () => {
      await connection.healthService.check({});
    },
    maxBodyBytes: config.http.maxBodyBytes,
    rateLimit: { counters: new RateLimitRepository(db), ...config.rateLimits },
    defaultAutoCloseAfterMs: config.autoCloseAfterMs,
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
          },
          config.outbox.intervalMs,
        );
  return {
    server,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    client,
    async stop() {
      await relay?.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await connection.close();
    },
  };
}
