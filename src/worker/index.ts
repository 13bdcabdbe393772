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
      retrievalModels: ai.retrievalModels,
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

/** Routes the SDK's own logs (warnings and errors only) through the product's logger, once per process. */
function installRuntimeLogger(logger: Logger): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => {
      const level = entry.level === 'ERROR' ? 'error' : 'warn';
      logger[level]({ ...entry.meta, component: 'temporal-sdk' }, entry.message);
    }),
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
  installRuntimeLogger(options.deps.logger);
  const connection = await NativeConnection.connect({ address: options.address });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: { ...createActivities(options.deps), ...createKnowledgeActivities(options.deps.knowledge) },
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: WORKFLOWS_PATH }),
  });
  return { worker, connection };
}
