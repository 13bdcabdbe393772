/**
 * The one HTTP path every connector uses: global fetch with a per-call timeout (AbortSignal.timeout), JSON or
 * form bodies, and failures classified into `ItsmError` so the activity layer can decide retry or give up.
 * Error messages carry the system, operation, method, path and the remote's own short error text — never
 * request headers, credentials or bodies we sent. A per-tenant token bucket (`createRateLimiter`) is here too.
 *
 * Every request goes through the outbound policy (src/platform/net/outbound-policy.ts): a base URL that resolves
 * to a refused address fails as a non-retryable `refused` error and nothing is sent; redirects are not followed;
 * and the answer of a non-public server the allow-list let through never reaches an error message.
 */
import {
  type OutboundPolicy,
  type OutboundResponse,
  createOutboundPolicy,
  isOutboundRefusedError,
} from '../../platform/net/outbound-policy';
import type { ToolType } from './types';

export type ItsmErrorKind =
  | 'auth'
  | 'not_found'
  | 'conflict'
  | 'rate_limited'
  | 'server'
  | 'timeout'
  | 'network'
  | 'invalid'
  /** The outbound policy refused the base URL's address: nothing was sent. */
  | 'refused';

export interface ItsmErrorInit {
  kind: ItsmErrorKind;
  message: string;
  status?: number;
  retryAfterMs?: number;
  /**
   * A rate-limited call whose wait began with this call (the tool's 429, or a new reservation at our limiter);
   * false when an attempt came back before its reserved time: the same wait, which is logged only once.
   */
  newWait?: boolean;
  retryable?: boolean;
  system?: ToolType;
  operation?: string;
}

const RETRYABLE_BY_DEFAULT: Record<ItsmErrorKind, boolean> = {
  auth: false,
  not_found: false,
  conflict: false,
  rate_limited: true,
  server: true,
  timeout: true,
  network: true,
  invalid: false,
  refused: false,
};

export class ItsmError extends Error {
  readonly kind: ItsmErrorKind;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly newWait: boolean;
  readonly retryable: boolean;
  readonly system?: ToolType;
  readonly operation?: string;

  constructor(init: ItsmErrorInit) {
    super(init.message);
    this.name = 'ItsmError';
    this.kind = init.kind;
    this.status = init.status;
    this.retryAfterMs = init.retryAfterMs;
    this.newWait = init.newWait ?? true;
    this.retryable = init.retryable ?? RETRYABLE_BY_DEFAULT[init.kind];
    this.system = init.system;
    this.operation = init.operation;
  }

