/** Verified tokens are remembered for a short while, never past their expiry, and refused ones never. */
import { SignJWT, jwtVerify } from 'jose';
import { CLOCK_SKEW_SECONDS, VERIFIED_TOKEN_CACHE_MS, createAuthenticator } from '../../src/api/auth';
import { HttpProblem } from '../../src/api/problems';

const SECRET = 'a-secret-that-is-long-enough-for-hs256-000000';
const START = Date.parse('2026-12-01T10:00:00Z');

let checked: string[];
const countingVerify = ((token: string, ...rest: unknown[]) => {
  checked.push(token);
  return (jwtVerify as (...args: unknown[]) => unknown)(token, ...rest);
}) as typeof jwtVerify;

function token(sub: string, lifetimeSeconds: number): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ tenant_id: 'acme', roles: ['agent'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt(now)
    .setExpirationTime(now + lifetimeSeconds)
    .sign(new TextEncoder().encode(SECRET));
}

async function refusal(promise: Promise<unknown>): Promise<HttpProblem> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpProblem);
  return error as HttpProblem;
}

beforeEach(() => {
  checked = [];
  // Only the clock is faked: promises, timers and jose's crypto run as usual.
  jest.useFakeTimers({
    now: START,
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
});
afterEach(() => jest.useRealTimers());

test('a token is verified once, then answered from memory; another token is verified on its own', async () => {
  const verify = createAuthenticator({ jwtSecret: SECRET }, countingVerify);
  const alice = await token('alice', 300);
  const bob = await token('bob', 300);
  await expect(verify(alice)).resolves.toEqual({ sub: 'alice', tenantRef: 'acme', roles: ['agent'] });
  await expect(verify(alice)).resolves.toEqual({ sub: 'alice', tenantRef: 'acme', roles: ['agent'] });
  await expect(verify(bob)).resolves.toMatchObject({ sub: 'bob' });
  expect(checked).toEqual([alice, bob]);
  // What a caller does with the principal it got does not change what the next request gets.
  (await verify(alice)).roles.push('admin');
  await expect(verify(alice)).resolves.toMatchObject({ roles: ['agent'] });
});

test('a remembered token expires when the token does (with the usual clock skew), not a cache period later', async () => {
  const verify = createAuthenticator({ jwtSecret: SECRET }, countingVerify);
  const shortLived = await token('alice', 10);
  // Accepted 5 s before the skew runs out, and remembered.
  jest.setSystemTime(START + (10 + CLOCK_SKEW_SECONDS - 5) * 1000);
  await verify(shortLived);
  await verify(shortLived);
  expect(checked).toHaveLength(1);
  jest.setSystemTime(START + (10 + CLOCK_SKEW_SECONDS + 1) * 1000);
  const problem = await refusal(verify(shortLived));
  expect(problem.status).toBe(401);
  expect(problem.message).toMatch(/expired/);
});

test('a long-lived token is verified again after the cache period, so a withdrawn key stops working', async () => {
  const verify = createAuthenticator({ jwtSecret: SECRET }, countingVerify);
  const alice = await token('alice', 3600);
  await verify(alice);
  jest.setSystemTime(START + VERIFIED_TOKEN_CACHE_MS - 1000);
  await verify(alice);
  expect(checked).toHaveLength(1);
  jest.setSystemTime(START + VERIFIED_TOKEN_CACHE_MS + 1000);
  await verify(alice);
  expect(checked).toHaveLength(2);
});

test('a refused token is not remembered: each attempt is checked and refused', async () => {
  const verify = createAuthenticator({ jwtSecret: SECRET }, countingVerify);
  const good = await token('alice', 300);
  const forged = `${good.slice(0, good.lastIndexOf('.'))}.${'A'.repeat(43)}`;
  for (let i = 0; i < 3; i++) expect((await refusal(verify(forged))).status).toBe(401);
  expect(checked).toEqual([forged, forged, forged]);
});
