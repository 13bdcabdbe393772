/**
 * JWT authentication with jose: HS256 with JWT_SECRET, or RS256/ES256 from JWKS_URL. Only those algorithms are
 * accepted, so `alg: none` and algorithm-confusion tokens are refused.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  type JWTPayload,
  type JWTVerifyGetKey,
  createRemoteJWKSet,
  decodeProtectedHeader,
  jwtVerify,
  errors as joseErrors,
} from 'jose';
import { z } from 'zod';
import { ROLES, type Role } from '../domain/vocabulary';
import { problems } from './problems';

export interface Principal {
  sub: string;
  tenantRef: string;
  roles: Role[];
}

export interface AuthOptions {
  jwtSecret?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** The longest a token may live, from `iat` (or now) to `exp`; 24 h unless configured. */
  maxLifetimeSeconds?: number;
}

export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600;
/** How far the issuer's clock may be off ours, for `exp`, `nbf` and `iat`. */
export const CLOCK_SKEW_SECONDS = 60;
/** An Authorization header longer than this is refused with 431 before its token is decoded. */
export const MAX_AUTHORIZATION_HEADER_BYTES = 8192;

const claimsSchema = z.object({
  sub: z.string().min(1).max(255),
  tenant_id: z.string().min(1).max(255),
  roles: z.array(z.enum(ROLES)).min(1),
});

export type Authenticator = (token: string) => Promise<Principal>;

/**
 * Tokens verified lately, so a client's every request does not pay for the signature check again (jose's
 * WebCrypto verify was ~7% of a list request's CPU). An entry is kept at most a minute, never past the token's
 * own expiry, so a key the issuer withdraws from its JWKS stops working within a minute; only tokens that
 * passed every check are kept, so refused tokens cannot fill it.
 */
export const VERIFIED_TOKEN_CACHE_ENTRIES = 10_000;
export const VERIFIED_TOKEN_CACHE_MS = 60_000;

export function createAuthenticator(options: AuthOptions, verifyJwt = jwtVerify): Authenticator {
  const secret = options.jwtSecret ? new TextEncoder().encode(options.jwtSecret) : undefined;
  const jwks: JWTVerifyGetKey | undefined = options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl))
    : undefined;
  if (!secret && !jwks) throw new Error('configure JWT_SECRET or JWKS_URL');
  const maxLifetime = options.maxLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  const checks = {
    ...(options.issuer ? { issuer: options.issuer } : {}),
    ...(options.audience ? { audience: options.audience } : {}),
    requiredClaims: ['exp'],
    clockTolerance: CLOCK_SKEW_SECONDS,
  };

  const verified = new Map<string, { principal: Principal; untilMs: number }>();
  const remember = (token: string, principal: Principal, exp: number) => {
    if (verified.size >= VERIFIED_TOKEN_CACHE_ENTRIES) verified.delete(verified.keys().next().value!);
    const untilMs = Math.min((exp + CLOCK_SKEW_SECONDS) * 1000, Date.now() + VERIFIED_TOKEN_CACHE_MS);
    verified.set(token, { principal, untilMs });
  };

  return async (token) => {
    const known = verified.get(token);
    if (known && Date.now() < known.untilMs) return { ...known.principal, roles: [...known.principal.roles] };
    if (known) verified.delete(token);
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw problems.unauthorized('the bearer token is not a JWT');
    }
    try {
      const { payload } =
        alg === 'HS256' && secret
          ? await verifyJwt(token, secret, { ...checks, algorithms: ['HS256'] })
          : jwks
            ? await verifyJwt(token, jwks, { ...checks, algorithms: ['RS256', 'ES256'] })
            : await verifyJwt(token, secret!, { ...checks, algorithms: ['HS256'] });
      checkLifetime(payload, maxLifetime);
      const claims = claimsSchema.safeParse(payload);
      if (!claims.success)
        throw problems.unauthorized('the token lacks valid sub, tenant_id or roles claims');
      const principal = { sub: claims.data.sub, tenantRef: claims.data.tenant_id, roles: claims.data.roles };
      remember(token, principal, payload.exp!);
      return { ...principal, roles: [...principal.roles] };
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw problems.unauthorized('the token has expired');
      if (error instanceof joseErrors.JWTClaimValidationFailed)
        throw problems.unauthorized(`the token's ${error.claim} claim is missing or not valid`);
      if (error instanceof joseErrors.JOSEError) throw problems.unauthorized('the token is not valid');
      throw error;
    }
  };
}

/** `iat` not in the future, and no longer-lived token than allowed (jose has checked `exp` and `nbf`). */
function checkLifetime(payload: JWTPayload, maxLifetimeSeconds: number): void {
  const now = Math.floor(Date.now() / 1000);
  const { exp, iat } = payload;
  if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat)))
    throw problems.unauthorized('the token has an invalid iat claim');
  if (iat !== undefined && iat > now + CLOCK_SKEW_SECONDS)
    throw problems.unauthorized('the token is issued in the future');
  const issued = Math.min(iat ?? now, now);
  if (typeof exp !== 'number' || exp - issued > maxLifetimeSeconds + CLOCK_SKEW_SECONDS) {
    throw problems.unauthorized(`the token lives longer than the allowed ${maxLifetimeSeconds} s`);
  }
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

export function authenticate(verify: Authenticator): RequestHandler {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.get('authorization');
    if (header !== undefined && header.length > MAX_AUTHORIZATION_HEADER_BYTES) {
      throw problems.headersTooLarge(
        `the Authorization header exceeds ${MAX_AUTHORIZATION_HEADER_BYTES} bytes`,
      );
    }
    const match = header?.match(/^Bearer\s+(\S+)$/i);
    if (!match?.[1]) throw problems.unauthorized('send Authorization: Bearer <token>');
    req.principal = await verify(match[1]);
    next();
  };
}

export function requireRole(...allowed: Role[]): RequestHandler {
  return (req, _res, next) => {
    const roles = req.principal?.roles ?? [];
    if (!roles.some((r) => allowed.includes(r) || r === 'superadmin')) {
      throw problems.forbidden(`this needs one of the roles: ${allowed.join(', ')}`);
    }
    next();
  };
}

export function hasRole(req: Request, ...roles: Role[]): boolean {
  return (req.principal?.roles ?? []).some((r) => roles.includes(r) || r === 'superadmin');
}