  /** Plain object for logs, sync-log rows and Temporal ApplicationFailure details. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      kind: this.kind,
      message: this.message,
      status: this.status,
      retryAfterMs: this.retryAfterMs,
      retryable: this.retryable,
      system: this.system,
      operation: this.operation,
    };
  }
}

export function isItsmError(error: unknown): error is ItsmError {
  return error instanceof ItsmError;
}

// ---------------------------------------------------------------------------------------------------------
// Retry-After and the tools' rate-limit headers
// ---------------------------------------------------------------------------------------------------------

const MAX_WAIT_MS = 24 * 60 * 60 * 1000;

function clampWait(ms: number): number {
  return Math.min(MAX_WAIT_MS, Math.max(0, Math.ceil(ms)));
}

/**
 * How long to wait before retrying, from (in order): `Retry-After` (delta-seconds or HTTP-date, RFC 9110 §10.2.3);
 * `X-RateLimit-Reset` (Jira Cloud: ISO 8601 timestamp; ServiceNow: epoch seconds); Zendesk's `ratelimit-reset`
 * (seconds) and `zendesk-ratelimit-tickets-index: …; resets=N`. Undefined when none is usable.
 */
export function parseRetryAfter(headers: Headers, nowMs: number = Date.now()): number | undefined {
  const retryAfter = headers.get('retry-after')?.trim();
  if (retryAfter) {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) return clampWait(Number(retryAfter) * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return clampWait(date - nowMs);
  }
  const reset = headers.get('x-ratelimit-reset')?.trim();
  if (reset) {
    if (/^\d+(\.\d+)?$/.test(reset)) {
      const n = Number(reset);
      // Epoch seconds (ServiceNow) are > 1e9; anything smaller is a delta in seconds.
      return clampWait(n > 1e9 ? n * 1000 - nowMs : n * 1000);
    }
    const date = Date.parse(reset);
    if (!Number.isNaN(date)) return clampWait(date - nowMs);
  }
  const zendeskReset = headers.get('ratelimit-reset')?.trim();
  if (zendeskReset && /^\d+$/.test(zendeskReset)) return clampWait(Number(zendeskReset) * 1000);
  const ticketsIndex = headers.get('zendesk-ratelimit-tickets-index');
  const resets = ticketsIndex ? /resets=(\d+)/.exec(ticketsIndex) : null;
  if (resets) return clampWait(Number(resets[1]) * 1000);
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Classification
// ---------------------------------------------------------------------------------------------------------

export interface ClassifiedFailure {
  kind: ItsmErrorKind;
  retryable: boolean;
  retryAfterMs?: number;
}

/** Generic HTTP status classification; connectors may refine it (tool-specific duplicate errors, SDP codes). */
export function classifyStatus(
  status: number,
  headers: Headers,
  nowMs: number = Date.now(),
): ClassifiedFailure {
  if (status === 401 || status === 403) return { kind: 'auth', retryable: false };
  if (status === 404 || status === 410) return { kind: 'not_found', retryable: false };
  if (status === 409) return { kind: 'conflict', retryable: false };
  if (status === 429)
    return { kind: 'rate_limited', retryable: true, retryAfterMs: parseRetryAfter(headers, nowMs) };
  if (status === 408) return { kind: 'timeout', retryable: true };
  if (status >= 500)
    return { kind: 'server', retryable: true, retryAfterMs: parseRetryAfter(headers, nowMs) };
  return { kind: 'invalid', retryable: false };
}

/** Replaces every secret (and anything that looks like an auth header value) in a message. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out
    .replace(
      /\b(authorization|authtoken)\b(\s*[:=]\s*)(?:(basic|bearer|zoho-oauthtoken)\s+)?[^\s,;"']+/gi,
      (_match, name: string, sep: string, scheme?: string) =>
        `${name}${sep}${scheme ? `${scheme} ` : ''}[redacted]`,
    )
    .replace(/\b(basic|bearer|zoho-oauthtoken)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]');
}

/** The remote's own short error text, from the documented error shapes of each tool. */
function remoteErrorText(body: unknown): string | undefined {
  if (typeof body === 'string') return body.trim() || undefined;
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  const parts: string[] = [];
  const text = (value: unknown) => {
    if (typeof value === 'string' && value.trim()) parts.push(value.trim());
  };
  // Jira: { errorMessages: [], errors: { field: message } }
  if (Array.isArray(b.errorMessages)) b.errorMessages.forEach(text);
  if (b.errors && typeof b.errors === 'object' && !Array.isArray(b.errors)) {
    for (const [field, message] of Object.entries(b.errors)) {
      if (typeof message === 'string') parts.push(`${field}: ${message}`);
    }
  }
  // ServiceNow: { error: { message, detail } }; Zendesk: { error, description } or { error: { title, message } }
  if (b.error && typeof b.error === 'object') {
    const e = b.error as Record<string, unknown>;
    [e.message, e.title, e.detail].forEach(text);
  } else {
    text(b.error);
  }
  text(b.description);
  // ServiceDesk Plus: { response_status: { status_code, messages: [{ status_code, message }] } }
  const rs = b.response_status as { messages?: unknown } | undefined;
  if (rs && Array.isArray(rs.messages)) {
    for (const m of rs.messages as Array<Record<string, unknown> | null>) {
      if (m && typeof m === 'object') text([m.status_code, m.message].filter(Boolean).join(' '));
    }
  }
  text(b.message);
  return parts.length > 0 ? parts.join('; ') : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------------------------------------

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the base URL, starting with '/'. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  /** application/x-www-form-urlencoded body (ServiceDesk Plus `input_data`). */
  form?: Record<string, string>;
  /** A body sent byte for byte (signed webhooks). */
  raw?: { body: string; contentType: string };
  headers?: Record<string, string>;
  /** Names the call in errors: 'create', 'find', 'comment', … */
  operation: string;
}

export interface HttpResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface FailureContext {
  status: number;
  headers: Headers;
  body: unknown;
  request: HttpRequest;
}

export interface HttpClientOptions {
  system: ToolType;
  baseUrl: string;
  /** Headers on every request (auth, Accept). Never copied into errors. */
  headers: Record<string, string>;
  /** Values that must never appear in an error message (tokens, passwords, encoded basic credentials). */
  secrets: string[];
  /** Where requests may go. Default: public addresses only (no allow-list), system DNS. */
  outbound?: OutboundPolicy;
  timeoutMs?: number;
  now?: () => number;
  /**
   * Tool-specific refinement: returns a classification for a response (also a 2xx whose body reports failure,
   * as ServiceDesk Plus can), or undefined to use the generic one (2xx = success).
   */
  classify?: (ctx: FailureContext) => ClassifiedFailure | undefined;
  /**
   * The tenant's limiter: a call with no token left fails fast as a retryable `rate_limited` error carrying
   * the wait (`retryAfterMs`), and nothing is sent.
   */
  rateLimiter?: RateLimiter;
}

export interface HttpClient {
  readonly baseUrl: string;
  request<T = unknown>(req: HttpRequest): Promise<HttpResponse<T>>;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

let strictPolicy: OutboundPolicy | undefined;
/** The policy of a client built without one: public addresses only. */
function defaultOutboundPolicy(): OutboundPolicy {
  strictPolicy ??= createOutboundPolicy();
  return strictPolicy;
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const outbound = options.outbound ?? defaultOutboundPolicy();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');

  function fail(init: Omit<ItsmErrorInit, 'system'>): ItsmError {
    return new ItsmError({ ...init, message: scrub(init.message, options.secrets), system: options.system });
  }

  async function request<T>(req: HttpRequest): Promise<HttpResponse<T>> {
    const url = new URL(baseUrl + req.path);
    for (const [key, value] of Object.entries(req.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...options.headers,
      ...req.headers,
    };
    let body: string | undefined;
    if (req.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.json);
    } else if (req.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(req.form).toString();
    } else if (req.raw !== undefined) {
      headers['content-type'] = req.raw.contentType;
      body = req.raw.body;
    }
    const where = `${req.method} ${url.pathname}`;
    const label = `${options.system} ${req.operation}`;
    if (options.rateLimiter) {
      const slot = options.rateLimiter.tryAcquire();
      if (!slot.ok) {
        throw fail({
          kind: 'rate_limited',
          retryAfterMs: slot.waitMs,
          newWait: slot.newWait,
          message: `${label} held back by the tenant rate limit (${options.rateLimiter.perMinute}/min) (${where})`,
          operation: req.operation,
        });
      }
    }

    let status: number;
    let responseHeaders: Headers;
    let text: string;
    let internal: boolean;
    try {
      const signal = AbortSignal.timeout(timeoutMs);
      let sent: OutboundResponse;
      try {
        sent = await outbound.send(url, { method: req.method, headers, body, signal, redirect: 'manual' });
      } catch (error) {
        if (!isOutboundRefusedError(error)) throw error;
        throw fail({
          kind: error.retryable ? 'network' : 'refused',
          message: `${label} not sent: the base URL ${error.reason} (${where})`,
          operation: req.operation,
        });
      }
      const res = sent.response;
      internal = sent.internal;
      status = res.status;
      responseHeaders = res.headers;
      text = await res.text(); // the timeout signal also bounds reading the body
    } catch (error) {
      if (isItsmError(error)) throw error;
      const name = (error as { name?: string })?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw fail({
          kind: 'timeout',
          message: `${label} timed out after ${timeoutMs} ms (${where})`,
          operation: req.operation,
        });
      }
      const cause =
        (error as { cause?: { code?: string } })?.cause?.code ?? (error as { code?: string })?.code;
      throw fail({
        kind: 'network',
        message: `${label} network error${cause ? ` ${cause}` : ''} (${where})`,
        operation: req.operation,
      });
    }

    let parsed: unknown = null;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }

    const ctx: FailureContext = { status, headers: responseHeaders, body: parsed, request: req };
    const refined = options.classify?.(ctx);
    const ok = status >= 200 && status < 300;
    if (ok && !refined) return { status, headers: responseHeaders, body: parsed as T };
    if (status >= 300 && status < 400) {
      throw fail({
        kind: 'invalid',
        status,
        message: `${label} got an unexpected redirect HTTP ${status} (${where})`,
        operation: req.operation,
      });
    }
    const classified = refined ?? classifyStatus(status, responseHeaders, now());
    // The tool says the tenant's allowance is used up: every other call of the tenant waits as long too.
    if (classified.kind === 'rate_limited' && classified.retryAfterMs)
      options.rateLimiter?.pause(classified.retryAfterMs);
    // A non-public server reached through the allow-list: its answer stays out of what the tenant reads.
    const detail = internal ? undefined : remoteErrorText(parsed);
    const short = detail ? `: ${detail.slice(0, 300)}` : '';
    throw fail({
      kind: classified.kind,
      status,
      retryable: classified.retryable,
      retryAfterMs: classified.retryAfterMs,
      message: `${label} failed with HTTP ${status} (${where})${short}`,
      operation: req.operation,
    });
  }

  return { baseUrl, request };
}

// ---------------------------------------------------------------------------------------------------------
// Token-bucket rate limiter (pure: no timers, clock injectable)
// ---------------------------------------------------------------------------------------------------------

export interface RateLimiterOptions {
  perMinute: number;
  /** Bucket size: how many calls may go out back to back. Default: a tenth of a minute's allowance (≥ 1). */
  burst?: number;
  now?: () => number;
}

export interface RateLimiter {
  readonly perMinute: number;
  /** Takes a token if one is available now; otherwise takes nothing and says how long until one is. */
  tryAcquire(): RateLimitSlot;
  /**
   * Reserves a token (the bucket may go into debt) and returns how long the caller must wait before making
   * its call — 0 when a token was available. Concurrent callers get increasing waits.
   */
  acquire(): number;
  /** Tokens available now (may be negative while reservations are outstanding). */
  available(): number;
  /**
   * The limiter as one attempt of one caller (`holder`: an ITSM event, stable across its activity's attempts)
   * sees it; take a new one per attempt. With no token free, tokens for every call the attempt has made so far
   * are reserved for the holder at the time they will be there, and the wait is answered; the holder's next
   * attempt at or after that time uses its reservation. Concurrent callers are thus served in order, each
   * retrying once, exactly when its tokens are there — not all woken for the one token the first of them
   * takes (which made a busy tenant's syncs retry 159 times each).
   */
  forHolder(holder: string): RateLimiter;
  /** No token before `waitMs` from now (the tool answered 429 with Retry-After). */
  pause(waitMs: number): void;
}

export interface RateLimitSlot {
  ok: boolean;
  waitMs: number;
  /** A refused slot whose wait starts now (false: the holder came back before its reserved time). */
  newWait?: boolean;
}

/** A reservation whose holder never came back (its workflow ended) is forgotten after this long. */
const RESERVATION_TTL_MS = 60 * 60 * 1000;
/** Timer and clock jitter: a holder back this close to its reserved time takes its token. */
const RESERVATION_EARLY_MS = 50;

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  if (!Number.isFinite(options.perMinute) || options.perMinute <= 0) {
    throw new RangeError('perMinute must be a positive number');
  }
  const now = options.now ?? Date.now;
  const ratePerMs = options.perMinute / 60_000;
  const capacity = Math.max(1, options.burst ?? Math.ceil(options.perMinute / 10));
  let tokens = capacity;
  /** Tokens accrue from here on; in the future while paused (nothing goes out, nothing accrues, until then). */
  let last = now();

