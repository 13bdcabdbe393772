/**
 * Configuration, parsed once from the environment into a typed object; nothing else reads process.env.
 * README "Configuration" documents every variable with its default.
 */
import path from 'node:path';
import { z } from 'zod';
import { LOOPBACK_NETWORKS, parseNetworks } from './net/outbound-policy';
import { isOwnKey } from '../domain/lookup';
import { CUSTOMER_TIERS, type CustomerTier } from '../domain/vocabulary';

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().default('0.0.0.0'),
  PORT: port(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().default('.data'),

  DATABASE_URL: optionalString,
  DATABASE_APP_URL: optionalString,
  EMBEDDED_PG_PORT: port(5433),
  DB_POOL_MAX: z.coerce.number().int().min(1).default(10),
  TENANT_CONFIG_CACHE_MAX_AGE_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),

  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('support-tickets'),
  TEMPORAL_CLI_PATH: optionalString,
  TEMPORAL_DEV_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),
  TEMPORAL_UI_URL: optionalString,
  TEMPORAL_METRICS_ADDRESS: optionalString,
  WORKER_ACTIVITY_SLOTS: z.coerce.number().int().min(1).max(1000).default(16),
  WORKER_WORKFLOW_TASK_SLOTS: z.coerce.number().int().min(2).max(1000).default(40),
  // Unset: 4, or WORKER_WORKFLOW_TASK_SLOTS when that is fewer.
  WORKER_WORKFLOW_TASK_SLOTS_DURING_INTAKE: z.coerce.number().int().min(2).max(1000).optional(),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).default(600),
  TEMPORAL_EAGER_START: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  WORKFLOW_STACK_TRACES: z.enum(['on', 'off']).optional(),
  METRICS_PORT: port(9465),

  JWT_SECRET: optionalString,
  JWKS_URL: optionalString,
  JWT_ISSUER: optionalString,
  JWT_AUDIENCE: optionalString,

  SECRET_KEYS: optionalString,
  PAYLOAD_KEYS: optionalString,
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalString,
  OPENAI_CHAT_MODEL: z.string().default('gpt-4o-mini'),
  OPENAI_EMBEDDING_MODEL: z.string().default('text-embedding-3-small'),
  OPENAI_EMBEDDING_DIMENSIONS: z.coerce.number().int().min(16).max(4096).default(512),
  LLM_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  QDRANT_URL: optionalString,
  QDRANT_API_KEY: optionalString,
  QDRANT_COLLECTION: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .default('kb_chunks'),
  ITSM_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  // Unset and empty differ: unset takes the environment's default, empty means no network at all.
  OUTBOUND_ALLOW_NETWORKS: z.string().optional(),
  PUBLIC_URL: optionalString,

  OUTBOX_INTERVAL_MS: z.coerce.number().int().min(100).default(5000),
  OUTBOX_GRACE_MS: z.coerce.number().int().min(0).default(10000),
  AUTO_CLOSE_AFTER_HOURS: z.coerce.number().min(0).default(168),
  TICKET_HISTORY_EVENT_LIMIT: z.coerce.number().int().min(50).max(50_000).default(1000),
  WORKFLOW_UPDATE_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(10_000),
  AGENT_MODEL_ALLOWLIST: z
    .string()
    .default('gpt-4o-mini,gpt-4o,gpt-4.1-mini,gpt-4.1,gpt-4-turbo,gpt-3.5-turbo'),
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(256 * 1024),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(1000),
  JWT_MAX_LIFETIME_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .default(24 * 3600),
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  RATE_LIMITS: optionalString,
});

/** Requests per tenant per window, by the tenant's tier; 0 means unlimited. RATE_LIMITS overrides each. */
export const DEFAULT_RATE_LIMITS: Readonly<Record<CustomerTier, number>> = {
  free: 120,
  standard: 600,
  starter: 600,
  business: 1200,
  professional: 1200,
  enterprise: 3000,
  global_enterprise: 3000,
};

