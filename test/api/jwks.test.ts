/** Tokens from an issuer's JWKS (RS256/ES256), served by a local HTTP server. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, SignJWT, exportJWK, generateKeyPair } from 'jose';
import { createAuthenticator } from '../../src/api/auth';
import { HttpProblem } from '../../src/api/problems';

let server: http.Server;
let jwksUrl: string;
let rsa: CryptoKey;
let ec: CryptoKey;

beforeAll(async () => {
  const rsaPair = await generateKeyPair('RS256');
  const ecPair = await generateKeyPair('ES256');
  rsa = rsaPair.privateKey as CryptoKey;
  ec = ecPair.privateKey as CryptoKey;
  const keys = [
    { ...(await exportJWK(rsaPair.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ecPair.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  server = http.createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys })),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterAll(() => new Promise((r) => server.close(r)));

const claims = { tenant_id: 'acme', roles: ['agent'] };

function token(
  key: CryptoKey,
  alg: string,
  kid: string,
  options: { issuer?: string; audience?: string; exp?: string } = {},
) {
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg, kid })
    .setSubject('alice')
    .setExpirationTime(options.exp ?? '5m');
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(key);
}

async function refused(promise: Promise<unknown>): Promise<HttpProblem> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpProblem);
  expect((error as HttpProblem).status).toBe(401);
  return error as HttpProblem;
}

test('RS256 and ES256 tokens from the issuer are accepted; issuer and audience are checked', async () => {
  const verify = createAuthenticator({ jwksUrl, issuer: 'https://id.example', audience: 'support-api' });
  const checks = { issuer: 'https://id.example', audience: 'support-api' };
  await expect(verify(await token(rsa, 'RS256', 'rsa-1', checks))).resolves.toEqual({
    sub: 'alice',
    tenantRef: 'acme',
    roles: ['agent'],
  });
  await expect(verify(await token(ec, 'ES256', 'ec-1', checks))).resolves.toMatchObject({ sub: 'alice' });
  await refused(verify(await token(rsa, 'RS256', 'rsa-1', { ...checks, issuer: 'https://evil.example' })));
  await refused(verify(await token(rsa, 'RS256', 'rsa-1', { ...checks, audience: 'another-api' })));
  await refused(verify(await token(rsa, 'RS256', 'rsa-1', { ...checks, exp: '-1m' })));
});

test('with only a JWKS configured, HS256 and unknown keys are refused', async () => {
  const verify = createAuthenticator({ jwksUrl });
  const hs = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('x')
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode('a-secret-that-is-long-enough-000000000'));
  await refused(verify(hs));
  const { privateKey } = await generateKeyPair('RS256');
  await refused(verify(await token(privateKey as CryptoKey, 'RS256', 'rsa-1')));
});