  function refill(t: number): void {
    if (t > last) {
      tokens = Math.min(capacity, tokens + (t - last) * ratePerMs);
      last = t;
    }
  }

  /** How long from `t` until the bucket holds `needed` tokens. */
  function waitFor(t: number, needed: number): number {
    return Math.ceil(Math.max(0, last - t) + Math.max(0, needed - tokens) / ratePerMs);
  }

  function acquire(): number {
    const t = now();
    refill(t);
    tokens -= 1;
    return waitFor(t, 0);
  }

  /** holder → when its reserved tokens are there, and how many are left. */
  const reservations = new Map<string, { readyAt: number; tokens: number }>();

  /** The `call`th call of one attempt of `holder`. */
  function acquireFor(holder: string, call: number): RateLimitSlot {
    const t = now();
    for (const [key, r] of reservations) {
      if (r.readyAt + RESERVATION_TTL_MS < t) reservations.delete(key);
    }
    const reserved = reservations.get(holder);
    if (reserved) {
      if (reserved.readyAt - t > RESERVATION_EARLY_MS)
        return { ok: false, waitMs: reserved.readyAt - t, newWait: false };
      reserved.tokens -= 1;
      if (reserved.tokens === 0) reservations.delete(holder);
      return { ok: true, waitMs: 0 };
    }
    if (limiter.tryAcquire().ok) return { ok: true, waitMs: 0 };
    // The retry makes this attempt's calls again: reserve a token for each, so it is not held back halfway
    // (and by the same token would never get past its first calls while others queue).
    let waitMs = 0;
    for (let i = 0; i < call; i += 1) waitMs = acquire();
    reservations.set(holder, { readyAt: t + waitMs, tokens: call });
    return { ok: false, waitMs, newWait: true };
  }