/** `tier:n,tier:n` over the defaults; a bad entry stops the process naming it. */
function parseRateLimits(raw: string | undefined): Record<CustomerTier, number> {
  const limits = { ...DEFAULT_RATE_LIMITS };
  for (const entry of (raw ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [tier, count] = entry.split(':').map((p) => p.trim());
    if (!tier || !isOwnKey(DEFAULT_RATE_LIMITS, tier) || !/^\d+$/.test(count ?? '')) {
      throw new ConfigError(
        `RATE_LIMITS: "${entry}" is not tier:count with a tier among ${CUSTOMER_TIERS.join(', ')}`,
      );
    }
    limits[tier] = Number(count);
  }
  return limits;
}

export type RawConfig = z.infer<typeof schema>;

/** Every environment variable the product reads (README "Configuration" documents each; a test checks it). */
export const CONFIG_VARIABLES = Object.keys(schema.shape);

export interface AppConfig {
  env: RawConfig['NODE_ENV'];
  http: {
    host: string;
    port: number;
    maxBodyBytes: number;
    /** Whole request, body included (slow bodies get 408). */
    requestTimeoutMs: number;
    /** Until the request's headers are complete (slow headers get 408). */
    headersTimeoutMs: number;
    /** Open connections at most; further ones are closed at once. */
    maxConnections: number;
  };
  /** Per-tenant request limits, counted in Postgres so every API process shares them. */
  rateLimits: { windowSeconds: number; perTier: Record<CustomerTier, number> };
  logLevel: RawConfig['LOG_LEVEL'];
  dataDir: string;
  /** `appUrl`: the application's own login (a member of the row-level security role); default: `url`'s. */
  database: {
    url: string | undefined;
    appUrl: string | undefined;
    embeddedPort: number;
    poolMax: number;
    /** How long a cached tenant configuration may be served at most (0: no cache); see tenant-config-cache.ts. */
    tenantConfigMaxAgeMs: number;
  };
  temporal: {
    address: string | undefined;
    namespace: string;
    taskQueue: string;
    cliPath: string | undefined;
    devPort: number;
    uiPort: number;
    uiUrl: string | undefined;
    /** `host:port` where the SDK serves its worker metrics for Prometheus; unset: not served. */
    metricsAddress: string | undefined;
    slots: WorkerSlots;
    /**
     * Workflows the worker keeps in memory (its sticky cache, least recently used evicted first). An evicted
     * ticket is replayed from its history on its next task (its timer, an action): memory against replay time.
     * Zero disables the cache (every task replays). At least the workflow task slots.
     */
    maxCachedWorkflows: number;
    /** `npm start`: the API starts ticket workflows eagerly through the worker's connection (TEMPORAL_EAGER_START). */
    eagerStart: boolean;
    /**
     * Whether the SDK records where workflow code's promises were made, for the `__stack_trace` query (the
     * Temporal UI's "Stack Trace" tab): WORKFLOW_STACK_TRACES, by default off in production (it costs a quarter of
     * the workflow thread's CPU), on elsewhere. See src/worker/workflow-stack-traces.ts.
     */
    workflowStackTraces: boolean;
  };
  /** Port of the worker-only process's /metrics (the API serves its own on its port). */
  metricsPort: number;
  auth: {
    jwtSecret: string | undefined;
    jwksUrl: string | undefined;
    issuer?: string;
    audience?: string;
    maxLifetimeSeconds: number;
  };
  /** Key ring for credentials at rest, `id:base64key,…` (first is active). */
  secretKeys: string | undefined;
  /** Key ring of the Temporal payload codec (`id:base64key,…`, first one encrypts). */
  payloadKeys: string | undefined;
  /** Base URL of the API, for links in notifications. */
  publicUrl: string;
  /** Per-call timeout of ITSM requests. */
  itsmTimeoutMs: number;
  /**
   * Outbound calls to tenant-configured URLs (src/platform/net/outbound-policy.ts): the non-public networks
   * they may reach anyway. Production default: none; development and test: loopback.
   */
  outbound: { allowNetworks: string[] };
  /** OpenAI (or a compatible server) when an API key is set; offline models otherwise. */
  openai:
    | {
        apiKey: string;
        baseUrl: string | undefined;
        chatModel: string;
        embeddingModel: string;
        embeddingDimensions: number;
        timeoutMs: number;
      }
    | undefined;
  /** Qdrant when a URL is set; the embedded vector store otherwise. */
  qdrant: { url: string; apiKey: string | undefined; collection: string } | undefined;
  outbox: { intervalMs: number; graceMs: number };
  autoCloseAfterMs: number;
  /**
   * Ticket workflows continue as new past this many history events (or sooner when the server suggests it): a
   * worker that evicted a ticket replays its whole current run on its next task, about a millisecond per event.
   */
  ticketHistoryEventLimit: number;
  /** How long the API waits for a ticket workflow to take an action or answer a query before answering 503. */
  workflowUpdateTimeoutMs: number;
  /** Tenant AI agents: the models an agent's `llm_config.model` may name (the configured chat model is added). */
  agents: { modelAllowList: string[] };
}

/** Tasks one worker runs at once. */
export interface WorkerSlots {
  /**
   * Few enough that a burst's backlog waits in Temporal's task queue, where fairness shares dispatch between
   * tenants, not in the worker, where tasks run first come, first served.
   */
  activities: number;
  /** Enough to keep the cores busy: a ticket's triage runs inside its first workflow task (local activities). */
  workflowTasks: number;
  /**
   * `npm start` (the API in the same process): the workflow tasks at once while the API's ticket creates are in
   * flight (each takes two slots from `workflowTasks`, down to this); see src/worker/intake-first-slots.ts.
   */
  workflowTasksDuringIntake: number;
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const c = parsed.data;
  if (c.NODE_ENV === 'production' && !c.JWT_SECRET && !c.JWKS_URL) {
    throw new ConfigError('JWT_SECRET or JWKS_URL must be set in production');
  }
  if (c.NODE_ENV === 'production' && !c.PAYLOAD_KEYS) {
    throw new ConfigError('PAYLOAD_KEYS must be set in production (workflow payloads are encrypted with it)');
  }
  if (c.NODE_ENV === 'production' && !c.SECRET_KEYS) {
    throw new ConfigError('SECRET_KEYS must be set in production (credentials are encrypted with it)');
  }
  if ((c.WORKER_WORKFLOW_TASK_SLOTS_DURING_INTAKE ?? 0) > c.WORKER_WORKFLOW_TASK_SLOTS) {
    throw new ConfigError(
      `WORKER_WORKFLOW_TASK_SLOTS_DURING_INTAKE (${c.WORKER_WORKFLOW_TASK_SLOTS_DURING_INTAKE}) must not exceed WORKER_WORKFLOW_TASK_SLOTS (${c.WORKER_WORKFLOW_TASK_SLOTS})`,
    );
  }
  if (c.WORKER_MAX_CACHED_WORKFLOWS > 0 && c.WORKER_MAX_CACHED_WORKFLOWS < c.WORKER_WORKFLOW_TASK_SLOTS) {
    throw new ConfigError(
      `WORKER_MAX_CACHED_WORKFLOWS (${c.WORKER_MAX_CACHED_WORKFLOWS}) must be 0 (no cache) or at least WORKER_WORKFLOW_TASK_SLOTS (${c.WORKER_WORKFLOW_TASK_SLOTS})`,
    );
  }
  if (c.JWT_SECRET && c.JWT_SECRET.length < 32) {
    throw new ConfigError('JWT_SECRET must be at least 32 characters');
  }
  let allowNetworks: string[];
  try {
    allowNetworks =
      c.OUTBOUND_ALLOW_NETWORKS === undefined
        ? c.NODE_ENV === 'production'
          ? []
          : [...LOOPBACK_NETWORKS]
        : parseNetworks(c.OUTBOUND_ALLOW_NETWORKS);
  } catch (error) {
    throw new ConfigError(`OUTBOUND_ALLOW_NETWORKS: ${(error as Error).message}`);
  }
  return {
    env: c.NODE_ENV,
    http: {
      host: c.HOST,
      port: c.PORT,
      maxBodyBytes: c.MAX_BODY_BYTES,
      requestTimeoutMs: c.HTTP_REQUEST_TIMEOUT_MS,
      headersTimeoutMs: Math.min(c.HTTP_HEADERS_TIMEOUT_MS, c.HTTP_REQUEST_TIMEOUT_MS),
      maxConnections: c.HTTP_MAX_CONNECTIONS,
    },
    rateLimits: { windowSeconds: c.RATE_LIMIT_WINDOW_SECONDS, perTier: parseRateLimits(c.RATE_LIMITS) },
    logLevel: c.LOG_LEVEL,
    dataDir: path.resolve(c.DATA_DIR),
    database: {
      url: c.DATABASE_URL,
      appUrl: c.DATABASE_APP_URL,
      embeddedPort: c.EMBEDDED_PG_PORT,
      poolMax: c.DB_POOL_MAX,
      tenantConfigMaxAgeMs: c.TENANT_CONFIG_CACHE_MAX_AGE_MS,
    },
    temporal: {
      address: c.TEMPORAL_ADDRESS,
      namespace: c.TEMPORAL_NAMESPACE,
      taskQueue: c.TEMPORAL_TASK_QUEUE,
      slots: {
        activities: c.WORKER_ACTIVITY_SLOTS,
        workflowTasks: c.WORKER_WORKFLOW_TASK_SLOTS,
        workflowTasksDuringIntake:
          c.WORKER_WORKFLOW_TASK_SLOTS_DURING_INTAKE ?? Math.min(4, c.WORKER_WORKFLOW_TASK_SLOTS),
      },
      maxCachedWorkflows: c.WORKER_MAX_CACHED_WORKFLOWS,
      eagerStart: c.TEMPORAL_EAGER_START,
      workflowStackTraces: (c.WORKFLOW_STACK_TRACES ?? (c.NODE_ENV === 'production' ? 'off' : 'on')) === 'on',
      cliPath: c.TEMPORAL_CLI_PATH,
      devPort: c.TEMPORAL_DEV_PORT,
      uiPort: c.TEMPORAL_UI_PORT,
      uiUrl: c.TEMPORAL_UI_URL,
      metricsAddress: c.TEMPORAL_METRICS_ADDRESS,
    },
    metricsPort: c.METRICS_PORT,
    auth: {
      jwtSecret: c.JWT_SECRET,
      jwksUrl: c.JWKS_URL,
      ...(c.JWT_ISSUER ? { issuer: c.JWT_ISSUER } : {}),
      ...(c.JWT_AUDIENCE ? { audience: c.JWT_AUDIENCE } : {}),
      maxLifetimeSeconds: c.JWT_MAX_LIFETIME_SECONDS,
    },
    secretKeys: c.SECRET_KEYS,
    payloadKeys: c.PAYLOAD_KEYS,
    itsmTimeoutMs: c.ITSM_TIMEOUT_MS,
    outbound: { allowNetworks },
    openai: c.OPENAI_API_KEY
      ? {
          apiKey: c.OPENAI_API_KEY,
          baseUrl: c.OPENAI_BASE_URL,
          chatModel: c.OPENAI_CHAT_MODEL,
          embeddingModel: c.OPENAI_EMBEDDING_MODEL,
          embeddingDimensions: c.OPENAI_EMBEDDING_DIMENSIONS,
          timeoutMs: c.LLM_TIMEOUT_MS,
        }
      : undefined,
    qdrant: c.QDRANT_URL
      ? { url: c.QDRANT_URL, apiKey: c.QDRANT_API_KEY, collection: c.QDRANT_COLLECTION }
      : undefined,
    publicUrl: (c.PUBLIC_URL ?? `http://localhost:${c.PORT}`).replace(/\/$/, ''),
    outbox: { intervalMs: c.OUTBOX_INTERVAL_MS, graceMs: c.OUTBOX_GRACE_MS },
    autoCloseAfterMs: Math.round(c.AUTO_CLOSE_AFTER_HOURS * 3600 * 1000),
    ticketHistoryEventLimit: c.TICKET_HISTORY_EVENT_LIMIT,
    workflowUpdateTimeoutMs: c.WORKFLOW_UPDATE_TIMEOUT_MS,
    agents: {
      modelAllowList: [
        ...new Set(
          [...c.AGENT_MODEL_ALLOWLIST.split(','), ...(c.OPENAI_API_KEY ? [c.OPENAI_CHAT_MODEL] : [])]
            .map((m) => m.trim())
            .filter(Boolean),
        ),
      ],
    },
  };
}
