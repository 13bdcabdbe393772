/**
 * Per-tenant request limits (fixed windows counted in Postgres, so several API processes share one limit),
 * by the tenant's tier. Every answer carries `RateLimit-Policy` and `RateLimit` (IETF httpapi draft
 * "RateLimit header fields for HTTP"); past the limit it is 429 problem+json with `Retry-After`.
 */
import type { RequestHandler } from 'express';
import { ownValue } from '../../domain/lookup';
import type { Logger } from '../../platform/logger';
import type { RateLimitRepository } from '../../stores/rate-limit-repository';
import { problems } from '../problems';

export interface RateLimitOptions {
  counters: Pick<RateLimitRepository, 'hit'>;
  windowSeconds: number;
  /** Requests per window by tier; 0 (or a tier not listed) means no limit. */
  perTier: Readonly<Record<string, number>>;
  logger: Logger;
}

/** Runs after the tenant is resolved (it needs `req.tenant`). */
export function rateLimitByTenant(options: RateLimitOptions): RequestHandler {
  return async (req, res, next) => {
    const tenant = req.tenant!;
    const limit = ownValue(options.perTier, tenant.tier) ?? 0;
    if (limit <= 0) {
      next();
      return;
    }
    let counted;
    try {
      counted = await options.counters.hit(tenant.id, options.windowSeconds);
    } catch (error) {
      // The limit protects the service; a counter that cannot be written must not take the API down too.
      options.logger.warn({ err: error, tenantId: tenant.id }, 'rate limit not counted');
      next();
      return;
    }
    res.set('RateLimit-Policy', `"tenant";q=${limit};w=${options.windowSeconds}`);
    res.set('RateLimit', `"tenant";r=${Math.max(0, limit - counted.count)};t=${counted.resetSeconds}`);
    if (counted.count > limit) throw problems.rateLimited(counted.resetSeconds);
    next();
  };
}
