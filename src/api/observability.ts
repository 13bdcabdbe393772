/**
 * Request logs and metrics of the API: every request gets an id (the caller's X-Request-Id when it is sane, a new
 * UUID otherwise, echoed in the response); its log line carries request id, tenant id and ticket id; its latency
 * and status go to the http_* metrics by route pattern; GET /metrics serves the process's Prometheus registry.
 */
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../platform/logger';
import { metrics, registry } from '../platform/metrics';

const REQUEST_ID = /^[\w.:-]{1,128}$/;
const TICKET_IN_PATH = /^\/v1\/tickets\/([0-9a-f-]{36})(?:\/|$)/i;

function requestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}

function ticketIdOf(req: IncomingMessage): string | undefined {
  const url = (req as Request).originalUrl ?? req.url ?? '';
  return TICKET_IN_PATH.exec(url.split('?')[0]!)?.[1];
}

export function requestLogging(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: requestId,
    customProps: (req) => {
      const tenant = (req as Request).tenant;
      const ticketId = ticketIdOf(req);
      return {
        request_id: req.id,
        ...(tenant ? { tenant_id: tenant.id } : {}),
        ...(ticketId ? { ticket_id: ticketId } : {}),
      };
    },
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
  });
}

/**
 * The route pattern of a request (`/v1/tickets/:id/resolve`), or `unmatched`: a bounded set of label values. The
 * matched route's path is the tail of the URL; what precedes it is where its router is mounted.
 */
export function routeLabel(req: Request): string {
  if (!req.route) return 'unmatched';
  const routePath = String((req.route as { path: unknown }).path);
  const parts = req.originalUrl.split('?')[0]!.split('/').filter(Boolean);
  const mount = parts.slice(0, parts.length - routePath.split('/').filter(Boolean).length);
  const label = `/${mount.join('/')}${routePath === '/' ? '' : routePath}`;
  return label.length > 1 ? label.replace(/\/$/, '').replace(/^\/\//, '/') : label;
}

export const httpMetrics: RequestHandler = (req, res, next) => {
  if (req.path === '/metrics') return next();
  const end = metrics.httpDuration.startTimer();
  res.once('finish', () => {
    const labels = { method: req.method, route: routeLabel(req), status: String(res.statusCode) };
    end(labels);
    metrics.httpRequests.inc(labels);
  });
  next();
};

export const metricsEndpoint: RequestHandler = async (_req, res) => {
  res.type(registry.contentType).send(await registry.metrics());
};
