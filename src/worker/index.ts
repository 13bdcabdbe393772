/** Builds the Temporal worker that runs ticket workflows and their activities. */
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundleOption,
} from '@temporalio/worker';
import type { Knex } from 'knex';
import { type ActivityDeps, createActivities } from '../activities/ticket';
import { createKnowledgeActivities } from '../activities/knowledge';
import type { AiStack } from '../connectors/ai/stack';
import { TenantRepository } from '../stores/tenant-repository';
import { TicketRepository } from '../stores/ticket-repository';
import type { Logger } from '../platform/logger';
import { KnowledgeRepository } from '../stores/knowledge-repository';
import { createItsmGateway } from '../connectors/itsm/gateway';
import { IntegrationRepository } from '../stores/integration-repository';
import { createRateLimiterRegistry } from '../connectors/itsm/http';
import type { SecretBox } from '../platform/crypto/secrets';
import { NotificationRepository } from '../stores/notification-repository';

export const WORKFLOWS_PATH = require.resolve('../workflows');

export interface DefaultDepsOptions {
  db: Knex;
  ai: AiStack;
  logger: Logger;
  secrets: SecretBox;
  links: ActivityDeps['links'];
  itsmTimeoutMs?: number;
}

/** The adapters the product uses: the AI stack's models and stores, Postgres repositories, the ITSM gateway. */
export function defaultActivityDeps({
  db,
  ai,
  logger,
  secrets,
  links,
  itsmTimeoutMs,
}: DefaultDepsOptions): ActivityDeps {
  const tickets = new TicketRepository(db);
  const limiters = createRateLimiterRegistry();
  return {
    tickets,
    notifications: new NotificationRepository(db, secrets),
    links,
    tenants: new TenantRepository(db),
    classifier: ai.classifier,
    retriever: ai.search,
    drafter: ai.drafter,
    knowledge: {
      knowledge: new KnowledgeRepository(db),
      embedder: ai.embedder,
      sparse: ai.sparse,
      store: ai.store,
    },
    itsm: createItsmGateway({
      integrations: new IntegrationRepository(db, secrets),
      tickets,
      rateLimiterFor: (tenantId, perMinute) => limiters.get(tenantId, perMinute),
      publicUrl: links.publicUrl,
      timeoutMs: itsmTimeoutMs,
    }),
    logger,
  };
}

let runtimeInstalled = false;

/**
 * Installs the SDK's runtime once per process: its own logs (warnings and errors only) go through the product's
 * logger; no signal handlers (the entry points stop the API, then the worker, then the rest, each once: the SDK's
 * default handlers would shut the worker down a second time); the SDK's worker metrics (task latencies, slots,
 * polls, …) on a Prometheus endpoint when an address is given.
 */
export function installRuntime(logger: Logger, options: { metricsBindAddress?: string } = {}): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    shutdownSignals: [],
    logger: new DefaultLogger('WARN', (entry) => {
      const level = entry.level === 'ERROR' ? 'error' : 'warn';
      logger[level]({ ...entry.meta, component: 'temporal-sdk' }, entry.message);
    }),
    ...(options.metricsBindAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: options.metricsBindAddress } } } }
      : {}),
  });
}

export interface WorkerOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests share one); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkflowBundleOption;
}

export async function createWorker(
  options: WorkerOptions,
): Promise<{ worker: Worker; connection: NativeConnection }> {
  installRuntime(options.deps.logger);
  const connection = await NativeConnection.connect({ address: options.address });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: { ...createActivities(options.deps), ...createKnowledgeActivities(options.deps.knowledge) },
    // On shutdown, activities in flight get this long to finish before they are cancelled (and retried elsewhere).
    shutdownGraceTime: '10s',
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: WORKFLOWS_PATH }),
  });
  return { worker, connection };
}