  const limiter: RateLimiter = {
    perMinute: options.perMinute,
    tryAcquire() {
      const t = now();
      refill(t);
      const waitMs = waitFor(t, 1);
      if (waitMs > 0) return { ok: false, waitMs };
      tokens -= 1;
      return { ok: true, waitMs: 0 };
    },
    acquire,
    available() {
      refill(now());
      return tokens;
    },
    forHolder(holder) {
      let calls = 0;
      return {
        ...limiter,
        tryAcquire: () => {
          calls += 1;
          return acquireFor(holder, calls);
        },
      };
    },
    pause(waitMs) {
      const t = now();
      refill(t);
      last = Math.max(last, t + waitMs);
    },
  };
  return limiter;
}

/** One limiter per key (tenant id); a changed allowance replaces the tenant's limiter. */
export function createRateLimiterRegistry(options: { now?: () => number } = {}) {
  const limiters = new Map<string, RateLimiter>();
  return {
    get(key: string, perMinute: number): RateLimiter {
      const existing = limiters.get(key);
      if (existing && existing.perMinute === perMinute) return existing;
      const limiter = createRateLimiter({ perMinute, now: options.now });
      limiters.set(key, limiter);
      return limiter;
    },
    delete(key: string): void {
      limiters.delete(key);
    },
  };
}

/** Basic auth header value; the caller adds it to the client's `secrets` so it never appears in errors. */
export function basicAuth(user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
}
