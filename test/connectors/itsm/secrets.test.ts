import { randomBytes } from 'node:crypto';
import {
  createSecretBox,
  parseKeyRing,
  SecretBoxError,
  secretBoxFromEnv,
} from '../../../src/platform/crypto/secrets';

const k1 = randomBytes(32).toString('base64');
const k2 = randomBytes(32).toString('base64');
const credentials = { email: 'bot@example.com', api_token: 'ATATT-super-secret-token' };

function expectSecretError(fn: () => unknown, code: SecretBoxError['code']): SecretBoxError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(SecretBoxError);
  expect((caught as SecretBoxError).code).toBe(code);
  return caught as SecretBoxError;
}

describe('secret box (AES-256-GCM envelope)', () => {
  const box = createSecretBox({ keys: { k1 }, activeKeyId: 'k1' });

  it('seals to the versioned format without the plaintext, and opens it back', () => {
    const sealed = box.seal(credentials, 'tenant-acme');
    expect(sealed).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('super-secret');
    expect(sealed).not.toContain(Buffer.from(credentials.api_token).toString('base64'));
    expect(box.open(sealed, 'tenant-acme')).toEqual(credentials);
  });

  it('uses a fresh random IV every time', () => {
    const a = box.seal(credentials, 't');
    const b = box.seal(credentials, 't');
    expect(a).not.toBe(b);
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
  });

  it('fails loudly on a wrong AAD (another tenant) without revealing anything', () => {
    const sealed = box.seal(credentials, 'tenant-acme');
    const error = expectSecretError(() => box.open(sealed, 'tenant-globex'), 'decrypt_failed');
    expect(error.message).not.toContain('super-secret');
    expect(error.message).not.toContain(sealed);
  });

  it.each([
    ['ciphertext', 4],
    ['tag', 3],
    ['iv', 2],
  ])('fails on a tampered %s', (_name, index) => {
    const parts = box.seal(credentials, 't').split('.');
    const bytes = Buffer.from(parts[index]!, 'base64url');
    bytes[0] = bytes[0]! ^ 0x01;
    parts[index] = bytes.toString('base64url');
    expectSecretError(() => box.open(parts.join('.'), 't'), 'decrypt_failed');
  });

  it('fails when the key id label is swapped, even if that key exists', () => {
    const both = createSecretBox({ keys: { k1, k2: k1 }, activeKeyId: 'k1' }); // same bytes, other id
    const relabelled = both.seal(credentials, 't').replace(/^v1\.k1\./, 'v1.k2.');
    expectSecretError(() => both.open(relabelled, 't'), 'decrypt_failed');
  });

  it('refuses malformed values and unknown keys', () => {
    expectSecretError(() => box.open('not-sealed', 't'), 'malformed');
    expectSecretError(() => box.open('v2.k1.a.b.c', 't'), 'malformed');
    const other = createSecretBox({ keys: { k9: k2 }, activeKeyId: 'k9' });
    expectSecretError(() => box.open(other.seal(credentials, 't'), 't'), 'unknown_key');
    expectSecretError(() => box.seal(credentials, ''), 'malformed');
  });

  it('rotates without downtime: old values open, new ones use the active key', () => {
    const old = createSecretBox({ keys: { k1 }, activeKeyId: 'k1' });
    const sealedWithK1 = old.seal(credentials, 'tenant-acme');
    const rotated = createSecretBox({ keys: { k2, k1 }, activeKeyId: 'k2' });
    expect(rotated.open(sealedWithK1, 'tenant-acme')).toEqual(credentials);
    expect(rotated.needsRotation(sealedWithK1)).toBe(true);
    const resealed = rotated.rotate(sealedWithK1, 'tenant-acme');
    expect(resealed.startsWith('v1.k2.')).toBe(true);
    expect(rotated.needsRotation(resealed)).toBe(false);
    expect(rotated.rotate(resealed, 'tenant-acme')).toBe(resealed);
    expect(rotated.open(resealed, 'tenant-acme')).toEqual(credentials);
    // After k1 is retired, only re-sealed values open.
    const retired = createSecretBox({ keys: { k2 }, activeKeyId: 'k2' });
    expect(retired.open(resealed, 'tenant-acme')).toEqual(credentials);
    expectSecretError(() => retired.open(sealedWithK1, 'tenant-acme'), 'unknown_key');
  });

  it('validates keys: 32 bytes, known active id', () => {
    expectSecretError(
      () => createSecretBox({ keys: { k1: randomBytes(16).toString('base64') }, activeKeyId: 'k1' }),
      'invalid_key',
    );
    expectSecretError(() => createSecretBox({ keys: { k1 }, activeKeyId: 'k3' }), 'unknown_key');
    expectSecretError(
      () => createSecretBox({ keys: { 'bad.id': k1 }, activeKeyId: 'bad.id' }),
      'invalid_key',
    );
  });
});

describe('key ring from the environment', () => {
  it('parses "k2:BASE64,k1:BASE64" with the first as active', () => {
    const ring = parseKeyRing(`k2:${k2}, k1:${k1}`);
    expect(ring).toEqual({ keys: { k2, k1 }, activeKeyId: 'k2' });
    const box = secretBoxFromEnv(`k2:${k2},k1:${k1}`);
    expect(box.activeKeyId).toBe('k2');
    expect(box.seal({ a: 1 }, 't').startsWith('v1.k2.')).toBe(true);
  });

  it('accepts base64url keys', () => {
    const url = Buffer.from(k1, 'base64').toString('base64url');
    expect(parseKeyRing(`k1:${url}`).activeKeyId).toBe('k1');
  });

  it('refuses bad rings with messages that never contain key material', () => {
    const short = randomBytes(8).toString('base64');
    for (const ring of [undefined, '', 'k1', `k1:${short}`, `k1:${k1},k1:${k2}`, `:${k1}`]) {
      const error = expectSecretError(() => parseKeyRing(ring), 'invalid_key');
      expect(error.message).not.toContain(k1);
      expect(error.message).not.toContain(short);
    }
  });
});
