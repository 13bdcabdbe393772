/** Builds the Temporal worker that runs ticket workflows and their activities. */
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type WorkerOptions as SdkWorkerOptions,
  type WorkflowBundleOption,
} from '@temporalio/worker';
import type { Databases } from '../stores/db';
import type { IntakePressure } from '../platform/intake-pressure';
import { intakeFirstSlotSupplier } from './intake-first-slots';
import { observeWorkflowTaskSlots } from '../platform/metrics';
import { encryptedDataConverter } from '../platform/crypto/payload-codec';
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
import type { OutboundPolicy } from '../platform/net/outbound-policy';
import { Client } from '@temporalio/client';
import { type AgentActivityBaseDeps, createAgentActivities } from '../activities/agents';
import { AgentRepository } from '../stores/agent-repository';
import { AnalyticsRepository } from '../stores/analytics-repository';
import { createOpenAiClient } from '../connectors/ai/openai';
import type { AppConfig, WorkerSlots } from '../platform/config';
import { AgentRuns } from '../api/agent-gateway';
import { TicketWorkflows } from '../api/workflow-gateway';
import { tenantFairness } from '../api/tenant-fairness';
import {
  FIT_KB_TENANT_WORKFLOW_TYPE,
  kbFitRequestedSignal,
  kbFitWorkflowId,
  searchAttributes,
} from '../workflows/messages';

export const WORKFLOWS_PATH = require.resolve('../workflows');

export interface DefaultDepsOptions {
  /** The application's pool (row-level security) and the owner's, for the named platform operations. */
  dbs: Databases;
  ai: AiStack;
  logger: Logger;
  secrets: SecretBox;
  links: ActivityDeps['links'];
  itsmTimeoutMs?: number;
  /** The SSRF policy for tenant-configured URLs (ITSM base URLs, notification targets). */
  outbound: OutboundPolicy;
  /** The LLM for custom-prompt agents; offline (built-in kinds only) when unset. */
  openai?: AppConfig['openai'];
  /** How long the tenant's fit workflow waits for ingestions to stop (`DEFAULT_FIT_DEBOUNCE` when unset). */
  kbFitDebounce?: { quietMs: number; maxDelayMs: number };
}

/** The ticket activities' dependencies plus the agent activities' (their Temporal client is added by createWorker). */
export type WorkerDeps = ActivityDeps & { agents: AgentActivityBaseDeps };

/** The adapters the product uses: the AI stack's models and stores, Postgres repositories, the ITSM gateway. */
export function defaultActivityDeps({
  dbs,
  ai,
  logger,
  secrets,
  links,
  itsmTimeoutMs,
  outbound,
  openai,
  kbFitDebounce,
}: DefaultDepsOptions): WorkerDeps {
  const { app: db, platform, tenantConfig } = dbs;
  const tickets = new TicketRepository(db, platform);
  const tenants = new TenantRepository(db, platform, tenantConfig);
  const notifications = new NotificationRepository(db, secrets);
  const limiters = createRateLimiterRegistry();
  const itsm = createItsmGateway({
    integrations: new IntegrationRepository(db, secrets, tenantConfig),
    tickets,
    rateLimiterFor: (tenantId, perMinute) => limiters.get(tenantId, perMinute),
    publicUrl: links.publicUrl,
    timeoutMs: itsmTimeoutMs,
    outbound,
  });
  return {
    tickets,
    notifications,
    links,
    tenants,
    classifier: ai.classifier,
    retriever: ai.search,
    drafter: ai.drafter,
    modelsAreLocal: ai.modelsAreLocal,
    knowledge: {
      knowledge: new KnowledgeRepository(db),
      embedder: ai.embedder,
      sparse: ai.sparse,
      store: ai.store,
      retrievalModels: ai.retrievalModels,
      ...(kbFitDebounce ? { fitDebounce: kbFitDebounce } : {}),
    },
    outbound,
    itsm,
    logger,
    agents: {
      agents: new AgentRepository(db, secrets, platform, tenantConfig),
      analytics: new AnalyticsRepository(db),
      tickets,
      tenants,
      notifications,
      classifier: ai.classifier,
      retriever: ai.search,
      itsm,
      llm: openai ? createOpenAiClient(openai) : undefined,
      logger,
      outbound,
    },
  };
}

