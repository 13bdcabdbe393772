/**
 * Errors that mean a dependency (PostgreSQL, Temporal) is down or restarting, not that the request or the code is
 * wrong: the API answers them 503 with Retry-After, so clients retry (with their Idempotency-Key) instead of
 * treating the request as failed for good. Seen in the chaos run while PostgreSQL restarted.
 */
import { isGrpcServiceError } from '@temporalio/client';

/**
 * PostgreSQL SQLSTATEs of a server that is shutting down, starting up or out of connections (class 08 too), and
 * of a transaction it aborted to resolve a conflict (deadlock, serialization failure): each passes if retried.
 */
const POSTGRES_UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '53300', '40P01', '40001']);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);
/** gRPC UNAVAILABLE: the Temporal frontend cannot be reached. */
const GRPC_UNAVAILABLE = 14;

function isUnavailable(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const { code, name, message } = error as { code?: unknown; name?: unknown; message?: unknown };
  if (
    typeof code === 'string' &&
    (POSTGRES_UNAVAILABLE.has(code) || code.startsWith('08') || NETWORK_CODES.has(code))
  )
    return true;
  // knex's pool gives up waiting for a connection; pg's client loses its socket.
  if (name === 'KnexTimeoutError') return true;
  // knex prefixes the statement it was running: `ROLLBACK - Connection terminated unexpectedly`.
  if (typeof message === 'string' && /\bConnection terminated\b/.test(message)) return true;
  if (isGrpcServiceError(error) && error.code === GRPC_UNAVAILABLE) return true;
  return false;
}

export function isDependencyUnavailable(error: unknown): boolean {
  // Walk the cause chain (Temporal's ServiceError, objection's DBError and AggregateErrors wrap the transport's).
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const next = queue.shift();
    if (!next || typeof next !== 'object' || seen.has(next)) continue;
    seen.add(next);
    if (isUnavailable(next)) return true;
    // objection's DBError keeps the driver's error as `nativeError`.
    const { cause, errors, nativeError } = next as {
      cause?: unknown;
      errors?: unknown;
      nativeError?: unknown;
    };
    queue.push(cause, nativeError);
    if (Array.isArray(errors)) queue.push(...errors);
  }
  return false;
}
