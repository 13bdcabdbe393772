/** The Express application: a thin layer over Postgres (reads) and Temporal (starts, updates, queries). */
import express, { type Request, type RequestHandler } from 'express';
import type { Knex } from 'knex';
import type { TenantModel } from '../stores/models';
import type { ReportRepository } from '../stores/report-repository';
import type { AiStack } from '../connectors/ai/stack';
import type { IntegrationRepository } from '../stores/integration-repository';
import type { KnowledgeRepository } from '../stores/knowledge-repository';
import type { NotificationRepository } from '../stores/notification-repository';
import type { TenantRepository } from '../stores/tenant-repository';
import type { TicketRepository } from '../stores/ticket-repository';
import type { Logger } from '../platform/logger';
import type { IntakePressure } from '../platform/intake-pressure';
import type { OutboundPolicy } from '../platform/net/outbound-policy';
import { type Authenticator, authenticate } from './auth';
import { createDocsRouter } from './docs';
import { httpMetrics, metricsEndpoint, requestLogging } from './observability';
import { jsonBody, refuseContentEncoding, refuseUnsafeValues } from './middleware/body-guards';
import { type RateLimitOptions, rateLimitByTenant } from './middleware/rate-limit';
import { problemHandler, problems } from './problems';
import { createInboundRouter, createIntegrationRouter } from './routes/integrations';
import { type CodecRouterDeps, createCodecRouter } from './routes/codec';
import { createKnowledgeRouter } from './routes/knowledge';
import { createSlaRouter } from './routes/sla';
import { createTenantRouter } from './routes/tenants';
import { createTicketRouter } from './routes/tickets';
import { createConsoleRouter } from './routes/console';
import type { TicketWorkflows } from './workflow-gateway';
import type { AgentRepository } from '../stores/agent-repository';
import type { AnalyticsRepository } from '../stores/analytics-repository';
import type { AgentRuns } from './agent-gateway';
import { createAgentRouter, createAgentWebhookRouter } from './routes/agents';
import { createAnalyticsRouter } from './routes/analytics';

declare module 'express-serve-static-core' {
  interface Request {
    tenant?: TenantModel;
  }
}

export interface AppDeps {
  db: Knex;
  tickets: TicketRepository;
  tenants: TenantRepository;
  notifications: NotificationRepository;
  reports: ReportRepository;
  integrations: IntegrationRepository;
  knowledge: KnowledgeRepository;
  ai: Pick<AiStack, 'search' | 'store'>;
  workflows: TicketWorkflows;
  /** Tenant AI agents: repository, Temporal runs and schedules, LLM availability, allowed models. */
  agents: {
    repository: AgentRepository;
    analytics: AnalyticsRepository;
    runs: AgentRuns;
    llmConfigured: boolean;
    modelAllowList: string[];
  };
  authenticator: Authenticator;
  logger: Logger;
  /** Whether Temporal answers: part of readiness. */
  temporalReady: () => Promise<void>;
  maxBodyBytes: number;
  defaultAutoCloseAfterMs: number;
  /** `npm start`: the creates in flight, which the worker in the same process gives way to. */
  intakePressure?: IntakePressure;
  /** The Temporal UI's remote codec (decrypts workflow payloads for operators); absent without PAYLOAD_KEYS. */
  codec?: Omit<CodecRouterDeps, 'authenticator'>;
  /** Checks the URLs tenants configure (ITSM base URL, notification targets) before they are saved. */
  outbound: OutboundPolicy;
  /** The built agent console (`npm run build:web`), served at /console; absent: /console says how to build it. */
  consoleDir?: string;
  /** Per-tenant request limits; none when absent. */
  rateLimit?: Omit<RateLimitOptions, 'logger'>;
}

/** Binds the request to the caller's tenant; a superadmin may name another with X-Tenant-Id. */
export function resolveTenant(tenants: TenantRepository): RequestHandler {
  return async (req: Request, _res, next) => {
    const principal = req.principal!;
    const requested = req.get('x-tenant-id');
    if (requested && !principal.roles.includes('superadmin')) {
      throw problems.forbidden('only a superadmin may act in another tenant');
    }
    const tenant = await tenants.findByIdOrSlug(requested ?? principal.tenantRef);
    if (!tenant || !tenant.is_active)
      throw problems.forbidden('the token names an unknown or inactive tenant');
    req.tenant = tenant;
    next();
  };
}