/** The SDK's slot options: fixed counts, or workflow-task slots that give way to the API's creates. */
function slotOptions({ slots, intakePressure }: WorkerOptions): Partial<SdkWorkerOptions> {
  if (!slots) return {};
  if (!intakePressure || slots.workflowTasksDuringIntake >= slots.workflowTasks) {
    return {
      maxConcurrentActivityTaskExecutions: slots.activities,
      maxConcurrentWorkflowTaskExecutions: slots.workflowTasks,
    };
  }
  const workflowTaskSlots = intakeFirstSlotSupplier(intakePressure, {
    max: slots.workflowTasks,
    min: slots.workflowTasksDuringIntake,
  });
  observeWorkflowTaskSlots(() => ({
    limit: workflowTaskSlots.limit(),
    issued: workflowTaskSlots.issued,
    createsInFlight: intakePressure.inFlight,
  }));
  return {
    tuner: {
      workflowTaskSlotSupplier: workflowTaskSlots,
      activityTaskSlotSupplier: { type: 'fixed-size', numSlots: slots.activities },
      // The SDK's defaults for these two when no tuner is given.
      localActivityTaskSlotSupplier: { type: 'fixed-size', numSlots: 100 },
      nexusTaskSlotSupplier: { type: 'fixed-size', numSlots: 100 },
    },
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
  deps: WorkerDeps;
  /** A prebuilt bundle (tests share one); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkflowBundleOption;
  /** PAYLOAD_KEYS: workflow payloads are encrypted with it (see platform/crypto/payload-codec.ts). */
  payloadKeys?: string;
  /** WORKER_ACTIVITY_SLOTS, WORKER_WORKFLOW_TASK_SLOTS(_DURING_INTAKE); the SDK's defaults (100 / 40) when unset. */
  slots?: WorkerSlots;
  /**
   * The creates of an API in the same process (`npm start`): while they are in flight the worker takes fewer
   * workflow tasks, down to `slots.workflowTasksDuringIntake` (src/worker/intake-first-slots.ts).
   */
  intakePressure?: IntakePressure;
  /** WORKER_MAX_CACHED_WORKFLOWS: the sticky cache's size; the SDK's default (scaled with the heap) when unset. */
  maxCachedWorkflows?: number;
}

export async function createWorker(
  options: WorkerOptions,
): Promise<{ worker: Worker; connection: NativeConnection }> {
  installRuntime(options.deps.logger);
  const connection = await NativeConnection.connect({ address: options.address });
  const dataConverter = options.payloadKeys ? encryptedDataConverter(options.payloadKeys) : undefined;
  const client = new Client({
    connection,
    namespace: options.namespace,
    ...(dataConverter ? { dataConverter } : {}),
  });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(dataConverter ? { dataConverter } : {}),
    activities: {
      ...createActivities(options.deps),
      // Ingestions ask the tenant's fit workflow for a fit by signal-with-start: a client on the worker's own
      // connection.
      ...createKnowledgeActivities({
        ...options.deps.knowledge,
        fitRequests: {
          async request(input) {
            await client.workflow.signalWithStart(FIT_KB_TENANT_WORKFLOW_TYPE, {
              workflowId: kbFitWorkflowId(input.tenantId),
              taskQueue: options.taskQueue,
              args: [input],
              signal: kbFitRequestedSignal,
              signalArgs: [],
              typedSearchAttributes: [{ key: searchAttributes.tenantId, value: input.tenantId }],
              priority: tenantFairness(input.tenantId),
            });
          },
        },
      }),
      // Agent tools act on tickets through the ticket workflow's updates and start runs: a client on the
      // worker's own connection.
      ...createAgentActivities({
        ...options.deps.agents,
        ticketActions: new TicketWorkflows(client, options.taskQueue),
        runs: new AgentRuns(client, options.taskQueue),
      }),
    },
    // On shutdown, activities in flight get this long to finish before they are cancelled (and retried elsewhere).
    shutdownGraceTime: '10s',
    ...slotOptions(options),
    ...(options.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: WORKFLOWS_PATH }),
  });
  return { worker, connection };
}
