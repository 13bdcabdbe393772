/** Errors as RFC 9457 problem+json: a stable `type`, a human `detail`, per-field `errors` for validation. */
import type { ErrorRequestHandler, Response } from 'express';
import type { z } from 'zod';
import type { Logger } from '../platform/logger';
import { isDependencyUnavailable } from './dependency-errors';

export interface FieldError {
  field: string;
  message: string;
}

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

export const problems = {
  validation: (errors: FieldError[]) =>
    new HttpProblem(400, 'validation-error', 'Invalid request', 'the request has invalid fields', { errors }),
  malformedJson: () =>
    new HttpProblem(400, 'malformed-json', 'Malformed JSON', 'the request body is not valid JSON'),
  unauthorized: (detail: string) => new HttpProblem(401, 'unauthorized', 'Unauthorized', detail),
  forbidden: (detail: string) => new HttpProblem(403, 'forbidden', 'Forbidden', detail),
  notFound: (what: string) => new HttpProblem(404, 'not-found', 'Not found', `${what} not found`),
  conflict: (slug: string, detail: string, extra?: Record<string, unknown>) =>
    new HttpProblem(409, slug, 'Conflict', detail, extra),
  /** A URL the tenant configured points where the platform does not call (outbound policy): 422 per field. */
  outboundUrlRefused: (errors: FieldError[]) =>
    new HttpProblem(
      422,
      'outbound-url-refused',
      'URL refused',
      'a configured URL points to an address the platform does not call',
      { errors },
    ),
  idempotencyKeyReused: (detail: string) =>
    new HttpProblem(422, 'idempotency-key-reused', 'Idempotency key reused', detail),
  tooLarge: (limit: number) =>
    new HttpProblem(413, 'payload-too-large', 'Payload too large', `the body exceeds ${limit} bytes`),
  unsupportedMediaType: () =>
    new HttpProblem(
      415,
      'unsupported-media-type',
      'Unsupported media type',
      'send the body as application/json',
    ),
  unavailable: (detail: string, retryAfterSeconds?: number) =>
    new HttpProblem(
      503,
      'service-unavailable',
      'Service unavailable',
      detail,
      retryAfterSeconds === undefined ? undefined : { retry_after_seconds: retryAfterSeconds },
    ),
  badRequest: (detail: string) => new HttpProblem(400, 'bad-request', 'Bad request', detail),
  tooDeep: (limit: number) =>
    new HttpProblem(
      400,
      'json-too-deep',
      'JSON nested too deeply',
      `the body nests more than ${limit} levels`,
    ),
  unsupportedEncoding: (encoding: string) =>
    new HttpProblem(
      415,
      'unsupported-content-encoding',
      'Unsupported content encoding',
      `Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not accepted: send the body uncompressed`,
    ),
  headersTooLarge: (detail: string) =>
    new HttpProblem(431, 'header-fields-too-large', 'Request header fields too large', detail),
  /** A value that is well-formed but cannot be honoured (a policy that cannot be met), naming the fields. */
  unprocessable: (slug: string, detail: string, errors: FieldError[]) =>
    new HttpProblem(422, slug, 'Unprocessable content', detail, { errors }),
  rateLimited: (retryAfterSeconds: number) =>
    new HttpProblem(
      429,
      'rate-limited',
      'Too many requests',
      `the tenant's request limit is used up; retry in ${retryAfterSeconds} s`,
      { retry_after_seconds: retryAfterSeconds },
    ),
};

export function zodFieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    field: issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(',') : '(body)'),
    message: issue.message,
  }));
}

/** Parses with a schema or throws the 400 problem listing every bad field. */
export function parseOr400<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw problems.validation(zodFieldErrors(result.error));
  return result.data;
}

export function sendProblem(res: Response, problem: HttpProblem, instance?: string): void {
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({
      type: `/problems/${problem.slug}`,
      title: problem.title,
      status: problem.status,
      detail: problem.message,
      ...(instance ? { instance } : {}),
      ...problem.extra,
    });
}

/** An http-errors error with a 4xx status (raised by Express, its router and body-parser). */
function isClientError(error: unknown): error is { status: number } {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/** A restarting PostgreSQL or Temporal is usually back within seconds. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** The one place errors become responses: no SQL, stack or secret ever reaches a client. */
export function problemHandler(logger: Logger, maxBodyBytes: number): ErrorRequestHandler {
  return (error, req, res, _next) => {
    let problem: HttpProblem;
    if (error instanceof HttpProblem) problem = error;
    else if (error?.type === 'entity.parse.failed') problem = problems.malformedJson();
    else if (error?.type === 'entity.too.large') problem = problems.tooLarge(maxBodyBytes);
    else if (error?.type === 'charset.unsupported' || error?.type === 'encoding.unsupported')
      problem = problems.unsupportedMediaType();
    else if (isClientError(error)) {
      // Errors Express itself raises for a bad request (a path parameter that does not decode, `%`):
      // their message names only the request's own fault.
      problem = new HttpProblem(error.status, 'bad-request', 'Bad request', 'the request could not be read');
    } else if (isDependencyUnavailable(error)) {
      logger.warn({ err: error, path: req.path }, 'a dependency is unavailable');
      problem = problems.unavailable(
        'a service the API depends on is unavailable; retry shortly',
        UNAVAILABLE_RETRY_AFTER_SECONDS,
      );
    } else {
      logger.error({ err: error, path: req.path }, 'unhandled error');
      problem = new HttpProblem(500, 'internal-error', 'Internal error', 'an unexpected error occurred');
    }
    if (res.headersSent) return;
    if (problem.status === 401) res.set('WWW-Authenticate', 'Bearer');
    if ((problem.status === 429 || problem.status === 503) && problem.extra.retry_after_seconds !== undefined)
      res.set('Retry-After', String(problem.extra.retry_after_seconds));
    sendProblem(res, problem, req.originalUrl);
  };
}
