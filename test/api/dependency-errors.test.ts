/**
 * A dependency that is down or restarting (PostgreSQL, Temporal) is a 503 problem+json with Retry-After, so a
 * client retries; anything else unexpected stays a 500. Found by the chaos run: PostgreSQL restarting gave 500s.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { isDependencyUnavailable } from '../../src/api/dependency-errors';
import { problemHandler } from '../../src/api/problems';

const pgError = (code: string, message = 'terminating connection due to administrator command') =>
  Object.assign(new Error(message), { code, severity: 'FATAL' });
const grpcError = (code: number) =>
  Object.assign(new Error('14 UNAVAILABLE: Connection refused'), {
    code,
    details: '',
    metadata: { get: () => [] },
  });

test.each([
  ['PostgreSQL shutting down (57P01)', pgError('57P01')],
  ['PostgreSQL starting up (57P03)', pgError('57P03', 'the database system is starting up')],
  ['PostgreSQL connection failure (08006)', pgError('08006')],
  ['PostgreSQL deadlock victim (40P01)', pgError('40P01', 'deadlock detected')],
  ['PostgreSQL serialization failure (40001)', pgError('40001', 'could not serialize access')],
  [
    'connection refused',
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
  ],
  ['pg socket lost', new Error('Connection terminated unexpectedly')],
  ['pg socket lost during a rollback', new Error('ROLLBACK - Connection terminated unexpectedly')],
  [
    'knex pool timeout',
    Object.assign(new Error('Knex: Timeout acquiring a connection.'), { name: 'KnexTimeoutError' }),
  ],
  ['Temporal unreachable (gRPC UNAVAILABLE)', grpcError(14)],
  [
    "objection's DBError around a shutting-down server",
    Object.assign(new Error('the database system is shutting down'), {
      name: 'DBError',
      nativeError: pgError('57P03', 'the database system is shutting down'),
    }),
  ],
  ['wrapped in a cause', new Error('service call failed', { cause: pgError('57P01') })],
  [
    'in an AggregateError',
    new AggregateError([new Error('x'), Object.assign(new Error('y'), { code: 'ECONNRESET' })]),
  ],
])('%s is a dependency outage', (_name, error) => {
  expect(isDependencyUnavailable(error)).toBe(true);
});

test.each([
  ['a unique violation', pgError('23505', 'duplicate key value violates unique constraint')],
  ['a syntax error', pgError('42601', 'syntax error')],
  ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
  ['gRPC NOT_FOUND', grpcError(5)],
  ['not an error', 'ECONNREFUSED'],
  [
    'a cause cycle',
    (() => {
      const e = new Error('loop') as Error & { cause?: unknown };
      e.cause = e;
      return e;
    })(),
  ],
])('%s is not', (_name, error) => {
  expect(isDependencyUnavailable(error)).toBe(false);
});

test('the API answers an outage 503 problem+json with Retry-After, a bug 500 without one', async () => {
  const app = express();
  app.get('/down', () => {
    throw pgError('57P01');
  });
  app.get('/bug', () => {
    throw new TypeError('boom');
  });
  app.use(problemHandler(pino({ level: 'silent' }), 1024));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const down = await fetch(`${base}/down`);
    expect(down.status).toBe(503);
    expect(down.headers.get('content-type')).toContain('application/problem+json');
    expect(down.headers.get('retry-after')).toBe('5');
    const body = (await down.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 503, type: '/problems/service-unavailable' });
    expect(JSON.stringify(body)).not.toContain('administrator');

    const bug = await fetch(`${base}/bug`);
    expect(bug.status).toBe(500);
    expect(bug.headers.get('retry-after')).toBeNull();
  } finally {
    await new Promise((r) => server.close(r));
  }
});