/** A body is JSON or absent: anything else is refused before parsing. */
const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  if (hasBody && !req.is(['application/json', 'application/*+json'])) throw problems.unsupportedMediaType();
  next();
};

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(requestLogging(deps.logger));
  app.use(httpMetrics);
  app.get('/metrics', metricsEndpoint);
  app.use(createDocsRouter());

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const checks: Record<string, string> = {};
    await Promise.all([
      withTimeout(deps.db.raw('select 1'), 2000).then(
        () => (checks.database = 'ok'),
        (e: Error) => {
          deps.logger.warn({ err: e }, 'readiness: database unavailable');
          checks.database = 'unavailable';
        },
      ),
      withTimeout(deps.temporalReady(), 2000).then(
        () => (checks.temporal = 'ok'),
        (e: Error) => {
          deps.logger.warn({ err: e }, 'readiness: Temporal unavailable');
          checks.temporal = 'unavailable';
        },
      ),
    ]);
    const ready = Object.values(checks).every((v) => v === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks });
  });

  const v1 = express.Router();
  v1.use(refuseContentEncoding);
  v1.use(
    '/integrations',
    createInboundRouter({
      tenants: deps.tenants,
      tickets: deps.tickets,
      integrations: deps.integrations,
      workflows: deps.workflows,
      logger: deps.logger,
      maxBodyBytes: deps.maxBodyBytes,
    }),
  );
  v1.use(
    createAgentWebhookRouter({
      agents: deps.agents.repository,
      runs: deps.agents.runs,
      logger: deps.logger,
      maxBodyBytes: deps.maxBodyBytes,
    }),
  );
  // Headers first, then who is calling, and only then the body (see middleware/body-guards.ts).
  v1.use(requireJsonBody);
  v1.use(authenticate(deps.authenticator));
  v1.use(jsonBody(deps.maxBodyBytes));
  v1.use(refuseUnsafeValues);
  // The caller's tenant, then its request limit: one handler (a router falls through when done).
  const tenantScope = express.Router().use(resolveTenant(deps.tenants));
  if (deps.rateLimit) tenantScope.use(rateLimitByTenant({ ...deps.rateLimit, logger: deps.logger }));
  /** Who the token belongs to: the console's sign-in checks the roles and shows the tenant. */
  v1.get('/me', tenantScope, (req, res) => {
    const tenant = req.tenant!;
    res.json({
      sub: req.principal!.sub,
      roles: req.principal!.roles,
      tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name, tier: tenant.tier },
    });
  });
  v1.use('/tenants', createTenantRouter(deps.tenants, tenantScope));
  v1.use(
    '/tickets',
    tenantScope,
    createTicketRouter({
      tickets: deps.tickets,
      workflows: deps.workflows,
      logger: deps.logger,
      defaultAutoCloseAfterMs: deps.defaultAutoCloseAfterMs,
      intakePressure: deps.intakePressure,
    }),
  );
  v1.use(
    '/integrations',
    tenantScope,
    createIntegrationRouter({ integrations: deps.integrations, outbound: deps.outbound }),
  );
  v1.use(
    '/kb',
    tenantScope,
    createKnowledgeRouter({
      knowledge: deps.knowledge,
      search: deps.ai.search,
      store: deps.ai.store,
      workflows: deps.workflows,
    }),
  );
  v1.use(
    tenantScope,
    createSlaRouter({
      tenants: deps.tenants,
      notifications: deps.notifications,
      outbound: deps.outbound,
      reports: deps.reports,
      workflows: deps.workflows,
    }),
  );
  v1.use(
    tenantScope,
    createAgentRouter({
      agents: deps.agents.repository,
      runs: deps.agents.runs,
      llmConfigured: deps.agents.llmConfigured,
      modelAllowList: deps.agents.modelAllowList,
    }),
  );
  v1.use(tenantScope, createAnalyticsRouter({ analytics: deps.agents.analytics }));
  app.use('/v1', v1);
  if (deps.codec) app.use('/codec', createCodecRouter({ ...deps.codec, authenticator: deps.authenticator }));
  app.use('/console', createConsoleRouter(deps.consoleDir));
  app.get('/', (_req, res) => res.redirect(302, '/console/'));

  app.use((req, _res, next) => next(problems.notFound(`route ${req.method} ${req.path}`)));
  app.use(problemHandler(deps.logger, deps.maxBodyBytes));
  return app;
}
